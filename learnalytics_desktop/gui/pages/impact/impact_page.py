"""The Impact page: the analyses done for this course, and the button that starts a new one.

Past analyses come from the audit log (``core.impact.records.list_analyses``): when,
the outcome, the comparison, the estimate the wizard recommended with its 95% CI, and the
reports exported for it. "Repeat…" opens the wizard with the same choices (for example after
more outcomes were imported); "Open report" opens an exported report in the system's viewer.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from learnalytics_desktop.core.impact.runs import AnalysisSpec
from learnalytics_desktop.core.impact.wording import OUTCOME_TEXT
from learnalytics_desktop.core.text import plural
from learnalytics_desktop.gui import qsettings
from learnalytics_desktop.gui.models.columns import Column
from learnalytics_desktop.gui.models.frame_table import FrameTableModel
from learnalytics_desktop.gui.pages.base import Page, Shell
from learnalytics_desktop.gui.pages.impact.tables import fmt_p, fmt_value
from learnalytics_desktop.gui.pages.impact.wizard import ImpactWizard
from learnalytics_desktop.gui.widgets.colours import header_background
from learnalytics_desktop.gui.widgets.table_look import set_table_look
from learnalytics_desktop.gui.workers import Task, db_job

COLUMNS = [
    Column("when", "When"),
    Column("outcome_text", "Outcome"),
    Column("estimate_text", "Estimate", tooltip="The estimate the wizard recommended"),
    Column("ci_text", "95% CI"),
    Column("students", "Students", "int"),
    Column("reports", "Reports", "int", tooltip="Reports exported (PDF or HTML)"),
    Column("comparison", "Comparison"),
]
FRAME_COLUMNS = [c.name for c in COLUMNS] + ["index"]
INTRO = (
    "Did the interventions help? The impact wizard compares the students who got a message with a comparison "
    "group on an outcome such as the final grade. The fair comparison is a randomised hold-out (chosen when "
    "drafting); other comparisons are checked for how alike the groups were and adjusted."
)


def load(conn: Any, course_id: int) -> tuple[list[dict[str, Any]], Any]:
    """Past analyses of the course (newest first) and what the course offers the wizard."""
    from learnalytics_desktop.core.impact.records import list_analyses
    from learnalytics_desktop.core.impact.sources import source_info

    return list_analyses(conn, course_id), source_info(conn, course_id)


def analyses_frame(analyses: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per analysis for the table."""
    rows = []
    for i, a in enumerate(analyses):
        kind, key = a.get("kind", "numeric"), a.get("recommended", "naive")
        ci = f"{fmt_value(key, a.get('ci_low'), kind)} to {fmt_value(key, a.get('ci_high'), kind)}"
        rows.append(
            {
                "when": local_time(a.get("at")),
                "outcome_text": OUTCOME_TEXT.get(a["outcome"], a["outcome"]),
                "comparison": a.get("comparison", ""),
                "estimate_text": fmt_value(key, a.get("estimate"), kind),
                "ci_text": ci,
                "students": int(sum((a.get("n") or {}).values())),
                "reports": len(a.get("reports", [])),
                "index": i,
            }
        )
    return pd.DataFrame(rows, columns=FRAME_COLUMNS)


def local_time(at: Any) -> str:
    """An audit-log instant (UTC ISO) as local "YYYY-MM-DD HH:MM"."""
    try:
        when = datetime.fromisoformat(str(at).replace("Z", "+00:00"))
    except ValueError:
        return str(at or "")
    return when.astimezone().strftime("%Y-%m-%d %H:%M")


