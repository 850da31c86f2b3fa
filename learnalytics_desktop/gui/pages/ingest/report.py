"""The import report: the counts, rejects by rule and the conflicts list of one import run."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from learnalytics_desktop.gui.models.frame_table import Column, FrameTableModel
from learnalytics_desktop.gui.pages.ingest.jobs import ImportOutcome

MAX_NOTES = 6
MAX_COLUMN_WIDTH = 320
COUNT_HELP = {
    "read": ("Read", "Records read from the files"),
    "stored": ("Stored", "New statements stored"),
    "duplicates": ("Duplicates", "Same id and same content as a stored statement: skipped"),
    "conflicts": ("Conflicts", "Same id, different content: the first one was kept"),
    "rejected": ("Rejected", "Invalid records, kept in the quarantine with the rule they broke"),
    "skipped": (
        "Skipped",
        "Valid records that are not learner activity (server events, Caliper entities, teachers' "
        "actions); the reasons are listed above the counts",
    ),
    "voided": ("Voided", "Statements hidden from analytics by a voiding statement"),
}
REJECT_COLUMNS = [
    Column("rule", "Rule"),
    Column("count", "Records", "int"),
    Column("example", "Example reason"),
]
CONFLICT_COLUMNS = [
    Column("statement_id", "Statement id"),
    Column("source", "File"),
    Column("location", "Where"),
]


class TableView(QTableView):
    """A read-only table that says so when it is empty (``placeholder``)."""

    def __init__(self, placeholder: str = "") -> None:
        super().__init__()
        self.placeholder = placeholder

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        model = self.model()
        if self.placeholder and model is not None and model.rowCount() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(
                self.viewport().rect().adjusted(8, 8, -8, -8),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self.placeholder,
            )
            painter.end()

    def fit_columns(self, max_width: int = MAX_COLUMN_WIDTH) -> None:
        """Size columns to their contents, none wider than ``max_width``; the last one takes
        the rest of the width (long text is elided; the tooltip has all of it)."""
        header = self.horizontalHeader()
        for i in range(header.count() - 1):
            self.resizeColumnToContents(i)
            if header.sectionSize(i) > max_width:
                header.resizeSection(i, max_width)


def make_table(name: str, model: FrameTableModel, placeholder: str = "") -> TableView:
    """A read-only, sortable table view over ``model`` with an accessible name."""
    view = TableView(placeholder)
    view.setModel(model)
    view.setAccessibleName(name)
    view.setSortingEnabled(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setStretchLastSection(True)
    view.setWordWrap(False)
    return view


class StatCard(QFrame):
    """A big number with a caption under it."""

    def __init__(self, caption: str, tooltip: str) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("statCard")
        self.value = QLabel("—")
        self.value.setObjectName("statValue")
        font = self.value.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.value.setFont(font)
        self.value.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label = QLabel(caption)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.value)
        layout.addWidget(label)
        self.setToolTip(tooltip)
        self.setAccessibleName(caption)
        self.caption = caption

    def set_value(self, text: str) -> None:
        """Show ``text`` as the number."""
        self.value.setText(text)
        self.setAccessibleDescription(f"{self.caption}: {text}")


class ImportReportView(QWidget):
    """Shows an :class:`ImportOutcome`; ``export_requested`` when the user asks for the CSV."""

    export_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.outcome: ImportOutcome | None = None
        self.banner = QLabel(
            "No import yet in this session. The quarantine tab lists every record ever rejected."
        )
        self.banner.setWordWrap(True)
        self.banner.setObjectName("reportBanner")
        self.formats_label = QLabel()
        self.formats_label.setWordWrap(True)
        self.formats_label.setAccessibleName("Formats the files were read as")
        self.formats_label.setVisible(False)
        self.notes_label = QLabel()
        self.notes_label.setWordWrap(True)
        self.notes_label.setAccessibleName("Import notes")
        self.notes_label.setVisible(False)
        self.cards: dict[str, StatCard] = {}
        grid = QGridLayout()
        for i, (key, (caption, tip)) in enumerate(COUNT_HELP.items()):
            card = StatCard(caption, tip)
            self.cards[key] = card
            grid.addWidget(card, 0, i)
        self.cards["rate"] = StatCard("Statements/s", "Records read per second")
        grid.addWidget(self.cards["rate"], 0, len(COUNT_HELP))
        self.rejects_model = FrameTableModel()
        self.conflicts_model = FrameTableModel()
        self.rejects_view = make_table(
            "Rejected records by rule", self.rejects_model, "No records were rejected."
        )
        self.conflicts_view = make_table("Conflicts", self.conflicts_model, "No conflicts.")
        self.rejects_view.sortByColumn(1, Qt.SortOrder.DescendingOrder)  # most frequent rule first
        self.export_button = QPushButton("Export report…")
        self.export_button.setToolTip("Save the counts, rejects by rule and conflicts as a CSV file")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self.export_requested)

        tables = QHBoxLayout()
        tables.addLayout(_titled("Rejected, by rule", self.rejects_view), 3)
        tables.addLayout(
            _titled("Conflicts (same id, different content; the first one was kept)", self.conflicts_view), 2
        )
        top = QHBoxLayout()
        top.addWidget(self.banner, 1)
        top.addWidget(self.export_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.formats_label)
        layout.addWidget(self.notes_label)
        layout.addLayout(grid)
        layout.addLayout(tables, 1)

    def show_outcome(self, outcome: ImportOutcome) -> None:
        """Fill the cards and tables from ``outcome`` (its frames were built on the worker)."""
        self.outcome = outcome
        elapsed = getattr(outcome.report, "elapsed", None)
        counts = outcome.counts()
        for key, value in counts.items():
            self.cards[key].set_value(f"{value:,}")
        rate = getattr(outcome.report, "statements_per_second", None)
        self.cards["rate"].set_value("—" if rate is None else f"{float(rate):,.0f}")
        took = "" if not elapsed else f" in {float(elapsed):.1f} s"
        files = len(outcome.sources)
        what = f"{files} source{'s' if files != 1 else ''}"
        if getattr(outcome.report, "cancelled", False):
            self.banner.setText(
                f"<b>Import cancelled</b>{took} ({what}). What was read so far is stored and "
                "consistent; run the same import again to complete it."
            )
        else:
            ok = counts["read"] == sum(
                counts[k] for k in ("stored", "duplicates", "conflicts", "rejected", "skipped")
            )
            check = (
                "every record accounted for" if ok else "<b>the counts do not add up: please report this</b>"
            )
            self.banner.setText(f"<b>Import finished</b>{took} ({what}): {check}.")
        notes = [
            f"Skipped {path}: {why}" for path, why in getattr(outcome.report, "skipped_files", None) or ()
        ]
        notes += outcome.notes()
        reads = outcome.formats()
        shown_reads = [f"{n}: {t}" for n, t in reads[:MAX_NOTES]]
        if len(reads) > MAX_NOTES:
            shown_reads.append(f"…and {len(reads) - MAX_NOTES} more files (in the exported report)")
        self.formats_label.setText("<b>Read as</b> — " + "; ".join(shown_reads))
        self.formats_label.setVisible(bool(reads))
        for why, n in outcome.skip_reasons():
            notes.append(f"Skipped {n:,} x {why}")
        shown = notes[:MAX_NOTES] + (
            [f"…and {len(notes) - MAX_NOTES} more (in the exported report)"] if len(notes) > MAX_NOTES else []
        )
        self.notes_label.setText("\n".join(f"• {n}" for n in shown))
        self.notes_label.setVisible(bool(notes))
        self.rejects_model.set_frame(outcome.frames["rejects"], REJECT_COLUMNS)
        self.conflicts_model.set_frame(outcome.frames["conflicts"], CONFLICT_COLUMNS)
        for view in (self.rejects_view, self.conflicts_view):
            view.fit_columns()
        self.export_button.setEnabled(True)

    def counts_text(self) -> dict[str, str]:
        """What each card shows (for tests and accessibility checks)."""
        return {k: c.value.text() for k, c in self.cards.items()}


def _titled(title: str, view: QWidget) -> QVBoxLayout:
    layout = QVBoxLayout()
    label = QLabel(f"<b>{title}</b>")
    label.setBuddy(view)
    layout.addWidget(label)
    layout.addWidget(view, 1)
    return layout


def describe(outcome: ImportOutcome) -> str:
    """One-line summary for the status bar."""
    c = outcome.counts()
    return (
        f"Imported: {c['stored']:,} stored, {c['duplicates']:,} duplicates, {c['conflicts']:,} conflicts, "
        f"{c['rejected']:,} rejected"
        + (f", {c['skipped']:,} skipped" if c.get("skipped") else "")
        + f" (of {c['read']:,} read)."
    )


__all__ = ["ImportReportView", "describe", "make_table"]
