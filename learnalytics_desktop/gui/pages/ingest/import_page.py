"""The Import page: choose or drop files and folders, import them on the worker with
progress (statements/s) and Cancel, then read the report; the quarantine lists every reject.

Sources: xAPI, IMS Caliper 1.2, Open edX tracking logs and the other formats of
``core.ingest.formats``.  Each file's format is found from its content unless the format box
names one; the report says what each file was read as and why records were skipped.

The import itself is ``core.ingest.importer.import_paths`` run through
:func:`learnalytics_desktop.gui.pages.ingest.jobs.run_import` in a child process (supervised
from the database thread; ``TaskRunner`` ``.in_process()``): the window never freezes, and a
cancelled import can be run again to complete it.

The options start from what Settings saved: the key-file field from the location
remembered on this computer (QSettings ``privacy/keyFile``, ``qsettings.remembered_key_file``), the
course-fallback field from the open database's ``course_fallback`` setting (read on the
worker). Both are filled again whenever the page is shown or the database changes, but
never over something the user typed here (only an empty field, or one still holding the
previous pre-filled value, is replaced). Pseudonymisation itself stays off until ticked.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from learnalytics_desktop.core.ingest.formats import FORMATS
from learnalytics_desktop.gui import qsettings
from learnalytics_desktop.gui.dialogs import files
from learnalytics_desktop.gui.icons import icon
from learnalytics_desktop.gui.pages.base import Page, Shell
from learnalytics_desktop.gui.pages.ingest import jobs as import_jobs
from learnalytics_desktop.gui.pages.ingest.outcomes_box import OutcomesBox
from learnalytics_desktop.gui.pages.ingest.quarantine import QuarantineView
from learnalytics_desktop.gui.pages.ingest.report import ImportReportView, describe
from learnalytics_desktop.gui.pages.ingest.sources import (
    SourceList,
    load_course_fallback,
    local_paths,
    looks_like_iri,
)
from learnalytics_desktop.gui.workers import Task, db_job

STEPS = 1000


class ImportPage(Page):
    """See the module docstring. ``importer`` can be replaced (tests inject a fake one)."""

    importer: Callable[..., Any] = staticmethod(import_jobs.core_import)

    def __init__(self, shell: Shell, parent: QWidget | None = None) -> None:
        super().__init__(shell, parent)
        self.setObjectName("importPage")
        self.setAcceptDrops(True)
        self.task: Task | None = None
        self.last_outcome: import_jobs.ImportOutcome | None = None
        self._prefilled = {"key": "", "fallback": ""}  # what was last put in the fields for the user

        title = QLabel("<h2>Import learning records</h2>")
        self.db_hint = QLabel()
        self.db_hint.setWordWrap(True)

        # sources
        self.sources = SourceList()
        self.add_files_button = QPushButton(icon("file"), "Add &files…")
        self.add_folder_button = QPushButton(icon("folder"), "Add f&older…")
        self.remove_button = QPushButton("&Remove")
        self.remove_button.setToolTip("Remove the selected files or folders from the list (Delete)")
        self.clear_button = QPushButton("Clear")
        self.add_files_button.clicked.connect(self.choose_files)
        self.add_folder_button.clicked.connect(self.choose_folder)
        self.remove_button.clicked.connect(self.sources.remove_selected)
        self.clear_button.clicked.connect(self.sources.clear)
        QShortcut(QKeySequence.StandardKey.Delete, self.sources, self.sources.remove_selected)
        buttons = QVBoxLayout()
        for b in (self.add_files_button, self.add_folder_button, self.remove_button, self.clear_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        sources_box = QGroupBox("Files and folders")
        row = QHBoxLayout(sources_box)
        row.addWidget(self.sources, 1)
        row.addLayout(buttons)

        # options
        self.pseudonymize = QCheckBox("&Pseudonymise learners with a key file")
        self.pseudonymize.setToolTip(
            "Store a keyed hash instead of each learner's identifier; names and e-mails are not stored"
        )
        self.key_edit = QLineEdit()
        self.key_edit.setPlaceholderText("Path of the key file")
        self.key_edit.setToolTip(
            "A key file kept outside the database (create one with: learnalytics keygen --key-file F)"
        )
        self.key_edit.setAccessibleName("Pseudonymisation key file")
        self.key_edit.setMinimumWidth(140)
        self.key_button = QPushButton(icon("key"), "Choose…")
        self.key_button.setAccessibleName("Choose the key file")
        self.key_button.clicked.connect(self.choose_key)
        self.fallback_edit = QLineEdit()
        self.fallback_edit.setPlaceholderText("optional")
        self.fallback_edit.setAccessibleName("Course fallback IRI")
        self.fallback_edit.setToolTip(
            "The course IRI (e.g. https://lms.example.edu/course/101) for statements "
            "whose context names no course activity"
        )
        self.format_combo = QComboBox()
        self.format_combo.setAccessibleName("Source format")
        self.format_combo.addItem("Found from each file's content", None)
        for fmt in FORMATS:
            self.format_combo.addItem(fmt.title, fmt.name)
        self.format_combo.setToolTip(
            "Which kind of log the files are. Leave it on 'found from each file's content' "
            "unless a file is read as the wrong kind; the report says what each file was read as."
        )
        self.home_edit = QLineEdit()
        self.home_edit.setPlaceholderText("optional, e.g. https://lms.example.edu")
        self.home_edit.setAccessibleName("Site URL of the learner accounts")
        self.home_edit.setToolTip(
            "The site learner accounts belong to, for logs that name learners by a local id "
            "(Open edX user ids, Moodle user ids)"
        )
        self.start_edit = QLineEdit()
        self.start_edit.setPlaceholderText("optional, YYYY-MM-DD")
        self.start_edit.setAccessibleName("Course start date for day-offset times")
        self.start_edit.setToolTip(
            "For tables whose times count days from the course start (OULAD's studentVle): "
            "the start date, or COURSE=DATE entries separated by commas (AAA-2013J=2013-10-05)"
        )
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_edit, 1)
        key_row.addWidget(self.key_button)
        self.pseudonymize.toggled.connect(self._update_enabled)
        options_box = QGroupBox("Options")
        form = QFormLayout(options_box)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # labels above fields when narrow
        form.addRow(self.pseudonymize)
        form.addRow("Key file:", key_row)
        fallback_caption = QLabel("Course &fallback IRI:")
        fallback_caption.setBuddy(self.fallback_edit)
        form.addRow(fallback_caption, self.fallback_edit)
        format_caption = QLabel("Source f&ormat:")
        format_caption.setBuddy(self.format_combo)
        form.addRow(format_caption, self.format_combo)
        home_caption = QLabel("&Site URL:")
        home_caption.setBuddy(self.home_edit)
        form.addRow(home_caption, self.home_edit)
        start_caption = QLabel("Course s&tart:")
        start_caption.setBuddy(self.start_edit)
        form.addRow(start_caption, self.start_edit)
        note = QLabel("Same key, same pseudonyms: keep the key file safe.")
        note.setToolTip(
            "Without the key, new data cannot be matched to the same learners, and "
            "nobody can tell who a pseudonym is."
        )
        note.setObjectName("hint")
        form.addRow(note)

        # run
        self.start_button = QPushButton(icon("import"), "&Start import")
        self.start_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAccessibleName("Cancel the import")
        self.cancel_button.clicked.connect(self.cancel)
        self.start_button.clicked.connect(self.start)
        self.progress = QProgressBar()
        self.progress.setRange(0, STEPS)
        self.progress.setAccessibleName("Import progress")
        self.rate_label = QLabel("")
        self.rate_label.setAccessibleName("Import speed")
        self.rate_label.setMinimumWidth(260)
        self.progress.setVisible(False)  # shown once an import starts
        for b in (self.start_button, self.cancel_button):
            b.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        run_row = QHBoxLayout()
        run_row.addWidget(self.start_button)
        run_row.addWidget(self.cancel_button)
        run_row.addWidget(self.progress, 1)
        run_row.addWidget(self.rate_label, 1)

        # report and quarantine
        self.report_view = ImportReportView()
        self.report_view.export_requested.connect(self.export_report)
        self.quarantine = QuarantineView(self.runner)
        self.quarantine.export_requested.connect(self.export_quarantine)
        self.quarantine.refresh_requested.connect(self.load_quarantine)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.report_view, "Report")
        self.tabs.addTab(self.quarantine, "Quarantine")
        self.runner.progressed.connect(self._progressed)
        self.tabs.currentChanged.connect(
            lambda i: self.load_quarantine() if self.tabs.widget(i) is self.quarantine else None
        )

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        boxes = QHBoxLayout()
        boxes.addWidget(sources_box, 1)
        boxes.addWidget(options_box, 1)
        top_layout.addLayout(boxes)
        top_layout.addLayout(run_row)
        # gradebook and class list import (a dialog; also on the File menu)
        self.outcomes_box = OutcomesBox(
            shell, lambda: self.key_edit.text().strip() if self.pseudonymize.isChecked() else None
        )
        top_layout.addWidget(self.outcomes_box)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(1, 1)
        qsettings.restore_splitter(self.splitter, "import/main")
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.db_hint)
        layout.addWidget(self.splitter, 1)
        self._update_enabled()

    # -- context -------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Follow the database: enable Start, pre-fill the options, reload the quarantine when shown."""
        self._update_enabled()
        self.load_defaults()
        if self.tabs.currentWidget() is self.quarantine:
            self.load_quarantine()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.load_defaults()

    def load_defaults(self) -> Task | None:
        """Pre-fill the key file (QSettings, now) and the course fallback (the database's
        setting, read on the worker); see the module docstring."""
        self._prefill(self.key_edit, "key", qsettings.remembered_key_file())
        db = self.ctx.db_path
        if db is None:
            return None

        def loaded(fallback: str) -> None:
            if self.ctx.db_path == db:  # still the same database
                self._prefill(self.fallback_edit, "fallback", fallback)

        return (
            self.runner.submit(db_job(load_course_fallback), db).keyed("import.defaults").on_success(loaded)
        )

    def _prefill(self, edit: QLineEdit, name: str, value: str) -> None:
        if self.running or edit.text().strip() not in ("", self._prefilled[name]):
            return  # never change the options of a running import, or what the user typed
        edit.setText(value)
        self._prefilled[name] = value

    @property
    def running(self) -> bool:
        """True while an import started here runs."""
        return self.task is not None and not self.task.done

    def _update_enabled(self) -> None:
        has_db = self.ctx.db_path is not None
        running = self.running
        if has_db:
            self.db_hint.setText(f"Into <b>{self.ctx.db_path.name}</b> ({self.ctx.db_path.parent}).")
        else:
            self.db_hint.setText(
                "<b>No database is open.</b> Create one with File ▸ New database… (Ctrl+N) "
                "or open one with File ▸ Open database… (Ctrl+O) first."
            )
        self.start_button.setEnabled(has_db and not running)
        self.cancel_button.setEnabled(running)
        for w in (
            self.add_files_button,
            self.add_folder_button,
            self.remove_button,
            self.clear_button,
            self.pseudonymize,
            self.fallback_edit,
        ):
            w.setEnabled(not running)
        self.key_edit.setEnabled(self.pseudonymize.isChecked() and not running)
        self.key_button.setEnabled(self.pseudonymize.isChecked() and not running)
        self.quarantine.refresh_button.setEnabled(has_db)

    # -- choosing ------------------------------------------------------------------------------
    def add_paths(self, paths: list[Path]) -> None:
        """Add files or folders to the list (missing ones are reported in the status bar)."""
        missing = self.sources.add_paths(paths)
        if missing:
            self.shell.show_status(f"Not found: {', '.join(str(m) for m in missing)}")

    def choose_files(self) -> None:
        """Add files chosen in a file dialog."""
        chosen = files.ask_import_files(self)
        if chosen:
            self.add_paths(chosen)

    def choose_folder(self) -> None:
        """Add a folder chosen in a dialog."""
        chosen = files.ask_folder(self)
        if chosen:
            self.add_paths([chosen])

    def choose_key(self) -> None:
        """Choose the pseudonymisation key file."""
        chosen = files.ask_open_file(
            self, "Pseudonymisation key file", "Key files (*.key *.txt);;All files (*)"
        )
        if chosen:
            self.key_edit.setText(str(chosen))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if not self.running and event.mimeData().hasUrls() and local_paths(event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = local_paths(event.mimeData().urls())
        if paths and not self.running:
            self.add_paths(paths)
            event.acceptProposedAction()

    # -- running -------------------------------------------------------------------------------
    def problems(self) -> list[str]:
        """What stops the import from starting, in plain words (empty when it can start)."""
        out = []
        if self.ctx.db_path is None:
            out.append("Open or create a database first.")
        if not self.sources.count():
            out.append("Add at least one file or folder.")
        if self.pseudonymize.isChecked():
            key = self.key_edit.text().strip()
            if not key:
                out.append("Choose the key file for pseudonymisation.")
            elif not Path(key).is_file():
                out.append(f"The key file {key} does not exist.")
        home = self.home_edit.text().strip()
        if home and not home.lower().startswith(("http://", "https://")):
            out.append(f"The site URL must start with http:// or https://, not {home!r}.")
        fallback = self.fallback_edit.text().strip()
        if fallback and not looks_like_iri(fallback):
            out.append(
                f"The course fallback must be an IRI such as https://lms.example.edu/course/101, not {fallback!r}."
            )
        return out

    def format_options(self) -> dict[str, object]:
        """The reader options typed on the page (``core.ingest.formats``): the site URL and the
        course start (one date, or ``COURSE=DATE`` entries separated by commas)."""
        out: dict[str, object] = {}
        home = self.home_edit.text().strip()
        if home:
            out["home_page"] = home
        start = self.start_edit.text().strip()
        if "=" in start:
            out["course_start"] = dict(
                (k.strip(), v.strip())
                for k, _, v in (e.partition("=") for e in start.split(","))
                if k.strip()
            )
        elif start:
            out["course_start"] = start
        return out

    def start(self) -> Task | None:
        """Start the import on the worker (shows what is missing instead when it cannot start)."""
        problems = self.problems()
        if problems:
            self.report_view.banner.setText("<b>Cannot start the import.</b> " + " ".join(problems))
            self.tabs.setCurrentWidget(self.report_view)
            return None
        key = Path(self.key_edit.text().strip()) if self.pseudonymize.isChecked() else None
        fallback = self.fallback_edit.text().strip() or None
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)
        self.rate_label.setText("Starting…")
        self.task = (
            self.runner.submit(
                import_jobs.run_import,
                self.ctx.db_path,
                self.sources.paths(),
                key_file=key,
                course_fallback=fallback,
                source_format=self.format_combo.currentData(),
                format_options=self.format_options(),
                importer=type(self).importer,
            )
            .in_process()  # the import pipeline in a thread would hold the interpreter lock: stutters
            .keyed("import")
            .with_progress("Importing…")
            .on_success(self._finished)
            .on_cancelled(self._cancelled)
            .on_finished(self._task_finished)
        )
        self.task.start()
        self._update_enabled()
        return self.task

    def cancel(self) -> None:
        """Ask the running import to stop (what is stored stays stored and consistent)."""
        if self.running and self.task is not None:
            self.task.cancel()
            self.rate_label.setText("Cancelling…")
            self.cancel_button.setEnabled(False)

    def _progressed(self, task: Task, fraction: float, message: str) -> None:
        if task is not self.task:
            return
        self.progress.setRange(0, STEPS)
        self.progress.setValue(round(fraction * STEPS))
        self.rate_label.setText(message or f"{fraction:.0%}")

    def _task_finished(self) -> None:
        if self.task is not None and self.task.state == "error":  # the runner shows the error dialog
            self.progress.setRange(0, STEPS)
            self.progress.setValue(0)
            self.rate_label.setText("Failed: see the error message.")
        self._update_enabled()

    def _finished(self, outcome: import_jobs.ImportOutcome) -> None:
        self.last_outcome = outcome
        self.progress.setRange(0, STEPS)
        self.progress.setValue(STEPS)
        rate = getattr(outcome.report, "statements_per_second", None)
        self.rate_label.setText(
            "Cancelled"
            if getattr(outcome.report, "cancelled", False)
            else ("Done" if rate is None else f"Done: {float(rate):,.0f} statements/s")
        )
        self.report_view.show_outcome(outcome)
        self.tabs.setCurrentWidget(self.report_view)
        self.shell.show_status(describe(outcome), 10000)
        self.shell.notify_data_changed()

    def _cancelled(self) -> None:
        self.progress.setRange(0, STEPS)
        self.rate_label.setText("Cancelled: run the import again to complete it.")
        self.shell.notify_data_changed()

    # -- report and quarantine -----------------------------------------------------------------
    def load_quarantine(self) -> Task | None:
        """(Re)load the quarantine table from the database."""
        if self.ctx.db_path is None:
            return None
        return (
            self.runner.submit(import_jobs.load_quarantine, self.ctx.db_path)
            .keyed("import.quarantine")
            .on_success(self.quarantine.set_frame)
        )

    def export_report(self) -> Task | None:
        """Save the last import report as CSV."""
        if self.last_outcome is None or self.ctx.db_path is None:
            return None
        target = files.ask_save_file(self, "Export the import report", "import-report.csv")
        if target is None:
            return None
        return (
            self.runner.submit(import_jobs.export_report, self.ctx.db_path, self.last_outcome, target)
            .with_progress("Exporting the report…")
            .on_success(lambda n: self.shell.show_status(f"Import report written to {target} ({n} rows)."))
        )

    def export_quarantine(self) -> Task | None:
        """Save the quarantine rows shown as CSV."""
        frame = self.quarantine.shown_frame()
        if frame is None or self.ctx.db_path is None:
            return None
        target = files.ask_save_file(self, "Export the quarantine", "quarantine.csv")
        if target is None:
            return None
        return (
            self.runner.submit(import_jobs.export_quarantine, self.ctx.db_path, frame, target)
            .with_progress("Exporting the quarantine…")
            .on_success(lambda n: self.shell.show_status(f"Quarantine written to {target} ({n} rows)."))
        )

    def save_state(self) -> None:
        """Remember the splitters and the quarantine's columns."""
        qsettings.save_splitter(self.splitter, "import/main")
        self.quarantine.save_state()
