"""Settings tab "Privacy & data": small cells, the key file, one learner's data, audit log, backups.

* The small-cell threshold is a database setting (``core.privacy.suppress``): Save/Revert.
* The pseudonymisation key file's *location* is remembered in QSettings
  (``qsettings.KEY_FILE_SETTING``) on this computer, never in the database; the key itself stays
  in its file. "Create key file…" writes a new random key (``core.ingest.pseudonym``).
* One learner: subject access export (JSON) and erasure, found by label, e-mail or account
  name exactly (``core.learners``, the lookup the CLI uses; with the key file in the field
  above, a pseudonymised learner is found by e-mail or account name too); erasure asks the user to type the label (:class:`EraseDialog`) and runs on the worker.
* Audit log export, backup and restore: :class:`~learnalytics_desktop.gui.pages.settings.records.RecordsBox`.
* Beside the forms: the plain-language "What this app stores and why" (package asset
  ``what_we_store.html``).
"""

from __future__ import annotations

from importlib.resources import files as resource_files
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from learnalytics_desktop.core.text import plural
from learnalytics_desktop.gui import qsettings
from learnalytics_desktop.gui.dialogs import files
from learnalytics_desktop.gui.icons import icon
from learnalytics_desktop.gui.pages.settings import privacy_jobs as jobs
from learnalytics_desktop.gui.pages.settings.base import SettingsSection, show_error
from learnalytics_desktop.gui.pages.settings.erase_dialog import EraseDialog
from learnalytics_desktop.gui.pages.settings.records import RecordsBox
from learnalytics_desktop.gui.qsettings import KEY_FILE_SETTING, remembered_key_file
from learnalytics_desktop.gui.workers import Task, db_job

KEY_FILTER = "Key files (*.key);;All files (*)"
JSON_FILTER = "JSON files (*.json)"


def what_we_store_html() -> str:
    """The text of ``assets/what_we_store.html`` (package data)."""
    return (
        resource_files("learnalytics_desktop")
        .joinpath("assets", "what_we_store.html")
        .read_text(encoding="utf-8")
    )


