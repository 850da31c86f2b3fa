"""The Students at risk page: every student of the latest scoring run, riskiest first.

A model/view table (:class:`~learnalytics_desktop.gui.pages.dashboard.risk_table.RiskTableModel`
over the frame of ``core.dashboard.risk_table``) with the level in colour and words, the top
reasons, engagement and key features, and the caseload columns (rank, trend since last week,
outreach status with its date; ``core.dashboard.caseload``) with an Outreach filter. Students withdrawn by the scoring date are left out
unless "Show withdrawn (N)" is ticked (N is how many there are). Search and the filters run
in pandas on the CPU pool; sorting is the model's argsort. Select students and "Draft interventions" opens the
Interventions page with them; double-click (or Enter) opens a student's page; "Export CSV"
writes the rows shown, in the order shown, and logs the export.
"""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from learnalytics_desktop.core.interventions.outreach import OUTREACH_FILTERS
from learnalytics_desktop.gui import qsettings
from learnalytics_desktop.gui.dialogs import files
from learnalytics_desktop.gui.pages.base import Page, Shell
from learnalytics_desktop.gui.pages.dashboard.common import ScoreBanner, fit_columns
from learnalytics_desktop.gui.pages.dashboard.risk_table import (
    LEVEL_FILTERS,
    RiskTableModel,
    filter_positions,
    prepare,
)
from learnalytics_desktop.gui.workers import Task, db_job

HEADER_KEY = "at_risk/table-v2"  # v2: name, e-mail, rank, trend and outreach columns
SEARCH_DELAY_MS = 200
COLUMN_WIDTHS = {
    "rank": 36,
    "trend": 70,
    "outreach_text": 150,
    "name": 170,
    "student": 120,
    "email": 200,
    "risk_score": 56,
    "level": 84,
    "top_reasons": 330,
    "engagement": 90,
}


def load_table(conn: Any, course_id: int, week: int, *, report: Any = None) -> Any:
    """``core.dashboard.risk_table`` with the display columns added (runs on the worker)."""
    from learnalytics_desktop.core.dashboard import risk_table

    frame = risk_table(conn, course_id, week, report=report)
    out = prepare(frame)
    out.attrs.update(frame.attrs)
    return out


