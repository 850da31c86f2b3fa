"""Small dialogs of the Interventions page, each with an ``ask`` classmethod tests can replace.

* :class:`FillDialog`: text for the placeholders left in drafts (``{advisor}``, ``{first_name}``).
* :class:`ImportDialog`: the match report of an import of interventions done outside the app
  (a dry run), with Import or Cancel; rows with problems are listed with their CSV row.
"""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from learnalytics_desktop.core.interventions import PLACEHOLDERS
from learnalytics_desktop.core.interventions.summaries import import_summary
from learnalytics_desktop.gui.widgets.screen_fit import fit_to_screen


class FillDialog(QDialog):
    """One line of text per placeholder; empty lines are left as they are."""

    def __init__(self, names: list[str], drafts: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Fill in placeholders")
        intro = QLabel(
            f"The text you type replaces the placeholder in {drafts} selected draft"
            f"{'s' if drafts != 1 else ''}. Leave a line empty to keep the placeholder."
        )
        intro.setWordWrap(True)
        form = QFormLayout()
        self.fields: dict[str, QLineEdit] = {}
        for name in names:
            edit = QLineEdit()
            edit.setToolTip(PLACEHOLDERS.get(name, ""))
            edit.setAccessibleName("{" + name + "}")
            form.addRow("{" + name + "}", edit)
            self.fields[name] = edit
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def values(self) -> dict[str, str]:
        """Placeholder -> text, for the lines that were filled."""
        return {n: e.text().strip() for n, e in self.fields.items() if e.text().strip()}

    @classmethod
    def ask(cls, parent: QWidget | None, names: list[str], drafts: int) -> dict[str, str] | None:
        """The values typed (possibly empty), or None when cancelled."""
        dialog = cls(names, drafts, parent)
        try:
            return dialog.values() if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            dialog.deleteLater()


class ImportDialog(QDialog):
    """The dry-run report of an import; Import writes (the good rows, if asked)."""

    def __init__(self, report: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import interventions done outside the app")
        self.report = report
        head = QLabel(f"<b>{escape(str(report.path))}</b><br>{escape(import_summary(report))}")
        head.setWordWrap(True)
        self.problems = QTableWidget(len(report.errors), 3)
        self.problems.setHorizontalHeaderLabels(["CSV row", "Student", "Problem"])
        self.problems.verticalHeader().setVisible(False)
        self.problems.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.problems.setAccessibleName("Rows with problems")
        for i, e in enumerate(report.errors):
            for j, key in enumerate(("row", "student", "problem")):
                self.problems.setItem(i, j, QTableWidgetItem(str(e.get(key, ""))))
        warnings = QLabel(
            "<br>".join(escape(w) for w in report.warnings[:20])
            + (f"<br>… and {len(report.warnings) - 20} more" if len(report.warnings) > 20 else "")
        )
        warnings.setWordWrap(True)
        warnings.setStyleSheet("color: #8a4b00;")
        self.skip_bad = QCheckBox("Import the good rows and leave out the rows with problems")
        self.skip_bad.setVisible(bool(report.errors))
        good = sum(report.groups.values())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = buttons.addButton(
            f"Import {good} row{'s' if good != 1 else ''}", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.import_button.setEnabled(good > 0 and not report.errors)
        self.skip_bad.toggled.connect(
            lambda on: self.import_button.setEnabled(good > 0 and (on or not report.errors))
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(head)
        if report.errors:
            layout.addWidget(
                QLabel(
                    "Rows with problems (nothing is imported while they remain, unless you leave them out):"
                )
            )
            layout.addWidget(self.problems, 1)
        else:
            self.problems.hide()
        if report.warnings:
            layout.addWidget(warnings)
        layout.addWidget(self.skip_bad)
        layout.addWidget(buttons)
        fit_to_screen(self, 640, 420 if report.errors else 220)

    @classmethod
    def ask(cls, parent: QWidget | None, report: Any) -> bool | None:
        """None when cancelled, else whether to skip the bad rows."""
        dialog = cls(report, parent)
        try:
            return dialog.skip_bad.isChecked() if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            dialog.deleteLater()


__all__ = ["FillDialog", "ImportDialog"]
