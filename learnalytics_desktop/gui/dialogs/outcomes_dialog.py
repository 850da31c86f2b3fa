"""Import a gradebook (final grades, results) or a class list into a course offering.

The user chooses the CSV file and the offering (the current course by default), sees the
first rows as the core reads them (encoding and delimiter detected by
``core.tabular.read_csv``, on a worker), maps columns to roles (pre-filled from the
header names, with the core's own guesses), may mark other columns as attributes
(demographics for the fairness report), then imports on the database worker. The core's
``MatchReport`` is shown (matched, unmatched rows with line numbers, learners with no row,
ambiguous) and can be exported as CSV. Errors of the core (a missing column, an unreadable
file, a bad value) are shown in the dialog; the core writes in one transaction, so a failed
import leaves nothing half-written.

    report = OutcomesDialog.ask(parent, shell, kind="roster")   # None when nothing was imported
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from learnalytics_desktop.core.learners import is_pseudonymised
from learnalytics_desktop.core.outcomes.files import (
    ROLES,
    CsvPreview,
    export_match_report,
    import_file,
    read_preview,
)
from learnalytics_desktop.core.store.db import DatabaseError
from learnalytics_desktop.gui.dialogs import files
from learnalytics_desktop.gui.dialogs.error_dialog import ErrorDialog
from learnalytics_desktop.gui.dialogs.outcomes_mapping import ColumnMapping, KeyFileRow
from learnalytics_desktop.gui.dialogs.outcomes_preview import PreviewTable
from learnalytics_desktop.gui.dialogs.outcomes_report_view import ReportPage
from learnalytics_desktop.gui.icons import icon
from learnalytics_desktop.gui.widgets.context_bar import course_label
from learnalytics_desktop.gui.widgets.screen_fit import fit_to_screen
from learnalytics_desktop.gui.workers import db_job

ERROR_STYLE = "QLabel { color: #b00020; }"
HINT_STYLE = "color: palette(placeholder-text);"
KIND_TEXT = {
    "outcomes": (
        "&Gradebook (final grades and results)",
        "Replaces the grades imported before for this offering. Students are matched to the learners "
        "in the statements by id or e-mail.",
    ),
    "roster": (
        "C&lass list (who is enrolled)",
        "Replaces this offering's earlier class list. Students on the list who have no statements yet "
        "are added, so that they show in every table.",
    ),
}
USER_ERRORS = (ValueError, OSError, LookupError, DatabaseError)  # messages written for people


class OutcomesDialog(QDialog):
    """See the module docstring. ``result`` holds the last successful ``MatchReport``."""

    def __init__(
        self,
        shell: Any,
        parent: QWidget | None = None,
        *,
        kind: str = "outcomes",
        path: str | Path | None = None,
        key_file: str | Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import a gradebook or class list")
        self.setObjectName("outcomesDialog")
        self.shell = shell
        self.runner = shell.runner
        self.ctx = shell.context
        self.preview: CsvPreview | None = None
        self.result: Any = None
        self.pseudonymised = False
        self.preview_task: Any = None
        self.import_task: Any = None
        self.export_task: Any = None

        # what and where
        self.kind_buttons = QButtonGroup(self)
        kind_row = QHBoxLayout()
        for i, k in enumerate(ROLES):
            button = QRadioButton(KIND_TEXT[k][0])
            button.setProperty("kind", k)
            self.kind_buttons.addButton(button, i)
            kind_row.addWidget(button)
        kind_row.addStretch(1)
        self.kind_hint = QLabel()
        self.kind_hint.setWordWrap(True)
        self.kind_hint.setStyleSheet(HINT_STYLE)
        self.file_edit = QLineEdit()
        self.file_edit.setPlaceholderText("The CSV file exported from the gradebook or student system")
        self.file_edit.setAccessibleName("CSV file")
        self.file_edit.editingFinished.connect(lambda: self.load_file(self.file_edit.text().strip()))
        self.file_button = QPushButton(icon("file"), "&Choose…")
        self.file_button.setAccessibleName("Choose the CSV file")
        self.file_button.clicked.connect(self.choose_file)
        file_row = QHBoxLayout()
        file_row.addWidget(self.file_edit, 1)
        file_row.addWidget(self.file_button)
        self.course_combo = QComboBox()
        self.course_combo.setAccessibleName("Course offering")
        for c in self.ctx.courses:
            self.course_combo.addItem(course_label(c), c.id)
        current = self.course_combo.findData(self.ctx.course_id)
        self.course_combo.setCurrentIndex(max(0, current))
        kind_box = QVBoxLayout()
        kind_box.setSpacing(2)
        kind_box.addLayout(kind_row)
        kind_box.addWidget(self.kind_hint)
        file_caption = QLabel("&File:")
        file_caption.setBuddy(self.file_edit)
        top = QFormLayout()
        top.addRow("Kind of file:", kind_box)
        top.addRow(file_caption, file_row)
        top.addRow("C&ourse offering:", self.course_combo)

        # preview
        self.read_label = QLabel("Choose a CSV file to see its first rows.")
        self.read_label.setWordWrap(True)
        self.read_label.setAccessibleName("How the file was read")
        self.preview_table = PreviewTable()
        preview_box = QGroupBox("Preview (as the import will read it)")
        pv = QVBoxLayout(preview_box)
        pv.addWidget(self.read_label)
        pv.addWidget(self.preview_table, 1)

        # mapping
        self.columns = ColumnMapping()
        self.columns.changed.connect(self._mapping_changed)
        self.role_combos = self.columns.role_combos
        self.attribute_list = self.columns.attribute_list
        self.key_widget = KeyFileRow(None if key_file is None else str(key_file))
        self.key_edit = self.key_widget.edit
        self.key_widget.setVisible(False)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Message")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.import_button = QPushButton(icon("import"), "&Import")
        self.import_button.setDefault(True)
        self.import_button.clicked.connect(self.start_import)
        close_button = QPushButton("Close")
        close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.import_button, 0, Qt.AlignmentFlag.AlignBottom)
        buttons.addWidget(close_button, 0, Qt.AlignmentFlag.AlignBottom)

        setup = QWidget()
        sv = QVBoxLayout(setup)
        sv.setContentsMargins(0, 0, 0, 0)
        sv.addLayout(top)
        sv.addWidget(preview_box, 1)
        sv.addWidget(self.columns)
        sv.addWidget(self.key_widget)
        sv.addLayout(buttons)

        # report
        report_page = ReportPage()
        self.report_view = report_page.view
        self.export_button = report_page.export_button
        report_page.export_requested.connect(self.export)
        report_page.again_requested.connect(self.show_setup)
        report_page.close_requested.connect(self.accept)

        self.stack = QStackedWidget()
        self.stack.addWidget(setup)
        self.stack.addWidget(report_page)
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack)

        self.kind_buttons.idToggled.connect(lambda _i, on: self._kind_changed() if on else None)
        self.kind_buttons.button(list(ROLES).index(kind if kind in ROLES else "outcomes")).setChecked(True)
        self._kind_changed()
        fit_to_screen(self, 900, 680)
        if self.ctx.db_path is not None:
            self.runner.submit(db_job(is_pseudonymised), self.ctx.db_path).keyed("outcomes.db").on_success(
                self._guard(self._set_pseudonymised)
            ).on_failure(self._guard(self._show_error))
        if path:
            self.file_edit.setText(str(path))
            self.load_file(path)
        self._update_enabled()

    # -- state ---------------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        """ "outcomes" (gradebook) or "roster" (class list)."""
        button = self.kind_buttons.checkedButton()
        return "outcomes" if button is None else str(button.property("kind"))

    def set_kind(self, kind: str) -> None:
        """Choose the kind of file."""
        self.kind_buttons.button(list(ROLES).index(kind)).setChecked(True)

    @property
    def busy(self) -> bool:
        """True while the preview, the import or an export runs."""
        return any(
            t is not None and not t.done for t in (self.preview_task, self.import_task, self.export_task)
        )

    def mapping(self) -> dict[str, str]:
        """role -> column chosen for the current kind ("" = not used)."""
        return self.columns.mapping()

    def set_mapping(self, **roles: str | None) -> None:
        """Choose columns by role (``grade="Final grade"``; None or "" = not used)."""
        self.columns.set_mapping(**roles)

    def attributes(self) -> list[str]:
        """The columns ticked as attributes."""
        return self.columns.attributes()

    def set_attributes(self, names: list[str]) -> None:
        """Tick exactly the columns ``names`` as attributes."""
        self.columns.set_attributes(names)

    def _guard(self, fn: Any) -> Any:
        """A callback that does nothing once the dialog is gone (a job may end after it closed)."""

        def call(*args: Any) -> Any:
            if shiboken6.isValid(self):
                return fn(*args)
            return None

        return call

    def _update_enabled(self) -> None:
        importing = self.import_task is not None and not self.import_task.done
        for w in (self.file_edit, self.file_button, self.course_combo, self.key_widget):
            w.setEnabled(not importing)
        for b in self.kind_buttons.buttons():
            b.setEnabled(not importing)
        self.import_button.setEnabled(
            not self.busy
            and self.preview is not None
            and self.ctx.db_path is not None
            and self.course_combo.count() > 0
        )
        self.export_button.setEnabled(self.result is not None and not self.busy)

    def say(self, text: str, error: bool = False) -> None:
        """Show ``text`` (plain) under the form; in red when ``error``."""
        self.message.setStyleSheet(ERROR_STYLE if error else "")
        self.message.setText(text)

    # -- choosing ------------------------------------------------------------------------------
    def choose_file(self) -> None:
        """Choose the CSV file in a file dialog, then preview it."""
        chosen = files.ask_open_file(
            self, "Gradebook or class list", "CSV files (*.csv *.txt *.tsv);;All files (*)"
        )
        if chosen:
            self.file_edit.setText(str(chosen))
            self.load_file(chosen, force=True)

    def load_file(self, path: str | Path, *, force: bool = False) -> Any:
        """Read ``path`` on a worker (the core's reader) and show its first rows (not again
        for the file already shown unless ``force``)."""
        if not str(path).strip():
            return None
        if not force and self.preview is not None and Path(path) == self.preview.path:
            return None
        self.preview = None
        if self.file_edit.text().strip() != str(path):
            self.file_edit.setText(str(path))
        self.read_label.setText(f"Reading {Path(path).name}…")
        self.say("")
        self.preview_task = (
            self.runner.submit(read_preview, Path(path))
            .keyed("outcomes.preview")
            .in_pool()
            .on_success(self._guard(self._show_preview))
            .on_failure(self._guard(self._preview_failed))
            .on_finished(self._guard(self._preview_finished))
        )
        self._update_enabled()
        return self.preview_task

    def _preview_finished(self) -> None:
        self.preview_task = None
        self._update_enabled()

    def _preview_failed(self, exc: BaseException) -> None:
        self.preview_table.show_preview(None)
        self.columns.fill([], {})
        self.read_label.setText("The file could not be read.")
        self._show_error(exc)

    def _show_preview(self, preview: CsvPreview) -> None:
        self.preview = preview
        self.read_label.setText(
            escape(preview.describe())
            + "".join(f"<br><span style='color:#8a4b00'>⚠ {escape(w)}</span>" for w in preview.warnings)
        )
        self.columns.fill(preview.header, preview.guesses)
        self.preview_table.show_preview(preview, self.mapping(), self.attributes())
        self.say("Check the columns, then Import.")

    def _kind_changed(self) -> None:
        self.kind_hint.setText(KIND_TEXT[self.kind][1])
        self.columns.set_kind(self.kind)

    def _mapping_changed(self) -> None:
        if self.preview is not None:
            self.preview_table.show_preview(self.preview, self.mapping(), self.attributes())

    def _set_pseudonymised(self, value: bool) -> None:
        self.pseudonymised = bool(value)
        self.key_widget.setVisible(self.pseudonymised or bool(self.key_edit.text().strip()))

    # -- importing -----------------------------------------------------------------------------
    def problems(self) -> list[str]:
        """What stops the import, in plain words (empty when it can start)."""
        out = []
        if self.ctx.db_path is None:
            out.append("Open a database first.")
        if self.course_combo.count() == 0:
            out.append("This database has no course offerings yet: import the xAPI statements first.")
        if self.preview is None:
            out.append("Choose a CSV file that can be read.")
            return out
        out += self.columns.problems()
        key = self.key_edit.text().strip()
        if self.pseudonymised and not key:
            out.append("This database is pseudonymised: choose its key file so that rows can be matched.")
        elif key and not Path(key).is_file():
            out.append(f"The key file {key} does not exist.")
        return out

    def start_import(self) -> Any:
        """Run the import on the database worker (or say what is missing)."""
        problems = self.problems()
        if problems:
            self.say(" ".join(problems), error=True)
            return None
        assert self.preview is not None
        key = self.key_edit.text().strip() or None
        self.say(f"Importing {self.preview.path.name}…")
        task = self.runner.submit(
            db_job(import_file),
            self.ctx.db_path,
            self.kind,
            self.course_combo.currentData(),
            self.preview.path,
            self.mapping(),
            self.attributes(),
            key_file=key,
        )
        self.import_task = (
            task.keyed("outcomes.import")
            .with_progress(
                "Importing the gradebook…" if self.kind == "outcomes" else "Importing the class list…"
            )
            .on_success(self._guard(self._imported))
            .on_failure(self._guard(lambda exc: self._show_error(exc, task, " Nothing was imported.")))
            .on_finished(self._guard(self._update_enabled))
        )
        self._update_enabled()
        return self.import_task

    def _imported(self, result: Any) -> None:
        self.result = result
        self.report_view.show_report(result)
        self.stack.setCurrentIndex(1)
        self.shell.notify_data_changed()
        what = "Gradebook" if result.kind == "outcomes" else "Class list"
        self.shell.show_status(
            f"{what} imported into {result.course}: {result.matched + result.created:,} rows "
            f"stored, {len(result.unmatched) + len(result.ambiguous):,} not matched.",
            10000,
        )

    def _show_error(self, exc: BaseException, task: Any = None, suffix: str = "") -> None:
        if not isinstance(exc, USER_ERRORS):  # a programming error: the full error dialog
            if task is not None:
                self.runner.failure_handler(task, exc)
            else:
                ErrorDialog.report(self, exc, title="Reading the file failed")
            self.say("Something went wrong: see the error message.", error=True)
            return
        text = str(exc).strip() or type(exc).__name__
        if suffix and "nothing" not in text.lower():
            text += suffix
        self.say(text, error=True)

    def show_setup(self) -> None:
        """Back to the file and columns (to import another file)."""
        self.stack.setCurrentIndex(0)
        self.say("")
        self._update_enabled()

    def export(self) -> Any:
        """Save the match report as CSV (chosen in a file dialog)."""
        if self.result is None or self.ctx.db_path is None:
            return None
        stem = Path(str(self.result.file)).stem
        target = files.ask_save_file(self, "Export the match report", f"{stem}-match-report.csv")
        if target is None:
            return None
        self.export_task = (
            self.runner.submit(db_job(export_match_report), self.ctx.db_path, self.result, target)
            .with_progress("Exporting the match report…")
            .on_success(
                lambda n: self.shell.show_status(f"Match report written to {target} ({n} rows).", 8000)
            )
            .on_finished(self._guard(self._update_enabled))
        )
        self._update_enabled()
        return self.export_task

    # -- closing -------------------------------------------------------------------------------
    def done(self, code: int) -> None:
        if self.import_task is not None and not self.import_task.done:
            self.say("The import is running: wait a moment for it to finish.")
            return
        if self.preview_task is not None and not self.preview_task.done:
            self.preview_task.cancel()
        super().done(code)

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        shell: Any,
        *,
        kind: str = "outcomes",
        path: str | Path | None = None,
        key_file: str | Path | None = None,
    ) -> Any:
        """Show the dialog; the last ``MatchReport`` imported, or None when nothing was."""
        dialog = cls(shell, parent, kind=kind, path=path, key_file=key_file)
        try:
            dialog.exec()
            return dialog.result
        finally:
            dialog.deleteLater()


__all__ = ["OutcomesDialog"]
