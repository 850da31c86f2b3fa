"""Pieces the Overview, Students at risk and Student pages share: number cards, the scoring
banner with its "Score now" button, and the look of risk levels (colour AND text)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from learnalytics_desktop.gui.charts import LEVEL_COLOURS, LEVEL_TEXT, LEVEL_TINTS, color
from learnalytics_desktop.gui.models.columns import risk_text  # the one risk formatter (re-exported)
from learnalytics_desktop.gui.workers import Task, db_job


def level_brush(level: str) -> QBrush:
    """Background of a table cell showing ``level`` (a light tint; the cell also says the level)."""
    return QBrush(QColor(LEVEL_TINTS.get(level, "#ffffff")))


def level_html(level: str | None, risk: float | None = None) -> str:
    """A level as rich text: a coloured square AND the word (never colour alone)."""
    if not level:
        return "not scored"
    hue = color(LEVEL_COLOURS.get(level, "black")).name()
    text = LEVEL_TEXT.get(level, str(level))
    extra = "" if risk is None else f" ({risk_text(float(risk))})"
    return f"<span style='color:{hue}'>&#9632;</span>&nbsp;<b>{text}</b>{extra}"


def fit_columns(view: Any, widths: dict[str, int], default: int = 90) -> None:
    """Set each column of ``view`` (a FrameTableModel view) to its width in ``widths`` (or
    ``default``), never narrower than its header text."""
    metrics = view.horizontalHeader().fontMetrics()
    for i, col in enumerate(view.model().columns):
        wanted = widths.get(col.name, default)
        view.setColumnWidth(i, max(wanted, metrics.horizontalAdvance(col.header) + 26))


class KpiCard(QFrame):
    """A headline number with its title above and a short explanation below."""

    def __init__(self, title: str, tooltip: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kpiCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            "#kpiCard { background: palette(base); border: 1px solid palette(mid); border-radius: 6px; }"
        )
        self.title = QLabel(title)
        self.value = QLabel("—")
        font = QFont(self.value.font())
        font.setPointSizeF(font.pointSizeF() * 1.9)
        font.setBold(True)
        self.value.setFont(font)
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet("color: palette(placeholder-text);")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.value)
        layout.addWidget(self.caption)
        layout.addStretch(1)
        self.setToolTip(tooltip)
        self.setAccessibleName(title)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set(self, value: str, caption: str = "") -> None:
        """Show ``value`` (already formatted) and a caption."""
        self.value.setText(value)
        self.caption.setText(caption)
        self.setAccessibleDescription(f"{value}. {caption}".strip())


class ScoreBanner(QFrame):
    """Says whether this week has been scored; offers "Score now" when the active model can.

    Call :meth:`set_status` with a ``core.dashboard.ScoringStatus``; :meth:`score` runs
    ``core.dashboard.score_now`` in a child process (``.in_process()``, supervised from the
    runner's database thread) and emits ``scored``. With ``auto`` (the default) a week the
    active model can score but has no run for, or whose data are newer than its run, is
    scored without a click (``core.dashboard.ensure_scored``), once per course and week
    shown, so the risk list follows the week picker (issue 11).
    """

    scored = Signal(object)  # the new ScoringStatus

    def __init__(self, runner: Any, parent: QWidget | None = None, *, auto: bool = True) -> None:
        super().__init__(parent)
        self.runner = runner
        self.auto = auto
        self._attempted: set[tuple[Any, ...]] = set()  # contexts scored automatically
        self.context: tuple[Any, int, int] | None = None  # db_path, course_id, week
        self.status: Any = None
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.button = QPushButton("&Score now")
        self.button.setToolTip(
            "Score every student of this course at this week with the active model (runs in the background)"
        )
        self.button.setAccessibleName("Score now")
        self.button.clicked.connect(self.score)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.button)

    def set_status(self, status: Any, db_path: Any, course_id: int, week: int) -> None:
        """Show ``status`` for this context."""
        self.status, self.context = status, (db_path, course_id, week)
        scored = status.state == "scored"
        self.button.setVisible(status.can_score and not scored)
        self.button.setEnabled(status.can_score and not self.runner.is_busy("dashboard.score"))
        self.setStyleSheet(
            ""
            if scored
            else "ScoreBanner { background: #FFF6DB; border: 1px solid #E6C97A; border-radius: 4px; }"
        )
        self.text.setText(
            status.message
            if not status.can_score or scored
            else f"{status.message} Press <b>Score now</b> to compute every student's risk."
        )
        wanted = status.can_score and (status.state == "not_scored" or getattr(status, "stale", False))
        key = (str(db_path), course_id, week, status.run_created)
        if self.auto and wanted and key not in self._attempted:
            self._attempted.add(key)
            self.text.setText(f"{status.message} Scoring this week now…")
            self.score(auto=True)

    def score(self, *, auto: bool = False) -> Task | None:
        """Score this course and week with the active model, in a child process (``auto``:
        only when needed, ``core.dashboard.ensure_scored``, which says why it did not)."""
        from learnalytics_desktop.core.dashboard import ensure_scored, score_now

        if self.context is None or self.status is None or not self.status.can_score:
            return None
        db_path, course_id, week = self.context
        self.button.setEnabled(False)
        return (
            self.runner.submit(db_job(ensure_scored if auto else score_now), db_path, course_id, week)
            .in_process()  # a whole course: features and the model, off this interpreter
            .keyed("dashboard.score")
            .with_progress("Scoring students…")
            .on_success(self.scored.emit)
            .on_finished(lambda: self.button.setEnabled(True))
        )


__all__ = ["KpiCard", "ScoreBanner", "fit_columns", "level_brush", "level_html", "risk_text"]
