"""The "Audit log and backups" group of the Privacy & data tab.

* **Export the audit log**: every audit entry as spreadsheet-safe CSV, written atomically.
* **Back up**: a consistent copy of the open database (SQLite online backup), even while
  the app works with it.
* **Restore**: replaces the database file, so it refuses while other work is running, asks
  first (:meth:`RecordsBox.confirm_restore`, which tests monkeypatch), and runs on the task
  runner's database thread, where no other job of this window can hold a connection. The
  current file is kept as ``<name>.before-restore.bak``. Afterwards the shell is told the
  data changed, which reloads the courses and every page from the restored file.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QMessageBox, QPushButton, QVBoxLayout

from learnalytics_desktop.gui.dialogs import files
from learnalytics_desktop.gui.pages.settings import privacy_jobs as jobs
from learnalytics_desktop.gui.pages.settings.base import show_error
from learnalytics_desktop.gui.workers import Task, db_job

if TYPE_CHECKING:  # pragma: no cover
    from learnalytics_desktop.gui.pages.settings.privacy import PrivacySection


class RecordsBox(QGroupBox):
    """Audit log export, backup and restore buttons with a result line."""

    def __init__(self, section: PrivacySection) -> None:
        super().__init__("Audit log and backups", section)
        self.section = section
        self.task: Task | None = None
        self.audit_button = QPushButton("Export the &audit log…")
        self.audit_button.clicked.connect(self.export_audit_log)
        self.backup_button = QPushButton("&Back up the database…")
        self.backup_button.clicked.connect(self.backup_database)
        self.restore_button = QPushButton("Res&tore from a backup…")
        self.restore_button.clicked.connect(self.restore_database)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result.setAccessibleName("Audit log and backup messages")
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        for b in (self.audit_button, self.backup_button, self.restore_button):
            row.addWidget(b)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(self.result)

    def _records_done(self, text: str) -> None:
        self.result.setText(text)
        self.result.setStyleSheet("color: #1b5e20;")

    def _records_failed(self, exc: BaseException) -> None:
        if isinstance(exc, ValueError | LookupError | OSError) or type(exc).__module__.startswith(
            "learnalytics_desktop"
        ):
            self.result.setText(str(exc))
            self.result.setStyleSheet("color: #b00020;")
        else:
            show_error(self, exc, "The audit log or backup could not be written")

    def export_audit_log(self) -> Task | None:
        """Ask for a CSV file and write the audit log there."""
        if self.section.db_path is None:
            return None
        path = files.ask_save_file(
            self, "Export the audit log", f"audit-log-{date.today().isoformat()}.csv", files.CSV_FILTER
        )
        if path is None:
            return None
        self.task = (
            self.section.runner.submit(db_job(jobs.export_audit_log), self.section.db_path, path)
            .with_progress("Exporting the audit log…")
            .on_success(lambda n: self._records_done(f"{n:,} audit entries written to {path}."))
            .on_failure(self._records_failed)
        )
        return self.task

    def backup_database(self) -> Task | None:
        """Ask for a file and write a consistent copy of the database there."""
        if self.section.db_path is None:
            return None
        suggested = f"{Path(self.section.db_path).stem}-backup-{date.today().isoformat()}.db"
        path = files.ask_save_file(self, "Back up the database", suggested, files.DB_FILTER)
        if path is None:
            return None
        self.task = (
            self.section.runner.submit(jobs.backup, self.section.db_path, path)
            .with_progress("Backing up the database…")
            .on_success(lambda p: self._records_done(f"Backup written to {p}."))
            .on_failure(self._records_failed)
        )
        return self.task

    def confirm_restore(self, backup: Path) -> bool:
        """Ask before replacing the database (tests monkeypatch this)."""
        answer = QMessageBox.question(
            self,
            "Restore from a backup?",
            f"Replace {Path(self.section.db_path).name} with the backup {backup.name}?\n\nThe current database is kept "
            f"beside it as {Path(self.section.db_path).name}.before-restore.bak, and everything reloads from the backup.",
        )
        return answer == QMessageBox.StandardButton.Yes

    def restore_database(self) -> Task | None:
        """Ask for a backup file, confirm, then replace the database with it on the worker."""
        if self.section.db_path is None:
            return None
        busy = [t.label.rstrip("… .") for t in self.section.runner.active_tasks if t.label]
        if busy:
            self.result.setText(f"Wait for {', '.join(busy)} to finish (or cancel it), then restore.")
            self.result.setStyleSheet("color: #b00020;")
            return None
        backup = files.ask_open_file(self, "Restore from a backup", files.DB_FILTER)
        if backup is None or not self.confirm_restore(backup):
            return None
        self.task = (
            self.section.runner.submit(jobs.restore, backup, self.section.db_path)
            .keyed("settings.privacy.restore")
            .with_progress("Restoring the database…", modal=True)
            .on_success(lambda p: self._restored(backup))
            .on_failure(self._records_failed)
        )
        return self.task

    def _restored(self, backup: Path) -> None:
        self._records_done(
            f"Restored from {backup}. The previous database was kept as {Path(self.section.db_path).name}.before-restore.bak."
        )
        self.section.page.shell.notify_data_changed()
