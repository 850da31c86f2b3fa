"""The Student page's charts (weekly activity, quiz scores, risk across scoring runs) and the
percentile bar drawn in the "compared with the course" table. Items are created once and
updated with ``setData``/``setOpts``."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from learnalytics_desktop.gui import charts

ACTIVITY = {
    "Minutes": ("minutes", "course_minutes_median", "Minutes that week"),
    "Events": ("events", "course_events_median", "Statements that week"),
}


def _reset_empty(plot: pg.PlotWidget, label: pg.TextItem, text: str) -> None:
    item = plot.getPlotItem()
    item.setXRange(0, 1, padding=0)
    item.setYRange(0, 1, padding=0)
    label.setText(text)
    label.setPos(0.5, 0.5)


class ActivityChart(QWidget):
    """The student's weekly activity (bars) beside the course median (line)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.frame: Any = None
        self.metric = QComboBox()
        self.metric.addItems(list(ACTIVITY))
        self.metric.setAccessibleName("Activity measure")
        self.metric.currentTextChanged.connect(lambda _t: self._draw())
        self.plot = charts.make_plot(
            "Weekly activity", "Course week", "Minutes that week", accessible_name="Weekly activity chart"
        )
        self.bars = pg.BarGraphItem(
            x=[],
            height=[],
            width=0.6,
            brush=pg.mkBrush(charts.color("blue")),
            pen=pg.mkPen(charts.color("blue").darker(130)),
        )
        self.plot.addItem(self.bars)
        self.median = self.plot.plot(
            [],
            [],
            pen=charts.pen("black", 2, Qt.PenStyle.DashLine),
            symbol="d",
            symbolSize=7,
            symbolBrush=charts.color("black"),
            symbolPen=None,
        )
        self.empty = pg.TextItem("", color=charts.GREY, anchor=(0.5, 0.5))
        self.plot.addItem(self.empty)
        legend = QLabel(
            charts.legend_html([("blue", "solid", "this student"), ("black", "dash", "course median")])
        )
        top = QHBoxLayout()
        top.addWidget(legend, 1)
        top.addWidget(self.metric)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addLayout(top)

    def set_frame(self, weekly: Any) -> None:
        """Show ``StudentTimeline.weekly``."""
        self.frame = weekly
        self._draw()

    def _draw(self) -> None:
        column, median, y_label = ACTIVITY[self.metric.currentText()]
        item = self.plot.getPlotItem()
        item.setLabel("left", y_label, color=charts.AXIS_TEXT)
        frame = self.frame
        if frame is None or len(frame) == 0:
            self.bars.setOpts(x=[], height=[])
            self.median.setData([], [])
            return _reset_empty(self.plot, self.empty, "No weeks yet")
        self.empty.setText("")
        weeks = frame["week"].to_numpy(dtype=float)
        mine = frame[column].fillna(0).to_numpy(dtype=float)
        self.bars.setOpts(x=weeks, height=mine)
        self.median.setData(weeks, frame[median].to_numpy(dtype=float))
        charts.week_ticks(self.plot, frame["week"].tolist())
        top = max(float(mine.max(initial=0)), float(frame[median].max()), 1.0)
        item.setXRange(weeks.min() - 0.6, weeks.max() + 0.6, padding=0)
        item.setYRange(0, top * 1.1, padding=0)


