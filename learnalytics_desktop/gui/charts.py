"""Shared pyqtgraph helpers: one look for every chart of the app.

Every chart has a title and labelled axes (:func:`make_plot` insists on them), a white
background that prints and screenshots well (in a dark desktop theme the charts follow the
palette instead: its base colour behind, its text colour for titles, axes and labels, so a
chart is never a white block in a dark window), and colours from the Okabe-Ito palette, which
stays distinguishable for the common forms of colour blindness. Series also differ by line
style or symbol, so no chart relies on colour alone.

Items are created once and updated with ``setData`` (pyqtgraph's fast path); the helpers
here return the items they create so pages can do that.

This module imports pyqtgraph at module level: import it from pages only (pages are loaded
the first time they are shown, never on the start-up path).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QGuiApplication, QPalette, QPen
from PySide6.QtWidgets import QWidget

# Okabe & Ito (2008), "Color Universal Design": colour-blind safe qualitative palette.
PALETTE: dict[str, str] = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
SERIES = ("blue", "vermillion", "green", "orange", "purple", "sky")
GREY = "#8a8a8a"
AXIS_TEXT = "#222222"  # the text colour of charts; configure() sets it from a dark palette
BACKGROUND = "#ffffff"  # the chart background; configure() sets it from a dark palette
TITLE_SIZE = "10pt"
KEEP_TOGETHER = 40  # legend entries up to this length do not wrap inside

_configured = False


def palette_colours(palette: QPalette | None = None) -> tuple[str, str]:
    """(background, text) for charts: white and near-black under a light palette, the
    palette's base and text colours under a dark one (base lightness below half)."""
    pal = palette if palette is not None else QGuiApplication.palette()
    base = pal.color(QPalette.ColorRole.Base)
    if base.lightness() >= 128:
        return "#ffffff", "#222222"
    return base.name(), pal.color(QPalette.ColorRole.Text).name()


def configure(force: bool = False) -> None:
    """Global pyqtgraph options (background and text from :func:`palette_colours`,
    antialiasing); idempotent unless ``force`` (after the palette changed)."""
    global _configured, AXIS_TEXT, BACKGROUND
    if _configured and not force:
        return
    BACKGROUND, AXIS_TEXT = palette_colours()
    pg.setConfigOptions(background=BACKGROUND, foreground=AXIS_TEXT, antialias=True)
    _configured = True


def color(name: str) -> QColor:
    """A palette colour by name (``"blue"``…) or any colour string Qt understands."""
    return QColor(PALETTE.get(name, name))


