"""Settings tab: how risk levels are given and who counts as "at risk" when a model learns.

* **Risk levels**: thresholds on the calibrated probability (``core.model.levels``: low below
  "moderate", high from "high"), or advisor capacity: the N highest-risk students are high
  and everyone else keeps their threshold level with high lowered to moderate.
* **At-risk label** (``core.outcomes``): which final outcomes count as "at risk" for
  training: withdrew or failed (default), failed only, withdrew only, or a final grade
  below a pass mark (or withdrew).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QButtonGroup,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from learnalytics_desktop.core.model.levels import MAX_CAPACITY
from learnalytics_desktop.gui.pages.settings.base import SettingsSection
from learnalytics_desktop.gui.pages.settings.jobs import (
    RiskSettings,
    load_risk,
    risk_problems,
    save_risk,
)

RULES = (
    ("withdrew_or_failed", "Withdrew or failed (passed = not at risk)"),
    ("failed", "Failed (withdrawn students are left out of training)"),
    ("withdrew", "Withdrew (everyone who finished = not at risk)"),
    ("grade_below", "Final grade below the pass mark, or withdrew"),
)
DEFAULT_PASS_MARK = 40.0


class RiskSection(SettingsSection):
    """Thresholds or capacity, and the at-risk label rule with its pass mark."""

    key = "risk"
    title = "Risk settings"

    def __init__(self, page: Any, parent: QWidget | None = None) -> None:
        super().__init__(page, parent)
        # risk levels
        levels = QGroupBox("Risk levels shown to advisors")
        self.by_threshold = QRadioButton("By &probability thresholds")
        self.by_capacity = QRadioButton("By advisor &capacity")
        self.mode = QButtonGroup(self)
        self.mode.addButton(self.by_threshold)
        self.mode.addButton(self.by_capacity)
        self.moderate = self._percent_spin("Moderate risk from")
        self.high = self._percent_spin("High risk from")
        self.capacity = QSpinBox()
        self.capacity.setRange(1, MAX_CAPACITY)
        self.capacity.setValue(20)
        self.capacity.setSuffix(" students")
        self.capacity.setAccessibleName("Advisor capacity")
        self.capacity.setMaximumWidth(140)
        self.capacity.valueChanged.connect(self.changed)
        self.ranges = QLabel()
        self.ranges.setWordWrap(True)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        form.addRow("&Moderate risk from:", self.moderate)
        form.addRow("&High risk from:", self.high)
        cap_row = QHBoxLayout()
        cap_row.addWidget(QLabel("The"))
        cap_row.addWidget(self.capacity)
        cap_row.addWidget(
            QLabel(
                "with the highest risk are high; the others keep their threshold level "
                "(high becomes moderate)."
            ),
            1,
        )
        box = QVBoxLayout(levels)
        box.addWidget(self.by_threshold)
        box.addLayout(form)
        box.addWidget(self.ranges)
        box.addSpacing(6)
        box.addWidget(self.by_capacity)
        box.addLayout(cap_row)
        for b in (self.by_threshold, self.by_capacity):
            b.toggled.connect(self._mode_changed)

        # at-risk label
        label_box = QGroupBox("Who counts as \u201cat risk\u201d when a model is trained")
        self.rule_group = QButtonGroup(self)
        self.rule_buttons: dict[str, QRadioButton] = {}
        lbox = QVBoxLayout(label_box)
        for key, text in RULES:
            button = QRadioButton(text)
            button.setAccessibleName(f"At-risk label: {text}")
            self.rule_group.addButton(button)
            self.rule_buttons[key] = button
            button.toggled.connect(self._rule_changed)
            lbox.addWidget(button)
        self.pass_mark = QDoubleSpinBox()
        self.pass_mark.setRange(0.0, 1000.0)
        self.pass_mark.setDecimals(1)
        self.pass_mark.setValue(DEFAULT_PASS_MARK)
        self.pass_mark.setAccessibleName("Pass mark")
        self.pass_mark.setToolTip("In the units of the gradebook's final grade (e.g. 40 out of 100)")
        self.pass_mark.valueChanged.connect(self.changed)
        mark_row = QHBoxLayout()
        mark_caption = QLabel("&Pass mark (final grade):")
        mark_caption.setBuddy(self.pass_mark)
        mark_row.addSpacing(24)
        mark_row.addWidget(mark_caption)
        mark_row.addWidget(self.pass_mark)
        mark_row.addStretch(1)
        lbox.addLayout(mark_row)
        note = QLabel(
            "The label is read when a model is trained: train a new model on the Model page for a "
            "change to take effect. Risk levels apply at once to the next scoring."
        )
        note.setWordWrap(True)
        lbox.addWidget(note)

        self.body.addWidget(levels)
        self.body.addWidget(label_box)
        self.body.addStretch(1)
        self._mode_changed()
        self._rule_changed()

    def _percent_spin(self, name: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(0.0, 100.0)
        spin.setDecimals(1)
        spin.setSingleStep(5.0)
        spin.setSuffix(" %")
        spin.setAccessibleName(name)
        spin.setToolTip(f"{name} this predicted probability of ending at risk")
        spin.valueChanged.connect(self.changed)
        spin.valueChanged.connect(self._update_ranges)
        spin.setMaximumWidth(120)
        return spin

    # -- SettingsSection -------------------------------------------------------------------------
    def load_job(self) -> Any:
        return load_risk

    def save_job(self) -> tuple[Any, tuple[Any, ...]]:
        v = self.value()
        return save_risk, (v.thresholds, v.capacity, v.at_risk_rule)

    def show_value(self, stored: RiskSettings) -> None:
        widgets = (
            self.moderate,
            self.high,
            self.capacity,
            self.pass_mark,
            *self.rule_buttons.values(),
            self.by_threshold,
            self.by_capacity,
        )
        for w in widgets:
            w.blockSignals(True)
        self.moderate.setValue(round(100 * stored.thresholds["moderate"], 1))
        self.high.setValue(round(100 * stored.thresholds["high"], 1))
        if stored.capacity is None:
            self.by_threshold.setChecked(True)
        else:
            self.by_capacity.setChecked(True)
            self.capacity.setValue(stored.capacity)
        rule = stored.at_risk_rule
        if rule.startswith("grade_below:"):
            self.rule_buttons["grade_below"].setChecked(True)
            self.pass_mark.setValue(float(rule.split(":", 1)[1]))
        else:
            self.rule_buttons[rule].setChecked(True)
        for w in widgets:
            w.blockSignals(False)
        self._mode_changed(notify=False)
        self._rule_changed(notify=False)

    def value(self) -> RiskSettings:
        thresholds = {
            "moderate": round(self.moderate.value() / 100, 4),
            "high": round(self.high.value() / 100, 4),
        }
        capacity = self.capacity.value() if self.by_capacity.isChecked() else None
        return RiskSettings(thresholds, capacity, self.rule())

    def rule(self) -> str:
        """The at-risk label rule the buttons describe (``grade_below:<mark>`` with the mark)."""
        for key, button in self.rule_buttons.items():
            if button.isChecked():
                return f"grade_below:{self.pass_mark.value():g}" if key == "grade_below" else key
        return ""

    def stored_value(self) -> Any:
        if self.stored is None:
            return None
        s: RiskSettings = self.stored
        th = {k: round(round(100 * v, 1) / 100, 4) for k, v in s.thresholds.items()}
        rule = s.at_risk_rule
        if rule.startswith("grade_below:"):
            rule = f"grade_below:{float(rule.split(':', 1)[1]):g}"
        return RiskSettings(th, s.capacity, rule)

    def problems(self) -> list[str]:
        v = self.value()
        out = []
        if not v.at_risk_rule:
            out.append("Choose who counts as at risk.")
        out += [p for p in risk_problems(v.thresholds, v.capacity, v.at_risk_rule or "withdrew_or_failed")]
        return [_in_percent(p) for p in out]

    def saved_message(self, stored: RiskSettings) -> str:
        how = (
            f"the {stored.capacity} highest-risk students are high"
            if stored.capacity is not None
            else f"moderate from {100 * stored.thresholds['moderate']:g} %, high from {100 * stored.thresholds['high']:g} %"
        )
        return f"Saved: {how}. Retrain the model for a new at-risk label to take effect."

    # -- widgets ---------------------------------------------------------------------------------
    def _mode_changed(self, *_: Any, notify: bool = True) -> None:
        self.capacity.setEnabled(self.by_capacity.isChecked())
        self._update_ranges()
        if notify:
            self.changed()

    def _rule_changed(self, *_: Any, notify: bool = True) -> None:
        self.pass_mark.setEnabled(self.rule_buttons["grade_below"].isChecked())
        if notify:
            self.changed()

    def _update_ranges(self) -> None:
        m, h = self.moderate.value(), self.high.value()
        text = f"Low: below {m:g} %  ·  Moderate: {m:g} % to below {h:g} %  ·  High: {h:g} % and above."
        if self.by_capacity.isChecked():
            text += " With capacity, these thresholds still separate low from moderate."
        self.ranges.setText(text)


def _in_percent(message: str) -> str:
    """The core speaks in fractions (0 < moderate < high <= 1); the form shows percentages."""
    if "0 < moderate < high <= 1" in message:
        return "The moderate threshold must be above 0 % and below the high threshold, which can be at most 100 %."
    return message
