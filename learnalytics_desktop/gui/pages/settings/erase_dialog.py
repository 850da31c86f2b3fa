"""The confirmation before erasing a learner: the user must type the learner's label.

Erasure cannot be undone, so the dialog says exactly what will go and enables "Erase" only
when the label typed matches the learner's label character for character (surrounding
spaces ignored). Callers use :meth:`EraseDialog.ask`; tests monkeypatch it.
"""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from learnalytics_desktop.core.privacy.erase import NOT_REACHED
from learnalytics_desktop.gui.pages.settings.privacy_jobs import LearnerSummary

SHOWN_OUTSIDE = 12  # files listed in the dialog; the rest are counted


def _outside_html(lines: tuple[str, ...]) -> str:
    """The files outside the database that may still hold the learner, as an HTML list."""
    if not lines:
        return "<p>The database records no backup, export or imported file that holds them.</p>"
    items = "".join(f"<li>{escape(line)}</li>" for line in lines[:SHOWN_OUTSIDE])
    more = f"<li>… and {len(lines) - SHOWN_OUTSIDE} more</li>" if len(lines) > SHOWN_OUTSIDE else ""
    return f"<p>Recorded for them:</p><ul>{items}{more}</ul>"


class EraseDialog(QDialog):
    """Shows what erasing ``summary``'s learner deletes; OK only after typing the label."""

    def __init__(self, parent: QWidget | None, summary: LearnerSummary) -> None:
        super().__init__(parent)
        self.summary = summary
        self.setWindowTitle("Erase a learner")
        self.setAccessibleName("Erase a learner")
        self.setMinimumWidth(480)
        label = escape(summary.label)
        self.text_label = text = QLabel(
            f"<p><b>Erase {label} from this database?</b></p>"
            f"<p>This deletes {summary.statements:,} statement{'s' if summary.statements != 1 else ''} "
            + (
                f"in {summary.courses} course{'s' if summary.courses != 1 else ''}"
                if summary.courses
                else "(in no course)"
            )
            + f" and {summary.other_rows:,} other "
            "record(s): grades, enrolments, risk scores, interventions and model training records. The "
            "database is then rebuilt so that no trace remains in the database file. The audit log records "
            "that an erasure happened, with row counts only.</p>"
            f"<p>{escape(NOT_REACHED)}</p>"
            + _outside_html(summary.outside)
            + "<p><b>This cannot be undone.</b> Back up the database first if you may need the data.</p>"
        )
        text.setWordWrap(True)
        prompt = QLabel(f"Type the learner's label <b>{label}</b> to confirm:")
        prompt.setWordWrap(True)
        self.confirm_edit = QLineEdit()
        self.confirm_edit.setAccessibleName("Type the learner's label to confirm")
        prompt.setBuddy(self.confirm_edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.erase_button = QPushButton(
            self.style().standardIcon(QStyle.StandardPixmap.SP_TrashIcon), "Erase"
        )
        self.erase_button.setAccessibleName("Erase the learner")
        self.buttons.addButton(self.erase_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setDefault(True)
        self.confirm_edit.textChanged.connect(self._typed)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(prompt)
        layout.addWidget(self.confirm_edit)
        layout.addWidget(self.buttons)
        self._typed("")

    @property
    def confirmed(self) -> bool:
        """True when the label typed matches."""
        return self.confirm_edit.text().strip() == self.summary.label

    def _typed(self, _text: str) -> None:
        self.erase_button.setEnabled(self.confirmed)

    def accept(self) -> None:
        if self.confirmed:
            super().accept()

    @classmethod
    def ask(cls, parent: QWidget | None, summary: LearnerSummary) -> bool:
        """Show the dialog; True only when the user typed the label and chose Erase."""
        dialog = cls(parent, summary)
        try:
            return dialog.exec() == QDialog.DialogCode.Accepted and dialog.confirmed
        finally:
            dialog.deleteLater()
