"""The Import page's list of files and folders to import (drop target hint, no duplicates),
and what the page's options start from: the database's saved course fallback
(:func:`load_course_fallback`, read on the worker). The pseudonymisation key file's location
comes from QSettings (``qsettings.remembered_key_file``) on the GUI thread.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QUrl
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem

from learnalytics_desktop.gui.icons import icon


def local_paths(urls: list[QUrl]) -> list[Path]:
    """The local files and folders among dropped URLs."""
    return [Path(u.toLocalFile()) for u in urls if u.isLocalFile() and u.toLocalFile()]


def load_course_fallback(conn: sqlite3.Connection) -> str:
    """The course fallback IRI saved for this database on the Settings page (settings
    ``course_fallback``), "" when none. A plain job for ``db_job`` (runs on the worker)."""
    from learnalytics_desktop.core.ingest.category_usage import course_fallback

    return course_fallback(conn)


def looks_like_iri(text: str) -> bool:
    """An absolute IRI has a scheme (``https:``, ``urn:``, ``tag:``…) and no spaces."""
    scheme, sep, rest = text.partition(":")
    return bool(
        sep
        and rest
        and scheme[:1].isalpha()
        and all(c.isalnum() or c in "+-." for c in scheme)
        and not any(c.isspace() for c in text)
    )


class SourceList(QListWidget):
    """The files and folders to import; says how to add some while it is empty."""

    HINT = "Drop xAPI files or folders here, or use Add files… / Add folder…\n(JSON, JSON Lines, LRS pages, .gz and .zip)"

    def __init__(self) -> None:
        super().__init__()
        self.setAccessibleName("Files and folders to import")
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setIconSize(QSize(18, 18))
        self.setMinimumHeight(110)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setUniformItemSizes(True)

    def paths(self) -> list[Path]:
        """The listed paths, in order."""
        return [Path(self.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(self.count())]

    def add_paths(self, paths: list[Path]) -> list[Path]:
        """Add existing paths not listed yet; returns those that do not exist."""
        have = {p.resolve() for p in self.paths()}
        missing = []
        for p in paths:
            if not p.exists():
                missing.append(p)
                continue
            if p.resolve() in have:
                continue
            have.add(p.resolve())
            kind = "folder" if p.is_dir() else "file"
            item = QListWidgetItem(icon(kind), f"{p.name}   —   {p.parent}")
            item.setData(Qt.ItemDataRole.UserRole, str(p))
            item.setToolTip(f"{'Folder' if p.is_dir() else 'File'}: {p}")
            self.addItem(item)
        return missing

    def remove_selected(self) -> None:
        """Remove the selected entries."""
        for item in self.selectedItems():
            self.takeItem(self.row(item))

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.count() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(
                self.viewport().rect().adjusted(8, 8, -8, -8),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self.HINT,
            )
            painter.end()