class QuizChart(QWidget):
    """Every scored quiz attempt over the course weeks (0-100 %)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = charts.make_plot(
            "Quiz scores", "Course week", "Score (%)", accessible_name="Quiz scores chart"
        )
        self.line = self.plot.plot(
            [],
            [],
            pen=charts.pen("green", 1.5),
            symbol="o",
            symbolSize=8,
            symbolBrush=charts.color("green"),
            symbolPen=pg.mkPen("w"),
        )
        self.empty = pg.TextItem("", color=charts.GREY, anchor=(0.5, 0.5))
        self.plot.addItem(self.empty)
        self.count = QLabel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.count)

    def set_frame(self, quizzes: Any, weeks: int) -> None:
        """Show ``StudentTimeline.quizzes``; ``weeks`` is the last course week shown."""
        item = self.plot.getPlotItem()
        charts.week_ticks(self.plot, list(range(1, max(weeks, 1) + 1)))
        item.setXRange(0.5, max(weeks, 1) + 0.5, padding=0)
        item.setYRange(0, 100, padding=0.04)
        if quizzes is None or len(quizzes) == 0:
            self.line.setData([], [])
            self.count.setText("No scored quiz attempts yet.")
            self.empty.setText("No quiz scores yet")
            self.empty.setPos((max(weeks, 1) + 1) / 2, 50)
            return
        self.empty.setText("")
        self.line.setData(
            quizzes["position"].to_numpy(dtype=float), 100 * quizzes["score"].to_numpy(dtype=float)
        )
        n = len(quizzes)
        self.count.setText(
            f"{n} scored attempt{'s' if n != 1 else ''}, average {100 * quizzes['score'].mean():.0f}%"
        )


class RiskChart(QWidget):
    """The student's risk in each stored scoring run, with the level thresholds dashed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = charts.make_plot(
            "Risk across scoring runs",
            "Course week of the run",
            "Risk (%)",
            accessible_name="Risk history chart",
        )
        self.lines = {
            name: pg.InfiniteLine(
                angle=0,
                movable=False,
                pen=charts.pen(charts.LEVEL_COLOURS[name], 1.2, Qt.PenStyle.DashLine),
                label=f"{charts.LEVEL_TEXT[name]} from {{value:.0f}}%",
                labelOpts={"position": 0.02, "color": charts.AXIS_TEXT, "anchors": [(0, 1), (0, 1)]},
            )
            for name in ("moderate", "high")
        }
        for line in self.lines.values():
            self.plot.addItem(line)
        self.curve = self.plot.plot(
            [],
            [],
            pen=charts.pen("vermillion", 2),
            symbol="s",
            symbolSize=8,
            symbolBrush=charts.color("vermillion"),
            symbolPen=pg.mkPen("w"),
        )
        self.empty = pg.TextItem("", color=charts.GREY, anchor=(0.5, 0.5))
        self.plot.addItem(self.empty)
        self.note = QLabel()
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.note)

    def set_frame(self, history: Any, thresholds: dict[str, float], weeks: int) -> None:
        """Show ``StudentTimeline.risk`` (runs up to the as-of date)."""
        item = self.plot.getPlotItem()
        for name, line in self.lines.items():
            line.setValue(100 * float(thresholds[name]))
        charts.week_ticks(self.plot, list(range(1, max(weeks, 1) + 1)))
        item.setXRange(0.5, max(weeks, 1) + 0.5, padding=0)
        item.setYRange(0, 100, padding=0.04)
        if history is None or len(history) == 0:
            self.curve.setData([], [])
            self.empty.setText("Never scored up to this week")
            self.empty.setPos((max(weeks, 1) + 1) / 2, 50)
            self.note.setText("No scoring run includes this student yet.")
            return
        self.empty.setText("")
        self.curve.setData(
            history["week"].to_numpy(dtype=float), 100 * history["risk_score"].to_numpy(dtype=float)
        )
        n = len(history)
        self.note.setText(f"{n} scoring run{'s' if n != 1 else ''} up to the as-of date.")


class PercentileDelegate(QStyledItemDelegate):
    """Draws a percentile (0-100, the model's UserRole) as a bar with the course median (50)
    marked by a black line; the number stays the cell's text for screen readers."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        value = index.data(Qt.ItemDataRole.UserRole)
        rect = QRectF(option.rect).adjusted(6, 5, -6, -5)
        painter.save()
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(QColor("#b8b8b8"), 1))
        painter.setBrush(QColor("#f1f1f1"))
        painter.drawRect(rect)
        if value is not None:
            filled = QRectF(
                rect.left(),
                rect.top(),
                rect.width() * max(0.0, min(100.0, float(value))) / 100,
                rect.height(),
            )
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(charts.color("blue"))
            painter.drawRect(filled)
        mid = rect.left() + rect.width() / 2
        painter.setPen(QPen(QColor("#111111"), 2))
        painter.drawLine(int(mid), int(rect.top()) - 3, int(mid), int(rect.bottom()) + 3)
        painter.restore()


__all__ = ["ACTIVITY", "ActivityChart", "PercentileDelegate", "QuizChart", "RiskChart"]
