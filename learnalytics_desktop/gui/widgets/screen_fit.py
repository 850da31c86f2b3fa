"""Windows and dialogs that fit the screen they open on.

A fixed ``resize(1200, 780)`` puts the status bar off a 1280x720 screen, and a dialog sized
before its text arrived crushes its inputs when word-wrapped labels grow. Every top-level
window asks for its preferred size through :func:`fit_to_screen`: it gets that size or the
screen's *available* area (the screen less task bars and docks), whichever is smaller, less
room for the window manager's title bar and frame, and a minimum size below which its layout
would overlap. :func:`grow_to_contents` lets a dialog grow (never beyond the screen) once the
text it loads is in.
"""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLayout, QWidget

# the window manager's title bar and frame, which the available area still has to hold
# (known only once the window is shown; this is a typical frame on X11, Windows and macOS)
FRAME_WIDTH = 16
FRAME_HEIGHT = 40


def available_area(widget: QWidget) -> QRect:
    """The available geometry of the screen ``widget`` (or its window's parent) is on."""
    parent = widget.parentWidget()
    screen = widget.screen() if widget.isVisible() or parent is None else parent.screen()
    screen = screen or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else QRect(0, 0, 1280, 720)


def fit_to_screen(
    widget: QWidget, width: int, height: int, *, min_width: int = 0, min_height: int = 0
) -> None:
    """Resize ``widget`` to ``width`` x ``height`` clamped to the available screen area (less the
    window frame), with a minimum size (clamped the same way) that its layout needs."""
    area = available_area(widget)
    max_w, max_h = max(area.width() - FRAME_WIDTH, 200), max(area.height() - FRAME_HEIGHT, 150)
    if min_width or min_height:
        widget.setMinimumSize(min(min_width, max_w), min(min_height, max_h))
    widget.resize(min(width, max_w), min(height, max_h))


def grow_to_contents(widget: QWidget) -> None:
    """Let ``widget`` grow to what its layout now needs (height for its width, so word-wrapped
    labels get their lines), never beyond the available screen area, and never shrink it."""
    layout = widget.layout()
    if layout is None:
        return
    layout.activate()
    area = available_area(widget)
    width = widget.width()
    need_h = layout.totalHeightForWidth(width) if layout.hasHeightForWidth() else layout.sizeHint().height()
    need_h = max(need_h, layout.totalMinimumSize().height())
    height = min(max(widget.height(), need_h), max(area.height() - FRAME_HEIGHT, 150))
    widget.setMinimumHeight(min(need_h, height))
    widget.resize(width, height)


def minimum_follows_layout(widget: QWidget) -> None:
    """The window can never be made smaller than its layout's minimum (no crushed inputs)."""
    layout = widget.layout()
    if layout is not None:
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)


__all__ = ["available_area", "fit_to_screen", "grow_to_contents", "minimum_follows_layout"]