class AtRiskPage(Page):
    """See the module docstring."""

    def __init__(self, shell: Shell, parent: QWidget | None = None) -> None:
        super().__init__(shell, parent)
        self.setObjectName("atRiskPage")
        self.frame: Any = None
        self.status: Any = None
        self.title = QLabel("<h2>Students at risk</h2>")
        self.subtitle = QLabel()
        self.subtitle.setWordWrap(True)
        self.banner = ScoreBanner(self.runner)
        self.banner.scored.connect(self._scored)

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search names or reasons…")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search students")
        self.level = QComboBox()
        self.level.addItems(list(LEVEL_FILTERS))
        self.level.setAccessibleName("Show levels")
        self.show_withdrawn = QCheckBox("Show &withdrawn")
        self.show_withdrawn.setToolTip(
            "Students who withdrew by the scoring date (class list or a leaving statement) are left "
            "out of the list unless this is ticked"
        )
        self.show_withdrawn.toggled.connect(lambda _on: self.apply_filter())
        self.count = QLabel()
        self.placeholder = QLabel("Open a database and choose a course with data to see its students.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.level.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.outreach = QComboBox()
        self.outreach.addItems(list(OUTREACH_FILTERS))
        self.outreach.setAccessibleName("Show outreach")
        self.outreach.setToolTip("Show students by how far contacting them has come")
        self.outreach.currentIndexChanged.connect(lambda _i: self.apply_filter())
        find = QLabel("Se&arch:")
        find.setBuddy(self.search)
        show = QLabel("&Level:")
        show.setBuddy(self.level)
        filters = QHBoxLayout()
        filters.addWidget(find)
        filters.addWidget(self.search, 2)
        filters.addWidget(show)
        filters.addWidget(self.level)
        reach = QLabel("O&utreach:")
        reach.setBuddy(self.outreach)
        filters.addWidget(reach)
        filters.addWidget(self.outreach)
        filters.addWidget(self.show_withdrawn)
        filters.addWidget(self.count, 1)

        self.model = RiskTableModel(self)
        self._header_ready = False
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setAccessibleName("Students at risk")
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setWordWrap(False)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(self.view.fontMetrics().height() + 8)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSortIndicator(-1, Qt.SortOrder.DescendingOrder)  # the frame comes riskiest first
        self.view.setSortingEnabled(True)
        self.view.doubleClicked.connect(self.open_student)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        # the Top reasons column is cut at its width: the current row's reasons in full, wrapped
        self.reasons = QLabel()
        self.reasons.setWordWrap(True)
        self.reasons.setAccessibleName("Reasons of the current student")
        self.reasons.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._show_reasons())
        self.model.modelReset.connect(self._show_reasons)
        self.model.layoutChanged.connect(self._show_reasons)
        self._show_reasons()
        QShortcut(
            QKeySequence(Qt.Key.Key_Return),
            self.view,
            self._open_current,
            context=Qt.ShortcutContext.WidgetShortcut,
        )

        self.draft_button = QPushButton("&Draft interventions…")
        self.draft_button.setToolTip("Open the Interventions page with the selected students")
        self.draft_button.clicked.connect(self.draft_interventions)
        self.student_button = QPushButton("&Open student")
        self.student_button.setToolTip("Show the selected student's timeline (or double-click a row)")
        self.student_button.clicked.connect(self._open_current)
        self.export_button = QPushButton("&Export CSV…")
        self.export_button.setToolTip(
            "Save the rows shown, in this order, as a CSV file (the export is logged)"
        )
        self.export_button.clicked.connect(self.export_csv)
        buttons = QHBoxLayout()
        buttons.addWidget(self.draft_button)
        buttons.addWidget(self.student_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.banner)
        layout.addLayout(filters)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.placeholder, 1)
        layout.addWidget(self.reasons)
        layout.addLayout(buttons)
        self.view.setVisible(False)
        self._update_buttons()

    def _show_reasons(self) -> None:
        """Fill the pane under the table with the current row's name and every reason."""
        index = self.view.currentIndex()
        names = [c.name for c in self.model.columns]
        if not index.isValid() or "top_reasons" not in names:
            self.reasons.setText("Select a student to read every reason here.")
            return
        row = index.row()
        cell = self.model.index(row, names.index("top_reasons"))
        full = self.model.data(cell, Qt.ItemDataRole.ToolTipRole) or self.model.data(cell) or ""
        who = self.model.value(row, "name") if "name" in names else None
        who = who or self.model.value(row, "student")
        lines = [line.lstrip("\u2022 ").strip() for line in str(full).splitlines() if line.strip()]
        text = "; ".join(lines) if lines else "no reasons recorded"
        self.reasons.setText(f"<b>Why {escape(str(who))}:</b> {escape(text)}")

    # -- loading ---------------------------------------------------------------------------------
    def open_with(self, level: str | None = None, **params: Any) -> None:
        """``level="high"`` (or moderate, low) shows only that level (the Overview's bars)."""
        names = {"high": "High", "moderate": "Moderate", "low": "Low"}
        if level in names:
            self.level.setCurrentText(names[level])

    def refresh(self) -> Task | None:
        """Load the table for the context's course and week on the database thread."""
        ctx = self.ctx
        if ctx.db_path is None or ctx.course_id is None or ctx.week is None or ctx.as_of is None:
            self.frame = self.status = None
            self.banner.setVisible(False)
            self.view.setVisible(False)
            self.placeholder.setVisible(True)
            self.subtitle.setText("")
            self._update_buttons()
            return None
        name = getattr(ctx.course, "label", None) or getattr(ctx.course, "name", "")
        self.subtitle.setText(f"<b>{name}</b> \u2014 week {ctx.week}")
        key = (ctx.db_path, ctx.course_id, ctx.week, ctx.data_version)
        return (
            self.runner.submit(db_job(load_table), ctx.db_path, ctx.course_id, ctx.week)
            .keyed("at_risk.load")
            .with_progress("Loading the students at risk…")
            .on_success(lambda frame: self._loaded(frame, key))
        )

    def _loaded(self, frame: Any, key: tuple[Any, ...]) -> None:
        ctx = self.ctx
        if key != (ctx.db_path, ctx.course_id, ctx.week, ctx.data_version):
            return
        self.status = frame.attrs["status"]
        self.banner.setVisible(True)
        self.banner.set_status(self.status, ctx.db_path, ctx.course_id, ctx.week)
        self._set_frame(frame)

    def _set_frame(self, frame: Any) -> None:
        self.frame = frame
        withdrawn = int(frame.attrs.get("withdrawn", 0)) if frame is not None else 0
        self.show_withdrawn.setText(f"Show &withdrawn ({withdrawn:,})")
        self.show_withdrawn.setEnabled(withdrawn > 0)
        self.model.set_frame(frame)
        self.view.setVisible(True)
        self.placeholder.setVisible(False)
        if not self._header_ready:  # the columns exist now: default widths, then the saved state
            self._header_ready = True
            fit_columns(self.view, COLUMN_WIDTHS)
            qsettings.restore_header(self.view.horizontalHeader(), HEADER_KEY)
        self.apply_filter()

    # -- filter ----------------------------------------------------------------------------------
    @property
    def levels(self) -> tuple[str, ...]:
        return LEVEL_FILTERS[self.level.currentText()]

    def apply_filter(self) -> Task | None:
        """Filter by the search words and the level choice (pandas, on the CPU pool)."""
        self._search_timer.stop()
        frame, query, levels = self.frame, self.search.text(), self.levels
        if frame is None:
            return None
        everyone = self.show_withdrawn.isChecked() or not frame.attrs.get("withdrawn", 0)
        reach = OUTREACH_FILTERS[self.outreach.currentText()]
        if (
            not query.strip()
            and set(levels) == set(LEVEL_FILTERS["All levels"])
            and everyone
            and reach is None
        ):
            self.runner.cancel("at_risk.filter")
            self._filtered(frame, None)  # nothing to filter: no job needed
            return None
        return (
            self.runner.submit(filter_positions, frame, query, levels, everyone, reach)
            .in_pool()
            .keyed("at_risk.filter")
            .on_success(lambda pos: self._filtered(frame, pos))
            .start()
        )

    def _filtered(self, frame: Any, positions: Any) -> None:
        if frame is not self.frame:
            return
        self.model.set_filter_positions(positions, query="")
        self._update_buttons()

    def _update_buttons(self) -> None:
        total = 0 if self.frame is None else len(self.frame)
        shown = self.model.shown_rows if total else 0
        self.count.setText(f"Showing {shown:,} of {total:,} students" if total else "No students scored")
        n = len(self.selected_actors())
        self.draft_button.setEnabled(n > 0)
        self.draft_button.setText(
            f"&Draft interventions for {n} student{'s' if n != 1 else ''}…" if n else "&Draft interventions…"
        )
        self.student_button.setEnabled(n == 1)
        self.export_button.setEnabled(shown > 0)

    # -- actions ---------------------------------------------------------------------------------
    def selected_actors(self) -> list[int]:
        """Actor ids of the selected rows, in view order."""
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        return [int(self.model.value(r, "actor")) for r in rows]

    def draft_interventions(self) -> None:
        """Go to the Interventions page with the selected students."""
        actors = self.selected_actors()
        if actors:
            self.shell.navigate("interventions", actors=actors)

    def open_student(self, index: QModelIndex) -> None:
        """Go to the Student page of the row of ``index``."""
        if index.isValid():
            self.shell.navigate("student", actor=int(self.model.value(index.row(), "actor")))

    def _open_current(self) -> None:
        index = self.view.currentIndex()
        if not index.isValid() and self.view.selectionModel().selectedRows():
            index = self.view.selectionModel().selectedRows()[0]
        self.open_student(index)

    def shown_frame(self) -> Any:
        """The rows shown (after filter and sort), in view order."""
        return self.frame.iloc[self.model.order]

    def export_csv(self) -> Task | None:
        """Ask for a file, then write the rows shown on the database thread (and log it)."""
        from learnalytics_desktop.core.dashboard import export_risk_table

        if self.frame is None or self.model.shown_rows == 0:
            return None
        ctx = self.ctx
        week = f"week{ctx.week}" if ctx.week is not None else ""
        path = files.ask_save_file(self, "Export students at risk", f"students-at-risk-{week}.csv")
        if path is None:
            return None
        shown = self.shown_frame()
        filtered = len(shown) != len(self.frame)
        run_id = None if self.status is None else self.status.run_id
        return (
            self.runner.submit(
                db_job(export_risk_table),
                ctx.db_path,
                path,
                shown,
                course_id=ctx.course_id,
                week=ctx.week,
                run_id=run_id,
                filtered=filtered,
            )
            .with_progress("Exporting the table…")
            .on_success(lambda n: self.shell.show_status(f"Exported {n:,} students to {path}", 8000))
        )

    def _scored(self, status: Any) -> None:
        self.shell.show_status(status.message)
        self.shell.notify_data_changed()
        self.refresh()

    def save_state(self) -> None:
        """Remember column widths, order and the sort."""
        if self._header_ready:
            qsettings.save_header(self.view.horizontalHeader(), HEADER_KEY)


__all__ = ["AtRiskPage", "load_table"]
