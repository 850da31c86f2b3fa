"""The course picker and the as-of week picker that every page follows.

``ContextBar.set_courses(courses, course_id, week)`` fills them (courses are
:class:`core.courses.Course` objects loaded on the worker); the user's choice comes out as
``context_chosen(course, week)``. Programmatic changes do not emit.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QSpinBox, QToolButton, QWidget

MAX_WEEKS = 60  # when a course does not know its length yet


def course_weeks(course: Any) -> int:
    """The number of weeks of ``course`` (``MAX_WEEKS`` when unknown)."""
    weeks = getattr(course, "weeks", None)
    return int(weeks) if weeks else MAX_WEEKS


def _start(course: Any) -> date | None:
    start = getattr(course, "start", None) or getattr(course, "start_date", None)
    if isinstance(start, datetime):
        return start.date()
    if isinstance(start, date):
        return start
    if isinstance(start, str) and start:
        try:
            return date.fromisoformat(start[:10])
        except ValueError:
            return None
    return None


def _day_of(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def weeks_with_data(course: Any) -> tuple[int, int] | None:
    """The first and last week of ``course`` that hold statements (week 1 starts on its start
    date), or None when its start or its statements are not known."""
    start = _start(course)
    first, last = (
        _day_of(getattr(course, "first_statement", None)),
        _day_of(getattr(course, "last_statement", None)),
    )
    if start is None or first is None or last is None:
        return None
    return (first - start).days // 7 + 1, (last - start).days // 7 + 1


def week_has_data(course: Any, week: int) -> bool:
    """False for a week before the first or after the last statement of ``course`` (such a week
    is "no data", never zero activity); True when unknown."""
    span = weeks_with_data(course)
    return span is None or span[0] <= week <= span[1]


def default_week(course: Any, today: date | None = None) -> int:
    """The last complete week today for a course in progress, else its last week."""
    weeks = course_weeks(course)
    start = _start(course)
    today = today or datetime.now(UTC).date()
    if start is None or today >= start + timedelta(days=7 * weeks):
        return weeks
    return max(1, min(weeks, (today - start).days // 7))


def default_course(courses: list[Any], today: date | None = None) -> int:
    """Index of the offering running on ``today``, else of the one that started last."""
    today = today or datetime.now(UTC).date()
    best, best_start = 0, None
    for i, c in enumerate(courses):
        start = _start(c)
        if start is None:
            continue
        if start <= today < start + timedelta(days=7 * course_weeks(c)):
            return i
        if start <= today and (best_start is None or start > best_start):
            best, best_start = i, start
    return best


def course_label(course: Any) -> str:
    """What the course picker shows: the offering's name (or IRI)."""
    return (
        getattr(course, "label", None)
        or getattr(course, "name", None)
        or getattr(course, "iri", "")
        or f"Course {course.id}"
    )


def course_details(course: Any) -> str:
    """The tooltip of a course: IRI, start date, weeks, students and statements."""
    bits = [getattr(course, "iri", "")]
    start = _start(course)
    weeks = getattr(course, "weeks", None)
    if start is not None:
        bits.append(f"starts {start.isoformat()}" + (f", {weeks} weeks" if weeks else ""))
    for attr in ("students", "statements"):
        value = getattr(course, attr, None)
        if value is not None:
            bits.append(f"{value:,} {attr}")
    return "\n".join(b for b in bits if b)


