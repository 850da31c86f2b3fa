"""The Interventions page: draft messages from the rules, review them, export the approved ones.

* **Draft for…** (a menu): the students handed over by the Students at risk page
  (:meth:`InterventionsPage.open_with` ``actors=[...]``), the students of the selected rows,
  or every high-risk student of the course as of the chosen week. The Draft dialog shows the
  rules (editable), the advisor's name and the optional randomised hold-out with the core's
  explanation; the core drafts on the database thread.
* **Review** tab: the drafts and approved messages (model/view), the editor for the selected
  one, Approve / Dismiss / Back to draft, "Fill in…" for placeholders left visible.
* **Log** tab: every intervention, filtered by status and arm, with its history.
* **Export** (a menu): approved drafts as ``.eml`` files (they become "exported") or as a
  spreadsheet-safe CSV. **Import done elsewhere…**: a CSV of interventions made outside the
  app, checked first (match report), then logged.

Nothing is ever sent from the app.
"""

from __future__ import annotations

from html import escape
from typing import Any

import pandas as pd
from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from learnalytics_desktop.core.interventions.log_table import TABLE_COLUMNS, status_counts
from learnalytics_desktop.core.interventions.summaries import batch_summary
from learnalytics_desktop.core.interventions.words import REVIEW_STATUSES
from learnalytics_desktop.core.text import plural
from learnalytics_desktop.gui import qsettings
from learnalytics_desktop.gui.models.columns import Column
from learnalytics_desktop.gui.models.frame_table import FrameTableModel
from learnalytics_desktop.gui.pages.base import Page, Shell
from learnalytics_desktop.gui.pages.interventions import jobs
from learnalytics_desktop.gui.pages.interventions.dialogs import FillDialog
from learnalytics_desktop.gui.pages.interventions.draft_dialog import DraftDialog
from learnalytics_desktop.gui.pages.interventions.editor import DraftEditor
from learnalytics_desktop.gui.pages.interventions.log import LogPanel
from learnalytics_desktop.gui.pages.interventions.rules_dialog import RulesDialog
from learnalytics_desktop.gui.pages.interventions.transfer import TransferMixin
from learnalytics_desktop.gui.widgets.table_look import set_table_look
from learnalytics_desktop.gui.workers import Task, db_job

REVIEW_COLUMNS = [
    Column("name", "Student", tooltip="The student's name (their id when no name is known)"),
    Column("risk", "Risk", "risk", tooltip="Risk score when the draft was made"),
    Column("rule_label", "Rule"),
    Column("channel_text", "Channel"),
    Column("status_text", "Status"),
    Column("subject", "Subject"),
]
REVIEW_WIDTHS = [100, 45, 145, 100, 65]  # the subject takes the rest
NOTHING_SENT = (
    "Nothing is ever sent from this app: approved messages are exported as drafts (.eml or CSV) "
    "that you send yourself."
)


