"""A non-modal message strip across the top of the window (e.g. "this database is on a
network share"): an icon, the sentence, and a Dismiss button. Hidden while it has nothing
to say; it never blocks the user."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QStyle, QToolButton, QWidget

STYLES = {
    "warning": "QFrame#banner { background: #fff4e5; border-bottom: 1px solid #e0a040; } "
    "QFrame#banner QLabel { color: #5a3000; }",
    "info": "QFrame#banner { background: #eef5ff; border-bottom: 1px solid #9bc; }",
}


class Banner(QFrame):
    """See the module docstring. ``show_message(text)`` shows it, ``clear()`` hides it."""

    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setAccessibleName("Notice")
        self.icon = QLabel()
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = QToolButton()
        self.close_button.setText("Dismiss")
        self.close_button.setAccessibleName("Dismiss the notice")
        self.close_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.close_button.clicked.connect(self._dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.setVisible(False)

    def show_message(self, text: str, kind: str = "warning") -> None:
        """Show ``text`` (plain) with a warning or info look."""
        pixmap = (
            QStyle.StandardPixmap.SP_MessageBoxWarning
            if kind == "warning"
            else QStyle.StandardPixmap.SP_MessageBoxInformation
        )
        self.icon.setPixmap(self.style().standardIcon(pixmap).pixmap(20, 20))
        self.setStyleSheet(STYLES.get(kind, STYLES["info"]))
        self.text.setText(text)
        self.setAccessibleDescription(text)
        self.setVisible(True)

    def clear(self) -> None:
        """Hide the banner."""
        self.text.setText("")
        self.setVisible(False)

    def message(self) -> str:
        """The sentence shown ("" when hidden)."""
        return self.text.text() if not self.isHidden() else ""

    def _dismiss(self) -> None:
        self.clear()
        self.dismissed.emit()


__all__ = ["Banner"]
