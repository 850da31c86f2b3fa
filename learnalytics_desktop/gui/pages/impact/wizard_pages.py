"""Steps 2 and 3 of the impact wizard: check the design, then the estimates.

* :class:`DesignPage` says whether chance formed the groups. Either way it shows the balance
  table (each pre-intervention measure's mean per group and standardised mean difference,
  |SMD| > 0.1 marked in words and colour) and, when a non-randomised comparison is
  confounded, a plain warning.
* :class:`EstimatePage` shows every estimate with its 95% CI and p-value, the recommended one
  marked, which one to believe and why; for a numeric outcome the user picks the test of the
  plain comparison (Welch's by default), which re-runs the statistics on the CPU pool.

The wizard calls ``on_analysed`` (a new result) and ``on_state`` (work started, ended or failed).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QRadioButton,
    QTableView,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from learnalytics_desktop.core.impact.wording import TESTS
from learnalytics_desktop.gui.models.columns import Column
from learnalytics_desktop.gui.models.frame_table import FrameTableModel
from learnalytics_desktop.gui.pages.impact.tables import balance_frame, confounding_text, estimates_frame

if TYPE_CHECKING:  # pragma: no cover
    from learnalytics_desktop.gui.pages.impact.wizard import ImpactWizard

WARN_STYLE = "QLabel { background: #fff4e5; border: 1px solid #e0a040; padding: 8px; color: #5a3000; }"
# palette roles, not fixed light colours: readable in a dark theme too (WARN sets both)
GOOD_STYLE = "QLabel { background: palette(alternate-base); color: palette(text); border: 1px solid #8c8; padding: 8px; }"
INFO_STYLE = "QLabel { background: palette(alternate-base); color: palette(text); border: 1px solid #9bc; padding: 8px; }"
IMBALANCED = QColor("#FBE6BC")
WHICH = {"adjusted": "adjusted estimate", "rd": "regression discontinuity", "naive": "plain comparison"}


def make_table(name: str, stretch: int | None = None) -> QTableView:
    """A read-only table view, one compact line per row; columns fit their contents except
    ``stretch``, which takes the remaining width (long text there is elided, with a tooltip)."""
    view = QTableView()
    view.setAccessibleName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setWordWrap(False)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(stretch is None)
    view.stretch_column = stretch  # type: ignore[attr-defined]
    return view


def fit_columns(view: QTableView) -> None:
    """Apply the stretch column chosen in :func:`make_table` (after the model has its columns)."""
    stretch = getattr(view, "stretch_column", None)
    if stretch is not None and 0 <= stretch < view.model().columnCount():
        view.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)


def status_label() -> QLabel:
    """The label that says "working…" or shows an error in red (hidden when it has nothing)."""
    label = QLabel()
    label.setWordWrap(True)
    label.setAccessibleName("Analysis status")
    label.hide()
    return label


def show_status(label: QLabel, html: str) -> None:
    """Set the status label's text and show it only when there is some."""
    label.setText(html)
    label.setVisible(bool(html))


def escape(text: str) -> str:
    """HTML-escape for Qt rich text (which does not read the hex entity of an apostrophe)."""
    return html.escape(text, quote=False)


