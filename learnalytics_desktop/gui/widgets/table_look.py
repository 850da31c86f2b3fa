"""The look every log-like table shares (the interventions log and review list, the impact
analyses): one line per row, no row numbers, fixed starting widths."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QTableView


def set_table_look(view: QTableView, widths: list[int]) -> None:
    """One line per row (long text is elided, the full text is in the tooltip), no row
    numbers, the given column widths, the last column stretching."""
    view.setWordWrap(False)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 10)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    for i, w in enumerate(widths):
        header.resizeSection(i, w)
