"""A scroll area that gives its page the whole viewport, and scroll bars only below the page's
minimum size.

``QScrollArea.setWidgetResizable(True)`` sizes a widget whose layout has height-for-width
(any word-wrapped label) to its *preferred* height, so pages would scroll on screens where
they fit. This area sizes the page to the viewport, never below ``minimumSizeHint()``.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QScrollArea, QWidget


class PageArea(QScrollArea):
    """Holds one page; scrolls only when the window is smaller than the page's minimum."""

    def __init__(self, page: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(False)
        self.setWidget(page)
        page.installEventFilter(self)
        self._fit()

    def _fit(self) -> None:
        page = self.widget()
        if page is None:
            return
        room = self.maximumViewportSize()
        minimum = page.minimumSizeHint().expandedTo(page.minimumSize())
        width = max(room.width(), minimum.width())
        height = max(room.height(), minimum.height())
        # a scroll bar in one direction takes room from the other
        if width > room.width():
            height = max(minimum.height(), room.height() - self.horizontalScrollBar().sizeHint().height())
        if height > room.height():
            width = max(minimum.width(), room.width() - self.verticalScrollBar().sizeHint().width())
        if page.size() != QSize(width, height):
            page.resize(width, height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self._fit()
        return super().eventFilter(watched, event)
