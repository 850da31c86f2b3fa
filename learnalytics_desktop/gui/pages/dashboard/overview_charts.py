"""The Overview page's charts: weekly engagement (median + interquartile band), risk levels
and completion by content category. Items are created once and updated with ``setData``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from learnalytics_desktop.gui import charts
from learnalytics_desktop.gui.charts import LEVEL_COLOURS, LEVEL_TEXT

METRICS = {  # combo text -> (frame prefix, y label, plain description)
    "Engagement score": (
        "engagement",
        "Engagement score (0 to 1)",
        "engagement score of each student as of the end of the week",
    ),
    "Study minutes per week": (
        "minutes",
        "Minutes logged that week",
        "minutes of reported study time each student logged that week",
    ),
}
CATEGORY_TEXT = {"video": "Video", "reading": "Reading", "assessment": "Quizzes", "assignment": "Assignments"}


class WeeklyChart(QWidget):
    """Median and interquartile band of a weekly metric across the course's students.
    Clicking on a drawn week emits ``week_clicked(week)``."""

    week_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.frame: Any = None
        self.metric = QComboBox()
        self.metric.addItems(list(METRICS))
        self.metric.setAccessibleName("Weekly metric")
        self.metric.currentTextChanged.connect(lambda _t: self._draw())
        label = QLabel("Sh&ow:")
        label.setBuddy(self.metric)
        self.plot = charts.make_plot(
            "Weekly engagement of the course",
            "Course week",
            METRICS["Engagement score"][1],
            accessible_name="Weekly engagement chart",
        )
        self.band = charts.band(self.plot, "blue")
        self.median = self.plot.plot(
            [],
            [],
            pen=charts.pen("blue", 2.5),
            symbol="o",
            symbolSize=6,
            symbolBrush=charts.color("blue"),
            symbolPen=None,
        )
        self.empty = pg.TextItem("", color=charts.GREY, anchor=(0.5, 0.5))
        self.plot.addItem(self.empty)
        self.legend = QLabel(
            charts.legend_html(
                [
                    ("blue", "●", "median student"),
                    ("#9cc3e0", "solid", "middle half of students (25th to 75th percentile)"),
                ]
            )
        )
        self.legend.setWordWrap(True)
        self.no_data: list[pg.TextItem] = []  # "no data" labels of weeks without statements
        self.empty_weeks: list[int] = []
        self.plot.scene().sigMouseClicked.connect(self._clicked)
        top = QHBoxLayout()
        top.addWidget(label)
        top.addWidget(self.metric)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.legend)

    def week_at(self, x: float) -> int | None:
        """The drawn week nearest the chart's ``x`` (within half a week), else None."""
        weeks = self.median.getData()[0]
        if weeks is None or len(weeks) == 0:
            return None
        week = round(x)
        return week if abs(x - week) <= 0.5 and week in {int(w) for w in weeks} else None

    def _clicked(self, event: Any) -> None:
        point = self.plot.getPlotItem().getViewBox().mapSceneToView(event.scenePos())
        week = self.week_at(point.x())
        if week is not None:
            self.week_clicked.emit(week)

    def set_frame(self, frame: Any) -> None:
        """Show ``core.dashboard.weekly_engagement`` output (None clears)."""
        self.frame = frame
        self._draw()

    def _draw(self) -> None:
        prefix, y_label, what = METRICS[self.metric.currentText()]
        item = self.plot.getPlotItem()
        item.setLabel("left", y_label, color=charts.AXIS_TEXT)
        frame = self.frame
        for label in self.no_data:
            self.plot.removeItem(label)
        self.no_data, self.empty_weeks = [], []
        if frame is None or len(frame) == 0:
            charts.set_band(self.band, [], [], [])
            self.median.setData([], [])
            self.empty.setText("No weeks to show yet")
            self.empty.setPos(0.5, 0.5)
            item.setXRange(0, 1)
            item.setYRange(0, 1)
            return
        self.empty.setText("")
        weeks = frame["week"].to_numpy(dtype=float)
        # a week without a single statement is "no data", never a median of zero activity
        empty = (frame["active"].to_numpy() == 0) if "active" in frame.columns else np.zeros(len(frame), bool)
        self.empty_weeks = [int(w) for w in weeks[empty]]
        median = frame[f"{prefix}_median"].to_numpy(dtype=float).copy()
        median[empty] = np.nan
        kept = frame[~empty]
        charts.set_band(
            self.band, kept["week"].to_numpy(dtype=float), kept[f"{prefix}_q25"], kept[f"{prefix}_q75"]
        )
        self.median.setData(weeks, median, connect="finite")
        charts.week_ticks(self.plot, frame["week"].tolist())
        item.setXRange(weeks.min() - 0.3, weeks.max() + 0.3, padding=0)
        top = float(kept[f"{prefix}_q75"].max()) if len(kept) else 1.0
        y_top = 1.0 if prefix == "engagement" else max(top * 1.1, 1.0)
        item.setYRange(0, y_top, padding=0.02)
        for week in self.empty_weeks:
            label = pg.TextItem("no data", color=charts.GREY, anchor=(0.5, 0.5), angle=90)
            label.setPos(float(week), y_top / 2)
            self.plot.addItem(label)
            self.no_data.append(label)
        tip = f"Each point: the median {what}; the band: the middle half of students."
        if self.empty_weeks:
            tip += f" Weeks without any statement ({', '.join(map(str, self.empty_weeks))}) say “no data”."
        self.plot.setToolTip(tip + " Click a week to see the students at risk as of that week.")


