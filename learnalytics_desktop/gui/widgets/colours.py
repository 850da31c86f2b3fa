"""Colours from the palette for rich text (HTML cannot say ``palette(...)`` as style sheets can):
a fixed light shade is a glaring block, with light text on it, in a dark theme."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication, QPalette


def header_background() -> str:
    """The shade of table headers and highlighted paragraphs: the palette's alternate base."""
    return QGuiApplication.palette().color(QPalette.ColorRole.AlternateBase).name()


__all__ = ["header_background"]