class DesignPage(QWizardPage):
    """See the module docstring."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("2. Check the design")
        self.setSubTitle(
            "Were the groups alike before the intervention? Only then does a plain comparison show "
            "what the intervention did."
        )
        self.status = status_label()
        self.design = QLabel()
        self.design.setWordWrap(True)
        self.warning = QLabel()
        self.warning.setObjectName("confoundedWarning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(WARN_STYLE)
        self.warning.setAccessibleName("Warning about the comparison")
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        columns = [
            Column("covariate", "Measured before the intervention"),
            Column("mean_treated", "Mean, intervention", "float", 2),
            Column("mean_control", "Mean, comparison", "float", 2),
            Column(
                "smd",
                "SMD",
                "float",
                2,
                tooltip="Standardised mean difference; above 0.1 in size = not alike",
            ),
            Column("imbalanced", "Imbalanced?"),
            Column(
                "smd_weighted",
                "SMD after weighting",
                "float",
                2,
                tooltip="SMD once students are weighted by their propensity score (adjusted estimate)",
            ),
        ]
        self.columns = columns
        self.model = FrameTableModel(columns=columns, parent=self)
        self.model.set_role_hook(Qt.ItemDataRole.BackgroundRole, self._background)
        self.view = make_table("Balance table", stretch=0)
        self.view.setModel(self.model)
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.notes.setTextFormat(Qt.TextFormat.RichText)
        self.notes.setStyleSheet("color: palette(placeholder-text);")
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.design)
        layout.addWidget(self.warning)
        layout.addWidget(self.intro)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.notes)

    @property
    def wiz(self) -> ImpactWizard:
        return self.wizard()  # type: ignore[return-value]

    def initializePage(self) -> None:
        self.on_state()
        self.on_analysed()

    def _background(self, pos: int, column: str) -> Any:
        frame = self.model.frame
        if (
            frame is not None
            and frame.iat[pos, frame.columns.get_loc("imbalanced")] != "no"
            and column in ("smd", "imbalanced")
        ):
            return QBrush(IMBALANCED)
        return None

    def on_state(self) -> None:
        """The wizard started or finished work (or failed)."""
        show_status(self.status, self.wiz.status_html())
        self.completeChanged.emit()

    def on_analysed(self) -> None:
        """A new result arrived."""
        result = self.wiz.result
        if result is None:
            return
        if result.randomised:
            self.design.setText(
                "<b>Randomised:</b> chance decided who got the intervention and who was held back, "
                "so the groups should be alike in every way except the intervention. The table shows "
                "how alike they were; small differences by chance are normal."
            )
        else:
            self.design.setText(
                "<b>Not randomised:</b> " + escape(result.design) + " They may have "
                "differed before the intervention. The table compares them on what was measured "
                "before it."
            )
        text = confounding_text(result)
        self.warning.setText("⚠ " + text if text else "")
        self.warning.setVisible(bool(text))
        frame = balance_frame(result)
        chance = result.diagnostics.get("chance_imbalance")
        if frame.empty:
            self.intro.setText(
                "No measures from before the intervention are available, so the groups cannot be "
                "compared on them."
            )
        elif chance:
            self.intro.setText(
                f"{chance['imbalanced']} of {chance['covariates']} measures differ by more than 0.1 standard "
                f"deviations (SMD); with groups this size chance alone produces about {chance['expected']:.0f}. "
                "A randomised comparison is not weighted: the plain difference is the estimate."
            )
        else:
            bad = int((frame["imbalanced"] != "no").sum())
            self.intro.setText(
                f"{bad} of {len(frame)} measures differ by more than 0.1 standard deviations (SMD)."
            )
        weighted = "smd_weighted" in frame.columns and frame["smd_weighted"].notna().any()
        self.model.set_frame(frame, self.columns if weighted else self.columns[:-1])
        fit_columns(self.view)
        after = (
            " <i>SMD after weighting</i>: the same measure once students are weighted by how likely they were "
            "to be chosen (what the adjusted estimate uses); near 0 means the weighting made the groups alike."
            if weighted
            else ""
        )
        said = ("The groups differed before the intervention", "By chance the groups differ")
        notes = [escape(w) for w in result.warnings if not w.startswith(said)]
        self.notes.setText(after + ("<br><b>About the data:</b> " + " ".join(notes) if notes else ""))
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.wiz is not None and self.wiz.result is not None and not self.wiz.busy


class EstimatePage(QWizardPage):
    """See the module docstring."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("3. Estimate the effect")
        self.setSubTitle("Every estimate with its 95% confidence interval; the one to report is marked.")
        self.status = status_label()
        self.tests = QButtonGroup(self)
        self.test_radios: dict[str, QRadioButton] = {}
        self.test_row = QWidget()
        row = QHBoxLayout(self.test_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Test for the plain comparison:"))
        for key, text in TESTS.items():
            radio = QRadioButton(text + (" (default)" if key == "welch" else ""))
            radio.toggled.connect(lambda on, k=key: on and self._test_chosen(k))
            self.tests.addButton(radio)
            self.test_radios[key] = radio
            row.addWidget(radio)
        row.addStretch(1)
        self.believe = QLabel()
        self.believe.setWordWrap(True)
        self.believe.setStyleSheet(INFO_STYLE)
        self.believe.setAccessibleName("Which estimate to believe")
        self.columns = [
            Column("section", "Kind"),
            Column("label", "Estimate"),
            Column("value_text", "Value"),
            Column("ci_text", "95% CI"),
            Column("p_text", "p"),
            Column("note", "How it was computed"),
        ]
        self.model = FrameTableModel(columns=self.columns, parent=self)
        self.model.set_role_hook(Qt.ItemDataRole.FontRole, self._font)
        self.view = make_table("Estimates", stretch=5)
        self.view.setModel(self.model)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.test_row)
        layout.addWidget(self.believe)
        layout.addWidget(self.view, 1)
        ci_note = QLabel(
            "The 95% CI is the range of values the data are compatible with; when it includes 0 (or 1 "
            "for an odds ratio), the data cannot tell the effect apart from no effect. Hover over a row "
            "to read how it was computed in full."
        )
        ci_note.setWordWrap(True)
        ci_note.setStyleSheet("color: palette(placeholder-text);")
        layout.addWidget(ci_note)

    @property
    def wiz(self) -> ImpactWizard:
        return self.wizard()  # type: ignore[return-value]

    def initializePage(self) -> None:
        self.on_state()
        self.on_analysed()

    def _font(self, pos: int, column: str) -> Any:
        frame = self.model.frame
        if frame is not None and bool(frame.iat[pos, frame.columns.get_loc("recommended")]):
            font = QFont()
            font.setBold(True)
            return font
        return None

    def _test_chosen(self, key: str) -> None:
        if self.wiz is not None and self.wiz.result is not None and key != self.wiz.test:
            self.wiz.rerun(test=key)

    def on_state(self) -> None:
        """The wizard started or finished work (or failed)."""
        show_status(self.status, self.wiz.status_html())
        self.completeChanged.emit()

    def on_analysed(self) -> None:
        """A new result arrived."""
        result = self.wiz.result
        if result is None:
            return
        self.test_row.setVisible(result.kind == "numeric")
        radio = self.test_radios.get(self.wiz.test)
        if radio is not None and not radio.isChecked():
            radio.blockSignals(True)
            radio.setChecked(True)
            radio.blockSignals(False)
        est = result.estimates[result.recommended]
        frame = estimates_frame(result, self.wiz.test)
        row = frame[frame["key"] == result.recommended].iloc[0]
        which = WHICH.get(result.recommended, "plain comparison")
        if est.estimate is None:
            self.believe.setText(
                f"<b>No estimate to report.</b> {escape(str(est.extra.get('withheld', '')))}<br>"
                f"{escape(result.recommended_reason)}"
            )
        else:
            self.believe.setText(
                f"<b>Report the {which}: {escape(est.label)} = {escape(row['value_text'])} (95% CI "
                f"{escape(row['ci_text'])}), in {escape(result.unit)}.</b><br>{escape(result.recommended_reason)}"
            )
        self.model.set_frame(frame, self.columns)
        fit_columns(self.view)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.wiz is not None and self.wiz.result is not None and not self.wiz.busy


__all__ = ["DesignPage", "EstimatePage", "escape", "fit_columns", "make_table", "show_status", "status_label"]
