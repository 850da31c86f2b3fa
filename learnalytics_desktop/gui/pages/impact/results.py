"""Step 4 of the impact wizard: the verdict, descriptives, the distribution plot, assumption
checks, power, warnings, and the report export (PDF or HTML).

The verdict is the core's sentence (``ImpactResult.verdict``). Showing this page records the
analysis in the audit log (once per result), so the Impact page lists it and exported
reports are linked to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from learnalytics_desktop.core.impact import wording
from learnalytics_desktop.gui.models.columns import Column
from learnalytics_desktop.gui.models.frame_table import FrameTableModel
from learnalytics_desktop.gui.pages.impact.plot import DistributionPlot, RDPlot
from learnalytics_desktop.gui.pages.impact.tables import assumptions_html, descriptives_frame, power_text
from learnalytics_desktop.gui.pages.impact.wizard_pages import (
    GOOD_STYLE,
    INFO_STYLE,
    WARN_STYLE,
    escape,
    fit_columns,
    make_table,
    show_status,
    status_label,
)

if TYPE_CHECKING:  # pragma: no cover
    from learnalytics_desktop.gui.pages.impact.wizard import ImpactWizard

NUMERIC_COLUMNS = [
    Column("group", "Group"),
    Column("n", "Students", "int"),
    Column("mean", "Mean", "float", 1),
    Column("sd", "SD", "float", 1),
    Column("median", "Median", "float", 1),
    Column("iqr", "Middle half"),
    Column("range", "Range"),
]
BINARY_COLUMNS = [
    Column("group", "Group"),
    Column("n", "Students", "int"),
    Column("events", "With the outcome", "int"),
    Column("proportion", "Share", "percent", 1),
    Column("ci", "95% CI"),
]


class ResultsPage(QWizardPage):
    """See the module docstring."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("4. Results")
        self.setSubTitle("What the comparison shows, in plain words, with the numbers behind it.")
        self.setFinalPage(True)
        self.status = status_label()
        self.headline = QLabel()
        self.headline.setObjectName("impactHeadline")
        self.headline.setWordWrap(True)
        self.headline.setAccessibleName("Important")
        self.headline.setStyleSheet(WARN_STYLE + " QLabel { font-weight: bold; }")
        self.headline.hide()
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.verdict.setAccessibleName("Verdict")
        self.verdict.setStyleSheet(INFO_STYLE + " QLabel { font-size: 11pt; }")
        self.model = FrameTableModel(columns=NUMERIC_COLUMNS, parent=self)
        self.table = make_table("Descriptives per group", stretch=0)
        self.table.setModel(self.model)
        self.table.setMaximumHeight(90)
        self.table.setSelectionMode(self.table.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.plot = DistributionPlot()
        self.rd_plot = RDPlot()
        self.plots = QTabWidget()
        self.plots.setAccessibleName("Plots")
        self.plots.addTab(self.plot, "Distribution")
        self.plots.addTab(self.rd_plot, "At the cut-off")
        self.details = QTextBrowser()
        self.details.setAccessibleName("Assumption checks, power and warnings")
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.table)
        ll.addWidget(self.details, 1)
        self.split = QSplitter()
        self.split.addWidget(left)
        self.split.addWidget(self.plots)
        self.split.setSizes([560, 440])
        self.export_pdf = QPushButton("Export report as &PDF…")
        self.export_html = QPushButton("Export report as &HTML…")
        self.export_pdf.clicked.connect(lambda: self.wiz.export_report("pdf"))
        self.export_html.clicked.connect(lambda: self.wiz.export_report("html"))
        self.written = QLabel()
        self.written.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.export_pdf)
        row.addWidget(self.export_html)
        row.addWidget(self.written, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.headline)
        layout.addWidget(self.verdict)
        layout.addWidget(self.split, 1)
        layout.addLayout(row)

    @property
    def wiz(self) -> ImpactWizard:
        return self.wizard()  # type: ignore[return-value]

    def initializePage(self) -> None:
        self.on_state()
        self.on_analysed()

    def on_state(self) -> None:
        """The wizard started or finished work (or failed)."""
        show_status(self.status, self.wiz.status_html())
        busy = self.wiz.busy or self.wiz.result is None
        self.export_pdf.setEnabled(not busy)
        self.export_html.setEnabled(not busy)
        self.completeChanged.emit()

    def on_analysed(self) -> None:
        """Show the wizard's result (and record it once)."""
        result = self.wiz.result
        if result is None or self.wiz.currentPage() is not self:
            return
        names = self.wiz.names()
        self.verdict.setText(escape(result.verdict))
        self.verdict.setStyleSheet(
            (GOOD_STYLE if result.randomised else INFO_STYLE) + " QLabel { font-size: 11pt; }"
        )
        columns = NUMERIC_COLUMNS if result.kind == "numeric" else BINARY_COLUMNS
        self.model.set_frame(descriptives_frame(result, names), columns)
        fit_columns(self.table)
        self.plot.show_result(result, names, self.wiz.outcome_label())
        self.rd_plot.show_result(result, self.wiz.outcome_label())
        has_rd = "rd" in result.diagnostics
        self.plots.setTabVisible(1, has_rd)
        self.plots.setCurrentIndex(1 if self.rd_plot.has_data else 0)
        head = wording.headline_warnings(result)
        self.headline.setText("<br>".join("⚠ " + escape(w) for w in head))
        self.headline.setVisible(bool(head))
        parts = [
            f"<p><b>Design:</b> {escape(result.design)}</p>",
            f"<p><b>Differences are in</b> {escape(result.unit)}.</p>",
            f"<p><b>Did the groups differ before the intervention?</b> {escape(wording.confounded_text(result))}</p>",
        ]
        rd = wording.rd_summary(result)
        if rd:
            parts.append(f"<p><b>At the cut-off:</b> {escape(rd)}</p>")
        power = power_text(result, names)
        if power:
            parts.append(f"<p><b>Power:</b> {escape(power)}</p>")
        parts.append("<p><b>Assumption checks</b></p>" + assumptions_html(result, names))
        if result.warnings:
            parts.append(
                "<p><b>Warnings</b></p><ul>"
                + "".join(f"<li>{escape(w)}</li>" for w in result.warnings if w not in head)
                + "</ul>"
            )
        self.details.setHtml("".join(parts))
        self.wiz.record()

    def figures(self) -> dict[str, tuple[bytes, str]]:
        """The plots for the report: ``distribution`` always, ``rd`` for a threshold design."""
        out = {"distribution": (self.plot.png(), self.plot.caption)}
        if self.rd_plot.has_data:
            out["rd"] = (self.rd_plot.png(), self.rd_plot.caption)
        return out

    def show_written(self, text: str) -> None:
        """Say where the report went."""
        self.written.setText(text)

    def isComplete(self) -> bool:
        return self.wiz is not None and self.wiz.result is not None and not self.wiz.busy


__all__ = ["ResultsPage"]
