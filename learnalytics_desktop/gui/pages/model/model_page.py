"""The Model page: train the at-risk model, read its card and charts, pick the active model.

Left: the training form (:class:`~learnalytics_desktop.gui.pages.model.train.TrainPanel`)
and the models of this database, newest first, the active one marked ("Make active" pins
the selected model for scoring; "Use the latest" unpins, so the newest trained is used).
Right, for the selected model: the model card in words and tables, the charts (ROC curve,
calibration, feature importance) and the fairness report per demographic group, with
groups under the small-cell threshold shown as "<N" and their numbers hidden.

Everything that reads or writes the database runs on the task runner's database thread.
"""

from __future__ import annotations

from html import escape
from typing import Any

import pandas as pd
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from learnalytics_desktop.gui import qsettings
from learnalytics_desktop.gui.models.columns import Column
from learnalytics_desktop.gui.models.frame_table import FrameTableModel
from learnalytics_desktop.gui.pages.base import Page, Shell
from learnalytics_desktop.gui.pages.model import jobs as model_jobs
from learnalytics_desktop.gui.pages.model.card import KIND_NAMES, KIND_SHORT, card_html, fairness_frame
from learnalytics_desktop.gui.pages.model.charts import ModelCharts
from learnalytics_desktop.gui.pages.model.train import TrainPanel
from learnalytics_desktop.gui.workers import Task, db_job

MODEL_COLUMNS = [
    Column("status", "Active", tooltip="The model scoring uses: pinned by you, or the latest trained"),
    Column("created", "Trained"),
    Column("kind_name", "Model"),
    Column(
        "week",
        "Week",
        tooltip="\u201cevery\u201d: one model scores any week; a number: trained for (and scores) that week only",
    ),
    Column("roc_auc", "AUC", "float", 3, tooltip="Validation ROC AUC of the chosen model (0.5 = chance)"),
]
FAIRNESS_COLUMNS = [
    Column("attribute", "Attribute"),
    Column("group", "Group"),
    Column(
        "students",
        "Students",
        tooltip="Count of students; \u201c<N\u201d for groups under the small-cell threshold",
    ),
    Column("base_rate", "At risk", "percent", tooltip="Observed share that ended at risk"),
    Column("roc_auc", "AUC", "float", 2, tooltip="ROC AUC within the group (0.5 = chance)"),
    Column(
        "calibration_gap",
        "Cal. gap",
        "float",
        2,
        tooltip="Calibration gap: mean predicted risk minus observed rate",
    ),
    Column("flag_rate", "Flagged", "percent", tooltip="Share given the risk level high"),
    Column("fpr", "False alarms", "percent", tooltip="Flagged among students who were not at risk (FPR)"),
    Column("fnr", "Missed", "percent", tooltip="Not flagged among students who were at risk (FNR)"),
    Column("note", "Note"),
]


def models_frame(models: list[dict[str, Any]]) -> pd.DataFrame:
    """The models table: one row per model, newest first, with its status in words."""
    rows = []
    for m in models:
        status = "✔ pinned" if m["active"] and m["pinned"] else "✔ latest" if m["active"] else ""
        rows.append(
            {
                "id": m["id"],
                "status": status,
                "created": str(m["created_at"]).replace("T", " ")[:16],
                "kind_name": KIND_SHORT.get(m["kind"], m["kind"]),
                "week": "every" if m.get("any_week") else str(int(m["week"])),
                "roc_auc": m.get("roc_auc"),
                "brier": m.get("brier"),
                "students": m.get("students"),
            }
        )
    frame = pd.DataFrame(rows, columns=["id", *(c.name for c in MODEL_COLUMNS), "brier", "students"])
    return frame.astype({"roc_auc": "float64", "brier": "float64"})


