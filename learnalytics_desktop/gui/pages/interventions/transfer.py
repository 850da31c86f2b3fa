"""Export and import on the Interventions page (a mixin of
:class:`~learnalytics_desktop.gui.pages.interventions.interventions_page.InterventionsPage`).

* Approved drafts as ``.eml`` files in a folder the user chooses (they become "exported"),
  or as a spreadsheet-safe CSV (statuses unchanged); the Log's rows as a CSV.
* A CSV of interventions done outside the app: checked first (dry run, match report in
  :class:`~learnalytics_desktop.gui.pages.interventions.dialogs.ImportDialog`), then written.

Every file goes through the core (atomic writes, export log). The page provides ``state``,
``ctx``, ``runner``, ``tabs``, ``show_banner``, ``refresh`` and ``last_result``.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from learnalytics_desktop.core.interventions.summaries import import_summary
from learnalytics_desktop.core.text import plural
from learnalytics_desktop.gui.dialogs import files
from learnalytics_desktop.gui.pages.interventions import jobs
from learnalytics_desktop.gui.pages.interventions.dialogs import ImportDialog
from learnalytics_desktop.gui.workers import Task, db_job


class TransferMixin:
    """See the module docstring."""

    state: Any
    ctx: Any
    runner: Any
    tabs: Any
    last_result: Any

    def _approved_ids(self) -> list[int]:
        if self.state is None:
            return []
        frame = self.state.frame
        # approved, and exported ones so an export can be repeated (lost files, a new folder)
        return [int(i) for i in frame.loc[frame["status"].isin(["approved", "exported"]), "id"]]

    def export_eml(self) -> Task | None:
        """Write the approved drafts as .eml files into a folder the user chooses."""
        ids = self._approved_ids()
        if not ids:
            return None
        folder = files.ask_folder(self, "Folder for the e-mail drafts")
        if folder is None:
            return None
        return (
            self.runner.submit(db_job(jobs.export_eml), self.ctx.db_path, str(folder), ids)
            .with_progress("Writing e-mail drafts…")
            .on_success(
                lambda r: self._exported(
                    r, "Open them in your mail program, check and send them; then mark them sent in the Log."
                )
            )
        )

    def export_approved_csv(self) -> Task | None:
        """Write the approved (and already exported) drafts to a CSV for a mail merge; the
        approved ones become exported, as with .eml files."""
        return self._export_csv(self._approved_ids(), "approved-drafts.csv", mark_exported=True)

    def export_log_csv(self, ids: list[int]) -> Task | None:
        """Write the log rows shown to a CSV."""
        return self._export_csv(ids, "interventions-log.csv")

    def _export_csv(self, ids: list[int], suggested: str, mark_exported: bool = False) -> Task | None:
        if not ids:
            return None
        path = files.ask_save_file(self, "Export interventions as CSV", suggested, files.CSV_FILTER)
        if path is None:
            return None
        return (
            self.runner.submit(db_job(jobs.export_csv), self.ctx.db_path, str(path), ids, mark_exported)
            .with_progress("Writing the CSV…")
            .on_success(lambda r: self._exported(r, "Spreadsheet formulas in the text are neutralised."))
        )

    def _exported(self, result: Any, hint: str) -> None:
        self.last_result = result
        where = escape(str(result.path))
        what = (
            f"Wrote {plural(len(result.files), 'e-mail draft')} for {plural(result.rows, 'message')} to {where}; "
            "they are marked exported."
            if result.what == "intervention e-mails"
            else f"Wrote {plural(result.rows, 'row')} to {where}."
        )
        self.show_banner(
            "<br>".join([what + " " + escape(hint), *(f"⚠ {escape(w)}" for w in result.warnings)])
        )
        self.refresh()

    def import_external(self) -> Task | None:
        """Choose a CSV of outside interventions, show its match report, then import."""
        if self.ctx.db_path is None or self.ctx.course_id is None:
            return None
        path = files.ask_open_file(self, "Import interventions done outside the app", files.CSV_FILTER)
        if path is None:
            return None
        return (
            self.runner.submit(db_job(jobs.check_import), self.ctx.db_path, self.ctx.course_id, str(path))
            .with_progress("Checking the file…")
            .on_success(lambda report: self._import_checked(Path(path), report))
        )

    def _import_checked(self, path: Path, report: Any) -> Task | None:
        skip_bad = ImportDialog.ask(self, report)
        if skip_bad is None:
            return None
        return (
            self.runner.submit(
                db_job(jobs.run_import), self.ctx.db_path, self.ctx.course_id, str(path), skip_bad
            )
            .with_progress("Importing interventions…")
            .on_success(self._imported)
        )

    def _imported(self, report: Any) -> None:
        self.last_result = report
        self.show_banner(escape(import_summary(report)))
        self.tabs.setCurrentIndex(1)
        self.refresh()


__all__ = ["TransferMixin"]
