"""Import ▸ Feature table…: use a feature table a cluster computed (``learnalytics lake features``).

Choose the table (CSV or Parquet; its sidecar ``FILE.json`` says what computed it); the dialog
shows what it holds. Then either train a model on it with the offering's gradebook, or score
it with the active model. Both run in a child process (``core.model.feature_file``); the
offering and its students are added to the open database, never any raw event. A table of
several offerings is trained from the command line (``learnalytics train --features FILE
--outcomes IRI=CSV ...``), which the dialog says.

    summary = FeatureTableDialog.ask(parent, shell)   # the last job's summary, or None
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
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

from learnalytics_desktop.core.model.feature_file import describe_file, score_job, train_job
from learnalytics_desktop.gui.dialogs import files
from learnalytics_desktop.gui.icons import icon
from learnalytics_desktop.gui.widgets.screen_fit import fit_to_screen
from learnalytics_desktop.gui.workers import db_job

ERROR_STYLE = "QLabel { color: #b00020; }"
TABLE_FILTER = "Feature tables (*.csv *.parquet);;All files (*)"


def _user_errors() -> tuple[type[BaseException], ...]:
    from learnalytics_desktop.core.model import ModelNotFound, ScoringError, TrainingDataError
    from learnalytics_desktop.core.store.db import DatabaseError

    return (ValueError, OSError, LookupError, DatabaseError, ModelNotFound, ScoringError, TrainingDataError)


class FeatureTableDialog(QDialog):
    """See the module docstring. ``result`` holds the last summary (train or score)."""

    def __init__(self, shell: Any, parent: QWidget | None = None, *, path: str | Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import a feature table")
        self.setObjectName("featureTableDialog")
        self.shell, self.runner, self.ctx = shell, shell.runner, shell.context
        self.info: dict[str, Any] | None = None
        self._loaded: str | None = None
        self.result: Any = None
        self.file_edit = QLineEdit()
        self.file_edit.setAccessibleName("Feature table")
        self.file_edit.editingFinished.connect(lambda: self.load_file(self.file_edit.text().strip()))
        self.outcomes_edit = QLineEdit()
        self.outcomes_edit.setAccessibleName("Gradebook")
        self.outcomes_edit.setPlaceholderText("the offering's final results (CSV), to train")
        form = QFormLayout()
        for caption, edit, chooser in (
            ("&Table:", self.file_edit, self.choose_file),
            ("&Gradebook:", self.outcomes_edit, self.choose_outcomes),
        ):
            label = QLabel(caption)
            label.setBuddy(edit)  # the mnemonic focuses the field (a plain caption would show "&")
            form.addRow(label, self._row(edit, chooser))
        hint = QLabel(
            "A feature table computed elsewhere, e.g. by <i>learnalytics lake features</i> on the "
            "institution's Spark cluster. The offering and its students are added to this database; "
            "no statement is. Train a model on a past offering with its gradebook, or score this "
            "term's table with the active model."
        )
        hint.setWordWrap(True)
        self.about = QLabel("Choose a table.")
        self.about.setWordWrap(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.train_button = self.buttons.addButton("&Train a model", QDialogButtonBox.ButtonRole.ApplyRole)
        self.score_button = self.buttons.addButton("&Score", QDialogButtonBox.ButtonRole.ApplyRole)
        self.train_button.clicked.connect(self.start_training)
        self.score_button.clicked.connect(self.start_scoring)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addLayout(form)
        layout.addWidget(self.about)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        fit_to_screen(self, 680, 360)
        self._enable()
        if path:
            self.load_file(path)

    def _row(self, edit: QLineEdit, chooser: Any) -> QHBoxLayout:
        button = QPushButton(icon("file"), "Choose…")
        button.clicked.connect(chooser)
        row = QHBoxLayout()
        row.addWidget(edit, 1)
        row.addWidget(button)
        return row

    def say(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(ERROR_STYLE if error else "")

    def _enable(self) -> None:
        ok = self.info is not None and self.ctx.db_path is not None
        self.score_button.setEnabled(ok)
        self.train_button.setEnabled(ok and len(self.info["offerings"] if self.info else []) <= 1)

    def choose_file(self) -> None:
        chosen = files.ask_open_file(self, "Feature table", TABLE_FILTER)
        if chosen:
            self.load_file(chosen)

    def choose_outcomes(self) -> None:
        chosen = files.ask_open_file(self, "Gradebook", "CSV files (*.csv *.txt *.tsv);;All files (*)")
        if chosen:
            self.outcomes_edit.setText(str(chosen))

    def load_file(self, path: str | Path) -> Any:
        """Read the table on a worker and say what it holds."""
        if not str(path).strip() or str(path) == self._loaded:  # focus leaving an unchanged field
            return None
        self._loaded = str(path)
        self.file_edit.setText(str(path))
        self.info = None
        self._enable()
        self.about.setText(f"Reading {Path(path).name}…")
        return (
            self.runner.submit(describe_file, Path(path))
            .keyed("features.describe")
            .in_pool()
            .on_success(self._described)
            .on_failure(lambda exc: self._failed(exc, "The table cannot be used: "))
        )

    def _described(self, info: dict[str, Any]) -> None:
        self.info = info
        where = ", ".join(info["offerings"]) or "an offering the file does not name"
        made = (
            f"Computed by {info['engine']} on {info['created_at']} from {', '.join(info['sources'])}"
            if info.get("engine")
            else "No sidecar file: what computed it is unknown"
        )
        week = f", as of the end of week {info['week']}" if info.get("week") is not None else ""
        lines = [f"{info['students']:,} students of {where}{week}.", f"{made}."]
        if len(info["offerings"]) > 1:
            lines.append(
                "Several offerings: train from the command line with one gradebook each "
                "(learnalytics train --features FILE --outcomes IRI=CSV …); Score works here."
            )
        self.about.setText(escape(" ".join(lines)))
        self.say("")
        self._enable()

    def start_training(self) -> Any:
        """Train on the table with the gradebook, in a child process."""
        if self.info is None:
            return None
        outcomes = self.outcomes_edit.text().strip()
        if not outcomes:
            self.say("Choose the gradebook of this offering to train on it.", error=True)
            return None
        self.say("Training…")
        return (
            self.runner.submit(db_job(train_job), self.ctx.db_path, self.file_edit.text().strip(), outcomes)
            .in_process()
            .keyed("features.train")
            .with_progress("Training on the feature table…")
            .on_success(self._trained)
            .on_failure(lambda exc: self._failed(exc, "No model was trained: "))
        )

    def _trained(self, summary: dict[str, Any]) -> None:
        self.result = summary
        auc = summary.get("roc_auc")
        self.say(
            f"Model {summary['model_id']} ({summary['kind']}, week {summary['week']}) trained on "
            f"{summary['trained_on']:,} students"
            + (f", ROC AUC {auc:.2f}" if auc is not None else "")
            + f". Features from {summary['engine']}: the Model page shows its card; make it active there."
        )
        self.shell.notify_data_changed()

    def start_scoring(self) -> Any:
        """Score the table with the active model, in a child process."""
        if self.info is None:
            return None
        self.say("Scoring…")
        return (
            self.runner.submit(db_job(score_job), self.ctx.db_path, self.file_edit.text().strip())
            .in_process()
            .keyed("features.score")
            .with_progress("Scoring the feature table…")
            .on_success(self._scored)
            .on_failure(lambda exc: self._failed(exc, "Nothing was scored: "))
        )

    def _scored(self, summary: dict[str, Any]) -> None:
        self.result = summary
        lines = [
            f"{r['course']}: {r['students']:,} students scored as of {r['as_of'][:10]}, {r['high']} high risk."
            for r in summary["runs"]
        ]
        self.say(escape(" ".join(lines)) + " The Students at risk page shows them.")
        self.shell.notify_data_changed()

    def _failed(self, exc: BaseException, prefix: str) -> None:
        if not isinstance(exc, _user_errors()):
            raise exc
        if prefix.startswith("The table"):
            self._loaded = None  # the same file may be fixed and chosen again
        self.about.setText(self.about.text() if self.info else "")
        self.say(prefix + str(exc), error=True)

    @classmethod
    def ask(cls, parent: QWidget | None, shell: Any, *, path: str | Path | None = None) -> Any:
        """Show the dialog; the last summary, or None."""
        dialog = cls(shell, parent, path=path)
        try:
            dialog.exec()
            return dialog.result
        finally:
            dialog.deleteLater()


__all__ = ["FeatureTableDialog"]
