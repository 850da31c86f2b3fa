"""The distribution plot of the impact wizard (pyqtgraph, via ``gui.charts``).

* Numeric outcome: per group a box (quartiles), a median line, whiskers from the minimum to
  the maximum, a diamond at the mean and every student as a point (jittered sideways with a
  fixed seed, so the picture is the same each time). The groups differ by colour AND point
  symbol, and the legend under the plot says what each mark is.
* Yes/no outcome: per group a bar at the share of students with the outcome and its 95%
  Wilson interval as an error bar.

Items are created once and updated with ``setData``.

:class:`RDPlot` is the regression discontinuity plot of a threshold design: the mean outcome
of students in bands of risk either side of the cut-off (points, sized alike), the two local
linear fits within the bandwidth (lines) and the cut-off (dashed). The jump between the two
lines at the cut-off is the estimate.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from learnalytics_desktop.gui import charts

if TYPE_CHECKING:  # pragma: no cover
    from learnalytics_desktop.core.impact.analysis import ImpactResult

COLOURS = {"treated": "blue", "control": "vermillion"}
SYMBOLS = {"treated": "o", "control": "t"}
GROUPS = ("treated", "control")


def group_points(group: str, size: int) -> pg.ScatterPlotItem:
    """An empty scatter item in a group's colour and symbol."""
    return pg.ScatterPlotItem(
        [],
        [],
        size=size,
        symbol=SYMBOLS[group],
        pen=pg.mkPen(charts.color(COLOURS[group]).darker(140)),
        brush=pg.mkBrush(charts.color(COLOURS[group])),
    )