class ModelPage(Page):
    """See the module docstring."""

    def __init__(self, shell: Shell, parent: QWidget | None = None) -> None:
        super().__init__(shell, parent)
        self.setObjectName("modelPage")
        self.state = model_jobs.ModelsState()
        self.card: dict[str, Any] | None = None
        self.card_id: str | None = None
        self.selected_id: str | None = None
        self.title = QLabel("<h2>At-risk model</h2>")
        self.summary = QLabel()
        self.summary.setWordWrap(True)

        self.train_panel = TrainPanel(self.runner)
        self.train_panel.trained.connect(self._trained)

        self.models = FrameTableModel(columns=MODEL_COLUMNS, parent=self)
        self.models_view = QTableView()
        self.models_view.setModel(self.models)
        self.models_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.models_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.models_view.setAccessibleName("Models in this database")
        self.models_view.verticalHeader().setVisible(False)
        self.models_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.models_view.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.models_view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.activate_button = QPushButton("Make &active")
        self.activate_button.setToolTip("Score students with the selected model from now on")
        self.activate_button.clicked.connect(self.make_active)
        self.latest_button = QPushButton("Use the &latest")
        self.latest_button.setToolTip("Unpin: always score with the most recently trained model")
        self.latest_button.clicked.connect(lambda: self.make_active(None))
        self.recalibrate_button = QPushButton("&Recalibrate…")
        self.recalibrate_button.setAccessibleName("Recalibrate the selected model")
        self.recalibrate_button.setToolTip(
            "Re-map the selected model's risks on the latest finished offering it was not trained on "
            "(same ranking; saved as a new model)"
        )
        self.recalibrate_button.clicked.connect(self.recalibrate)
        models_box = QGroupBox("Models in this database")
        mbox = QVBoxLayout(models_box)
        mbox.addWidget(self.models_view, 1)
        mrow = QHBoxLayout()
        mrow.addWidget(self.activate_button)
        mrow.addWidget(self.latest_button)
        mrow.addWidget(self.recalibrate_button)
        mrow.addStretch(1)
        mbox.addLayout(mrow)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.train_panel)
        left_layout.addWidget(models_box, 1)

        self.card_view = QTextBrowser()
        self.card_view.setAccessibleName("Model card")
        self.charts = ModelCharts()
        self.fairness_intro = QLabel()
        self.fairness_intro.setWordWrap(True)
        self.fairness = FrameTableModel(columns=FAIRNESS_COLUMNS, parent=self)
        self.fairness_view = QTableView()
        self.fairness_view.setModel(self.fairness)
        self.fairness_view.setAccessibleName("Fairness by group")
        self.fairness_view.verticalHeader().setVisible(False)
        self.fairness_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.fairness_view.horizontalHeader().setStretchLastSection(True)
        self.fairness_warnings = QLabel()
        self.fairness_warnings.setWordWrap(True)
        fairness_tab = QWidget()
        ftab = QVBoxLayout(fairness_tab)
        ftab.addWidget(self.fairness_intro)
        ftab.addWidget(self.fairness_view, 1)
        ftab.addWidget(self.fairness_warnings)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.card_view, "Model &card")
        self.tabs.addTab(self.charts, "C&harts")
        self.tabs.addTab(fairness_tab, "&Fairness")

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([400, 600])
        qsettings.restore_splitter(self.splitter, "model/main")
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addWidget(self.splitter, 1)
        self.refresh()  # the empty state until a database is open (no job runs without one)
        self._update_buttons()

    # -- loading ---------------------------------------------------------------------------------
    def refresh(self) -> Task | None:
        """Reload the models and offerings of the open database."""
        if self.ctx.db_path is None:
            self.state = model_jobs.ModelsState()
            self.models.set_frame(models_frame([]), MODEL_COLUMNS)
            self.train_panel.set_offerings([], None, None)
            self.summary.setText("<b>No database is open.</b> Open one to train a model or see its models.")
            self._show_card(None)
            return None
        return (
            self.runner.submit(db_job(model_jobs.load_state), self.ctx.db_path)
            .keyed("model.state")
            .on_success(self._state_loaded)
        )

    def _state_loaded(self, state: model_jobs.ModelsState, select: str | None = None) -> None:
        old, self.state = self.state, state
        same_db = self.train_panel.db_path == self.ctx.db_path
        if not same_db or state.offerings != old.offerings:
            keep = self.train_panel.chosen_ids() if same_db else []
            self.train_panel.set_offerings(state.offerings, self.proposed_week(state), self.ctx.db_path)
            if keep:
                self.train_panel.set_chosen(keep)
        self.models.set_frame(models_frame(state.models), MODEL_COLUMNS)
        active = state.active_id
        if not state.models:
            self.summary.setText(
                "No model has been trained in this database yet. Choose past offerings and a week, then Train."
            )
        else:
            m = next(m for m in state.models if m["id"] == active)
            how = "pinned" if m["pinned"] else "the latest trained"
            self.summary.setText(
                f"{len(state.models)} model{'s' if len(state.models) != 1 else ''}. Scoring uses <b>{active}</b> "
                f"({KIND_NAMES.get(m['kind'], m['kind']).lower()}, "
                f"{'every week' if m.get('any_week') else 'week ' + str(m['week'])}; {how})."
            )
        target = select or self.selected_id or active
        self.select_model(target if any(m["id"] == target for m in state.models) else active)
        self._update_buttons()

    def proposed_week(self, state: model_jobs.ModelsState) -> int | None:
        """The week to train at: ``None`` keeps the form's default, one model for every week
        (it scores whichever week the advisor picks; a one-week model is a choice left to
        the user)."""
        return None

    def select_model(self, model_id: str | None) -> None:
        """Select the row of ``model_id`` (its card then loads)."""
        sel = self.models_view.selectionModel()
        for row in range(self.models.rowCount()):
            if self.models.value(row, "id") == model_id:
                sel.select(
                    self.models.index(row, 0),
                    QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
                )
                self.models_view.scrollTo(self.models.index(row, 0))
                if self.card_id != model_id:
                    self.load_card(model_id)
                return
        sel.clearSelection()
        self._show_card(None)

    def _selection_changed(self, *_: Any) -> None:
        rows = self.models_view.selectionModel().selectedRows()
        self.selected_id = str(self.models.value(rows[0].row(), "id")) if rows else None
        if self.selected_id is not None and self.selected_id != self.card_id:
            self.load_card(self.selected_id)
        self._update_buttons()

    def load_card(self, model_id: str | None) -> Task | None:
        """Load and show the card of ``model_id``."""
        if model_id is None or self.ctx.db_path is None:
            self._show_card(None)
            return None
        self.card_id = model_id
        return (
            self.runner.submit(db_job(model_jobs.load_card), self.ctx.db_path, model_id)
            .keyed("model.card")
            .on_success(self._show_card)
        )

    # -- showing ---------------------------------------------------------------------------------
    def _show_card(self, card: dict[str, Any] | None) -> None:
        self.card = card
        if card is None:
            self.card_id = None
            self.card_view.setHtml(
                "<p style='color:#666'>Train a model, or select one in the list, to read its card here.</p>"
            )
            self.charts.clear("No model selected.")
            self.fairness.set_frame(fairness_frame({}), FAIRNESS_COLUMNS)
            self.fairness_intro.setText("")
            self.fairness_warnings.setText("")
            return
        self.card_id = str(card.get("model_id"))
        self.card_view.setHtml(card_html(card, active=self.card_id == self.state.active_id))
        self.charts.show_card(card)
        self._show_fairness(card)

    def _show_fairness(self, card: dict[str, Any]) -> None:
        fair = card.get("fairness") or {}
        frame = fairness_frame(card)
        self.fairness.set_frame(frame, FAIRNESS_COLUMNS)
        self.fairness_view.setColumnHidden(len(FAIRNESS_COLUMNS) - 1, not frame["note"].astype(bool).any())
        if not fair.get("available"):
            self.fairness_intro.setText(f"No fairness report: {fair.get('note', 'not computed')}.")
            self.fairness_warnings.setText("")
            return
        t = fair.get("small_cell_threshold", 5)
        self.fairness_intro.setText(
            f"How the model behaves for each group, on validation predictions (students the predicting model had "
            f"not seen). Flagged means {fair.get('flag_definition', 'risk level high')}. Groups of fewer than {t} "
            f"students show \u201c<{t}\u201d and their numbers are hidden."
        )
        warnings = fair.get("warnings") or []
        self.fairness_warnings.setText(
            "<b>Warnings</b> ("
            + escape(str(fair.get("warning_rule", "")))
            + "):<ul>"
            + "".join(f"<li>{escape(w)}</li>" for w in warnings)
            + "</ul>"
            if warnings
            else "No fairness warnings."
        )

    def _update_buttons(self) -> None:
        has_db = self.ctx.db_path is not None
        sel = self.selected_id
        pinned = next((m["pinned"] for m in self.state.models if m["active"]), False)
        self.activate_button.setEnabled(
            has_db and sel is not None and not (sel == self.state.active_id and pinned)
        )
        self.latest_button.setEnabled(has_db and pinned)
        self.recalibrate_button.setEnabled(
            has_db and sel is not None and not self.runner.is_busy("model.recalibrate")
        )

    # -- actions ---------------------------------------------------------------------------------
    def make_active(self, model_id: str | None = "") -> Task | None:
        """Pin the selected model (or ``model_id``; ``None`` unpins) for scoring."""
        target = self.selected_id if model_id == "" else model_id
        if self.ctx.db_path is None or (model_id == "" and target is None):
            return None
        return (
            self.runner.submit(db_job(model_jobs.make_active), self.ctx.db_path, target)
            .keyed("model.activate")
            .with_progress("Changing the active model…")
            .on_success(self._activated)
        )

    def recalibrate(self) -> Task | None:
        """Recalibrate the selected model on the latest finished offering it has not seen
        (``core.model.recalibrate_model``, in a child process); the result is a new model."""
        if self.ctx.db_path is None or self.selected_id is None:
            return None
        self.recalibrate_button.setEnabled(False)
        return (
            self.runner.submit(db_job(model_jobs.recalibrate), self.ctx.db_path, self.selected_id)
            .in_process()
            .keyed("model.recalibrate")
            .with_progress("Recalibrating the model…")
            .on_success(self._recalibrated)
            .on_failure(self._recalibration_failed)
            .on_finished(self._update_buttons)
        )

    def _recalibrated(self, result: tuple[str, dict[str, Any]]) -> None:
        model_id, card = result
        self._trained(model_id, card)
        recal = card.get("recalibration") or {}
        before = (recal.get("before") or {}).get("calibration_error")
        after = (recal.get("after") or {}).get("calibration_error")
        self.shell.show_status(
            f"Recalibrated into {model_id}: calibration error {before} -> {after} on "
            f"{recal.get('course_name') or recal.get('course')}.",
            15000,
        )

    def _recalibration_failed(self, exc: BaseException) -> None:
        if isinstance(exc, ValueError | LookupError):  # TrainingDataError: a sentence, no dialog
            self.shell.show_status(f"Not recalibrated: {exc}", 15000)
            self.summary.setText(f"<b>Not recalibrated:</b> {exc}.")
            return
        from learnalytics_desktop.gui.dialogs.error_dialog import ErrorDialog

        ErrorDialog.report(self, exc, title="Recalibration failed")

    def _activated(self, state: model_jobs.ModelsState) -> None:
        self.card_id = None  # re-render the card with its new status
        self._state_loaded(state)
        self.shell.show_status(f"Scoring now uses {state.active_id}.")
        self.shell.notify_data_changed()

    def _trained(self, model_id: str, card: dict[str, Any]) -> None:
        self.selected_id = model_id
        self.shell.show_status(self.train_panel.task_message or f"Trained {model_id}.", 10000)
        self.tabs.setCurrentIndex(0)
        self.runner.submit(db_job(model_jobs.load_state), self.ctx.db_path).keyed("model.state").on_success(
            lambda state: self._state_loaded(state, select=model_id)
        )
        self.shell.notify_data_changed()

    def save_state(self) -> None:
        qsettings.save_splitter(self.splitter, "model/main")
