"""The quarantine: every record an import rejected, with the rule it broke (model/view).

Loaded on the database thread; the text filter runs in pandas (on the CPU pool for big
tables); the selected record's reason and original text show underneath.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelection, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from learnalytics_desktop.gui import qsettings
from learnalytics_desktop.gui.models.frame_table import Column, FrameTableModel, compute_filter
from learnalytics_desktop.gui.pages.ingest.report import make_table

COLUMNS = [
    Column("imported", "Imported", "datetime", tooltip="When the import ran (UTC)"),
    Column("source", "File"),
    Column("location", "Where", tooltip="Line, array index or zip member of the record"),
    Column("statement_id", "Statement id"),
    Column("rule", "Rule", tooltip="The validation rule the record broke"),
    Column("reason", "Reason"),
]
SEARCH = ["source", "location", "statement_id", "rule", "reason"]
POOL_FILTER_ROWS = 20_000  # filter bigger tables on the CPU pool


class QuarantineView(QWidget):
    """Filter box + table of rejects + details of the selected one; ``export_requested``."""

    export_requested = Signal()
    refresh_requested = Signal()

    def __init__(self, runner: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.model = FrameTableModel(columns=None)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter by file, rule, reason or statement id")
        self.filter_edit.setAccessibleName("Filter the quarantine")
        self.filter_edit.setClearButtonEnabled(True)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(200)
        self._filter_timer.timeout.connect(self.apply_filter)
        self.filter_edit.textChanged.connect(lambda _: self._filter_timer.start())
        self.count_label = QLabel("")
        self.count_label.setMinimumWidth(150)
        self.count_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh_requested)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setToolTip("Save the rows shown (after filtering), with the original text, as CSV")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self.export_requested)
        self.view = make_table(
            "Quarantined records", self.model, "Nothing in the quarantine: no record has been rejected."
        )
        self.view.sortByColumn(0, Qt.SortOrder.DescendingOrder)  # newest import first
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setAccessibleName("Selected record")
        self.details.setPlaceholderText("Select a row to see the reason and the record as it was read.")
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        qsettings.restore_splitter(self.splitter, "import/quarantine")
        bar = QHBoxLayout()
        caption = QLabel("&Filter:")
        caption.setBuddy(self.filter_edit)
        bar.addWidget(caption)
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.count_label)
        bar.addWidget(self.refresh_button)
        bar.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)
        self.view.selectionModel().selectionChanged.connect(self._selected)
        self._header_restored = False

    def set_frame(self, frame: Any) -> None:
        """Show the quarantine ``frame`` (from ``import_jobs.load_quarantine``)."""
        self.model.set_frame(frame, COLUMNS)
        if not self._header_restored:
            self._header_restored = qsettings.restore_header(
                self.view.horizontalHeader(), "import/quarantine"
            )
            if not self._header_restored:
                self.view.fit_columns()
        self.apply_filter()

    def apply_filter(self) -> None:
        """Filter rows by the text in the filter box (on the CPU pool for big tables)."""
        frame = self.model.frame
        if frame is None:
            return
        query = self.filter_edit.text().strip()
        if len(frame) <= POOL_FILTER_ROWS:
            self.model.set_filter(query, SEARCH)
            self._update_count()
            return
        self.runner.submit(compute_filter, frame, query, SEARCH).in_pool().keyed(
            "quarantine.filter"
        ).on_success(
            lambda positions: (self.model.set_filter_positions(positions, query=query), self._update_count())
        )

    def _update_count(self) -> None:
        frame = self.model.frame
        total = 0 if frame is None else len(frame)
        shown = len(self.model.order)
        noun = "record" if total == 1 else "records"
        self.count_label.setText(f"{shown:,} of {total:,} {noun}" if shown != total else f"{total:,} {noun}")
        self.export_button.setEnabled(shown > 0)
        self.details.clear()

    def shown_frame(self) -> Any:
        """The rows shown, in view order (what Export writes)."""
        frame = self.model.frame
        return None if frame is None else frame.iloc[self.model.order].reset_index(drop=True)

    def _selected(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        rows = self.view.selectionModel().selectedRows()
        if not rows or self.model.frame is None:
            self.details.clear()
            return
        row = rows[0].row()
        excerpt = self.model.value(row, "excerpt")
        reason = self.model.value(row, "reason")
        rule = self.model.value(row, "rule")
        where = f"{self.model.value(row, 'source')}, {self.model.value(row, 'location')}"
        body = (
            excerpt
            if isinstance(excerpt, str) and excerpt
            else "(the record's text was not kept: pseudonymised import)"
        )
        self.details.setPlainText(f"{where}\nRule {rule}: {reason}\n\n{body}")

    def save_state(self) -> None:
        """Remember the splitter and the column widths."""
        qsettings.save_splitter(self.splitter, "import/quarantine")
        if self.model.columnCount():
            qsettings.save_header(self.view.horizontalHeader(), "import/quarantine")