def pen(name: str = "blue", width: float = 2.0, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    """A cosmetic pen (width in screen pixels at any zoom)."""
    p = pg.mkPen(color(name), width=width)
    p.setStyle(style)
    p.setCosmetic(True)
    return p


def make_plot(
    title: str,
    x_label: str,
    y_label: str,
    *,
    x_units: str | None = None,
    y_units: str | None = None,
    parent: QWidget | None = None,
    legend: bool | str = False,
    accessible_name: str | None = None,
) -> pg.PlotWidget:
    """A PlotWidget with a title, both axis labels, a light grid and the app's look.

    Mouse zoom is off (charts here are read, not explored; a stray wheel scroll should not
    distort them). ``legend`` adds a legend: ``True`` or ``"top-left"``, ``"top-right"``,
    ``"bottom-left"``, ``"bottom-right"``. Axis numbers are shown as they are (no SI-prefix
    rescaling such as "x0.001", which readers take for a unit).
    """
    if not title or not x_label or not y_label:
        raise ValueError("every chart needs a title and both axis labels")
    configure()
    plot = pg.PlotWidget(parent=parent)
    item = plot.getPlotItem()
    item.setTitle(title, size=TITLE_SIZE, color=AXIS_TEXT)
    item.setLabel("bottom", x_label, units=x_units, color=AXIS_TEXT)
    item.setLabel("left", y_label, units=y_units, color=AXIS_TEXT)
    item.showGrid(x=True, y=True, alpha=0.15)
    item.setMenuEnabled(False)
    item.getViewBox().setMouseEnabled(x=False, y=False)
    item.hideButtons()
    for name in ("bottom", "left"):
        item.getAxis(name).enableAutoSIPrefix(False)
    if legend:
        corner = "top-left" if legend is True else str(legend)
        offsets = {"top-left": (8, 8), "top-right": (-8, 8), "bottom-left": (8, -8), "bottom-right": (-8, -8)}
        if corner not in offsets:
            raise ValueError(f"legend corner {corner!r}; use one of {sorted(offsets)}")
        item.addLegend(
            offset=offsets[corner],
            labelTextColor=AXIS_TEXT,
            labelTextSize="8pt",
            brush=pg.mkBrush(
                QColor(BACKGROUND).red(), QColor(BACKGROUND).green(), QColor(BACKGROUND).blue(), 225
            ),
            pen=pg.mkPen("#cccccc"),
        )
    plot.setAccessibleName(accessible_name or title)
    plot.setMinimumSize(220, 180)
    return plot


def clear_data(plot: pg.PlotWidget) -> None:
    """Remove every data item (keeps the title, labels and an empty legend)."""
    item = plot.getPlotItem()
    item.clear()
    if item.legend is not None:
        item.legend.clear()


def reference_line(
    plot: pg.PlotWidget, xs: Sequence[float], ys: Sequence[float], name: str | None = None
) -> pg.PlotDataItem:
    """A dashed grey reference (chance diagonal, perfect calibration…); named in the legend."""
    return plot.plot(list(xs), list(ys), pen=pen(GREY, 1.5, Qt.PenStyle.DashLine), name=name)


def unit_square(plot: pg.PlotWidget, margin: float = 0.04) -> None:
    """Fix both axes to [0, 1] (probabilities, rates) with equal aspect where it fits."""
    item = plot.getPlotItem()
    item.setXRange(0.0, 1.0, padding=margin)
    item.setYRange(0.0, 1.0, padding=margin)


def set_category_axis(plot: pg.PlotWidget, labels: Sequence[str], *, axis: str = "left") -> None:
    """Label integer positions 0..n-1 of ``axis`` with ``labels`` (top to bottom on "left")
    and widen the axis so the longest label is not cut off."""
    ax = plot.getPlotItem().getAxis(axis)
    ticks = [(float(i), str(text)) for i, text in enumerate(labels)]
    ax.setTicks([ticks, []])
    if axis in ("left", "right"):
        metrics = QFontMetrics(ax.font() if hasattr(ax, "font") else QFont())
        widest = max((metrics.horizontalAdvance(str(t)) for t in labels), default=0)
        ax.setWidth(int(widest + 36))


def horizontal_bars(
    plot: pg.PlotWidget,
    labels: Sequence[str],
    values: Sequence[float],
    errors: Sequence[float] | None = None,
    *,
    colour: str = "blue",
    height: float = 0.6,
) -> tuple[pg.BarGraphItem, pg.ErrorBarItem | None]:
    """Bars of ``values`` from 0, one per label, the first label at the top.

    ``errors`` (same length) draws a ± whisker on each bar. Returns the bar item and the
    error item (or None). Negative values draw to the left of zero, which matters for
    permutation importance (a feature can look harmful by chance).
    """
    n = len(labels)
    if len(values) != n or (errors is not None and len(errors) != n):
        raise ValueError(
            f"{n} labels but {len(values)} values" + ("" if errors is None else f" and {len(errors)} errors")
        )
    import numpy as np

    ys = np.arange(n - 1, -1, -1, dtype=float)  # first label on top
    xs = np.asarray(values, dtype=float)
    bars = pg.BarGraphItem(
        x0=np.zeros(n),
        y=ys,
        height=height,
        width=xs,
        brush=pg.mkBrush(color(colour)),
        pen=pg.mkPen(color(colour).darker(130), width=1),
    )
    plot.addItem(bars)
    err_item = None
    if errors is not None:
        err = np.asarray(errors, dtype=float)
        err_item = pg.ErrorBarItem(
            x=xs,
            y=ys,
            left=err,
            right=err,
            beam=height * 0.35,
            pen=pg.mkPen(AXIS_TEXT, width=1),
        )
        plot.addItem(err_item)
    set_category_axis(plot, list(reversed(list(labels))))
    item = plot.getPlotItem()
    item.setYRange(-0.6, n - 0.4, padding=0)
    item.getViewBox().setLimits(yMin=-1, yMax=max(n, 1))
    return bars, err_item


def legend_html(entries: Sequence[tuple[str, str, str]]) -> str:
    """A legend as rich text for a QLabel under a chart (keeps the plot area clear).

    ``entries`` are ``(colour, style, text)`` with style ``"solid"``, ``"dash"`` or a symbol
    character drawn on the line sample (``"●"``, ``"▼"``). Entries of up to
    :data:`KEEP_TOGETHER` characters never break inside (the label wraps between entries).
    """
    parts = []
    for colour, style, text in entries:
        hex_colour = color(colour).name()
        sample = {"solid": "━━━", "dash": "╺╸╺╸"}.get(style, f"━{style}━")
        parts.append(
            f"<span style='color:{hex_colour}; font-weight:bold'>{sample}</span>&nbsp;"
            + (escape(text).replace(" ", "&nbsp;") if len(text) <= KEEP_TOGETHER else escape(text))
        )
    return "&nbsp;&nbsp;&nbsp; ".join(parts)


def empty_message(plot: pg.PlotWidget, text: str) -> pg.TextItem:
    """Write ``text`` in the middle of an empty plot (e.g. "No model yet")."""
    label = pg.TextItem(text, color=GREY, anchor=(0.5, 0.5))
    plot.addItem(label)
    vb = plot.getPlotItem().getViewBox()
    (x0, x1), (y0, y1) = vb.viewRange()
    label.setPos((x0 + x1) / 2, (y0 + y1) / 2)
    return label


def export_png(plot: Any, path: str) -> None:
    """Save what the widget shows to a PNG (used for screenshots and report figures)."""
    plot.grab().save(path)


__all__ = [
    "PALETTE",
    "SERIES",
    "clear_data",
    "color",
    "configure",
    "empty_message",
    "export_png",
    "horizontal_bars",
    "legend_html",
    "make_plot",
    "pen",
    "reference_line",
    "set_category_axis",
    "unit_square",
]


# -- risk levels, course weeks, bands (dashboard pages) -------------------------------------------

#: risk level -> palette colour (bars, markers); never used without the level's text beside it
LEVEL_COLOURS: dict[str, str] = {"low": "sky", "moderate": "orange", "high": "vermillion"}
#: light tints of the same hues for table cells (dark text stays readable on them)
LEVEL_TINTS: dict[str, str] = {"low": "#DDEFFA", "moderate": "#FBE6BC", "high": "#F6CDB0"}
LEVEL_TEXT: dict[str, str] = {"low": "Low", "moderate": "Moderate", "high": "High"}


def week_ticks(
    plot: pg.PlotWidget, weeks: Sequence[int], *, axis: str = "bottom", max_labels: int = 14
) -> None:
    """Label ``axis`` with whole course weeks (every 2nd or 3rd one when there are many)."""
    weeks = [int(w) for w in weeks]
    step = max(1, -(-len(weeks) // max_labels))
    major = [(float(w), str(w)) for i, w in enumerate(weeks) if i % step == 0]
    plot.getPlotItem().getAxis(axis).setTicks([major, [(float(w), "") for w in weeks]])


def band(
    plot: pg.PlotWidget, colour: str = "blue", *, alpha: int = 60, name: str | None = None
) -> tuple[pg.PlotDataItem, pg.PlotDataItem, pg.FillBetweenItem]:
    """A shaded band between two curves (e.g. the interquartile range), created once; update it
    with :func:`set_band`. ``name`` puts it in the legend."""
    edge = pen(colour, 1.0)
    edge.setColor(QColor(color(colour).red(), color(colour).green(), color(colour).blue(), 110))
    lower = pg.PlotDataItem([], [], pen=edge)
    upper = pg.PlotDataItem([], [], pen=edge)
    tint = QColor(color(colour))
    tint.setAlpha(alpha)
    fill = pg.FillBetweenItem(lower, upper, brush=pg.mkBrush(tint))
    plot.addItem(lower)
    plot.addItem(upper)
    plot.addItem(fill)
    if name and plot.getPlotItem().legend is not None:
        plot.getPlotItem().legend.addItem(fill, name)
    return lower, upper, fill


def set_band(
    items: tuple[pg.PlotDataItem, pg.PlotDataItem, pg.FillBetweenItem],
    xs: Sequence[float],
    low: Sequence[float],
    high: Sequence[float],
) -> None:
    """New data for a :func:`band` (the fill follows its curves)."""
    lower, upper, _fill = items
    lower.setData(list(xs), list(low))
    upper.setData(list(xs), list(high))


__all__ += ["LEVEL_COLOURS", "LEVEL_TEXT", "LEVEL_TINTS", "band", "set_band", "week_ticks"]
