"""The Model page's training form: past offerings, week k, model kind; progress and Cancel.

Only offerings with final outcomes can teach a model (the at-risk label comes from them);
the others are listed but cannot be ticked, with the reason. Training runs in a child
process supervised from the task runner's database thread (``TaskRunner`` ``.in_process()``;
``core.model.train_model`` keeps numerical work to one thread);
"Leave out features…" ticks features the model must not use (``train_model``'s
``exclude_features``; the card lists them); the form shows its progress messages, and Cancel stops it at the next safe point without
saving anything.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from learnalytics_desktop.gui.icons import icon
from learnalytics_desktop.gui.pages.model import jobs as model_jobs
from learnalytics_desktop.gui.workers import Task, TaskRunner, db_job

KINDS = (
    ("auto", "Automatic: the better of the two"),
    ("hgb", "Gradient boosting (calibrated)"),
    ("logreg", "Logistic regression"),
)
STEPS = 1000
ERROR_STYLE = "color: #b00020;"


class TrainPanel(QGroupBox):
    """See the module docstring. ``trained(model_id, card)`` after a successful run."""

    trained = Signal(str, object)

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__("Train a new model", parent)
        self.runner = runner
        self.db_path: Any = None
        self.task: Task | None = None
        self.offerings: list[model_jobs.Offering] = []
        self.task_message = ""  # shown when the task has finished
        self.task_error = False
        self.offering_list = QListWidget()
        self.offering_list.setAccessibleName("Past offerings to train on")
        self.offering_list.setMaximumHeight(92)
        self.offering_list.setWordWrap(True)
        self.offering_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.offering_list.itemChanged.connect(self._update)
        self.week = QSpinBox()
        self.week.setRange(0, 52)
        self.week.setPrefix("week ")
        self.week.setSpecialValueText("every week")  # 0: one model that scores any week
        self.week.setValue(0)
        self.week.setAccessibleName("Train for week")
        self.week.setToolTip(
            "Every week (default): one model, trained on each student at each week with the week as an "
            "input, scores any week. A number: a model of that week only"
        )
        self.week.valueChanged.connect(self._update)
        self.kind = QComboBox()
        self.kind.setAccessibleName("Model kind")
        for key, text in KINDS:
            self.kind.addItem(text, key)
        self.use_attributes = QCheckBox("Use demographic attributes as inputs")
        self.use_attributes.setToolTip(
            "Off by default: attributes are then used only for the fairness report"
        )
        self.leave_out_button = QPushButton("Leave out features…")
        self.leave_out_button.setAccessibleName("Features to leave out")
        self.leave_out_button.setToolTip(
            "Tick features the model must not use (e.g. one your platform records wrongly); "
            "features with no data are left out automatically and listed on the model card"
        )
        self.leave_out_menu = QMenu(self.leave_out_button)
        self.leave_out_actions: dict[str, Any] = {}
        from learnalytics_desktop.core.features.catalog import FEATURES
        from learnalytics_desktop.gui.pages.model.card import feature_label

        for name, description in FEATURES.items():
            action = self.leave_out_menu.addAction(feature_label(name))
            action.setCheckable(True)
            action.setToolTip(description)
            action.toggled.connect(self._excluded_changed)
            self.leave_out_actions[name] = action
        self.leave_out_menu.setToolTipsVisible(True)
        self.leave_out_button.setMenu(self.leave_out_menu)
        self.leave_out_label = QLabel("All features used.")
        self.leave_out_label.setWordWrap(True)
        self.train_button = QPushButton(icon("model"), "&Train")
        self.train_button.setAccessibleName("Train a model")
        self.train_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAccessibleName("Cancel training")
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, STEPS)
        self.progress.setAccessibleName("Training progress")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        caption = QLabel("&Past offerings:")
        caption.setBuddy(self.offering_list)
        form.addRow(caption)
        form.addRow(self.offering_list)
        form.addRow("For &week:", self.week)
        form.addRow("&Model:", self.kind)
        form.addRow(self.use_attributes)
        form.addRow(self.leave_out_button, self.leave_out_label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.train_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.progress, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        runner.progressed.connect(self._progressed)
        self._update()

    # -- state -----------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done

    def set_offerings(self, offerings: list[model_jobs.Offering], week: int | None, db_path: Any) -> None:
        """List the offerings (those with outcomes ticked) and propose ``week``."""
        self.db_path = db_path
        self.offerings = list(offerings)
        self.offering_list.blockSignals(True)
        self.offering_list.clear()
        for off in self.offerings:
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, off.id)
            if off.outcomes:
                item.setText(f"{off.label}  ({off.outcomes} outcomes)")
                item.setFlags(
                    Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsSelectable
                )
                item.setCheckState(Qt.CheckState.Checked)
            else:
                item.setText(f"{off.label}  (no final outcomes yet)")
                item.setFlags(Qt.ItemFlag.NoItemFlags)
                item.setToolTip("Import this offering's gradebook (final outcomes) to train on it")
            self.offering_list.addItem(item)
        self.offering_list.blockSignals(False)
        if week is not None:
            self.week.setValue(week)
        self._update()

    def chosen_ids(self) -> list[int]:
        """Ids of the ticked offerings."""
        out = []
        for i in range(self.offering_list.count()):
            item = self.offering_list.item(i)
            if item.checkState() == Qt.CheckState.Checked and item.flags() & Qt.ItemFlag.ItemIsEnabled:
                out.append(int(item.data(Qt.ItemDataRole.UserRole)))
        return out

    def set_chosen(self, ids: list[int]) -> None:
        """Tick exactly the offerings ``ids`` (those with outcomes)."""
        for i in range(self.offering_list.count()):
            item = self.offering_list.item(i)
            if item.flags() & Qt.ItemFlag.ItemIsUserCheckable:
                on = int(item.data(Qt.ItemDataRole.UserRole)) in ids
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def excluded_features(self) -> list[str]:
        """Features ticked to be left out, in catalogue order."""
        return [name for name, action in self.leave_out_actions.items() if action.isChecked()]

    def set_excluded_features(self, names: list[str]) -> None:
        """Tick exactly ``names`` as left out (unknown names are ignored)."""
        for name, action in self.leave_out_actions.items():
            action.setChecked(name in names)

    def _excluded_changed(self, *_: Any) -> None:
        from learnalytics_desktop.gui.pages.model.card import feature_label

        names = self.excluded_features()
        self.leave_out_label.setText(
            "Leaving out: " + ", ".join(feature_label(n) for n in names) if names else "All features used."
        )
        self._update()

    def problems(self) -> list[str]:
        """What stops training from starting, in plain words."""
        if self.db_path is None:
            return ["Open a database first."]
        if not any(o.outcomes for o in self.offerings):
            return [
                "No offering has final outcomes yet: import a past offering's gradebook first (a model learns "
                "who ended at risk from it)."
            ]
        chosen = [o for o in self.offerings if o.id in set(self.chosen_ids())]
        if not chosen:
            return ["Tick at least one past offering to train on."]
        out = []
        for off in chosen:
            if off.weeks and self.week.value() > off.weeks:
                out.append(f"Week {self.week.value()} is past the end of {off.label} ({off.weeks} weeks).")
        if self.leave_out_actions and len(self.excluded_features()) == len(self.leave_out_actions):
            out.append("Every feature is left out: untick at least one.")
        return out

    def _update(self, *_: Any) -> None:
        running = self.running
        problems = self.problems()
        self.train_button.setEnabled(not running and not problems)
        self.cancel_button.setEnabled(running)
        for w in (self.offering_list, self.week, self.kind, self.use_attributes, self.leave_out_button):
            w.setEnabled(not running)
        if not running:
            self.set_status(" ".join(problems), error=bool(problems) and self.db_path is not None)

    def set_status(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(ERROR_STYLE if error else "")

    # -- running ---------------------------------------------------------------------------------
    def start(self) -> Task | None:
        """Start training on the worker (or say what is missing)."""
        problems = self.problems()
        if problems:
            self.set_status(" ".join(problems), error=True)
            return None
        args = (
            self.chosen_ids(),
            self.week.value(),
            self.kind.currentData(),
            self.use_attributes.isChecked(),
            self.excluded_features(),
        )
        self.progress.setRange(0, 0)
        self.set_status("Starting…")
        self.task = (
            self.runner.submit(db_job(model_jobs.train), self.db_path, *args)
            .in_process()  # fitting in a thread would hold the interpreter lock: the window would stutter
            .keyed("model.train")
            .with_progress("Training the at-risk model…")
            .on_success(self._succeeded)
            .on_failure(self._failed)
            .on_cancelled(self._cancelled)
            .on_finished(self._finished)
        )
        self.task.start()
        self._update()
        return self.task

    def cancel(self) -> None:
        """Stop the running training (nothing is saved)."""
        if self.running and self.task is not None:
            self.task.cancel()
            self.set_status("Cancelling…")

    def _progressed(self, task: Task, fraction: float, message: str) -> None:
        if task is not self.task:
            return
        self.progress.setRange(0, STEPS)
        self.progress.setValue(round(fraction * STEPS))
        if message:
            self.set_status(message[:1].upper() + message[1:] + "…" if not message.endswith(".") else message)

    def _succeeded(self, result: tuple[str, dict[str, Any]]) -> None:
        model_id, card = result
        self.progress.setValue(STEPS)
        chosen = card.get("chosen", {}).get("kind", card.get("kind"))
        auc = (card.get("validation", {}).get(chosen) or {}).get("roc_auc")
        self.task_message = (
            f"Trained {model_id}: ROC AUC {auc:.3f} in validation."
            if auc is not None
            else f"Trained {model_id}."
        )
        self.trained.emit(model_id, card)

    def _failed(self, exc: BaseException) -> None:
        self.progress.setRange(0, STEPS)
        self.progress.setValue(0)
        if isinstance(exc, ValueError | LookupError):  # TrainingDataError and bad input: a sentence
            text = str(exc).strip()
            self.task_message = f"Not trained: {text}" + ("" if text.endswith((".", "!", "?")) else ".")
            self.task_error = True
            return
        from learnalytics_desktop.gui.dialogs.error_dialog import ErrorDialog

        self.task_message = "Training failed (see the error message)."
        self.task_error = True
        ErrorDialog.report(self, exc, title="Training failed")

    def _cancelled(self) -> None:
        self.progress.setRange(0, STEPS)
        self.progress.setValue(0)
        self.task_message = "Training cancelled; nothing was saved."

    def _finished(self) -> None:
        message, error = self.task_message, self.task_error
        self.task_message, self.task_error = "", False
        self._update()
        if message:
            self.set_status(message, error=error)
