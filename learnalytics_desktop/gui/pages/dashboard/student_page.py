"""The Student page: one student's timeline as of the chosen week.

Pick a student in the searchable list (or arrive from the Students at risk page). The page
shows the level and reasons of the latest scoring run, weekly activity beside the course
median, quiz scores over the weeks, risk across scoring runs, the student's measures beside
the course distribution (a percentile bar with the median marked, and the same in words)
and the recent events. Nothing after the as-of date is read (``core.dashboard.student_timeline``).
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from learnalytics_desktop.gui import qsettings
from learnalytics_desktop.gui.models.columns import Column
from learnalytics_desktop.gui.models.frame_table import FrameTableModel
from learnalytics_desktop.gui.pages.base import Page, Shell
from learnalytics_desktop.gui.pages.dashboard.common import fit_columns, level_html
from learnalytics_desktop.gui.pages.dashboard.student_charts import (
    ActivityChart,
    PercentileDelegate,
    QuizChart,
    RiskChart,
)
from learnalytics_desktop.gui.workers import Task, db_job

COMPARE_COLUMNS = [
    Column("label", "Measure"),
    Column("value_text", "This student"),
    Column("median_text", "Course median"),
    Column(
        "percentile",
        "Where the student stands",
        "float",
        0,
        tooltip="Bar: share of the course below the student (percentile); the black line is the course median",
    ),
    Column("words", "In plain words"),
]
EVENT_COLUMNS = [
    Column("time", "Time (UTC)", "datetime"),
    Column("verb", "Verb"),
    Column("activity", "Activity"),
    Column("category", "Category"),
    Column("score", "Score", "percent", 0),
    Column("duration_minutes", "Minutes", "float", 1),
]
RATES = {"video_completion_rate", "quiz_avg_score", "regularity_score"}


def show_value(feature: str, value: float) -> str:
    """A measure of the comparison table as shown (units in words)."""
    if value is None or math.isnan(value):
        return "—"
    if feature == "engagement":
        return f"{value:.2f}"
    if feature in RATES:
        return f"{100 * value:.0f}%"
    if feature == "days_since_last_activity":
        return f"{value:.1f} days"
    if feature == "total_time_minutes":
        return f"{value:,.0f} min"
    return f"{value:,.0f}"


def compare_frame(compare: Any) -> Any:
    """``StudentTimeline.compare`` with the display texts added."""
    out = compare.copy()
    out["value_text"] = [show_value(f, v) for f, v in zip(out["feature"], out["value"], strict=True)]
    out["median_text"] = [show_value(f, v) for f, v in zip(out["feature"], out["median"], strict=True)]
    return out


class StudentPage(Page):
    """See the module docstring."""

    def __init__(self, shell: Shell, parent: QWidget | None = None) -> None:
        super().__init__(shell, parent)
        self.setObjectName("studentPage")
        self.actor: int | None = None
        self.timeline: Any = None
        self.choices: Any = None
        self._choices_key: Any = None
        self.title = QLabel("<h2>Student</h2>")
        self.picker = QComboBox()
        self.picker.setEditable(True)
        self.picker.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.picker.setMinimumWidth(320)
        self.picker.setAccessibleName("Student")
        self.picker.lineEdit().setPlaceholderText("Type to search students…")
        completer = self.picker.completer()
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.picker.activated.connect(self._picked)
        pick_label = QLabel("S&tudent:")
        pick_label.setBuddy(self.picker)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addSpacing(12)
        top.addWidget(pick_label)
        top.addWidget(self.picker)
        top.addStretch(1)

        self.activity = ActivityChart()
        self.quizzes = QuizChart()
        self.risk = RiskChart()
        self.charts = QSplitter(Qt.Orientation.Horizontal)
        for chart in (self.activity, self.quizzes, self.risk):
            self.charts.addWidget(chart)
        self.charts.setChildrenCollapsible(False)

        self.compare = FrameTableModel(columns=COMPARE_COLUMNS, parent=self)
        self.compare_view = self._table(self.compare, "Compared with the course")
        self.compare_view.setItemDelegateForColumn(3, PercentileDelegate(self.compare_view))
        self.compare_view.horizontalHeader().setStretchLastSection(True)
        self.events = FrameTableModel(columns=EVENT_COLUMNS, parent=self)
        self.events_view = self._table(self.events, "Recent events")
        self.events_view.horizontalHeader().setStretchLastSection(True)
        self._widths_set = False
        self.tabs = QTabWidget()
        self.tabs.addTab(self.compare_view, "Com&pared with the course")
        self.tabs.addTab(self.events_view, "Recent &events")

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.charts)
        self.splitter.addWidget(self.tabs)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([280, 320])
        qsettings.restore_splitter(self.splitter, "student/main")
        qsettings.restore_splitter(self.charts, "student/charts")
        self.placeholder = QLabel()
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.placeholder)
        layout.addWidget(self.splitter, 1)
        self._show_placeholder("Open a database and choose a course to see its students.")

    def _table(self, model: FrameTableModel, name: str) -> QTableView:
        view = QTableView()
        view.setModel(model)
        view.setAccessibleName(name)
        view.verticalHeader().setVisible(False)
        view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        view.setWordWrap(False)
        view.setAlternatingRowColors(True)
        return view

    def _show_placeholder(self, text: str) -> None:
        self.placeholder.setText(text)
        self.placeholder.setVisible(True)
        self.splitter.setVisible(False)
        self.summary.setText("")

    # -- loading ---------------------------------------------------------------------------------
    def refresh(self) -> Task | None:
        """Reload the list of students, then the chosen student's timeline."""
        ctx = self.ctx
        if ctx.db_path is None or ctx.course_id is None or ctx.as_of is None:
            self.picker.clear()
            self._show_placeholder("Open a database and choose a course to see its students.")
            return None
        from learnalytics_desktop.core.dashboard import student_choices

        key = (ctx.db_path, ctx.course_id, ctx.week, ctx.data_version)
        return (
            self.runner.submit(db_job(student_choices), ctx.db_path, ctx.course_id, ctx.as_of)
            .keyed("student.choices")
            .on_success(lambda frame: self._choices_loaded(frame, key))
        )

    def _key(self) -> tuple[Any, ...]:
        ctx = self.ctx
        return (ctx.db_path, ctx.course_id, ctx.week, ctx.data_version)

    def _choices_loaded(self, frame: Any, key: tuple[Any, ...]) -> None:
        if key != self._key():
            return
        self.choices, self._choices_key = frame, key
        self.picker.blockSignals(True)
        self.picker.clear()
        names = frame["name"].tolist() if "name" in frame.columns else [None] * len(frame)
        for actor, label, name in zip(frame["actor"].tolist(), frame["student"].tolist(), names, strict=True):
            self.picker.addItem(f"{name} ({label})" if name else label, int(actor))
        self.picker.blockSignals(False)
        if len(frame) == 0:
            self._show_placeholder("This course has no students as of this week.")
            return
        actors = frame["actor"].tolist()
        if self.actor not in actors:
            self.actor = int(actors[0])
        self._select(self.actor)
        self.load()

    def _select(self, actor: int) -> None:
        index = self.picker.findData(int(actor))
        self.picker.blockSignals(True)
        self.picker.setCurrentIndex(index)
        self.picker.blockSignals(False)

    def _picked(self, index: int) -> None:
        actor = self.picker.itemData(index)
        if actor is not None and int(actor) != self.actor:
            self.actor = int(actor)
            self.load()

    def open_with(self, **params: Any) -> None:
        """``actor=<id>``: show that student (after the list has loaded, if it is loading)."""
        actor = params.get("actor")
        if actor is None:
            return
        self.actor = int(actor)
        if self.choices is not None and self._choices_key == self._key():
            if self.picker.findData(self.actor) < 0:
                self.shell.show_status("That student is not in this course as of this week.")
                return
            self._select(self.actor)
            self.load()

    def load(self) -> Task | None:
        """Load the chosen student's timeline on the database thread."""
        from learnalytics_desktop.core.dashboard import student_timeline

        ctx = self.ctx
        if self.actor is None or ctx.db_path is None or ctx.as_of is None:
            return None
        key = (*self._key(), self.actor)
        return (
            self.runner.submit(db_job(student_timeline), ctx.db_path, self.actor, ctx.course_id, ctx.as_of)
            .keyed("student.load")
            .with_progress("Loading the student…")
            .on_success(lambda t: self._show(t, key))
        )

    def _show(self, t: Any, key: tuple[Any, ...]) -> None:
        if key != (*self._key(), self.actor):
            return
        self.timeline = t
        self.placeholder.setVisible(False)
        self.splitter.setVisible(True)
        weeks = int(self.ctx.week or 1)
        self.activity.set_frame(t.weekly)
        self.quizzes.set_frame(t.quizzes, weeks)
        self.risk.set_frame(t.risk, t.thresholds, weeks)
        self.compare.set_frame(compare_frame(t.compare), COMPARE_COLUMNS)
        self.events.set_frame(t.events, EVENT_COLUMNS)
        if not self._widths_set:  # the columns exist now
            self._widths_set = True
            fit_columns(
                self.compare_view, {"label": 180, "value_text": 100, "median_text": 110, "percentile": 170}
            )
            fit_columns(
                self.events_view, {"time": 140, "verb": 100, "activity": 330, "category": 100, "score": 60}
            )
        self.tabs.setTabText(1, f"Recent &events ({len(t.events):,} of {t.total_events:,})")
        self.summary.setText(self.summary_html(t))

    def summary_html(self, t: Any) -> str:
        """The line under the picker: level and reasons of this week's run, engagement, last activity."""
        row = t.compare.set_index("feature")
        eng, days = row.loc["engagement", "value"], row.loc["days_since_last_activity", "value"]
        person = getattr(t, "person", None)
        if person is not None and person.full_name:
            who = f"<b>{escape(person.full_name)}</b> ({escape(t.label)})"
            if person.email:
                who += f" \u00b7 {escape(person.email)}"
        else:
            who = f"<b>{escape(t.label)}</b>"
        parts = [who]
        if t.latest:
            parts.append(
                "Risk level " + level_html(str(t.latest["risk_level"]), float(t.latest["risk_score"]))
            )
        else:
            parts.append("Risk level: not scored for this week")
        parts.append("engagement " + ("—" if math.isnan(eng) else f"{eng:.2f}"))
        parts.append(
            "last active "
            + (
                "never"
                if math.isnan(days) or t.total_events == 0
                else f"{days:.0f} days before the as-of date"
            )
        )
        parts.append(f"{t.total_events:,} statements so far")
        text = " \u00b7 ".join(parts)
        if t.latest and t.latest.get("reasons"):
            text += "<br>Why: " + escape("; ".join(str(r) for r in t.latest["reasons"][:3]))
        if getattr(t, "outreach", ""):
            text += "<br>Outreach: " + escape(t.outreach)
        if person is not None and person.note:
            text += f"<br><i>{escape(person.note)}</i>"
        if not t.in_course:
            text += "<br><i>Not enrolled and no activity in this course before the as-of date.</i>"
        return text

    def save_state(self) -> None:
        """Remember the splitters."""
        qsettings.save_splitter(self.splitter, "student/main")
        qsettings.save_splitter(self.charts, "student/charts")


__all__ = ["COMPARE_COLUMNS", "EVENT_COLUMNS", "StudentPage", "compare_frame", "show_value"]
