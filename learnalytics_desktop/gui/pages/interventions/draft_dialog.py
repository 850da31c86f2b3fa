"""The Draft dialog: for whom, which rules, whether to hold back a random comparison group.

``DraftDialog.ask(parent, who=..., rules=..., students=n)`` returns a
:class:`~learnalytics_desktop.gui.pages.interventions.jobs.DraftRequest` or None. The hold-out
explanation is the core's :data:`~learnalytics_desktop.core.interventions.HOLDOUT_EXPLANATION`.
The hold-out choice and fraction are remembered (QSettings) for the next batch.
"""

from __future__ import annotations

from dataclasses import replace
from html import escape

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from learnalytics_desktop.core.interventions import HOLDOUT_EXPLANATION, RuleSet
from learnalytics_desktop.gui import qsettings
from learnalytics_desktop.gui.pages.interventions.jobs import DraftRequest
from learnalytics_desktop.gui.pages.interventions.rules_dialog import RulesDialog, rules_summary_html
from learnalytics_desktop.gui.widgets.screen_fit import fit_to_screen


def explanation_html() -> str:
    """The core's hold-out explanation as paragraphs (its first line is the heading)."""
    heading, _, rest = HOLDOUT_EXPLANATION.partition("\n\n")
    paras = "".join(f"<p>{escape(p)}</p>" for p in rest.split("\n\n") if p.strip())
    return f"<p><b>{escape(heading)}</b></p>{paras}"


class DraftDialog(QDialog):
    """See the module docstring."""

    def __init__(self, who: str, rules: RuleSet, students: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Draft messages")
        self.setObjectName("draftDialog")
        self._rules = rules
        self._edited = False
        intro = QLabel(
            f"<b>{escape(who)}</b><br>Nothing is sent: the drafts wait for your review, and you export "
            "the approved ones to send them yourself."
        )
        intro.setWordWrap(True)

        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.edit_rules = QPushButton("Edit rules and messages…")
        self.edit_rules.clicked.connect(self._edit_rules)
        self.advisor = QLineEdit(rules.advisor)
        self.advisor.setPlaceholderText("Your name, as it should appear under the messages")
        self.advisor.setAccessibleName("Sign messages as")
        self.ignore_gate = QCheckBox(
            "Also draft for students below the risk threshold or without a risk score"
        )
        self.ignore_gate.setToolTip("Otherwise they are listed as skipped, with the reason")
        rules_box = QGroupBox("Rules")
        rb = QVBoxLayout(rules_box)
        rb.addWidget(self.summary)
        row = QHBoxLayout()
        row.addWidget(self.edit_rules)
        row.addStretch(1)
        rb.addLayout(row)
        form = QFormLayout()
        form.addRow("Sign messages as", self.advisor)
        rb.addLayout(form)
        rb.addWidget(self.ignore_gate)

        self.holdout = QCheckBox("Hold back a random part of these students as a comparison group")
        self.holdout.setChecked(bool(qsettings.get_value("interventions/holdout", False, bool)))
        self.fraction = QSpinBox()
        self.fraction.setRange(5, 50)
        self.fraction.setSingleStep(5)
        self.fraction.setSuffix(" %")
        self.fraction.setValue(int(qsettings.get_value("interventions/holdoutPercent", 20, int)))
        self.fraction.setAccessibleName("Hold-out fraction")
        self.fraction.setToolTip(
            "Share of the students who qualify that get no message this time, chosen by chance"
        )
        self.holdout.toggled.connect(self.fraction.setEnabled)
        self.fraction.setEnabled(self.holdout.isChecked())
        self.explanation = QTextBrowser()
        self.explanation.setHtml(explanation_html())
        self.explanation.setAccessibleName("Why hold some students back")
        self.explanation.setMinimumHeight(150)
        hold_box = QGroupBox("Randomised hold-out (optional)")
        hb = QVBoxLayout(hold_box)
        frow = QHBoxLayout()
        frow.addWidget(self.holdout)
        frow.addStretch(1)
        frow.addWidget(QLabel("Hold back"))
        frow.addWidget(self.fraction)
        hb.addLayout(frow)
        hb.addWidget(self.explanation, 1)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.draft_button = buttons.addButton(
            f"Draft for {students} student{'s' if students != 1 else ''}",
            QDialogButtonBox.ButtonRole.AcceptRole,
        )
        self.draft_button.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(rules_box)
        layout.addWidget(hold_box, 1)
        layout.addWidget(buttons)
        fit_to_screen(self, 680, 640)
        qsettings.restore_geometry(self, "interventions/draft")
        self._show_rules()

    def _show_rules(self) -> None:
        self.summary.setText(rules_summary_html(self._rules))

    def _edit_rules(self) -> None:
        edited = RulesDialog.ask(self, replace(self._rules, advisor=self.advisor.text().strip()))
        if edited is not None:
            self._rules = edited
            self._edited = True
            self.advisor.setText(edited.advisor)
            self._show_rules()

    def request(self) -> DraftRequest:
        """What the user chose."""
        rules = self._rules
        advisor = self.advisor.text().strip()
        changed = self._edited or advisor != rules.advisor
        return DraftRequest(
            holdout_fraction=self.fraction.value() / 100.0 if self.holdout.isChecked() else 0.0,
            ignore_risk_gate=self.ignore_gate.isChecked(),
            rules=replace(rules, advisor=advisor) if changed else None,
        )

    def accept(self) -> None:
        qsettings.set_value("interventions/holdout", self.holdout.isChecked())
        qsettings.set_value("interventions/holdoutPercent", self.fraction.value())
        qsettings.save_geometry(self, "interventions/draft")
        super().accept()

    @classmethod
    def ask(cls, parent: QWidget | None, *, who: str, rules: RuleSet, students: int) -> DraftRequest | None:
        """Show the dialog; the request, or None when cancelled."""
        dialog = cls(who, rules, students, parent)
        try:
            return dialog.request() if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            dialog.deleteLater()


__all__ = ["DraftDialog", "explanation_html"]
