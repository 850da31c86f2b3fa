"""The Page contract (refresh when visible, else when next shown), the registry, the context bar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from learnalytics_desktop.gui.pages import PAGES, PageSpec, page_spec
from learnalytics_desktop.gui.pages.base import Page, PageContext, Shell
from learnalytics_desktop.gui.widgets.context_bar import (
    ContextBar,
    course_details,
    course_label,
    default_course,
    default_week,
    week_has_data,
    weeks_with_data,
)


@dataclass(frozen=True)
class FakeCourse:
    id: int
    iri: str
    name: str
    start: date | None
    weeks: int | None
    students: int = 10
    statements: int = 100

    @property
    def label(self) -> str:
        return self.name or self.iri

    def as_of_week(self, k: int) -> datetime:
        if self.start is None:
            raise ValueError(f"The course {self.label!r} has no start date")
        return datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC) + timedelta(days=7 * k)


class CountingPage(Page):
    def __init__(self, shell):
        super().__init__(shell)
        self.refreshed: list[PageContext] = []

    def refresh(self) -> None:
        self.refreshed.append(self.ctx)


@pytest.fixture
def shell(runner):
    return Shell(runner)


def test_a_visible_page_refreshes_at_once_a_hidden_one_when_shown(qtbot, shell):
    page = CountingPage(shell)
    qtbot.addWidget(page)
    ctx = PageContext(db_path=Path("a.db"), course_id=1, week=3)
    page.set_context(ctx)
    assert page.refreshed == [] and page._stale
    page.show()
    qtbot.waitExposed(page)
    assert page.refreshed == [ctx]
    page.set_context(ctx)  # nothing changed: no reload
    assert len(page.refreshed) == 1
    page.set_context(ctx.with_changes(week=4))
    assert page.refreshed[-1].week == 4 and len(page.refreshed) == 2


def test_shell_tells_pages_only_about_changes(qtbot, shell):
    seen = []
    shell.context_changed.connect(seen.append)
    ctx = PageContext(course_id=2, week=1)
    shell.set_context(ctx)
    shell.set_context(PageContext(course_id=2, week=1))
    assert seen == [ctx]
    with qtbot.waitSignal(shell.navigate_requested) as blocker:
        shell.navigate("student", actor=7)
    assert blocker.args == ["student", {"actor": 7}]


def test_as_of_is_none_without_a_course_or_a_start_date():
    course = FakeCourse(1, "https://x/c", "C", date(2026, 9, 14), 13)
    assert PageContext(course=course, week=2).as_of == datetime(2026, 9, 28, tzinfo=UTC)
    assert PageContext(course=course).as_of is None
    assert PageContext(course=FakeCourse(2, "https://x/d", "D", None, None), week=2).as_of is None


def test_registry_lists_the_eight_pages_in_work_order():
    assert [p.title for p in PAGES] == [
        "Import",
        "Overview",
        "Students at risk",
        "Student",
        "Model",
        "Interventions",
        "Impact",
        "Settings",
    ]
    assert page_spec("import").load().__name__ == "ImportPage"
    with pytest.raises(KeyError, match="no page registered"):
        page_spec("nope")
    with pytest.raises(LookupError, match="not built yet"):
        PageSpec("later", "Later", "impact", None, "").load()


def test_default_week_is_the_last_complete_week():
    c = FakeCourse(1, "https://x/c", "C", date(2026, 9, 14), 13)
    assert default_week(c, today=date(2026, 10, 28)) == 6  # two days into week 7
    assert default_week(c, today=date(2026, 9, 15)) == 1  # nothing complete yet: week 1
    assert default_week(c, today=date(2027, 1, 1)) == 13
    assert course_label(c) == "C"
    assert course_details(c) == "https://x/c\nstarts 2026-09-14, 13 weeks\n10 students\n100 statements"


def test_context_bar_emits_user_choices_only(qtbot):
    bar = ContextBar()
    qtbot.addWidget(bar)
    a = FakeCourse(1, "https://x/a", "A", date(2025, 9, 15), 13)
    b = FakeCourse(2, "https://x/b", "B", date(2026, 9, 14), 13)
    chosen = []
    bar.context_chosen.connect(lambda c, w: chosen.append((c.id, w)))
    bar.set_courses([a, b], course_id=2, week=4)
    assert chosen == [] and bar.course is b and bar.week == 4
    assert bar.week_spin.text() == "Week 4 of 13" and bar.as_of_label.text() == "data up to 2026-10-11"
    bar.course_combo.setCurrentIndex(0)
    assert chosen == [(1, 13)]
    bar.week_spin.setValue(2)
    assert chosen[-1] == (1, 2)
    bar.set_courses([])
    assert bar.course is None and bar.week is None and not bar.course_combo.isEnabled()


def test_default_course_is_the_one_running_else_the_latest():
    old = FakeCourse(1, "https://x/a", "A", date(2025, 9, 15), 13)
    new = FakeCourse(2, "https://x/b", "B", date(2026, 9, 14), 13)
    undated = FakeCourse(3, "https://x/c", "C", None, None)
    assert default_course([old, new, undated], today=date(2026, 10, 28)) == 1
    assert default_course([new, old], today=date(2026, 3, 1)) == 1  # between offerings: the latest started
    assert default_course([undated]) == 0


@dataclass(frozen=True)
class CourseWithData(FakeCourse):
    first_statement: datetime | None = None
    last_statement: datetime | None = None


def test_weeks_after_the_last_statement_say_no_data(qtbot):
    """The picker once read "Week 13 of 13, data up to 2026-12-13" for data that ended on
    2026-10-28: "data up to" is the last statement, and a week without any is marked."""
    bar = ContextBar()
    qtbot.addWidget(bar)
    c = CourseWithData(
        1, "https://x/c", "C", date(2026, 9, 14), 13,
        first_statement=datetime(2026, 9, 14, 9, tzinfo=UTC),
        last_statement=datetime(2026, 10, 28, 17, tzinfo=UTC),
    )  # fmt: skip
    assert weeks_with_data(c) == (1, 7)
    bar.set_courses([c], course_id=1, week=13)
    assert bar.week_spin.text() == "Week 13 of 13 (no data)"
    assert bar.as_of_label.text() == "data up to 2026-10-28"
    assert "weeks 1–7" in bar.as_of_label.toolTip()
    bar.week_spin.setValue(7)
    assert bar.week_spin.text() == "Week 7 of 13" and bar.as_of_label.text() == "data up to 2026-10-28"
    bar.week_spin.setValue(3)
    assert bar.week_spin.text() == "Week 3 of 13" and bar.as_of_label.text() == "data up to 2026-10-04"
    assert week_has_data(c, 7) and not week_has_data(c, 8)