class InterventionsPage(TransferMixin, Page):
    """See the module docstring."""

    def __init__(self, shell: Shell, parent: QWidget | None = None) -> None:
        super().__init__(shell, parent)
        self.setObjectName("interventionsPage")
        self.state: jobs.State | None = None
        self.handed: list[int] = []
        self._handed_course: int | None = None
        self._pending_draft = False
        self._keep: list[int] = []
        self.last_result: Any = None
        self.title = QLabel("<h2>Interventions</h2>")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        note = QLabel(NOTHING_SENT)
        note.setWordWrap(True)
        note.setStyleSheet("color: palette(placeholder-text);")

        self.draft_menu = QMenu(self)
        self.draft_button = self._menu_button("&Draft for…", self.draft_menu, "Draft messages from the rules")
        self.draft_menu.aboutToShow.connect(self._fill_draft_menu)
        self.rules_button = QPushButton("&Rules…")
        self.rules_button.setToolTip("Thresholds, channels and message templates of the rules")
        self.rules_button.clicked.connect(self.edit_rules)
        self.export_menu = QMenu(self)
        self.action_eml = self.export_menu.addAction(
            "Approved drafts as e-mail drafts (.eml)…", self.export_eml
        )
        self.action_csv = self.export_menu.addAction("Approved drafts as CSV…", self.export_approved_csv)
        self.export_button = self._menu_button(
            "&Export", self.export_menu, "Write the approved drafts to files"
        )
        self.import_button = QPushButton("&Import done elsewhere…")
        self.import_button.setToolTip(
            "Log interventions made outside the app from a CSV (student, date, group)"
        )
        self.import_button.clicked.connect(self.import_external)
        actions = QHBoxLayout()
        for w in (self.draft_button, self.rules_button, self.export_button, self.import_button):
            actions.addWidget(w)
        actions.addStretch(1)

        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setTextFormat(Qt.TextFormat.RichText)
        self.banner.setAccessibleName("Result of the last action")
        self.banner.setStyleSheet(
            "QLabel { background: palette(alternate-base); color: palette(text); border: 1px solid #9bc; padding: 6px; }"
        )
        self.banner.hide()

        self.model = FrameTableModel(pd.DataFrame(columns=TABLE_COLUMNS), REVIEW_COLUMNS, parent=self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setAccessibleName("Drafts to review")
        set_table_look(self.view, REVIEW_WIDTHS)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(1, Qt.SortOrder.DescendingOrder)  # highest risk first
        self.view.selectionModel().selectionChanged.connect(self._review_selection)
        self.editor = DraftEditor()
        self.editor.save_requested.connect(self.save_text)
        self.editor.action_requested.connect(self.act)
        self.editor.fill_requested.connect(self.fill_placeholders)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.editor)
        # Stable: the table takes extra width, and the editor's wrapped labels never ask for
        # more, so the divider stays where the advisor put it whatever is selected.
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.editor.setMinimumWidth(280)
        self.splitter.setSizes([600, 400])
        qsettings.restore_splitter(self.splitter, "interventions/review")
        self.log = LogPanel()
        self.log.selection_changed.connect(self._log_selection)
        self.log.mark_sent_requested.connect(lambda ids: self.act("mark_done", ids))
        self.log.export_requested.connect(self.export_log_csv)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.splitter, "Review")
        self.tabs.addTab(self.log, "Log")

        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addLayout(actions)
        layout.addWidget(self.banner)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(note)
        self.refresh()

    @staticmethod
    def _menu_button(text: str, menu: QMenu, tip: str) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setMenu(menu)
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        return button

    # -- loading ---------------------------------------------------------------------------------
    def refresh(self) -> Task | None:
        """Reload the interventions of the chosen course."""
        ready = self.ctx.db_path is not None and self.ctx.course_id is not None
        if self.handed and self.ctx.course_id != self._handed_course:
            self.handed = []  # another course: the handed-over students belong to the old one
        for w in (self.draft_button, self.rules_button, self.export_button, self.import_button):
            w.setEnabled(ready)
        if not ready:
            self.state = None
            self.summary.setText(
                "<b>Open a database and choose a course</b> to draft and review interventions."
                if self.ctx.db_path is None
                else "<b>Choose a course</b> in the toolbar."
            )
            empty = pd.DataFrame(columns=TABLE_COLUMNS)
            self.model.set_frame(empty, REVIEW_COLUMNS)
            self.log.set_frame(empty)
            self.editor.show_rows([])
            return None
        return (
            self.runner.submit(
                db_job(jobs.load), self.ctx.db_path, self.ctx.course_id, self.ctx.as_of, list(self.handed)
            )
            .keyed("interventions.load")
            .on_success(self._loaded)
        )

    def _loaded(self, state: jobs.State) -> None:
        keep = self._keep or self.selected_ids()
        self._keep = []
        self.state = state
        frame = state.frame
        review = frame[frame["status"].isin(REVIEW_STATUSES)].reset_index(drop=True)
        self.model.set_frame(review, REVIEW_COLUMNS)
        self.log.set_frame(frame)
        self.select_ids(keep)
        self._review_selection()
        counts = status_counts(frame)
        course = escape(getattr(self.ctx.course, "label", "") or "")
        week = f", as of the end of week {self.ctx.week}" if self.ctx.week is not None else ""
        parts = [f"{counts['draft']} draft{'s' if counts['draft'] != 1 else ''} to review"]
        for key, text in (
            ("approved", "approved"),
            ("exported", "exported, not marked sent yet"),
            ("done", "sent"),
            ("held_out", "held out"),
            ("dismissed", "dismissed"),
        ):
            if counts[key]:
                parts.append(f"{counts[key]} {text}")
        self.summary.setText(f"<b>{course}</b>{week} · " + " · ".join(parts))
        self.tabs.setTabText(0, f"Review ({len(review)})")
        self.tabs.setTabText(1, f"Log ({len(frame)})")
        self.action_eml.setEnabled(counts["approved"] > 0)
        self.action_csv.setEnabled(counts["approved"] > 0)
        if state.rules_error:
            self.show_banner(
                f"<b>The saved rules are damaged</b> ({escape(state.rules_error)}); the built-in rules "
                "are shown. Open Rules… and save to replace them."
            )
        if self._pending_draft:
            self._pending_draft = False
            QTimer.singleShot(0, self, lambda: self.draft_for("handed"))

    # -- selection -------------------------------------------------------------------------------
    def selected_rows(self) -> list[dict[str, Any]]:
        """The selected review rows as dicts, in view order."""
        frame = self.model.frame
        if frame is None or frame.empty:
            return []
        rows = sorted(i.row() for i in self.view.selectionModel().selectedRows())
        return [frame.iloc[self.model.row_position(r)].to_dict() for r in rows]

    def selected_ids(self) -> list[int]:
        """Ids of the selected review rows."""
        return [int(r["id"]) for r in self.selected_rows()]

    def select_ids(self, ids: list[int]) -> None:
        """Select the review rows with these ids (those still shown)."""
        wanted = {int(i) for i in ids}
        selection = QItemSelection()
        for row in range(self.model.rowCount()):
            if int(self.model.value(row, "id")) in wanted:
                selection.select(
                    self.model.index(row, 0), self.model.index(row, self.model.columnCount() - 1)
                )
        self.view.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def _review_selection(self, *_: Any) -> None:
        self.editor.show_rows(self.selected_rows())

    def _log_selection(self, ids: list[int]) -> None:
        if len(ids) == 1 and self.ctx.db_path is not None:
            self.runner.submit(db_job(jobs.history), self.ctx.db_path, ids[0]).keyed(
                "interventions.history"
            ).on_success(self.log.show_history)

    # -- drafting --------------------------------------------------------------------------------
    def open_with(self, **params: Any) -> None:
        """``actors=[ids]`` (from the Students at risk page): offer to draft for them at once
        (``draft=False`` only remembers them for the Draft for… menu)."""
        actors = [int(a) for a in params.get("actors") or []]
        if not actors:
            return
        self.handed = list(dict.fromkeys(actors))
        self._handed_course = self.ctx.course_id
        self._pending_draft = bool(params.get("draft", True))
        self.tabs.setCurrentIndex(0)
        self.refresh()

    def _targets(self) -> dict[str, tuple[str, list[int]]]:
        """kind -> (who, actor ids) for the Draft for… menu."""
        out: dict[str, tuple[str, list[int]]] = {}
        if self.handed:
            out["handed"] = (
                f"the {plural(len(self.handed), 'student')} selected on the Students at risk page",
                self.handed,
            )
        ids = list(dict.fromkeys(int(r["actor"]) for r in self.selected_rows()))
        if self.tabs.currentIndex() == 1 and self.log.frame is not None:
            chosen = set(self.log.selected_ids())
            ids = list(
                dict.fromkeys(
                    int(a)
                    for i, a in zip(self.log.frame["id"], self.log.frame["actor"], strict=True)
                    if int(i) in chosen
                )
            )
        if ids:
            out["selected"] = (f"the {plural(len(ids), 'student')} of the selected rows", ids)
        high = self.state.high_risk if self.state is not None else None
        if high is not None and high.available:
            out["high"] = (
                f"the {plural(len(high.actors), 'high-risk student')} of the course as of the end of week "
                f"{self.ctx.week} (risk scored for {high.run_as_of[:10]})",
                high.actors,
            )
        return out

    def _fill_draft_menu(self) -> None:
        self.draft_menu.clear()
        targets = self._targets()
        for kind, (who, ids) in targets.items():
            action = self.draft_menu.addAction(
                who[0].upper() + who[1:] + "…", lambda k=kind: self.draft_for(k)
            )
            action.setEnabled(bool(ids))
        if "high" not in targets:
            self.draft_menu.addAction(
                "High-risk students: score the course first (Students at risk page)"
            ).setEnabled(False)

    def draft_for(self, kind: str) -> Task | None:
        """Ask (Draft dialog) and draft for the ``handed``, ``selected`` or ``high`` students."""
        if self.state is None or self.ctx.db_path is None or self.ctx.course_id is None:
            return None
        if self.ctx.as_of is None:
            self.show_banner("This course has no start date yet, so there is no as-of moment to draft at.")
            return None
        who, actors = self._targets().get(kind, ("", []))
        if not actors:
            self.show_banner("There is nobody to draft for: select students first.")
            return None
        request = DraftDialog.ask(
            self, who=who[0].upper() + who[1:], rules=self.state.rules, students=len(actors)
        )
        if request is None:
            return None
        return (
            self.runner.submit(
                db_job(jobs.draft), self.ctx.db_path, self.ctx.course_id, actors, self.ctx.as_of, request
            )
            .with_progress("Drafting messages…")
            .on_success(self._drafted)
        )

    def _drafted(self, batch: Any) -> None:
        self.last_result = batch
        lines = [escape(batch_summary(batch))]
        for s in batch.skipped[:6]:
            lines.append(f"• {escape(str(s['student']))}: {escape(str(s['reason']))}")
        if len(batch.skipped) > 6:
            lines.append(f"• … and {len(batch.skipped) - 6} more")
        lines += [f"⚠ {escape(w)}" for w in batch.warnings]
        self.show_banner("<br>".join(lines))
        self._keep = []
        self.tabs.setCurrentIndex(0)
        self.refresh()

    def edit_rules(self) -> Task | None:
        """Open the rules editor and save what it returns."""
        if self.state is None or self.ctx.db_path is None:
            return None
        rules = RulesDialog.ask(self, self.state.rules)
        if rules is None:
            return None
        return (
            self.runner.submit(db_job(jobs.save_rules), self.ctx.db_path, rules)
            .with_progress("Saving the rules…")
            .on_success(
                lambda _r: (
                    self.shell.show_status("Rules saved; they apply to the next drafts."),
                    self.refresh(),
                )
            )
        )

    # -- review ----------------------------------------------------------------------------------
    def save_text(self, intervention_id: int, subject: str, body: str) -> Task | None:
        """Save the edited text of one draft."""
        return self.runner.submit(
            db_job(jobs.save_text), self.ctx.db_path, intervention_id, subject, body
        ).on_success(
            lambda _row: (self.editor.mark_saved(), self.shell.show_status("Draft saved."), self.refresh())
        )

    def act(self, action: str, ids: list[int] | None = None) -> Task | None:
        """approve / dismiss / restore / mark_done the selected rows (or ``ids``); unsaved text
        of the draft shown is saved first."""
        if self.ctx.db_path is None:
            return None
        ids = self.selected_ids() if ids is None else list(ids)
        if not ids:
            return None
        done = {
            "approve": "approved",
            "dismiss": "dismissed",
            "restore": "back to draft",
            "mark_done": "marked sent",
        }

        def run(_: Any = None) -> Task:
            self._keep = ids
            return (
                self.runner.submit(db_job(jobs.set_status), self.ctx.db_path, action, ids)
                .on_success(
                    lambda n: (
                        self.shell.show_status(f"{plural(n, 'intervention')} {done[action]}."),
                        self.refresh(),
                    )
                )
                .on_failure(self._rule_refused)
            )

        if action != "mark_done" and self.editor.dirty:
            row = self.editor.rows[0]
            return self.runner.submit(
                db_job(jobs.save_text),
                self.ctx.db_path,
                int(row["id"]),
                self.editor.subject.text(),
                self.editor.body.toPlainText(),
            ).on_success(lambda _r: (self.editor.mark_saved(), run()))
        return run()

    def fill_placeholders(self, names: list[str]) -> Task | None:
        """Ask text for the placeholders left in the selected drafts and fill them in."""
        ids = [int(r["id"]) for r in self.selected_rows() if r["status"] == "draft"]
        if not names or not ids or self.state is None:
            return None
        if self.editor.dirty:
            self.show_banner("Save or undo your changes to this draft before filling in placeholders.")
            return None
        values = FillDialog.ask(self, names, len(ids))
        if not values:
            return None
        rules = self.state.rules
        if values.get("advisor") and not rules.advisor:
            self.runner.submit(db_job(jobs.set_advisor), self.ctx.db_path, rules, values["advisor"])
        self._keep = ids
        return self.runner.submit(db_job(jobs.fill), self.ctx.db_path, ids, values).on_success(
            lambda n: (self.shell.show_status(f"Filled in {plural(n, 'place')}."), self.refresh())
        )

    # -- misc --------------------------------------------------------------------------------------
    def _rule_refused(self, exc: BaseException) -> None:
        """A business rule said no (a placeholder left, a status that cannot change): say so
        on the page, in plain words. Anything else is a bug and goes to the error dialog."""
        from learnalytics_desktop.core.interventions import InterventionError
        from learnalytics_desktop.gui.dialogs.error_dialog import ErrorDialog

        if isinstance(exc, InterventionError):
            self.show_banner(f"\u26a0 {escape(str(exc))}")
            self.refresh()
        else:
            ErrorDialog.report(self, exc, title="Changing the interventions failed")

    def show_banner(self, html: str) -> None:
        """Show the outcome of the last action above the tabs."""
        self.banner.setText(html)
        self.banner.setVisible(bool(html))

    def save_state(self) -> None:
        qsettings.save_splitter(self.splitter, "interventions/review")
        self.log.save_state()


__all__ = ["InterventionsPage"]