class DistributionPlot(QWidget):
    """See the module docstring. :meth:`show_result` draws, :meth:`png` exports."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = charts.make_plot(
            "Outcome per group", "Group", "Outcome", accessible_name="Distribution per group"
        )
        self.plot.getPlotItem().showGrid(
            x=False, y=True, alpha=0.15
        )  # a grid line at a group would cross its box
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.caption = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.legend)
        self.boxes = pg.BarGraphItem(x=[], height=[], width=0.5, y0=[])
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.5)
        self.errors = pg.ErrorBarItem(
            x=np.array([]), y=np.array([]), beam=0.15, pen=pg.mkPen(charts.AXIS_TEXT, width=1.5)
        )
        self.medians = {g: pg.PlotDataItem([], [], pen=charts.pen("black", 2.5)) for g in GROUPS}
        self.whiskers = {
            g: (
                pg.PlotDataItem([], [], pen=charts.pen(charts.GREY, 1.5)),
                pg.PlotDataItem([], [], pen=charts.pen(charts.GREY, 1.5)),
            )
            for g in GROUPS
        }
        self.points = {g: group_points(g, 7) for g in GROUPS}
        self.means = pg.ScatterPlotItem(
            [], [], size=13, symbol="d", pen=pg.mkPen("k", width=1.5), brush=pg.mkBrush("w")
        )
        whiskers = [w for pair in self.whiskers.values() for w in pair]
        for item in (
            self.boxes,
            self.bars,
            self.errors,
            *whiskers,
            *self.medians.values(),
            *self.points.values(),
            self.means,
        ):
            self.plot.addItem(item)

    def show_result(self, result: ImpactResult, names: dict[str, str], outcome_label: str) -> None:
        """Draw ``result.values`` per group."""
        labels = [f"{names[g]} (n = {result.n[g]})" for g in GROUPS]
        charts.set_category_axis(self.plot, labels, axis="bottom")
        item = self.plot.getPlotItem()
        item.setXRange(-0.6, 1.6, padding=0)
        if result.kind == "binary":
            self._binary(result, outcome_label)
        else:
            self._numeric(result, outcome_label)

    def _numeric(self, result: ImpactResult, outcome_label: str) -> None:
        item = self.plot.getPlotItem()
        item.setTitle(f"{outcome_label} per group", size=charts.TITLE_SIZE, color=charts.AXIS_TEXT)
        item.setLabel("left", outcome_label, color=charts.AXIS_TEXT)
        item.setLabel("bottom", "Group", color=charts.AXIS_TEXT)
        self.bars.setOpts(x=[], height=[])
        self.errors.setData(x=np.array([]), y=np.array([]), height=np.array([]))
        rng = np.random.default_rng(0)
        xs, q1s, heights, brushes, mean_x, mean_y = [], [], [], [], [], []
        for i, g in enumerate(GROUPS):
            v = np.asarray(result.values.get(g, []), dtype=float)
            if len(v) == 0:
                continue
            q1, med, q3 = np.percentile(v, [25, 50, 75])
            xs.append(i)
            q1s.append(q1)
            heights.append(q3 - q1)
            tint = charts.color(COLOURS[g])
            tint.setAlpha(60)
            brushes.append(pg.mkBrush(tint))
            self.medians[g].setData([i - 0.25, i + 0.25], [med, med])
            low, high = self.whiskers[g]
            low.setData([i, i], [v.min(), q1])
            high.setData([i, i], [q3, v.max()])
            jitter = rng.uniform(-0.18, 0.18, len(v))
            self.points[g].setData(i + jitter, v)
            mean_x.append(i)
            mean_y.append(float(v.mean()))
        self.boxes.setOpts(
            x=xs, y0=q1s, height=heights, width=0.5, brushes=brushes, pen=pg.mkPen(charts.AXIS_TEXT)
        )
        self.means.setData(mean_x, mean_y)
        item.enableAutoRange(axis="y")
        self.caption = (
            f"{outcome_label}: each point is one student; the box spans the middle half (quartiles), the "
            "black line is the median, the white diamond the mean, the grey whiskers reach the lowest and "
            "highest values."
        )
        self.legend.setText(
            charts.legend_html(
                [
                    (COLOURS["treated"], "●", "intervention group"),
                    (COLOURS["control"], "▲", "comparison group"),
                    ("black", "solid", "median"),
                    ("black", "◇", "mean"),
                    (charts.GREY, "solid", "lowest to highest"),
                ]
            )
        )

    def _binary(self, result: ImpactResult, outcome_label: str) -> None:
        item = self.plot.getPlotItem()
        item.setTitle(
            f"Share of students: {outcome_label.lower()}", size=charts.TITLE_SIZE, color=charts.AXIS_TEXT
        )
        item.setLabel("left", "Share of students (%)", color=charts.AXIS_TEXT)
        item.setLabel("bottom", "Group", color=charts.AXIS_TEXT)
        self.boxes.setOpts(x=[], y0=[], height=[])
        for g in GROUPS:
            self.medians[g].setData([], [])
            for w in self.whiskers[g]:
                w.setData([], [])
            self.points[g].setData([], [])
        self.means.setData([], [])
        shares, lows, highs, brushes = [], [], [], []
        for g in GROUPS:
            d = result.descriptives[g]
            share = 100 * float(d.get("proportion") or 0.0)
            shares.append(share)
            lows.append(share - 100 * float(d.get("ci_low") if d.get("ci_low") is not None else share / 100))
            highs.append(
                100 * float(d.get("ci_high") if d.get("ci_high") is not None else share / 100) - share
            )
            brushes.append(pg.mkBrush(charts.color(COLOURS[g])))
        self.bars.setOpts(x=[0, 1], height=shares, width=0.5, brushes=brushes, pen=pg.mkPen(charts.AXIS_TEXT))
        self.errors.setData(
            x=np.array([0.0, 1.0]), y=np.array(shares), top=np.array(highs), bottom=np.array(lows)
        )
        item.setYRange(0, 100, padding=0.02)
        self.caption = (
            f"Share of students ({outcome_label.lower()}) per group; the whiskers are 95% confidence "
            "intervals (Wilson)."
        )
        self.legend.setText(
            charts.legend_html(
                [
                    (COLOURS["treated"], "■", "intervention group"),
                    (COLOURS["control"], "■", "comparison group"),
                    ("black", "solid", "95% interval"),
                ]
            )
        )

    def png(self, width: int = 900) -> bytes:
        """The plot alone as PNG bytes (for the report), ``width`` pixels wide."""
        return plot_png(self.plot, width)


def plot_png(plot: pg.PlotWidget, width: int = 900) -> bytes:
    """A pyqtgraph plot as PNG bytes, ``width`` pixels wide."""
    from pyqtgraph.exporters import ImageExporter

    exporter = ImageExporter(plot.getPlotItem())
    exporter.parameters()["width"] = width
    image = exporter.export(toBytes=True)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


class RDPlot(QWidget):
    """See the module docstring. :meth:`show_result` draws (or says there is nothing)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = charts.make_plot(
            "Outcome either side of the risk cut-off",
            "Risk score",
            "Outcome",
            accessible_name="Regression discontinuity plot",
        )
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.caption = ""
        self.has_data = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.legend)
        self.points = {side: group_points(g, 9) for side, g in (("below", "control"), ("above", "treated"))}
        self.fits = {
            side: pg.PlotDataItem([], [], pen=charts.pen(COLOURS[g], 2.5))
            for side, g in (("below", "control"), ("above", "treated"))
        }
        self.cut = pg.InfiniteLine(angle=90, pen=charts.pen(charts.GREY, 1.5, Qt.PenStyle.DashLine))
        for item in (*self.points.values(), *self.fits.values(), self.cut):
            self.plot.addItem(item)

    def show_result(self, result: ImpactResult, outcome_label: str) -> None:
        """Draw the RD plot data of ``result`` (``diagnostics["rd"]["plot"]``), if any."""
        from learnalytics_desktop.core.impact import wording

        rd = result.diagnostics.get("rd") or {}
        plot = rd.get("plot")
        self.has_data = bool(plot)
        if not plot:
            for item in (*self.points.values(), *self.fits.values()):
                item.setData([], [])
            self.caption = ""
            self.legend.setText(escape(str(rd.get("withheld", ""))))
            return
        scale = wording.scale_of("rd", result.kind)
        unit = " (%)" if result.kind == "binary" else ""
        item = self.plot.getPlotItem()
        item.setLabel("left", outcome_label + unit, color=charts.AXIS_TEXT)
        for side in ("below", "above"):
            bins = plot[f"bins_{side}"]
            self.points[side].setData([b["x"] for b in bins], [b["y"] * scale for b in bins])
            fit = plot[f"fit_{side}"]
            self.fits[side].setData([p[0] for p in fit], [p[1] * scale for p in fit])
        self.cut.setPos(rd["cutoff"])
        item.enableAutoRange()
        self.caption = (
            f"{outcome_label} by risk score: each point is the mean of students in a band of risk; the lines are "
            f"local linear fits within the bandwidth ({rd['bandwidth']:.3g}) either side of the cut-off "
            f"{rd['cutoff']:g} (dashed). The jump between the lines at the cut-off is the estimated effect for "
            "students near the threshold."
        )
        self.legend.setText(
            charts.legend_html(
                [
                    (COLOURS["control"], "▼", "below the cut-off"),
                    (COLOURS["treated"], "●", "at or above the cut-off"),
                    (charts.GREY, "dash", "cut-off"),
                ]
            )
        )

    def png(self, width: int = 900) -> bytes:
        """The plot alone as PNG bytes (for the report)."""
        return plot_png(self.plot, width)


__all__ = ["DistributionPlot", "RDPlot", "plot_png"]