class ContextBar(QWidget):
    """Course combo box + week spin box + the as-of date they mean."""

    context_chosen = Signal(object, object)  # course (or None), week (or None)
    dates_requested = Signal()  # the user wants to see or set the chosen course's dates

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._courses: list[Any] = []
        self._today: date | None = None
        self.course_combo = QComboBox()
        self.course_combo.setAccessibleName("Course")
        self.course_combo.setToolTip("The course offering every page shows")
        # a fixed width: the toolbar does not jump when another database is opened
        self.course_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.course_combo.setMinimumContentsLength(44)
        self.week_spin = QSpinBox()
        self.week_spin.setAccessibleName("As of week")
        self.week_spin.setToolTip("Show everything as it was at the end of this week of the course")
        self.week_spin.setPrefix("Week ")
        self.as_of_label = QLabel()
        self.as_of_label.setAccessibleName("As-of date")
        # fixed widths, so the toolbar keeps its layout whatever the course and week
        metrics = self.fontMetrics()
        self.week_spin.setMinimumWidth(metrics.horizontalAdvance("Week 99 of 99 (no data)") + 40)
        self.as_of_label.setMinimumWidth(metrics.horizontalAdvance("data up to 2099-12-31") + 8)
        course_caption = QLabel("&Course:")
        course_caption.setBuddy(self.course_combo)
        week_caption = QLabel("As of &week:")
        week_caption.setBuddy(self.week_spin)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(course_caption)
        layout.addWidget(self.course_combo)
        layout.addSpacing(12)
        layout.addWidget(week_caption)
        layout.addWidget(self.week_spin)
        layout.addWidget(self.as_of_label)
        self.dates_button = QToolButton()
        self.dates_button.setText("Dates…")
        self.dates_button.setAccessibleName("Course dates")
        self.dates_button.setToolTip(
            "The course's start date and number of weeks (found from the data; you can set them)"
        )
        self.dates_button.clicked.connect(self.dates_requested)
        layout.addWidget(self.dates_button)
        layout.addStretch(1)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.course_combo.currentIndexChanged.connect(self._course_picked)
        self.week_spin.valueChanged.connect(self._week_picked)
        self.set_courses([])

    # -- state ---------------------------------------------------------------------------------
    @property
    def course(self) -> Any:
        """The chosen course, or None."""
        i = self.course_combo.currentIndex()
        return self._courses[i] if 0 <= i < len(self._courses) else None

    @property
    def week(self) -> int | None:
        """The chosen as-of week, or None without a course."""
        return self.week_spin.value() if self.course is not None else None

    def set_courses(
        self,
        courses: list[Any],
        course_id: int | None = None,
        week: int | None = None,
        *,
        today: date | None = None,
    ) -> None:
        """Fill the pickers; select ``course_id`` (else the offering running on ``today``, which
        the demo database fixes, else the latest) and ``week`` (else the last complete one)."""
        self._courses = list(courses)
        self._today = today
        with QSignalBlocker(self.course_combo), QSignalBlocker(self.week_spin):
            self.course_combo.clear()
            for i, c in enumerate(self._courses):
                self.course_combo.addItem(course_label(c), c.id)
                self.course_combo.setItemData(i, course_details(c), Qt.ItemDataRole.ToolTipRole)
            enabled = bool(self._courses)
            self.course_combo.setEnabled(enabled)
            self.week_spin.setEnabled(enabled)
            self.dates_button.setEnabled(enabled)
            if not enabled:
                self.course_combo.addItem("No courses yet: import statements")
                self.week_spin.setRange(0, 0)
                self.week_spin.setSpecialValueText("—")
                self.as_of_label.setText("")
                return
            index = next((i for i, c in enumerate(self._courses) if c.id == course_id), None)
            if index is None:
                index = default_course(self._courses, today)
            self.course_combo.setCurrentIndex(index)
            self._set_week_range(self._courses[index], week)
        self._course_tooltip()

    def _set_week_range(self, course: Any, week: int | None) -> None:
        weeks = course_weeks(course)
        self.week_spin.setSpecialValueText("")
        self.week_spin.setRange(1, weeks)
        self.week_spin.setSuffix(f" of {weeks}" if getattr(course, "weeks", None) else "")
        self.week_spin.setValue(
            week if week is not None and 1 <= week <= weeks else default_week(course, self._today)
        )
        self._update_as_of()

    def _update_as_of(self) -> None:
        course = self.course
        if course is None:
            self.as_of_label.setText("")
            return
        try:
            as_of = course.as_of_week(self.week_spin.value())
        except ValueError as exc:  # core.courses.CourseError: no start date yet
            self.as_of_label.setText("no start date set")
            self.as_of_label.setToolTip(str(exc))
            return
        # "data up to" is the last statement the as-of date includes: the week's end only while
        # statements run past it (a week after the data is marked "no data", not shown as zero)
        week = self.week_spin.value()
        last_day = (as_of - timedelta(days=1)).date()
        last_statement = _day_of(getattr(course, "last_statement", None))
        if last_statement is not None and last_statement < last_day:
            last_day = last_statement
        empty = not week_has_data(course, week)
        weeks = getattr(course, "weeks", None)
        with QSignalBlocker(self.week_spin):
            self.week_spin.setSuffix((f" of {weeks}" if weeks else "") + (" (no data)" if empty else ""))
        self.as_of_label.setText(f"data up to {last_day.isoformat()}")
        span = weeks_with_data(course)
        tip = f"Weeks 1–{week} complete; as of {as_of.isoformat()}"
        if span is not None:
            tip += f"\nStatements fall in weeks {span[0]}–{span[1]}; other weeks have no data."
        self.as_of_label.setToolTip(tip)

    def show_week(self, week: int | None) -> None:
        """Show ``week`` (chosen elsewhere, e.g. a click on a chart) without emitting."""
        if week is None or self.course is None or week == self.week_spin.value():
            return
        with QSignalBlocker(self.week_spin):
            self.week_spin.setValue(week)
        self._update_as_of()

    def _course_tooltip(self) -> None:
        course = self.course
        self.course_combo.setToolTip(
            "The course offering every page shows"
            if course is None
            else f"{course_label(course)}\n{course_details(course)}"
        )

    # -- user ----------------------------------------------------------------------------------
    def _course_picked(self, index: int) -> None:
        course = self.course
        if course is None:
            return
        with QSignalBlocker(self.week_spin):
            self._set_week_range(course, None)
        self._course_tooltip()
        self.context_chosen.emit(course, self.week)

    def _week_picked(self, value: int) -> None:
        self._update_as_of()
        if self.course is not None:
            self.context_chosen.emit(self.course, value)