class PrivacySection(SettingsSection):
    """See the module docstring."""

    key = "privacy"
    title = "Privacy settings"

    def __init__(self, page: Any, parent: QWidget | None = None) -> None:
        super().__init__(page, parent)
        # small cells
        self.threshold = QSpinBox()
        self.threshold.setRange(1, 100)
        self.threshold.setAccessibleName("Small-cell threshold")
        self.threshold.setMaximumWidth(100)
        self.threshold.setToolTip("Counts of people below this number are shown as \u201c<N\u201d")
        self.threshold.valueChanged.connect(self._threshold_changed)
        self.threshold_hint = QLabel()
        self.threshold_hint.setWordWrap(True)
        cells = QGroupBox("Small cells")
        cells_form = QFormLayout(cells)
        caption = QLabel("S&mall-cell threshold:")
        caption.setBuddy(self.threshold)
        cells_form.addRow(caption, self.threshold)
        cells_form.addRow(self.threshold_hint)

        # key file
        self.key_edit = QLineEdit()
        self.key_edit.setPlaceholderText("No key file chosen")
        self.key_edit.setAccessibleName("Pseudonymisation key file")
        self.key_edit.textChanged.connect(self.changed)
        self.key_browse = QPushButton(icon("folder"), "Choose…")
        self.key_browse.setAccessibleName("Choose the key file")
        self.key_browse.clicked.connect(self.choose_key_file)
        self.key_create = QPushButton(icon("key"), "Create key file…")
        self.key_create.setAccessibleName("Create a new key file")
        self.key_create.clicked.connect(self.create_key_file)
        self.key_status = QLabel()
        self.key_status.setWordWrap(True)
        key_box = QGroupBox("Pseudonymisation key file")
        key_layout = QVBoxLayout(key_box)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_edit, 1)
        key_row.addWidget(self.key_browse)
        key_row.addWidget(self.key_create)
        key_layout.addLayout(key_row)
        key_layout.addWidget(self.key_status)
        note = QLabel(
            "The key never goes into the database: only where the file is, on this computer. "
            "Keep it safe: without it, new imports cannot be matched to earlier pseudonyms."
        )
        note.setWordWrap(True)
        key_layout.addWidget(note)

        # one learner
        self.learner_edit = QLineEdit()
        self.learner_edit.setPlaceholderText("Label, e-mail address or account name")
        self.learner_edit.setAccessibleName("Learner to export or erase")
        self.export_learner_button = QPushButton("&Export their data…")
        self.export_learner_button.setToolTip(
            "Everything the database holds on this learner, as a JSON file (subject access)"
        )
        self.export_learner_button.clicked.connect(self.export_learner)
        self.erase_button = QPushButton("E&rase…")
        self.erase_button.setToolTip(
            "Delete this learner from this database; asks you to type the label to confirm"
        )
        self.erase_button.setAccessibleName("Erase the learner")
        self.erase_button.clicked.connect(self.erase_learner)
        self.learner_result = QLabel()
        self.learner_result.setWordWrap(True)
        self.learner_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        learner_box = QGroupBox("One learner")
        learner_layout = QVBoxLayout(learner_box)
        learner_row = QHBoxLayout()
        learner_caption = QLabel("&Learner:")
        learner_caption.setBuddy(self.learner_edit)
        learner_row.addWidget(learner_caption)
        learner_row.addWidget(self.learner_edit, 1)
        learner_buttons = QHBoxLayout()
        learner_buttons.addWidget(self.export_learner_button)
        learner_buttons.addWidget(self.erase_button)
        learner_buttons.addStretch(1)
        learner_layout.addLayout(learner_row)
        learner_layout.addLayout(learner_buttons)
        learner_layout.addWidget(self.learner_result)

        self.records = RecordsBox(self)

        forms = QWidget()
        forms_layout = QVBoxLayout(forms)
        forms_layout.setContentsMargins(0, 0, 6, 0)
        for w in (cells, key_box, learner_box, self.records):
            forms_layout.addWidget(w)
        forms_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(forms)
        self.about = QTextBrowser()
        self.about.setAccessibleName("What this app stores and why")
        self.about.setOpenExternalLinks(False)
        self.about.setHtml(what_we_store_html())
        row = QHBoxLayout()
        row.addWidget(scroll, 11)
        row.addWidget(self.about, 9)
        self.body.addLayout(row, 1)

    # -- SettingsSection: threshold (database) and key file location (QSettings) ------------------
    def load_job(self) -> Any:
        return jobs.load_threshold

    def _loaded(self, stored: Any) -> None:
        super()._loaded((int(stored), remembered_key_file()) if not isinstance(stored, tuple) else stored)

    def save_job(self) -> tuple[Any, tuple[Any, ...]]:
        return jobs.save_threshold, (self.threshold.value(),)

    def _saved(self, stored: Any) -> None:
        key = self.key_edit.text().strip()
        qsettings.set_value(KEY_FILE_SETTING, key)
        super()._saved((int(stored), key) if not isinstance(stored, tuple) else stored)

    def show_value(self, stored: tuple[int, str]) -> None:
        threshold, key = stored
        self.threshold.blockSignals(True)
        self.threshold.setValue(int(threshold))
        self.threshold.blockSignals(False)
        self.key_edit.blockSignals(True)
        self.key_edit.setText(key)
        self.key_edit.blockSignals(False)
        self._update_threshold_hint()
        self._update_key_status()

    def value(self) -> tuple[int, str]:
        return self.threshold.value(), self.key_edit.text().strip()

    def problems(self) -> list[str]:
        return [] if self._update_key_status() else [self.key_status.text()]

    def saved_message(self, stored: tuple[int, str]) -> str:
        key = f" Key file: {stored[1]}." if stored[1] else ""
        return f"Saved: groups smaller than {stored[0]} are shown as \u201c<{stored[0]}\u201d.{key}"

    # -- widgets ---------------------------------------------------------------------------------
    def _threshold_changed(self) -> None:
        self._update_threshold_hint()
        self.changed()

    def _update_threshold_hint(self) -> None:
        n = self.threshold.value()
        self.threshold_hint.setText(
            f"Counts of 1 to {n - 1} people show as \u201c<{n}\u201d in charts, tables, the fairness report and "
            "exports, and rates of such groups are hidden. Zero is shown: it reveals no one."
            if n > 1
            else "A threshold of 1 hides nothing: every count is shown."
        )

    def _update_key_status(self) -> bool:
        """Check the key file named in the field; True when it is empty or a valid key."""
        path = self.key_edit.text().strip()
        if not path:
            self.key_status.setText("No key file: imports keep learners' identifiers as they come.")
            self.key_status.setStyleSheet("")
            return True
        try:
            text = jobs.check_key_file(path)
        except (ValueError, OSError) as exc:
            self.key_status.setText(str(exc)[:1].upper() + str(exc)[1:])
            self.key_status.setStyleSheet("color: #b00020;")
            return False
        self.key_status.setText(text)
        self.key_status.setStyleSheet("color: #1b5e20;")
        return True

    def choose_key_file(self) -> None:
        """Pick an existing key file (Save remembers it)."""
        path = files.ask_open_file(self, "Choose the pseudonymisation key file", KEY_FILTER)
        if path is not None:
            self.key_edit.setText(str(path))

    def create_key_file(self) -> Task | None:
        """Ask where, then write a new random key there (never over an existing file)."""
        path = files.ask_save_file(self, "Create a key file", "learnalytics.key", KEY_FILTER)
        if path is None:
            return None
        return (
            self.runner.submit(jobs.create_key_file, path)
            .in_pool()
            .on_success(self._key_created)
            .on_failure(lambda exc: self.set_message(str(exc), error=True))
        )

    def _key_created(self, path: Path) -> None:
        self.key_edit.setText(str(path))
        self.set_message(
            f"New key written to {path}. Save to remember it here; keep a copy somewhere safe.", ok=True
        )

    # -- one learner -----------------------------------------------------------------------------
    def _find(self, then: Any) -> Task | None:
        if self.db_path is None:
            return None
        self.learner_result.setText("Looking up the learner…")
        self.learner_result.setStyleSheet("")
        return (
            self.runner.submit(
                db_job(jobs.find_learner),
                self.db_path,
                self.learner_edit.text(),
                key_file=self.key_edit.text().strip() or None,  # a pseudonymised learner by e-mail or id
            )
            .keyed("settings.privacy.find")
            .on_success(then)
            .on_failure(self._learner_failed)
        )

    def _learner_failed(self, exc: BaseException) -> None:
        if isinstance(exc, ValueError | LookupError | OSError):
            self.learner_result.setText(str(exc))
            self.learner_result.setStyleSheet("color: #b00020;")
        else:
            self.learner_result.setText("")
            show_error(self, exc, "The learner's data could not be handled")

    def _learner_done(self, text: str) -> None:
        self.learner_result.setText(text)
        self.learner_result.setStyleSheet("color: #1b5e20;")

    def export_learner(self) -> Task | None:
        """Find the learner, ask for a file, write their data (subject access) on the worker."""
        return self._find(self._export_found)

    def _export_found(self, summary: jobs.LearnerSummary) -> Task | None:
        self.learner_result.setText(f"Found {summary.label}.")
        path = files.ask_save_file(self, "Export one learner's data", "subject-access.json", JSON_FILTER)
        if path is None:
            self.learner_result.setText("")
            return None
        self.task = (
            self.runner.submit(db_job(jobs.export_learner), self.db_path, summary.actor_id, path)
            .with_progress("Exporting the learner's data…")
            .on_success(
                lambda p: self._learner_done(f"Everything stored on {summary.label} was written to {p}.")
            )
            .on_failure(self._learner_failed)
        )
        return self.task

    def erase_learner(self) -> Task | None:
        """Find the learner, confirm by typing the label, erase on the worker."""
        return self._find(self._erase_found)

    def _erase_found(self, summary: jobs.LearnerSummary) -> Task | None:
        self.learner_result.setText("")
        if not EraseDialog.ask(self, summary):
            self.learner_result.setText("Nothing was erased.")
            return None
        self.task = (
            self.runner.submit(db_job(jobs.erase_learner), self.db_path, summary.actor_id)
            .keyed("settings.privacy.erase")
            .with_progress("Erasing the learner…", modal=True)
            .on_success(lambda rows: self._erased(summary, rows))
            .on_failure(self._learner_failed)
        )
        return self.task

    def _erased(self, summary: jobs.LearnerSummary, rows: dict[str, int]) -> None:
        total = sum(rows.values())
        self.learner_edit.clear()
        self._learner_done(
            f"Erased: {total:,} rows in {len(rows)} tables. The database was rebuilt, so no trace remains in "
            f"the database file. Not reached: {plural(len(summary.outside), 'file')} outside it that the database "
            "records (backups, exports, imported files); delete or correct them separately."
        )
        self.page.shell.notify_data_changed()