def open_file(path: str) -> bool:
    """Open a local file in the system's viewer (tests replace this)."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(path))


class ImpactPage(Page):
    """See the module docstring."""

    def __init__(self, shell: Shell, parent: QWidget | None = None) -> None:
        super().__init__(shell, parent)
        self.setObjectName("impactPage")
        self.analyses: list[dict[str, Any]] = []
        self.info: Any = None
        self.last_outcome: Any = None
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        self.start_button = QPushButton("Start a new impact analysis…")
        self.start_button.setDefault(True)
        self.start_button.setMinimumHeight(36)
        self.start_button.setStyleSheet("QPushButton { font-weight: bold; padding: 4px 16px; }")
        self.start_button.clicked.connect(lambda: self.start())
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        start_row = QHBoxLayout()
        start_row.addWidget(self.start_button)
        start_row.addWidget(self.hint, 1)

        self.model = FrameTableModel(pd.DataFrame(columns=FRAME_COLUMNS), COLUMNS, parent=self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAccessibleName("Past analyses")
        set_table_look(self.view, [125, 85, 65, 120, 72, 62])  # the comparison takes the rest
        self.view.selectionModel().selectionChanged.connect(self._selected)
        self.view.doubleClicked.connect(lambda *_: self.open_report())
        self.empty = QLabel()
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.detail = QTextBrowser()
        self.detail.setAccessibleName("The selected analysis")
        self.repeat_button = QPushButton("&Repeat with these choices…")
        self.repeat_button.clicked.connect(self.repeat)
        self.open_button = QPushButton("&Open the report")
        self.open_button.clicked.connect(self.open_report)
        side = QWidget()
        sl = QVBoxLayout(side)
        sl.setContentsMargins(0, 0, 0, 0)
        sl.addWidget(self.detail, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.repeat_button)
        buttons.addWidget(self.open_button)
        sl.addLayout(buttons)
        table_side = QWidget()
        tl = QVBoxLayout(table_side)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.view, 1)
        tl.addWidget(self.empty)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(table_side)
        self.splitter.addWidget(side)
        self.splitter.setSizes([660, 340])
        qsettings.restore_splitter(self.splitter, "impact/main")
        box = QGroupBox("Past analyses of this course")
        QVBoxLayout(box).addWidget(self.splitter)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<h2>Impact</h2>"))
        layout.addWidget(intro)
        layout.addLayout(start_row)
        layout.addWidget(box, 1)
        self.refresh()

    # -- loading ---------------------------------------------------------------------------------
    def refresh(self) -> Task | None:
        """Reload the analyses of the chosen course."""
        ready = self.ctx.db_path is not None and self.ctx.course_id is not None
        self.start_button.setEnabled(ready)
        if not ready:
            self.analyses, self.info = [], None
            self.hint.setText("Open a database and choose a course first.")
            self._show([])
            return None
        return (
            self.runner.submit(db_job(load), self.ctx.db_path, self.ctx.course_id)
            .keyed("impact.load")
            .on_success(self._loaded)
        )

    def _loaded(self, loaded: tuple[list[dict[str, Any]], Any]) -> None:
        self.analyses, self.info = loaded
        info = self.info
        if info.holdout_batches:
            self.hint.setText(
                f"Ready: {plural(info.holdout_treated, 'student')} got messages and {info.holdout_control} "
                "were held back at random; compare them once the outcomes are in."
            )
        elif info.treated:
            self.hint.setText(
                f"{plural(info.treated, 'student')} had an intervention exported or sent. Without a randomised "
                "hold-out the wizard checks and adjusts the comparison; a hold-out is fairer."
            )
        else:
            self.hint.setText(
                "No intervention of this course has left the app yet; you can still compare groups "
                "from a CSV file."
            )
        self._show(self.analyses)

    def _show(self, analyses: list[dict[str, Any]]) -> None:
        self.model.set_frame(analyses_frame(analyses), COLUMNS)
        self.empty.setText(
            ""
            if analyses
            else "No impact analysis for this course yet.\nStart one with the button "
            "above: it takes four short steps."
        )
        self.empty.setVisible(not analyses)
        if analyses:
            self.view.selectRow(0)
        else:
            self._selected()

    def selected(self) -> dict[str, Any] | None:
        """The selected analysis record."""
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            return None
        return self.analyses[int(self.model.value(rows[0].row(), "index"))]

    def _selected(self, *_: Any) -> None:
        a = self.selected()
        self.repeat_button.setEnabled(a is not None)
        self.open_button.setEnabled(bool(a and a.get("reports")))
        if a is None:
            self.detail.setHtml("<p style='color:gray'>Select an analysis to read its verdict.</p>")
            return
        kind, key = a.get("kind", "numeric"), a.get("recommended", "naive")
        reports = "".join(
            f"<li>{escape(str(r.get('format', '')).upper())}: {escape(str(r.get('path')))}</li>"
            for r in a.get("reports", [])
        )
        n = a.get("n") or {}
        self.detail.setHtml(
            f"<p><b>{escape(OUTCOME_TEXT.get(a['outcome'], a['outcome']))}</b> · {escape(a.get('comparison', ''))}</p>"
            f"<p style='background:{header_background()}; padding:6px'>{escape(a.get('verdict', ''))}</p>"
            f"<p>{escape(a.get('label', ''))}: {escape(fmt_value(key, a.get('estimate'), kind))} "
            f"(95% CI {escape(fmt_value(key, a.get('ci_low'), kind))} to {escape(fmt_value(key, a.get('ci_high'), kind))}, "
            f"p = {escape(fmt_p(a.get('p_value')))}). Students: {n.get('treated', 0)} intervention, "
            f"{n.get('control', 0)} comparison. {'Randomised.' if a.get('randomised') else 'Not randomised.'}</p>"
            f"<p style='color:gray'>By {escape(str(a.get('user', '')))} on {escape(local_time(a.get('at')))}.</p>"
            + (
                f"<p><b>Reports</b></p><ul>{reports}</ul>"
                if reports
                else "<p style='color:gray'>No report exported.</p>"
            )
        )

    # -- actions ---------------------------------------------------------------------------------
    def start(self, preset: AnalysisSpec | None = None) -> Any:
        """Run the wizard (modal); reload the list afterwards."""
        if self.ctx.db_path is None or self.ctx.course_id is None:
            return None
        self.last_outcome = ImpactWizard.ask(self, self.runner, self.ctx, preset)
        self.refresh()
        return self.last_outcome

    def repeat(self) -> Any:
        """Open the wizard with the selected analysis's choices."""
        a = self.selected()
        if a is None:
            return None
        preset = AnalysisSpec(
            course_id=int(a.get("course", self.ctx.course_id)),
            source=a.get("source", "holdout"),
            outcome=a["outcome"],
            groups_path=a.get("groups_path"),
            randomised=a.get("randomised_by_user"),
            test=a.get("test", "welch"),
            cutoff=a.get("cutoff_by_user"),
        )
        return self.start(preset)

    def open_report(self) -> bool:
        """Open the newest report of the selected analysis that still exists."""
        a = self.selected()
        for r in reversed((a or {}).get("reports", [])):
            if r.get("path") and Path(r["path"]).exists():
                return open_file(str(r["path"]))
        if a is not None and a.get("reports"):
            self.shell.show_status("The report file was moved or deleted.")
        return False

    def save_state(self) -> None:
        qsettings.save_splitter(self.splitter, "impact/main")


__all__ = ["ImpactPage", "analyses_frame", "open_file"]
