"""The Import page's "Gradebook and class list" strip: two buttons that open
:class:`~learnalytics_desktop.gui.dialogs.outcomes_dialog.OutcomesDialog` (also on the File menu)
one for the assessment calendar (:class:`~learnalytics_desktop.gui.dialogs.calendar_dialog.CalendarDialog`)
and one for a feature table computed elsewhere
(:class:`~learnalytics_desktop.gui.dialogs.feature_table_dialog.FeatureTableDialog`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QWidget

from learnalytics_desktop.gui.icons import icon


class OutcomesBox(QGroupBox):
    """Buttons for a gradebook and a class list import; enabled while a database is open.
    ``key_file()`` gives the Import page's key file (pre-filled in the dialog), or None."""

    def __init__(
        self, shell: Any, key_file: Callable[[], str | None] = lambda: None, parent: QWidget | None = None
    ) -> None:
        super().__init__("Gradebook and class list", parent)
        self.shell = shell
        self.key_file = key_file
        self.gradebook_button = QPushButton(icon("file"), "Import a &gradebook…")
        self.gradebook_button.setToolTip(
            "Final grades and results (CSV): the outcomes the at-risk model learns from"
        )
        self.roster_button = QPushButton(icon("file"), "Import a class &list…")
        self.roster_button.setToolTip("Who is enrolled (CSV): students with no statements yet are added too")
        self.calendar_button = QPushButton(icon("file"), "Import an assessment &calendar…")
        self.calendar_button.setToolTip("Assignments, quizzes and exams with due dates (CSV)")
        self.gradebook_button.clicked.connect(lambda: self.open_dialog("outcomes"))
        self.roster_button.clicked.connect(lambda: self.open_dialog("roster"))
        self.calendar_button.clicked.connect(self.open_calendar)
        self.features_button = QPushButton(icon("file"), "Import a &feature table…")
        self.features_button.setToolTip(
            "Features a cluster computed (learnalytics lake features): train or score without the raw events"
        )
        self.features_button.clicked.connect(self.open_feature_table)
        hint = QLabel(
            "CSV files from the gradebook or student system, matched to the learners by id or e-mail; "
            "you map the columns."
        )
        hint.setWordWrap(True)
        hint.setObjectName("hint")
        row = QHBoxLayout(self)
        row.addWidget(self.gradebook_button)
        row.addWidget(self.roster_button)
        row.addWidget(self.calendar_button)
        row.addWidget(self.features_button)
        row.addWidget(hint, 1)
        shell.context_changed.connect(self._follow)
        self._follow(shell.context)

    def _follow(self, ctx: Any) -> None:
        on = ctx.db_path is not None
        self.gradebook_button.setEnabled(on)
        self.roster_button.setEnabled(on)
        self.calendar_button.setEnabled(on)
        self.features_button.setEnabled(on)

    def open_dialog(self, kind: str) -> Any:
        """Open the import dialog for a gradebook (``"outcomes"``) or class list (``"roster"``)."""
        from learnalytics_desktop.gui.dialogs.outcomes_dialog import OutcomesDialog

        if self.shell.context.db_path is None:
            return None
        return OutcomesDialog.ask(self.window(), self.shell, kind=kind, key_file=self.key_file() or None)

    def open_calendar(self) -> Any:
        """Open the assessment calendar import dialog."""
        from learnalytics_desktop.gui.dialogs.calendar_dialog import CalendarDialog

        if self.shell.context.db_path is None:
            return None
        return CalendarDialog.ask(self.window(), self.shell)

    def open_feature_table(self) -> Any:
        """Open the feature table dialog (train or score on a cluster's table)."""
        from learnalytics_desktop.gui.dialogs.feature_table_dialog import FeatureTableDialog

        if self.shell.context.db_path is None:
            return None
        return FeatureTableDialog.ask(self.window(), self.shell)


__all__ = ["OutcomesBox"]
