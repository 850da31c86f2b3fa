"""Import an offering's assessment calendar (assignments, quizzes, exams with due dates).

The same pattern as the gradebook dialog: choose the CSV file and the offering, see the first
rows as the core reads them (``core.tabular``), map the columns (pre-filled from the header
names; OULAD's ``assessments.csv`` is recognised), give the activity IRI pattern when the file
has plain ids, and only the rows of one offering when the file holds several; then Import on
the database worker. The core (``core.outcomes.assessments``) checks every row and writes in
one transaction: a bad row imports nothing and the message names the lines.

    report = CalendarDialog.ask(parent, shell)   # None when nothing was imported
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from learnalytics_desktop.core.outcomes.assessments import ROLES, guess_columns, import_calendar_file
from learnalytics_desktop.core.outcomes.files import read_preview
from learnalytics_desktop.core.store.db import DatabaseError
from learnalytics_desktop.gui.dialogs import files
from learnalytics_desktop.gui.dialogs.outcomes_preview import PreviewTable
from learnalytics_desktop.gui.icons import icon
from learnalytics_desktop.gui.widgets.context_bar import course_label
from learnalytics_desktop.gui.widgets.screen_fit import fit_to_screen
from learnalytics_desktop.gui.workers import db_job

NOT_USED = "(not used)"
ERROR_STYLE = "QLabel { color: #b00020; }"
USER_ERRORS = (ValueError, OSError, LookupError, DatabaseError)
HINT = (
    "Due dates as YYYY-MM-DD (due at the end of that day), a date-time, or a number of days from "
    "the offering's start (as OULAD exports them). Kinds: assignment (TMA, essay, project...), quiz "
    "(CMA, test), exam. Replaces this offering's calendar imported before."
)


class CalendarDialog(QDialog):
    """See the module docstring. ``result`` holds the last ``CalendarReport`` imported."""

    def __init__(self, shell: Any, parent: QWidget | None = None, *, path: str | Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import an assessment calendar")
        self.setObjectName("calendarDialog")
        self.shell, self.runner, self.ctx = shell, shell.runner, shell.context
        self.preview: Any = None
        self.result: Any = None
        self.task: Any = None
        self.file_edit = QLineEdit()
        self.file_edit.setAccessibleName("CSV file")
        self.file_edit.editingFinished.connect(lambda: self.load_file(self.file_edit.text().strip()))
        choose = QPushButton(icon("file"), "&Choose…")
        choose.clicked.connect(self.choose_file)
        file_row = QHBoxLayout()
        file_row.addWidget(self.file_edit, 1)
        file_row.addWidget(choose)
        self.course_combo = QComboBox()
        self.course_combo.setAccessibleName("Course offering")
        for c in self.ctx.courses:
            self.course_combo.addItem(course_label(c), c.id)
        self.course_combo.setCurrentIndex(max(0, self.course_combo.findData(self.ctx.course_id)))
        form = QFormLayout()
        form.addRow("File:", file_row)
        form.addRow("&Offering:", self.course_combo)
        self.combos: dict[str, QComboBox] = {}
        for role, caption in ROLES:
            combo = QComboBox()
            combo.setAccessibleName(f"{caption} column")
            combo.currentIndexChanged.connect(self._refresh_preview)
            self.combos[role] = combo
            form.addRow(f"{caption}:", combo)
        self.iri_edit = QLineEdit()
        self.iri_edit.setPlaceholderText(
            "https://lms.example.edu/assignment/{id}  (when the ids are not IRIs)"
        )
        self.iri_edit.setAccessibleName("Activity IRI pattern")
        form.addRow("Activity &IRI pattern:", self.iri_edit)
        self.where_edit = QLineEdit()
        self.where_edit.setPlaceholderText(
            "code_module=AAA, code_presentation=2014J  (a file of several offerings)"
        )
        self.where_edit.setAccessibleName("Only the rows where")
        form.addRow("Only rows &where:", self.where_edit)
        hint = QLabel(HINT)
        hint.setWordWrap(True)
        self.read_label = QLabel()
        self.preview_table = PreviewTable()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.import_button = self.buttons.addButton("&Import", QDialogButtonBox.ButtonRole.ApplyRole)
        self.import_button.clicked.connect(self.start_import)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(self.read_label)
        layout.addWidget(self.preview_table, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        fit_to_screen(self, 820, 720)
        if path:
            self.load_file(path)

    def say(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(ERROR_STYLE if error else "")

    def choose_file(self) -> None:
        chosen = files.ask_open_file(
            self, "Assessment calendar", "CSV files (*.csv *.txt *.tsv);;All files (*)"
        )
        if chosen:
            self.load_file(chosen)

    def load_file(self, path: str | Path) -> Any:
        """Read ``path`` on a worker with the core's reader and show the first rows."""
        if not str(path).strip():
            return None
        self.file_edit.setText(str(path))
        self.read_label.setText(f"Reading {Path(path).name}…")
        return (
            self.runner.submit(read_preview, Path(path))
            .keyed("calendar.preview")
            .in_pool()
            .on_success(self._show_preview)
            .on_failure(lambda exc: self._failed(exc, "The file could not be read: "))
        )

    def _show_preview(self, preview: Any) -> None:
        self.preview = preview
        self.read_label.setText(escape(preview.describe()))
        guesses = guess_columns(preview.header)
        for role, combo in self.combos.items():
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(NOT_USED, "")
            for h in preview.header:
                combo.addItem(h, h)
            combo.setCurrentIndex(max(0, combo.findData(guesses.get(role, ""))))
            combo.blockSignals(False)
        self._refresh_preview()
        self.say("Check the columns, then Import.")

    def _refresh_preview(self, *_: Any) -> None:
        if self.preview is not None:
            self.preview_table.show_preview(self.preview, self.mapping(), [], dict(ROLES))

    def mapping(self) -> dict[str, str]:
        """role -> column ("" = not used)."""
        return {role: combo.currentData() or "" for role, combo in self.combos.items()}

    def where(self) -> dict[str, str]:
        out = {}
        for part in self.where_edit.text().split(","):
            name, sep, value = part.partition("=")
            if sep and name.strip():
                out[name.strip()] = value.strip()
        return out

    def problems(self) -> list[str]:
        out = []
        if self.preview is None:
            out.append("Choose the CSV file first.")
        elif not self.mapping().get("id"):
            out.append("Choose the column with the assessment id or activity IRI.")
        pattern = self.iri_edit.text().strip()
        if pattern and "{id}" not in pattern:
            out.append("The activity IRI pattern must contain {id}.")
        if self.where_edit.text().strip() and not self.where():
            out.append("Give the rows to keep as COLUMN=VALUE, separated by commas.")
        return out

    def start_import(self) -> Any:
        """Import on the database worker (or say what is missing)."""
        problems = self.problems()
        if problems:
            self.say(" ".join(problems), error=True)
            return None
        self.say(f"Importing {self.preview.path.name}…")
        self.task = (
            self.runner.submit(
                db_job(import_calendar_file),
                self.ctx.db_path,
                self.course_combo.currentData(),
                self.preview.path,
                self.mapping(),
                self.iri_edit.text().strip() or None,
                self.where(),
            )
            .keyed("calendar.import")
            .with_progress("Importing the assessment calendar…")
            .on_success(self._imported)
            .on_failure(lambda exc: self._failed(exc, "Nothing was imported: "))
        )
        return self.task

    def _imported(self, result: Any) -> None:
        report, items = result
        self.result = report
        lines = [escape(report.summary()).replace("\n", "<br>")]
        for it in items[:12]:
            lines.append(f"{escape(it['kind'])}: {escape(it['title'])}, due {escape(it['due'] or 'no date')}")
        self.say("<br>".join(lines))
        self.shell.notify_data_changed()
        self.shell.show_status(f"Assessment calendar imported: {report.items} items.", 10000)

    def _failed(self, exc: BaseException, prefix: str) -> None:
        if not isinstance(exc, USER_ERRORS):
            raise exc
        self.say(prefix + str(exc), error=True)

    @classmethod
    def ask(cls, parent: QWidget | None, shell: Any, *, path: str | Path | None = None) -> Any:
        """Show the dialog; the last ``CalendarReport`` imported, or None."""
        dialog = cls(shell, parent, path=path)
        try:
            dialog.exec()
            return dialog.result
        finally:
            dialog.deleteLater()


__all__ = ["CalendarDialog"]