class LevelBars(QWidget):
    """Students per risk level: coloured bars, the level's name under each, the count above.
    Clicking a bar emits ``level_clicked(level)`` (the page lists those students)."""

    level_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = charts.make_plot(
            "Risk levels (latest scoring run)", "Risk level", "Students", accessible_name="Risk level chart"
        )
        self.bars = pg.BarGraphItem(
            x=[0, 1, 2],
            height=[0, 0, 0],
            width=0.62,
            brushes=[pg.mkBrush(charts.color(LEVEL_COLOURS[lv])) for lv in LEVEL_COLOURS],
        )
        self.plot.addItem(self.bars)
        charts.set_category_axis(self.plot, [LEVEL_TEXT[lv] for lv in LEVEL_COLOURS], axis="bottom")
        self.labels = [pg.TextItem("", color=charts.AXIS_TEXT, anchor=(0.5, 1.0)) for _ in LEVEL_COLOURS]
        for label in self.labels:
            self.plot.addItem(label)
        self.empty = pg.TextItem("", color=charts.GREY, anchor=(0.5, 0.5))
        self.plot.addItem(self.empty)
        self.note = QLabel()
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.note)
        self.texts: list[str] = ["", "", ""]
        self.plot.setToolTip("Click a bar to list the students at that level")
        self.plot.scene().sigMouseClicked.connect(self._clicked)

    def level_at(self, x: float, y: float) -> str | None:
        """The level whose drawn bar holds the chart point (``x``, ``y``), else None."""
        i = round(x)
        if 0 <= i < len(LEVEL_COLOURS) and abs(x - i) <= 0.31 and y >= 0 and self.texts[i]:
            return list(LEVEL_COLOURS)[i]
        return None

    def _clicked(self, event: Any) -> None:
        point = self.plot.getPlotItem().getViewBox().mapSceneToView(event.scenePos())
        level = self.level_at(point.x(), point.y())
        if level is not None:
            self.level_clicked.emit(level)

    def set_levels(self, levels: Any, threshold: int, count_text: Any) -> None:
        """Show ``Overview.levels``; counts under ``threshold`` appear as "<N" over an outlined bar
        drawn up to the threshold (their exact size is not shown)."""
        item = self.plot.getPlotItem()
        if levels is None or len(levels) == 0:
            self.bars.setOpts(height=[0, 0, 0])
            for label in self.labels:
                label.setText("")
            self.texts = ["", "", ""]
            self.empty.setText("Not scored yet")
            self.empty.setPos(1.0, 0.5)
            item.setYRange(0, 1)
            item.setXRange(-0.6, 2.6, padding=0)
            self.note.setText("")
            return
        self.empty.setText("")
        heights, brushes, pens, texts = [], [], [], []
        for i, row in enumerate(levels.itertuples(index=False)):
            n, share = int(row.students), float(row.share)
            hue = charts.color(LEVEL_COLOURS[row.level])
            small = 0 < n < threshold
            heights.append(float(threshold) if small else float(n))
            brushes.append(QBrush(hue, Qt.BrushStyle.BDiagPattern) if small else pg.mkBrush(hue))
            pens.append(
                pg.mkPen(
                    hue.darker(130), width=1, style=Qt.PenStyle.DashLine if small else Qt.PenStyle.SolidLine
                )
            )
            text = count_text(n) + ("" if math.isnan(share) else f" ({100 * share:.0f}%)")
            texts.append(text)
            self.labels[i].setText(text)
        top = max(heights) if heights else 1.0
        for i, h in enumerate(heights):
            self.labels[i].setPos(float(i), h + 0.02 * top + 0.01)
        self.bars.setOpts(height=heights, brushes=brushes, pens=pens)
        self.texts = texts
        item.setYRange(0, max(top * 1.3, 1.0), padding=0)  # room for the count above the tallest bar
        item.setXRange(-0.6, 2.6, padding=0)
        self.note.setText(
            f"Counts under {threshold} are shown as \u201c&lt;{threshold}\u201d (hatched bar, size hidden)."
        )


