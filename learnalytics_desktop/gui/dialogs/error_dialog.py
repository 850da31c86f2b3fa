"""The one error dialog: a plain message first, the technical details one click away.

Every error that reaches the GUI ends here (worker failures through the task runner's default
handler, uncaught exceptions through ``sys.excepthook``); nothing is swallowed. The traceback
is also written to stderr so it survives in logs when no one is looking at the screen.
"""

from __future__ import annotations

import sys
from typing import ClassVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from learnalytics_desktop.gui.workers import format_exception


def summary_of(exc: BaseException) -> str:
    """The first line users read: the exception's own message, or its kind when it has none.

    Our own exceptions and ``ValueError``/``OSError`` carry sentences written for people and
    are shown as they are; anything else (a programming error) also names its type.
    """
    text = str(exc).strip()
    if not text:
        return f"An unexpected {type(exc).__name__} occurred."
    if isinstance(exc, OSError) and exc.filename and exc.strerror:
        return f"{exc.strerror}: {exc.filename}"
    if type(exc).__module__.startswith("learnalytics_desktop") or isinstance(exc, (ValueError, OSError)):
        return text
    return f"{text}\n({type(exc).__name__})"


class ErrorDialog(QDialog):
    """A message, an optional hint, and a collapsible read-only traceback with a Copy button."""

    #: dialogs currently open (kept referenced so a non-modal dialog is not garbage-collected)
    open_dialogs: ClassVar[list[ErrorDialog]] = []

    def __init__(
        self,
        parent: QWidget | None,
        title: str,
        message: str,
        details: str = "",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName("errorDialog")
        self.setAccessibleName(title)
        self.setMinimumWidth(460)

        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical).pixmap(40, 40))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        heading = QLabel(f"<b>{_escape(title)}</b>")
        self.message_label = QLabel(message)
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.details = QPlainTextEdit(details)
        self.details.setReadOnly(True)
        self.details.setAccessibleName("Error details")
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details.setMinimumHeight(180)
        self.details.setVisible(False)

        self.details_button = QPushButton("Show details")
        self.details_button.setCheckable(True)
        self.details_button.setEnabled(bool(details))
        self.details_button.toggled.connect(self._toggle_details)
        self.copy_button = QPushButton("Copy details")
        self.copy_button.setEnabled(bool(details))
        self.copy_button.clicked.connect(self.copy_details)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        buttons.addButton(self.details_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)

        text = QVBoxLayout()
        text.addWidget(heading)
        text.addWidget(self.message_label)
        top = QHBoxLayout()
        top.addWidget(icon)
        top.addLayout(text, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)

    def _toggle_details(self, shown: bool) -> None:
        self.details.setVisible(shown)
        self.details_button.setText("Hide details" if shown else "Show details")
        self.adjustSize()

    def copy_details(self) -> None:
        """Put the message and the traceback on the clipboard (for a support e-mail)."""
        QGuiApplication.clipboard().setText(
            f"{self.windowTitle()}\n{self.message_label.text()}\n\n{self.details.toPlainText()}"
        )

    def done(self, result: int) -> None:
        """Close (any button) and forget the dialog."""
        if self in ErrorDialog.open_dialogs:
            ErrorDialog.open_dialogs.remove(self)
        super().done(result)

    @classmethod
    def report(
        cls, parent: QWidget | None, exc: BaseException, *, title: str = "Something went wrong"
    ) -> ErrorDialog:
        """Show ``exc`` (window-modal, non-blocking) and print its traceback to stderr."""
        details = format_exception(exc)
        sys.stderr.write(f"{title}:\n{details}\n")
        sys.stderr.flush()
        dialog = cls(parent, title, summary_of(exc), details)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        cls.open_dialogs.append(dialog)
        dialog.open()
        return dialog


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
