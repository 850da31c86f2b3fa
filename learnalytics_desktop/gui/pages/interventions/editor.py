"""The draft editor beside the review table: subject and message of the selected draft, the
placeholders still to fill, and Approve / Dismiss / Back to draft / Save for the selection.

It only shows and collects; the page runs the database jobs. Business rules are shown, not
raised: Approve is disabled while a ``{placeholder}`` is left (or the selection holds
messages past the draft step), and the reason is written under the buttons. With several rows selected the
text is not editable (each message is its own), but the status buttons act on all of them.
"""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from learnalytics_desktop.core.interventions.templates import placeholders_left
from learnalytics_desktop.gui.models.columns import risk_text

EDITABLE = {"draft", "approved"}
APPROVE_TIP = "Mark the selected drafts ready to export (nothing is sent)"


def drafted_when(row: dict[str, Any]) -> str:
    """When a draft was really made ("2026-12-08 00:25 UTC"), not the as-of date of its data."""
    text = str(row.get("created_at") or "")
    if len(text) < 16:
        return text or "at an unknown time"
    return f"{text[:10]} {text[11:16]} UTC"


class DraftEditor(QWidget):
    """See the module docstring. ``action_requested`` carries approve/dismiss/restore."""

    save_requested = Signal(int, str, str)  # id, subject, body
    action_requested = Signal(str)
    fill_requested = Signal(list)  # placeholder names

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[dict[str, Any]] = []
        self._loaded: tuple[str, str] = ("", "")
        self.header = QLabel()
        self.header.setAccessibleName("Selected draft")
        self.header.setWordWrap(True)  # a long name or rule must wrap, never push the splitter
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setStyleSheet("color: palette(placeholder-text);")
        self.subject = QLineEdit()
        self.subject.setAccessibleName("Subject")
        self.subject.setMaxLength(250)
        self.body = QPlainTextEdit()
        self.body.setAccessibleName("Message")
        self.body.setTabChangesFocus(True)
        self.subject.textEdited.connect(self._changed)
        self.body.textChanged.connect(self._changed)
        form = QFormLayout()
        form.addRow("Subject", self.subject)
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #8a4b00;")
        self.fill_button = QPushButton("Fill in…")
        self.fill_button.setToolTip("Replace the placeholders left in the selected drafts by text you type")
        self.fill_button.clicked.connect(lambda: self.fill_requested.emit(self.open_placeholders()))
        warn_row = QHBoxLayout()
        warn_row.addWidget(self.warning, 1)
        warn_row.addWidget(self.fill_button)

        self.save_button = QPushButton("&Save changes")
        self.save_button.clicked.connect(self._save)
        self.approve_button = QPushButton("&Approve")
        self.approve_button.setToolTip(APPROVE_TIP)
        self.approve_reason = QLabel()
        self.approve_reason.setWordWrap(True)
        self.approve_reason.setAccessibleName("Why Approve is not available")
        self.approve_reason.hide()
        self.dismiss_button = QPushButton("&Dismiss")
        self.dismiss_button.setToolTip("Do not send the selected drafts (they stay in the log)")
        self.restore_button = QPushButton("&Back to draft")
        self.restore_button.setToolTip("Un-approve, or bring back a dismissed draft")
        self.approve_button.clicked.connect(lambda: self.action_requested.emit("approve"))
        self.dismiss_button.clicked.connect(lambda: self.action_requested.emit("dismiss"))
        self.restore_button.clicked.connect(lambda: self.action_requested.emit("restore"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        buttons.addWidget(self.restore_button)
        buttons.addWidget(self.dismiss_button)
        buttons.addWidget(self.approve_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 0, 0)
        layout.addWidget(self.header)
        layout.addWidget(self.details)
        layout.addLayout(form)
        layout.addWidget(self.body, 1)
        layout.addLayout(warn_row)
        layout.addLayout(buttons)
        layout.addWidget(self.approve_reason)
        self.show_rows([])

    # -- showing ---------------------------------------------------------------------------------
    def show_rows(self, rows: list[dict[str, Any]]) -> None:
        """Show the selected rows (dicts of the interventions table)."""
        self.rows = list(rows)
        single = len(rows) == 1
        row = rows[0] if single else None
        for w in (self.subject, self.body):
            w.blockSignals(True)
        if row is not None:
            risk = row.get("risk")
            risk_part = "" if risk is None or risk != risk else f" · risk {escape(risk_text(float(risk)))}"
            to = str(row.get("to") or "")
            to_part = (
                f"<br>To: {escape(to)}"
                if to
                else ("" if row.get("channel") == "instructor_alert" else "<br>To: (no e-mail address known)")
            )
            self.header.setText(
                f"<b>{escape(str(row.get('name') or row['student']))}</b> ({escape(str(row['student']))}) · "
                f"{escape(str(row['status_text']))}{risk_part}{to_part}"
            )
            self.details.setText(
                f"{escape(str(row['rule_label']))} ({escape(str(row['channel_text']))}), drafted "
                f"{escape(drafted_when(row))} by {escape(str(row['user']))}, from the data up to "
                f"{escape(str(row['date']))}"
            )
            self.subject.setText(str(row["subject"]))
            self.subject.setCursorPosition(0)
            self.body.setPlainText(str(row["body"]))
        else:
            self.header.setText(
                f"<b>{len(rows)} drafts selected.</b> Approve or dismiss them together, or select one to edit it."
                if rows
                else "Select a draft to read and edit it."
            )
            self.details.clear()
            self.subject.clear()
            self.body.clear()
        editable = row is not None and row["status"] in EDITABLE
        self.subject.setReadOnly(not editable)
        self.body.setReadOnly(not editable)
        self.subject.setEnabled(row is not None)
        self.body.setEnabled(row is not None)
        for w in (self.subject, self.body):
            w.blockSignals(False)
        self._loaded = (self.subject.text(), self.body.toPlainText())
        self._update()

    def open_placeholders(self) -> list[str]:
        """Placeholders still visible in the selected drafts (the editor's text for one row)."""
        if len(self.rows) == 1 and self.rows[0]["status"] in EDITABLE:
            return placeholders_left(self.subject.text(), self.body.toPlainText())
        names: list[str] = []
        for r in self.rows:
            if r["status"] == "draft":
                names += [n for n in r.get("placeholders") or [] if n not in names]
        return names

    @property
    def dirty(self) -> bool:
        """True when the shown draft's text was changed and not saved."""
        return len(self.rows) == 1 and (self.subject.text(), self.body.toPlainText()) != self._loaded

    def mark_saved(self) -> None:
        """The text now shown is what the database holds."""
        self._loaded = (self.subject.text(), self.body.toPlainText())
        self._update()

    def _changed(self, *_: Any) -> None:
        self._update()

    def _update(self) -> None:
        statuses = {r["status"] for r in self.rows}
        self.save_button.setEnabled(self.dirty)
        left = self.open_placeholders()
        reason = self.approve_blocked(statuses, left)
        self.approve_button.setEnabled(reason is None)
        self.approve_button.setToolTip(reason or APPROVE_TIP)
        self.approve_reason.setText(reason if reason and statuses else "")
        self.approve_reason.setVisible(bool(reason and statuses))
        self.dismiss_button.setEnabled(bool(statuses) and statuses <= {"draft", "approved"})
        self.restore_button.setEnabled(bool(statuses) and statuses <= {"approved", "dismissed"})
        drafts = any(r["status"] == "draft" for r in self.rows)
        if left:
            shown = ", ".join("{" + n + "}" for n in left)
            self.warning.setText(f"Still to fill in: {shown}. A draft with a placeholder cannot be approved.")
        else:
            self.warning.setText("")
        self.fill_button.setVisible(bool(left) and drafts)

    @staticmethod
    def approve_blocked(statuses: set[str], left: list[str]) -> str | None:
        """Why Approve is not possible for the selection, in plain words (None: it is)."""
        if not statuses:
            return "Select a draft to approve it."
        if not statuses <= {"draft"}:
            return "Only drafts can be approved; the selection has messages that are already past that step."
        if left:
            shown = ", ".join("{" + n + "}" for n in left)
            return f"Fill in {shown} first (edit the text or use Fill in…), then approve."
        return None

    def _save(self) -> None:
        if self.dirty:
            self.save_requested.emit(int(self.rows[0]["id"]), self.subject.text(), self.body.toPlainText())


__all__ = ["DraftEditor"]
