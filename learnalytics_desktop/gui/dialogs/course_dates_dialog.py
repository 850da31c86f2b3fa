"""Set a course offering's start date and number of weeks, or go back to what the data says.

The calendar decides what "as of week k" means on every page (``core.courses``: the data's
start is the Monday on or before the 5th-percentile statement; its length runs to the
99th-percentile statement). The dialog shows both what the data finds and what is used now;
Save stores what the fields show (``core.courses.set_course_dates``), "Reset to the data"
clears the user's choice. Reading and writing run on the database worker; afterwards the
shell is told the data changed, so the context bar and the pages follow.

    course = CourseDatesDialog.ask(parent, shell)     # the updated Course, or None
"""

from __future__ import annotations

from datetime import date, timedelta
from html import escape
from typing import Any

import shiboken6
from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from learnalytics_desktop.core.courses import MAX_WEEKS, CourseDates, course_dates, save_course_dates
from learnalytics_desktop.core.store.db import DatabaseError
from learnalytics_desktop.gui.widgets.context_bar import course_label
from learnalytics_desktop.gui.widgets.screen_fit import fit_to_screen, grow_to_contents
from learnalytics_desktop.gui.workers import db_job

HINT_STYLE = "color: palette(placeholder-text);"
ERROR_STYLE = "color: #b00020;"
SOURCE_TEXT = {"user": "set by you", "data": "found from the data", "none": "not known yet"}


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _pydate(q: QDate) -> date:
    return date(q.year(), q.month(), q.day())


def _day(d: date) -> str:
    return f"{d:%a} {d.isoformat()}"


