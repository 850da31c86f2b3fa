"""The rules editor: thresholds, channels and message templates of the intervention rules.

``RulesDialog.ask(parent, rules)`` returns the edited :class:`RuleSet` (validated by the core:
unknown placeholders, bad thresholds and multi-line subjects are refused with the core's
message, shown in the dialog) or None. Saving is the caller's job (a database job).
"""

from __future__ import annotations

from dataclasses import replace
from html import escape
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from learnalytics_desktop.core.features.catalog import FEATURES
from learnalytics_desktop.core.interventions.rules import (
    CHANNELS,
    OPERATORS,
    Rule,
    RulesError,
    RuleSet,
    default_rules,
)
from learnalytics_desktop.core.interventions.templates import PLACEHOLDERS
from learnalytics_desktop.core.interventions.words import CHANNEL_TEXT, rule_in_words
from learnalytics_desktop.gui import qsettings
from learnalytics_desktop.gui.widgets.screen_fit import fit_to_screen

OP_TEXT = {">": "is more than", ">=": "is at least", "<": "is less than", "<=": "is at most"}


class RulesDialog(QDialog):
    """Edit a :class:`RuleSet`; :meth:`rules` gives the result (see the module docstring)."""

    def __init__(self, rules: RuleSet, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Intervention rules")
        self.setObjectName("rulesDialog")
        self._rules: list[Rule] = list(rules.rules)
        self._base = rules
        self._current = -1

        self.risk = QSpinBox()
        self.risk.setRange(0, 100)
        self.risk.setSuffix(" %")
        self.risk.setMaximumWidth(110)
        self.risk.setAccessibleName("Risk threshold")
        self.risk.setToolTip("Only students whose risk score is at least this get suggestions")
        self.advisor = QLineEdit()
        self.advisor.setPlaceholderText("e.g. Sam Lee, student advisor")
        self.advisor.setAccessibleName("Sign messages as")
        self.instructor = QLineEdit()
        self.instructor.setPlaceholderText("instructor@example.edu (for instructor alerts)")
        self.instructor.setAccessibleName("Instructor e-mail")
        top = QFormLayout()
        top.addRow("Only for students with a risk of at least", self.risk)
        top.addRow("Sign messages as", self.advisor)
        top.addRow("Instructor e-mail", self.instructor)

        self.list = QListWidget()
        self.list.setAccessibleName("Rules")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setFixedWidth(210)
        self.list.currentRowChanged.connect(self._row_changed)

        self.label = QLineEdit()
        self.feature = QComboBox()
        self.feature.setEditable(True)
        self.feature.addItems(sorted(FEATURES))
        self.feature.setAccessibleName("Feature")
        self.op = QComboBox()
        for op in OPERATORS:
            self.op.addItem(OP_TEXT.get(op, op), op)
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(-1_000_000, 1_000_000)
        self.threshold.setDecimals(2)
        self.threshold.setAccessibleName("Threshold")
        self.threshold_hint = QLabel()
        self.threshold_hint.setWordWrap(True)
        self.threshold_hint.setStyleSheet("color: palette(placeholder-text);")
        self.feature.currentTextChanged.connect(self._feature_changed)
        condition = QHBoxLayout()
        condition.addWidget(self.feature, 2)
        condition.addWidget(self.op, 1)
        condition.addWidget(self.threshold, 1)
        self.channel = QComboBox()
        for ch in CHANNELS:
            self.channel.addItem(CHANNEL_TEXT.get(ch, ch), ch)
        self.subject = QLineEdit()
        self.subject.setAccessibleName("Subject template")
        self.body = QPlainTextEdit()
        self.body.setAccessibleName("Message template")
        self.insert = QComboBox()
        self.insert.addItem("Insert a placeholder…", None)
        for name, text in PLACEHOLDERS.items():
            self.insert.addItem("{" + name + "}", name)
            self.insert.setItemData(self.insert.count() - 1, text, Qt.ItemDataRole.ToolTipRole)
        self.insert.activated.connect(self._insert_placeholder)
        form = QFormLayout()
        form.addRow("Name", self.label)
        form.addRow("Suggest when", condition)
        form.addRow("", self.threshold_hint)
        form.addRow("Channel", self.channel)
        form.addRow("Subject", self.subject)
        form.addRow("Message", self.body)
        form.addRow("", self.insert)
        self.rule_box = QGroupBox("Rule")
        self.rule_box.setLayout(form)
        middle = QHBoxLayout()
        middle.addWidget(self.list)
        middle.addWidget(self.rule_box, 1)

        help_text = ", ".join(
            f"<span title='{escape(t, quote=True)}'>{{{n}}}</span>" for n, t in PLACEHOLDERS.items()
        )
        self.help = QLabel(
            "Placeholders are filled in for each student: " + help_text + ". A placeholder without a value "
            "(e.g. no stored name) stays visible so you can complete the draft before approving it."
        )
        self.help.setWordWrap(True)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #a00000;")
        self.error.setAccessibleName("Problem with the rules")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.defaults_button = QPushButton("Restore defaults")
        buttons.addButton(self.defaults_button, QDialogButtonBox.ButtonRole.ResetRole)
        self.defaults_button.clicked.connect(lambda: self._load(default_rules()))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(middle, 1)
        layout.addWidget(self.help)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        fit_to_screen(self, 860, 600)
        qsettings.restore_geometry(self, "interventions/rules")
        self._load(rules)

    # -- data ------------------------------------------------------------------------------------
    def _load(self, rules: RuleSet) -> None:
        self._base = rules
        self._rules = list(rules.rules)
        self._current = -1
        self.risk.setValue(round(rules.risk_threshold * 100))
        self.advisor.setText(rules.advisor)
        self.instructor.setText(rules.instructor_email)
        self.list.blockSignals(True)
        self.list.clear()
        for r in self._rules:
            item = QListWidgetItem(r.label)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if r.enabled else Qt.CheckState.Unchecked)
            item.setToolTip("Tick to use this rule when drafting")
            self.list.addItem(item)
        self.list.blockSignals(False)
        self.list.setCurrentRow(0 if self._rules else -1)
        self.error.clear()

    def _feature_changed(self, name: str) -> None:
        if name == "video_completion_rate":
            self.threshold_hint.setText("A fraction from 0 to 1: 0.3 means 30%.")
        else:
            text = FEATURES.get(name, "")
            cut = text.find(". ", 60)  # the first sentence (or two) is enough here
            self.threshold_hint.setText(text if cut < 0 else text[: cut + 1])
            self.threshold_hint.setToolTip(text)

    def _insert_placeholder(self, index: int) -> None:
        name = self.insert.itemData(index)
        if name:
            self.body.insertPlainText("{" + name + "}")
            self.body.setFocus()
        self.insert.setCurrentIndex(0)

    def _commit(self) -> None:
        """Write the form back into the rule being edited."""
        i = self._current
        if not 0 <= i < len(self._rules):
            return
        item = self.list.item(i)
        self._rules[i] = replace(
            self._rules[i],
            label=self.label.text().strip(),
            feature=self.feature.currentText().strip(),
            op=str(self.op.currentData()),
            threshold=float(self.threshold.value()),
            channel=str(self.channel.currentData()),
            subject=self.subject.text(),
            body=self.body.toPlainText(),
            enabled=item is not None and item.checkState() == Qt.CheckState.Checked,
        )
        if item is not None:
            item.setText(self._rules[i].label or "(no name)")

    def _row_changed(self, row: int) -> None:
        self._commit()
        self._current = row
        self.rule_box.setEnabled(0 <= row < len(self._rules))
        if not 0 <= row < len(self._rules):
            return
        r = self._rules[row]
        self.label.setText(r.label)
        self.feature.setCurrentText(r.feature)
        self.op.setCurrentIndex(max(0, self.op.findData(r.op)))
        self.threshold.setValue(float(r.threshold))
        self.channel.setCurrentIndex(max(0, self.channel.findData(r.channel)))
        self.subject.setText(r.subject)
        self.body.setPlainText(r.body)
        self._feature_changed(r.feature)

    def rules(self) -> RuleSet:
        """The rule set as the form shows it (not validated)."""
        self._commit()
        for i, r in enumerate(self._rules):
            item = self.list.item(i)
            if item is not None:
                self._rules[i] = replace(r, enabled=item.checkState() == Qt.CheckState.Checked)
        return replace(
            self._base,
            rules=tuple(self._rules),
            risk_threshold=self.risk.value() / 100.0,
            advisor=self.advisor.text().strip(),
            instructor_email=self.instructor.text().strip(),
        )

    def accept(self) -> None:
        try:
            self.rules().validate()
        except RulesError as exc:
            self.error.setText(str(exc))
            return
        qsettings.save_geometry(self, "interventions/rules")
        super().accept()

    @classmethod
    def ask(cls, parent: QWidget | None, rules: RuleSet) -> RuleSet | None:
        """Show the editor; the edited, valid rules or None when cancelled."""
        dialog = cls(rules, parent)
        try:
            return dialog.rules() if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            dialog.deleteLater()


def rules_summary_html(rules: Any) -> str:
    """The enabled rules in words, for the Draft dialog."""
    items = []
    for r in rules.rules:
        if not r.enabled:
            continue
        channel = CHANNEL_TEXT.get(r.channel, r.channel)
        via = "" if channel.lower() == r.label.lower() else f" ({escape(channel)})"
        items.append(
            f"<li><b>{escape(r.label)}</b>{via} for students with "
            f"{escape(rule_in_words(r.feature, r.op, r.threshold))}</li>"
        )
    gate = f"Only students with a risk score of at least {rules.risk_threshold:.0%} get suggestions."
    return f"<p>{gate}</p><ul>{''.join(items) or '<li>No rule is switched on.</li>'}</ul>"


__all__ = ["RulesDialog", "rules_summary_html"]
