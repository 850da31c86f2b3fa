"""The preview table of the gradebook / class list dialog: the first rows of the CSV as the
core reads them, the file's line numbers down the side, and each column's header saying what
it is used for (student id, final grade, attribute...), in bold when it is used."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QAbstractItemView, QTableWidget, QTableWidgetItem

from learnalytics_desktop.core.outcomes.files import ROLES

ROLE_NAMES = {**dict(ROLES["roster"]), **dict(ROLES["outcomes"])}
MAX_WIDTH = 220


class PreviewTable(QTableWidget):
    """Read-only table; :meth:`show_preview` fills it from a ``CsvPreview``."""

    def __init__(self) -> None:
        super().__init__(0, 0)
        self.setAccessibleName("Preview of the first rows")
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setMinimumHeight(150)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.verticalHeader().setToolTip("Line number in the file (the header is line 1)")
        self._shape: tuple[int, tuple[str, ...]] | None = None

    def show_preview(
        self,
        preview: Any,
        mapping: dict[str, str] | None = None,
        attributes: list[str] | None = None,
        role_names: dict[str, str] | None = None,
    ) -> None:
        """Show ``preview`` (None empties the table); ``mapping`` (role -> column) and
        ``attributes`` label the headers; ``role_names`` (role -> caption) for other kinds of
        file than a gradebook or class list."""
        names = role_names or ROLE_NAMES
        if preview is None:
            self.clear()
            self.setRowCount(0)
            self.setColumnCount(0)
            self._shape = None
            return
        shape = (id(preview), tuple(preview.header))
        if shape != self._shape:  # new file: fill the cells (headers are relabelled below)
            self._shape = shape
            self.clear()
            self.setColumnCount(len(preview.header))
            self.setRowCount(len(preview.rows))
            for r, (line, cells) in enumerate(preview.rows):
                self.setVerticalHeaderItem(r, QTableWidgetItem(str(line)))
                for c, value in enumerate(cells):
                    item = QTableWidgetItem(value)
                    if len(value) > 30:
                        item.setToolTip(value)
                    self.setItem(r, c, item)
        roles = {column: role for role, column in (mapping or {}).items() if column}
        for c, name in enumerate(preview.header):
            role = roles.get(name)
            used = role is not None or name in (attributes or [])
            caption = names[role].split(" (")[0].lower() if role else ("attribute" if used else "not used")
            item = QTableWidgetItem(f"{name}\n[{caption}]")
            item.setToolTip(f"Column “{name}”: " + (f"read as the {caption}" if used else "not imported"))
            font = item.font()
            font.setBold(used)
            item.setFont(font)
            if not used:
                item.setForeground(self.palette().placeholderText())
            self.setHorizontalHeaderItem(c, item)
        self.resizeColumnsToContents()
        header = self.horizontalHeader()
        for c in range(self.columnCount()):
            if header.sectionSize(c) > MAX_WIDTH:
                header.resizeSection(c, MAX_WIDTH)

    def header_texts(self) -> list[str]:
        """The column headers as shown (tests)."""
        return [self.horizontalHeaderItem(c).text() for c in range(self.columnCount())]


__all__ = ["PreviewTable"]
