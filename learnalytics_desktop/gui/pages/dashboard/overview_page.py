"""The Overview page: the course at a glance for the chosen week.

Headline numbers (students, active this week, at risk, average engagement), the weekly
engagement chart (median and interquartile band), the risk levels of the latest scoring run
and completion by content category. Every number comes from ``core.dashboard.course_overview``
(computed on the runner's database thread); people counts under the small-cell threshold
show as "<5". Without a scoring run for this week the banner says why and offers "Score now".
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from learnalytics_desktop.gui import qsettings
from learnalytics_desktop.gui.pages.base import Page, Shell
from learnalytics_desktop.gui.pages.dashboard.common import KpiCard, ScoreBanner
from learnalytics_desktop.gui.pages.dashboard.overview_charts import CompletionBars, LevelBars, WeeklyChart
from learnalytics_desktop.gui.workers import Task, db_job

FOOTNOTE = (
    "<b>Students</b>: enrolled, or with any activity before the as-of date. <b>Active this week</b>: at least one "
    "statement in the week. <b>At risk</b>: level High in the latest scoring run of the active model for this week. "
    "<b>Engagement</b>: the engagement score (0 to 1, weights in Settings). <b>Completion</b>: of the items of each kind "
    "that students have opened so far, the share the average student completed (a video watched to the end, a reading "
    "opened, a quiz attempt finished, an assignment submitted)."
)


class OverviewPage(Page):
    """See the module docstring."""

    def __init__(self, shell: Shell, parent: QWidget | None = None) -> None:
        super().__init__(shell, parent)
        self.setObjectName("overviewPage")
        self.overview: Any = None
        self.title = QLabel("<h2>Overview</h2>")
        self.subtitle = QLabel()
        self.subtitle.setWordWrap(True)
        self.placeholder = QLabel()
        self.placeholder.setWordWrap(True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.banner = ScoreBanner(self.runner)
        self.banner.scored.connect(self._scored)

        self.students_card = KpiCard("Students", "Enrolled, or with any activity before the as-of date")
        self.active_card = KpiCard(
            "Active this week", "Students with at least one statement in the chosen week"
        )
        self.risk_card = KpiCard(
            "At risk (High)", "Students at level High in the latest scoring run for this week"
        )
        self.engagement_card = KpiCard("Average engagement", "Mean engagement score (0 to 1) of the students")
        cards = QGridLayout()
        cards.setSpacing(8)
        for i, card in enumerate(
            (self.students_card, self.active_card, self.risk_card, self.engagement_card)
        ):
            cards.addWidget(card, 0, i)

        self.weekly = WeeklyChart()
        self.levels = LevelBars()
        # drill-down: a risk bar lists its students, a week shows the risk table as of it
        self.levels.level_clicked.connect(lambda level: self.shell.navigate("at_risk", level=level))
        self.weekly.week_clicked.connect(self.show_week)
        self.completion = CompletionBars()
        self.right = QSplitter(Qt.Orientation.Vertical)
        self.right.addWidget(self.levels)
        self.right.addWidget(self.completion)
        self.right.setChildrenCollapsible(False)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.weekly)
        self.splitter.addWidget(self.right)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        qsettings.restore_splitter(self.splitter, "overview/main")
        qsettings.restore_splitter(self.right, "overview/right")
        self.footnote = QLabel(FOOTNOTE)
        self.footnote.setWordWrap(True)
        self.footnote.setStyleSheet("color: palette(placeholder-text);")

        self.content = QWidget()
        body = QVBoxLayout(self.content)
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.banner)
        body.addLayout(cards)
        body.addWidget(self.splitter, 1)
        body.addWidget(self.footnote)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.placeholder, 1)
        layout.addWidget(self.content, 1)
        self._show_placeholder("Open a database and choose a course to see its overview.")

    # -- loading ---------------------------------------------------------------------------------
    def show_week(self, week: int) -> None:
        """Make ``week`` the as-of week (the context bar follows) and open the risk table."""
        ctx = self.shell.context
        if ctx.course is None:
            return
        if week != ctx.week:
            self.shell.set_context(ctx.with_changes(week=week))
        self.shell.navigate("at_risk")

    def _show_placeholder(self, text: str) -> None:
        self.placeholder.setText(text)
        self.placeholder.setVisible(True)
        self.content.setVisible(False)

    def refresh(self) -> Task | None:
        """Load the overview of the context's course and week on the database thread."""
        ctx = self.ctx
        if ctx.db_path is None or ctx.course_id is None or ctx.week is None:
            self.subtitle.setText("")
            self._show_placeholder("Open a database and choose a course to see its overview.")
            return None
        if ctx.as_of is None:
            self._show_placeholder(
                "This course has no start date yet: import its statements or set its dates."
            )
            return None
        from learnalytics_desktop.core.dashboard import course_overview

        name = getattr(ctx.course, "label", None) or getattr(ctx.course, "name", "")
        last_day = (ctx.as_of - timedelta(days=1)).date().isoformat()
        self.subtitle.setText(f"<b>{name}</b> \u2014 week {ctx.week}, data up to {last_day} (UTC)")
        key = (ctx.db_path, ctx.course_id, ctx.week, ctx.data_version)
        return (
            self.runner.submit(db_job(course_overview), ctx.db_path, ctx.course_id, ctx.week)
            .keyed("overview.load")
            .with_progress("Loading the overview…")
            .on_success(lambda o: self._show(o, key))
        )

    def _show(self, o: Any, key: tuple[Any, ...]) -> None:
        ctx = self.ctx
        if key != (ctx.db_path, ctx.course_id, ctx.week, ctx.data_version):
            return  # the user moved on; a newer load is coming
        self.overview = o
        self.placeholder.setVisible(False)
        self.content.setVisible(True)
        self.banner.set_status(o.status, ctx.db_path, ctx.course_id, ctx.week)
        self.students_card.set(o.count_text(o.students), f"as of the end of week {o.week}")
        share = ""
        if o.students and not o.small_course and not o.count_text(o.active_this_week).startswith("<"):
            share = f"{100 * o.active_this_week / o.students:.0f}% of the students"
        self.active_card.set(o.count_text(o.active_this_week), share or f"in week {o.week}")
        if o.at_risk is None:
            self.risk_card.set("—", "not scored for this week")
        else:
            moderate = int(o.levels.set_index("level").loc["moderate", "students"])
            self.risk_card.set(o.count_text(o.at_risk), f"and {o.count_text(moderate)} at Moderate")
        eng = o.avg_engagement
        self.engagement_card.set(
            "—" if math.isnan(eng) else f"{eng:.2f}",
            "hidden: small group" if o.small_course else "mean score, 0 to 1",
        )
        self.weekly.set_frame(o.weekly)
        self.levels.set_levels(o.levels, o.threshold, o.count_text)
        self.completion.set_completion(o.completion)
        notes = " ".join(o.notes)
        self.footnote.setText(FOOTNOTE + (f"<br><b>{notes}</b>" if notes else ""))

    def _scored(self, status: Any) -> None:
        self.shell.show_status(status.message)
        self.shell.notify_data_changed()  # other pages (and this one) reload with the new run
        self.refresh()

    def save_state(self) -> None:
        """Remember the splitters."""
        qsettings.save_splitter(self.splitter, "overview/main")
        qsettings.save_splitter(self.right, "overview/right")


__all__ = ["FOOTNOTE", "OverviewPage"]
