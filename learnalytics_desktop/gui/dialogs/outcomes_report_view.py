"""The match report of a gradebook or class list import, as the dialog shows it.

Counts first (rows read, matched, added, unmatched, ambiguous, duplicates, learners with no
row), then two tables: the rows that were not stored (with their line number in the file,
the id / e-mail they carry, why, and the candidates of an ambiguous row) and the offering's
learners who have no row in the file. Everything shown is also in the exported CSV.
"""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

ROW_COLUMNS = ("Line", "What", "Student id / e-mail", "Why", "Candidates")
SECTION_NAMES = {"unmatched": "Unmatched", "ambiguous": "Ambiguous", "duplicate": "Duplicate row"}
MATCHED_BY = {
    "account": "student id",
    "email": "e-mail",
    "email_sha1": "hashed e-mail",
    "pseudonym": "pseudonym",
}
ROLE_CAPTIONS = {
    "id": "student id",
    "email": "e-mail",
    "grade": "final grade",
    "result": "result",
    "passed": "passed",
    "withdrew": "withdrew",
}
WARN_STYLE = "QLabel { background: #fff4e5; border: 1px solid #e0a040; padding: 6px; color: #5a3000; }"
GOOD_STYLE = "QLabel { background: palette(alternate-base); color: palette(text); border: 1px solid #8c8; padding: 8px; }"


def _table(name: str, headers: tuple[str, ...]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.setAccessibleName(name)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    table.setWordWrap(False)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    return table


def _item(value: Any, number: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem()
    if number:
        item.setData(Qt.ItemDataRole.DisplayRole, int(value))  # sorts as a number
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    else:
        item.setText(str(value))
        if len(str(value)) > 30:
            item.setToolTip(str(value))
    return item


def summary_html(result: Any) -> str:
    """The headline of a match report (course, file, counts) as rich text."""
    kind = "Gradebook" if result.kind == "outcomes" else "Class list"
    file_name = str(result.file).replace("\\", "/").rsplit("/", 1)[-1]
    stored = result.matched + result.created
    parts = [f"<b>{result.matched:,}</b> matched"]
    if result.kind == "roster":
        parts.append(f"<b>{result.created:,}</b> added as new students (no statements yet)")
    parts += [
        f"<b>{len(result.unmatched):,}</b> unmatched",
        f"<b>{len(result.ambiguous):,}</b> ambiguous",
        f"<b>{len(result.duplicates):,}</b> duplicate rows",
    ]
    what = "grades stored" if result.kind == "outcomes" else "students enrolled"
    return (
        f"<b>{kind} imported into {escape(str(result.course))}</b> from {escape(file_name)} "
        f"({escape(result.encoding)}, {escape(result.delimiter)}-separated): {stored:,} {what}.<br>"
        f"{result.rows:,} rows read: " + ", ".join(parts) + ". "
        f"<b>{len(result.learners_without_row):,}</b> learners of the offering have no row."
    )


class MatchReportView(QWidget):
    """Shows one ``core.outcomes.MatchReport`` (:meth:`show_report`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result: Any = None
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setStyleSheet(GOOD_STYLE)
        self.summary.setAccessibleName("Import summary")
        self.columns_label = QLabel()
        self.columns_label.setWordWrap(True)
        self.columns_label.setAccessibleName("Columns used")
        self.warnings = QLabel()
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet(WARN_STYLE)
        self.warnings.setAccessibleName("Warnings")
        self.warnings.setVisible(False)
        self.rows_table = _table("Rows not stored", ROW_COLUMNS)
        self.learners_table = _table("Learners with no row", ("Learner", "Why it matters"))
        self.tabs = QTabWidget()
        self.tabs.addTab(self.rows_table, "Rows not stored")
        self.tabs.addTab(self.learners_table, "Learners with no row")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.columns_label)
        layout.addWidget(self.warnings)
        layout.addWidget(self.tabs, 1)

    def show_report(self, result: Any) -> None:
        """Fill the summary and both tables from ``result``."""
        self.result = result
        self.summary.setText(summary_html(result))
        used = ", ".join(
            f"{escape(ROLE_CAPTIONS.get(role, role.replace('attribute:', 'attribute ')))} from "
            f"<i>{escape(col)}</i>"
            for role, col in result.columns.items()
        )
        by = ", ".join(f"{n:,} by {MATCHED_BY.get(how, how)}" for how, n in sorted(result.matched_by.items()))
        self.columns_label.setText(f"Columns: {used}." + (f" Matched {by}." if by else ""))
        self.warnings.setText("<br>".join(f"⚠ {escape(w)}" for w in result.warnings))
        self.warnings.setVisible(bool(result.warnings))

        issues = [
            (SECTION_NAMES[s], it)
            for s, items in (
                ("unmatched", result.unmatched),
                ("ambiguous", result.ambiguous),
                ("duplicate", result.duplicates),
            )
            for it in items
        ]
        issues.sort(key=lambda p: p[1].row)
        self.rows_table.setSortingEnabled(False)
        self.rows_table.setRowCount(len(issues))
        for r, (what, it) in enumerate(issues):
            cells = (
                _item(it.row, number=True),
                _item(what),
                _item(it.value or "(empty)"),
                _item(it.reason),
                _item(", ".join(it.candidates)),
            )
            for c, cell in enumerate(cells):
                self.rows_table.setItem(r, c, cell)
        self.rows_table.setSortingEnabled(True)
        self.rows_table.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # in file order
        self.rows_table.resizeColumnsToContents()
        self.rows_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)

        learners = result.learners_without_row
        why = (
            "no grade: left out of model training"
            if result.kind == "outcomes"
            else "in this offering's data but not on the class list"
        )
        self.learners_table.setRowCount(len(learners))
        for r, d in enumerate(learners):
            self.learners_table.setItem(r, 0, _item(d["label"]))
            self.learners_table.setItem(r, 1, _item(why))
        self.learners_table.resizeColumnsToContents()
        self.tabs.setTabText(0, f"Rows not stored ({len(issues):,})")
        self.tabs.setTabText(1, f"Learners with no row ({len(learners):,})")
        self.tabs.setCurrentIndex(0 if issues or not learners else 1)

    def issue_rows(self) -> list[tuple[int, str, str]]:
        """(line, what, value) of each row in the "rows not stored" table (tests, accessibility)."""
        return [
            (
                int(self.rows_table.item(r, 0).data(Qt.ItemDataRole.DisplayRole)),
                self.rows_table.item(r, 1).text(),
                self.rows_table.item(r, 2).text(),
            )
            for r in range(self.rows_table.rowCount())
        ]


class ReportPage(QWidget):
    """The dialog's second page: the report, Export report…, Import another file, Close."""

    export_requested = Signal()
    again_requested = Signal()
    close_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = MatchReportView()
        self.export_button = QPushButton("&Export report…")
        self.export_button.setToolTip(
            "Save the counts, every row not stored and the learners with no row as CSV"
        )
        self.export_button.clicked.connect(self.export_requested)
        again = QPushButton("Import &another file")
        again.clicked.connect(self.again_requested)
        close = QPushButton("Close")
        close.clicked.connect(self.close_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.export_button)
        buttons.addStretch(1)
        buttons.addWidget(again)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)


__all__ = ["MatchReportView", "ReportPage", "summary_html"]