class CompletionBars(QWidget):
    """Completion per content category as horizontal bars with the percentage at each end."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = charts.make_plot(
            "Completion by content category",
            "Completed (%)",
            "Content",
            accessible_name="Completion by content category chart",
        )
        n = len(CATEGORY_TEXT)
        self.bars = pg.BarGraphItem(
            x0=[0] * n,
            y=list(range(n - 1, -1, -1)),
            height=0.6,
            width=[0] * n,
            brush=pg.mkBrush(charts.color("green")),
            pen=pg.mkPen(charts.color("green").darker(130)),
        )
        self.plot.addItem(self.bars)
        self.labels = [pg.TextItem("", color=charts.AXIS_TEXT, anchor=(0.0, 0.5)) for _ in range(n)]
        for label in self.labels:
            self.plot.addItem(label)
        item = self.plot.getPlotItem()
        item.setXRange(0, 118, padding=0)
        item.setYRange(-0.6, n - 0.4, padding=0)
        charts.set_category_axis(self.plot, list(CATEGORY_TEXT.values())[::-1])
        self.texts: list[str] = [""] * n
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)

    def set_completion(self, completion: Any) -> None:
        """Show ``Overview.completion`` (hidden rates are left empty and say so)."""
        rows = {r.category: r for r in completion.itertuples(index=False)} if completion is not None else {}
        widths, names, texts = [], [], []
        for i, (cat, title) in enumerate(CATEGORY_TEXT.items()):
            r = rows.get(cat)
            rate = float("nan") if r is None else float(r.completion)
            items = 0 if r is None else int(r.items)
            widths.append(0.0 if math.isnan(rate) else 100 * rate)
            names.append(f"{title} ({items} item{'s' if items != 1 else ''})")
            text = (
                "no items yet"
                if items == 0
                else ("hidden (small group)" if math.isnan(rate) else f"{100 * rate:.0f}%")
            )
            texts.append(text)
            self.labels[i].setText(text)
            self.labels[i].setPos(widths[-1] + 1.5, float(len(CATEGORY_TEXT) - 1 - i))
        self.bars.setOpts(width=widths)
        charts.set_category_axis(self.plot, names[::-1])
        self.texts = texts


__all__ = ["CATEGORY_TEXT", "METRICS", "CompletionBars", "LevelBars", "WeeklyChart"]