class CourseDatesDialog(QDialog):
    """See the module docstring. ``course`` is the offering after a save or reset."""

    def __init__(self, shell: Any, course_id: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Course dates")
        self.setObjectName("courseDatesDialog")
        self.shell = shell
        self.runner = shell.runner
        self.db_path = shell.context.db_path
        self.course_id = shell.context.course_id if course_id is None else course_id
        self.dates: CourseDates | None = None
        self.course: Any = None
        self.task: Any = None

        self.title = QLabel("Loading…")
        self.title.setWordWrap(True)
        intro = QLabel(
            "The start date and the number of weeks decide what “as of week k” means on every page."
        )
        intro.setWordWrap(True)
        intro.setStyleSheet(HINT_STYLE)
        self.found = QLabel()
        self.found.setWordWrap(True)
        self.found.setAccessibleName("Found from the data")
        self.start_edit = QDateEdit()
        self.start_edit.setCalendarPopup(True)
        self.start_edit.setDisplayFormat("ddd yyyy-MM-dd")
        self.start_edit.setAccessibleName("Start date")
        self.start_edit.setToolTip("The first day of week 1 (teaching weeks usually start on a Monday)")
        self.start_source = QLabel()
        self.weeks_spin = QSpinBox()
        self.weeks_spin.setRange(1, MAX_WEEKS)
        self.weeks_spin.setAccessibleName("Number of weeks")
        self.weeks_spin.setSuffix(" weeks")
        self.weeks_source = QLabel()
        for label in (self.start_source, self.weeks_source):
            label.setStyleSheet(HINT_STYLE)
        self.meaning = QLabel()
        self.meaning.setWordWrap(True)
        self.meaning.setAccessibleName("What the dates mean")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Message")

        form = QFormLayout()
        form.addRow("&Start date:", self.start_edit)
        form.addRow("", self.start_source)
        form.addRow("&Length:", self.weeks_spin)
        form.addRow("", self.weeks_source)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.reset_button = QPushButton("&Reset to the data")
        self.reset_button.setToolTip(
            "Forget the dates you set: the start and length follow the statements again"
        )
        self.buttons.addButton(self.reset_button, QDialogButtonBox.ButtonRole.ResetRole)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.reset_button.clicked.connect(self.reset)

        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(intro)
        layout.addWidget(self.found)
        layout.addSpacing(6)
        layout.addLayout(form)
        layout.addWidget(self.meaning)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.start_edit.dateChanged.connect(self._update_meaning)
        self.weeks_spin.valueChanged.connect(self._update_meaning)
        # opens at a size that holds the loaded text; grows (never past the screen) when the
        # word-wrapped labels need more lines, so the date and length fields are never crushed
        fit_to_screen(self, 560, 380, min_width=520, min_height=300)
        self._set_enabled(False)
        if self.db_path is None or self.course_id is None:
            self.title.setText("Open a database and choose a course first.")
        else:
            self.task = (
                self.runner.submit(db_job(course_dates), self.db_path, self.course_id)
                .keyed("course.dates")
                .on_success(self._guard(self.show_dates))
                .on_failure(self._guard(self._failed))
            )

    def _guard(self, fn: Any) -> Any:
        def call(*args: Any) -> Any:
            return fn(*args) if shiboken6.isValid(self) else None

        return call

    def _set_enabled(self, on: bool) -> None:
        for w in (self.start_edit, self.weeks_spin, self.save_button):
            w.setEnabled(on)
        user = self.dates is not None and "user" in (
            self.dates.course.start_source,
            self.dates.course.weeks_source,
        )
        self.reset_button.setEnabled(on and user)

    @property
    def busy(self) -> bool:
        """True while the dates are read or written."""
        return self.task is not None and not self.task.done

    # -- showing -------------------------------------------------------------------------------
    def show_dates(self, dates: CourseDates) -> None:
        """Fill the dialog from ``dates`` (loaded on the worker)."""
        self.dates = dates
        c = dates.course
        self.title.setText(
            f"<b>{escape(course_label(c))}</b><br><span style='{HINT_STYLE}'>{escape(c.iri)}</span>"
        )
        if dates.data_start is not None:
            span = ""
            if c.first_statement is not None and c.last_statement is not None:
                span = (
                    f" (its {c.statements:,} statements run from {c.first_statement.date().isoformat()} "
                    f"to {c.last_statement.date().isoformat()})"
                )
            warn = "".join(f" ⚠ {w}" for w in getattr(c, "warnings", ()))
            self.found.setText(
                f"The data says: starts {_day(dates.data_start)}, with "
                f"{dates.data_weeks} week{'s' if dates.data_weeks != 1 else ''} of statements{span}.{warn}"
            )
        else:
            self.found.setText("The data gives no dates: this offering has no statements yet. Set them here.")
        start = c.start or dates.data_start or (date.today() - timedelta(days=date.today().weekday()))
        self.start_edit.setDate(_qdate(start))
        self.weeks_spin.setValue(int(c.weeks or dates.data_weeks or 12))
        self.start_source.setText(f"Now used: {SOURCE_TEXT.get(c.start_source, c.start_source)}")
        self.weeks_source.setText(f"Now used: {SOURCE_TEXT.get(c.weeks_source, c.weeks_source)}")
        self._set_enabled(True)
        self._update_meaning()
        grow_to_contents(self)

    def chosen(self) -> tuple[date, int]:
        """The start date and number of weeks the fields show."""
        return _pydate(self.start_edit.date()), int(self.weeks_spin.value())

    def set_dates(self, start: date | str, weeks: int) -> None:
        """Fill the fields (as a user would)."""
        self.start_edit.setDate(_qdate(date.fromisoformat(start) if isinstance(start, str) else start))
        self.weeks_spin.setValue(int(weeks))

    def _update_meaning(self, *_: Any) -> None:
        start, weeks = self.chosen()
        last = start + timedelta(days=7 * weeks - 1)
        text = (
            f"Week 1 is {_day(start)} to {_day(start + timedelta(days=6))}; week {weeks} ends on "
            f"{_day(last)}. “As of week k” counts everything before the end of week k."
        )
        if start.weekday() != 0:
            text += (
                " Note: this start is not a Monday, so the weeks run from one " + f"{start:%A} to the next."
            )
        self.meaning.setText(text)

    # -- saving --------------------------------------------------------------------------------
    def save(self) -> Any:
        """Store the dates shown (nothing is written when nothing changed)."""
        if self.dates is None or self.busy:
            return None
        c = self.dates.course
        start, weeks = self.chosen()
        if start == c.start and weeks == c.weeks:
            self.accept()
            return None
        return self._write(
            start, weeks, f"Dates of {course_label(c)} set: starts {start.isoformat()}, {weeks} weeks."
        )

    def reset(self) -> Any:
        """Forget the user's dates: the start and length follow the data again."""
        if self.dates is None or self.busy:
            return None
        return self._write(None, None, f"Dates of {course_label(self.dates.course)} now follow the data.")

    def _write(self, start: date | None, weeks: int | None, status: str) -> Any:
        self._set_enabled(False)
        self.message.setStyleSheet("")
        self.message.setText("Saving…")
        self.task = (
            self.runner.submit(db_job(save_course_dates), self.db_path, self.course_id, start, weeks)
            .keyed("course.dates")
            .with_progress("Saving the course dates…")
            .on_success(self._guard(lambda dates: self._saved(dates, status)))
            .on_failure(self._guard(self._failed))
        )
        return self.task

    def _saved(self, dates: CourseDates, status: str) -> None:
        self.dates = dates
        self.course = dates.course
        self.shell.notify_data_changed()
        self.shell.show_status(status, 8000)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        if not isinstance(exc, (ValueError, OSError, DatabaseError)):  # a programming error
            from learnalytics_desktop.gui.dialogs.error_dialog import ErrorDialog

            ErrorDialog.report(self, exc, title="The course dates could not be saved")
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setText(str(exc) or type(exc).__name__)
        grow_to_contents(self)
        self._set_enabled(self.dates is not None)

    def done(self, code: int) -> None:
        if self.busy and self.dates is not None and self.task.label:  # a write is running
            return
        super().done(code)

    @classmethod
    def ask(cls, parent: QWidget | None, shell: Any, course_id: int | None = None) -> Any:
        """Show the dialog; the updated ``Course`` after Save or Reset, else None."""
        dialog = cls(shell, course_id, parent)
        try:
            dialog.exec()
            return dialog.course
        finally:
            dialog.deleteLater()


__all__ = ["CourseDatesDialog"]
