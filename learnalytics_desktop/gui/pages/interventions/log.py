"""The Log tab of the Interventions page: every intervention of the course, filtered by
status, arm and text, with the selected row's history, "Mark as sent" and a CSV export of
the rows shown. It shows and collects; the page runs the jobs."""

from __future__ import annotations

from html import escape
from typing import Any

import pandas as pd
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from learnalytics_desktop.core.interventions.log_table import TABLE_COLUMNS
from learnalytics_desktop.core.interventions.words import ARM_TEXT, STATUS_TEXT
from learnalytics_desktop.gui import qsettings
from learnalytics_desktop.gui.models.columns import Column
from learnalytics_desktop.gui.models.frame_table import FrameTableModel, compute_filter
from learnalytics_desktop.gui.widgets.table_look import set_table_look

LOG_COLUMNS = [
    Column("date", "Data up to", tooltip="The day of the data the draft was made from (its as-of date)"),
    Column("name", "Student", tooltip="The student's name (their id when no name is known)"),
    Column("rule_label", "Rule"),
    Column("channel_text", "Channel"),
    Column(
        "arm_text", "Arm", tooltip="Message: drafted to be sent; Hold-out: held back at random (no message)"
    ),
    Column("status_text", "Status"),
    Column("risk", "Risk", "risk", tooltip="Risk score when the intervention was drafted"),
    Column("user", "By"),
    Column("subject", "Subject"),
]
LOG_WIDTHS = [85, 110, 150, 120, 110, 120, 50, 60]  # the subject takes the rest
SEARCH_COLUMNS = ["name", "student", "to", "rule_label", "subject", "body", "batch"]


def history_html(entries: list[dict[str, Any]]) -> str:
    """The history of one intervention in words, oldest first."""
    lines = []
    for h in entries:
        when = escape(str(h.get("at", "")).replace("T", " ")[:16])
        who = escape(str(h.get("user", "")))
        if h.get("edit"):
            what = "edited " + escape(", ".join(map(str, h["edit"])))
        elif h.get("from") is None:
            what = "created as " + escape(STATUS_TEXT.get(str(h.get("to")), str(h.get("to"))).lower())
        else:
            what = (
                f"{escape(STATUS_TEXT.get(str(h['from']), str(h['from'])).lower())} → "
                f"<b>{escape(STATUS_TEXT.get(str(h.get('to')), str(h.get('to'))).lower())}</b>"
            )
            if h.get("via"):
                what += f" (via {escape(str(h['via']))})"
            if h.get("reason"):
                what += f": {escape(str(h['reason']))}"
        lines.append(f"<li>{when} · {who}: {what}</li>")
    return "<b>History</b><ul>" + "".join(lines) + "</ul>" if lines else ""


class LogPanel(QWidget):
    """See the module docstring."""

    selection_changed = Signal(list)  # ids
    mark_sent_requested = Signal(list)
    export_requested = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.frame: Any = None
        self.status = QComboBox()
        self.status.addItem("All statuses", None)
        for key, text in STATUS_TEXT.items():
            self.status.addItem(text, key)
        self.status.setAccessibleName("Filter by status")
        self.arm = QComboBox()
        self.arm.addItem("All arms", None)
        for key, text in ARM_TEXT.items():
            self.arm.addItem(text, key)
        self.arm.setAccessibleName("Filter by arm")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search student, rule or text")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search the log")
        self.count = QLabel()
        for signal in (
            self.status.currentIndexChanged,
            self.arm.currentIndexChanged,
            self.search.textChanged,
        ):
            signal.connect(self.apply_filter)
        filters = QHBoxLayout()
        filters.addWidget(QLabel("Status"))
        filters.addWidget(self.status)
        filters.addWidget(QLabel("Arm"))
        filters.addWidget(self.arm)
        filters.addWidget(self.search, 1)
        filters.addWidget(self.count)

        self.model = FrameTableModel(pd.DataFrame(columns=TABLE_COLUMNS), LOG_COLUMNS, parent=self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setAccessibleName("Interventions log")
        set_table_look(self.view, LOG_WIDTHS)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(0, Qt.SortOrder.DescendingOrder)  # newest first
        self.view.selectionModel().selectionChanged.connect(
            lambda *_: self.selection_changed.emit(self.selected_ids())
        )

        self.history = QTextBrowser()
        self.history.setAccessibleName("History of the selected intervention")
        self.mark_sent = QPushButton("Mark as &sent")
        self.mark_sent.setToolTip("You sent the exported drafts yourself: record it")
        self.mark_sent.clicked.connect(lambda: self.mark_sent_requested.emit(self.selected_ids("exported")))
        self.export = QPushButton("Export these rows as CSV…")
        self.export.setToolTip(
            "The rows the filters show, as a spreadsheet-safe CSV (statuses do not change)"
        )
        self.export.clicked.connect(lambda: self.export_requested.emit(self.shown_ids()))
        side = QWidget()
        sl = QVBoxLayout(side)
        sl.setContentsMargins(0, 0, 0, 0)
        sl.addWidget(self.history, 1)
        sl.addWidget(self.mark_sent)
        sl.addWidget(self.export)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(side)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        qsettings.restore_splitter(self.splitter, "interventions/log")
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.splitter, 1)
        self.selection_changed.connect(self._update_buttons)
        self._update_buttons([])

    def set_frame(self, frame: Any) -> None:
        """Show the course's interventions (``core.interventions.log_table.interventions_table``)."""
        self.frame = frame.reset_index(drop=True)
        self.model.set_frame(self.frame, LOG_COLUMNS)
        self.apply_filter()

    def apply_filter(self, *_: Any) -> None:
        """Apply the status, arm and text filters."""
        import numpy as np

        if self.frame is None:
            return
        mask = np.ones(len(self.frame), dtype=bool)
        if self.status.currentData() is not None:
            mask &= (self.frame["status"] == self.status.currentData()).to_numpy()
        if self.arm.currentData() is not None:
            mask &= (self.frame["arm"] == self.arm.currentData()).to_numpy()
        positions = np.flatnonzero(mask)
        text = compute_filter(self.frame, self.search.text(), SEARCH_COLUMNS)
        positions = np.intersect1d(positions, text)
        self.model.set_filter_positions(positions)
        self.count.setText(f"{len(positions)} of {len(self.frame)}")
        self.selection_changed.emit(self.selected_ids())

    def selected_ids(self, status: str | None = None) -> list[int]:
        """Ids of the selected rows (only those with ``status`` when given)."""
        out = []
        for index in self.view.selectionModel().selectedRows():
            pos = self.model.row_position(index.row())
            if status is None or self.frame.at[pos, "status"] == status:
                out.append(int(self.frame.at[pos, "id"]))
        return out

    def shown_ids(self) -> list[int]:
        """Ids of every row the filters show, in view order."""
        return [int(self.frame.at[int(p), "id"]) for p in self.model.order] if self.frame is not None else []

    def show_history(self, entries: list[dict[str, Any]]) -> None:
        """Show the history of the selected row."""
        self.history.setHtml(history_html(entries))

    def _update_buttons(self, ids: list[int]) -> None:
        self.mark_sent.setEnabled(bool(self.frame is not None and self.selected_ids("exported")))
        self.export.setEnabled(self.model.shown_rows > 0)
        if len(ids) != 1:
            self.history.setHtml(
                "<span style='color:gray'>Select one row to see its history.</span>" if not ids else ""
            )

    def save_state(self) -> None:
        """Remember the splitter."""
        qsettings.save_splitter(self.splitter, "interventions/log")


__all__ = ["LOG_COLUMNS", "LogPanel", "history_html"]
