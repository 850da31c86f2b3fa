"""Settings tab: the xAPI verbs that mean joining or leaving a course (``core.outcomes.status``).

A leaving statement (TinCan ``unregistered`` by default) withdraws the student from its date; a
later joining statement (ADL ``registered`` by default) undoes it. Neither counts as learning
activity. One verb IRI per line; an IRI is matched whole. "Defaults" puts the built-in lists
back (Save to keep them).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QFormLayout, QLabel, QPlainTextEdit, QPushButton, QWidget

from learnalytics_desktop.core.outcomes.status import (
    DEFAULT_JOIN_VERBS,
    DEFAULT_LEAVE_VERBS,
    EnrolmentVerbs,
    EnrolmentVerbsError,
    check_verbs,
    load_enrolment_verbs,
    save_enrolment_verbs,
)
from learnalytics_desktop.gui.pages.settings.base import SettingsSection

NOTE = (
    "A statement whose verb is in the leaving list withdraws the student from that date (off the "
    "advisor's list, not counted at risk, not a training row after it); a later joining statement "
    "undoes it. Neither counts as learning activity, and joining gives the registration day. The "
    "class list's status and withdrawal-date columns say the same for students it lists."
)


def _lines(edit: QPlainTextEdit) -> tuple[str, ...]:
    return tuple(line.strip() for line in edit.toPlainText().splitlines() if line.strip())


def save_verbs(conn: Any, join: tuple[str, ...], leave: tuple[str, ...]) -> EnrolmentVerbs:
    """The save job: validate and store both lists (audited by the core)."""
    return save_enrolment_verbs(conn, join=join, leave=leave)


class EnrolmentSection(SettingsSection):
    """See the module docstring."""

    key = "enrolment"
    title = "Enrolment"

    def __init__(self, page: Any, parent: QWidget | None = None) -> None:
        super().__init__(page, parent)
        self.join_edit = QPlainTextEdit()
        self.join_edit.setAccessibleName("Verbs that mean joining the course")
        self.leave_edit = QPlainTextEdit()
        self.leave_edit.setAccessibleName("Verbs that mean leaving the course")
        for edit in (self.join_edit, self.leave_edit):
            edit.setPlaceholderText("one verb IRI per line")
            edit.textChanged.connect(self.changed)
        self.defaults_button = QPushButton("&Defaults")
        self.defaults_button.setToolTip("Put the built-in verb lists back (Save to keep them)")
        self.defaults_button.clicked.connect(self.reset_to_defaults)
        note = QLabel(NOTE)
        note.setWordWrap(True)
        form = QFormLayout()
        form.addRow("&Joining verbs:", self.join_edit)
        form.addRow("&Leaving verbs:", self.leave_edit)
        self.body.addWidget(note)
        self.body.addLayout(form, 1)
        self._buttons.insertWidget(1, self.defaults_button)

    def load_job(self) -> Any:
        return load_enrolment_verbs

    def save_job(self) -> tuple[Any, tuple[Any, ...]]:
        join, leave = self.value()
        return save_verbs, (join, leave)

    def show_value(self, stored: EnrolmentVerbs) -> None:
        for edit, iris in ((self.join_edit, stored.join), (self.leave_edit, stored.leave)):
            edit.blockSignals(True)
            edit.setPlainText("\n".join(iris))
            edit.blockSignals(False)

    def value(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return _lines(self.join_edit), _lines(self.leave_edit)

    def stored_value(self) -> Any:
        return None if self.stored is None else (tuple(self.stored.join), tuple(self.stored.leave))

    def problems(self) -> list[str]:
        join, leave = self.value()
        out = []
        for iris, what in ((join, "joining"), (leave, "leaving")):
            try:
                check_verbs(iris, what)
            except EnrolmentVerbsError as exc:
                out.append(f"{str(exc)[0].upper()}{str(exc)[1:]} ({what} verbs).")
        both = sorted(set(join) & set(leave))
        if both:
            out.append(f"A verb cannot mean both joining and leaving: {', '.join(both)}.")
        return out

    def saved_message(self, stored: EnrolmentVerbs) -> str:
        return f"Saved: {len(stored.join)} joining and {len(stored.leave)} leaving verbs."

    def reset_to_defaults(self) -> None:
        """Put the built-in lists in the form (not saved yet)."""
        self.join_edit.setPlainText("\n".join(DEFAULT_JOIN_VERBS))
        self.leave_edit.setPlainText("\n".join(DEFAULT_LEAVE_VERBS))
