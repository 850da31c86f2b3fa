"""The impact wizard (a QWizard): did the interventions change the outcome?

1. :class:`~learnalytics_desktop.gui.pages.impact.choose.ChoosePage`: groups and outcome.
2. :class:`~learnalytics_desktop.gui.pages.impact.wizard_pages.DesignPage`: randomised? balance.
3. :class:`~learnalytics_desktop.gui.pages.impact.wizard_pages.EstimatePage`: the estimates.
4. :class:`~learnalytics_desktop.gui.pages.impact.results.ResultsPage`: verdict, plot,
   checks, report export.

The statistics are the core's: leaving step 1 builds the table on the database thread
(``core.impact.runs.prepare``), then ``runs.run_analysis`` runs on the CPU pool, the
same two halves as ``core.impact.impact_from_db``; a different test re-runs only the second.
Expected data problems (too few students, no outcomes) are shown on the page; anything else
goes to the error dialog. ``ImpactWizard.ask(parent, runner, ctx)`` runs it modally.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QWidget, QWizard

from learnalytics_desktop.core.impact.records import (
    new_analysis_id,
    record_analysis,
    record_report,
    report_html,
    write_html_report,
)
from learnalytics_desktop.core.impact.runs import AnalysisSpec, groups_file_stamp, prepare, run_analysis
from learnalytics_desktop.core.impact.wording import variable_label
from learnalytics_desktop.gui import qsettings
from learnalytics_desktop.gui.dialogs import files
from learnalytics_desktop.gui.pages.impact.choose import ChoosePage
from learnalytics_desktop.gui.pages.impact.results import ResultsPage
from learnalytics_desktop.gui.pages.impact.tables import group_names
from learnalytics_desktop.gui.pages.impact.wizard_pages import DesignPage, EstimatePage
from learnalytics_desktop.gui.widgets.screen_fit import fit_to_screen
from learnalytics_desktop.gui.workers import Task, TaskRunner, db_job

FILTERS = {"pdf": "PDF files (*.pdf)", "html": "Web pages (*.html *.htm)"}


@dataclass
class WizardOutcome:
    """What a finished wizard hands back."""

    spec: AnalysisSpec
    result: Any  # core.impact.ImpactResult
    analysis_id: str | None


def expected_problem(exc: BaseException) -> bool:
    """Data problems the user can fix (shown on the page), as opposed to bugs (error dialog)."""
    return isinstance(exc, (ValueError, OSError))


class ImpactWizard(QWizard):
    """See the module docstring."""

    analysed = Signal()
    state_changed = Signal()

    def __init__(
        self, runner: TaskRunner, ctx: Any, preset: AnalysisSpec | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Impact analysis")
        self.setObjectName("impactWizard")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setButtonText(QWizard.WizardButton.FinishButton, "Done")
        self.runner = runner
        self.ctx = ctx
        self.db_path = ctx.db_path
        self.spec: AnalysisSpec | None = None
        self.prepared: Any = None
        self.result: Any = None
        self.busy = False
        self.message = ""
        self.error = ""
        self.analysis_id: str | None = None
        self.last_report: Path | None = None
        self._recorded: Any = None
        self._stamp: str | None = None
        """Fingerprint of the groups file the shown result read (a changed file is read again)."""
        self._closed = False
        self.test = preset.test if preset else "welch"
        self.preset_outcome = preset.outcome if preset else "final_grade"
        courses = list(ctx.courses) or ([ctx.course] if ctx.course is not None else [])
        self.course_names = {int(c.id): (getattr(c, "label", None) or str(c.id)) for c in courses}

        self.choose = ChoosePage()
        self.design = DesignPage()
        self.estimate = EstimatePage()
        self.results = ResultsPage()
        for page in (self.choose, self.design, self.estimate, self.results):
            self.addPage(page)
        for page in (self.design, self.estimate, self.results):
            self.analysed.connect(page.on_analysed)
            self.state_changed.connect(page.on_state)
        self.choose.set_courses(courses, preset.course_id if preset else ctx.course_id)
        if preset is not None:
            self.choose.radios[preset.source].setChecked(True)
            if preset.groups_path:
                self.choose.path.setText(preset.groups_path)
            self.choose.randomised.setChecked(bool(preset.randomised))
            if preset.cutoff is not None:
                self.choose.threshold.setChecked(True)
                self.choose.cutoff.setValue(preset.cutoff)
        fit_to_screen(self, 1040, 720, min_width=720, min_height=480)
        qsettings.restore_geometry(self, "impact/wizard")

    # -- the analysis ----------------------------------------------------------------------------
    def start(self, spec: AnalysisSpec) -> Task | None:
        """Run the analysis for ``spec`` (nothing new when that result is already shown)."""
        stamp = groups_file_stamp(spec.groups_path) if spec.source == "csv" else None
        if self.result is not None and spec == self.spec and stamp == self._stamp:
            return None
        self.spec, self.test, self._stamp = spec, spec.test, stamp
        self.prepared = self.result = None
        self.analysis_id = None
        self._set_busy("Building the comparison table (features before the intervention, outcomes)…")
        return (
            self.runner.submit(db_job(prepare), self.db_path, spec)
            .keyed("impact.prepare")
            .with_progress("Preparing the impact analysis…")
            .on_success(lambda prepared, s=spec: self._prepared(s, prepared))
            .on_failure(self._failed)
        )

    def _prepared(self, spec: AnalysisSpec, prepared: Any) -> None:
        if self._closed or spec != self.spec:
            return
        self.prepared = prepared
        self._analyse()

    def _analyse(self) -> Task:
        spec = self.spec
        self._set_busy("Computing the statistics (the adjusted estimate bootstraps 1,000 resamples)…")
        return (
            self.runner.submit(run_analysis, self.prepared, spec)
            .in_pool()
            .keyed("impact.analyse")
            .with_progress("Computing the impact statistics…")
            .on_success(lambda result, s=spec: self._done(s, result))
            .on_failure(self._failed)
        )

    def rerun(self, test: str) -> Task | None:
        """Re-run the statistics with another test for the plain comparison."""
        if self.spec is None or self.prepared is None or test == self.test:
            return None
        self.spec, self.test = replace(self.spec, test=test), test
        self.analysis_id = None
        return self._analyse()

    def _done(self, spec: AnalysisSpec, result: Any) -> None:
        if self._closed or spec != self.spec:
            return
        self.result = result
        self.busy, self.error, self.message = False, "", ""
        self.state_changed.emit()
        self.analysed.emit()

    def _failed(self, exc: BaseException) -> None:
        if self._closed:
            return
        self.busy, self.message = False, ""
        self.error = str(exc) or type(exc).__name__
        if not expected_problem(exc):
            self._report_bug(exc, "The impact analysis")
        self.state_changed.emit()

    def _report_bug(self, exc: BaseException, what: str) -> None:
        """Send an unexpected error to the runner's failure handler (the error dialog)."""
        task = Task(self.runner, self._report_bug, (), {})
        task.label = what
        self.runner.failure_handler(task, exc)

    def _set_busy(self, message: str) -> None:
        self.busy, self.message, self.error = True, message, ""
        self.state_changed.emit()

    def status_html(self) -> str:
        """What the pages show above their content: work in progress or the problem."""
        if self.busy:
            return f"<i>{escape(self.message)}</i>"
        if self.error:
            return (
                f"<span style='color:#a00000'><b>The analysis could not be run:</b> {escape(self.error)}</span>"
                "<br>Go back to choose other groups or another outcome."
            )
        return ""

    def names(self) -> dict[str, str]:
        """What the groups are called on screen."""
        return group_names(
            self.spec.source if self.spec else "", bool(self.result and self.result.randomised)
        )

    def outcome_label(self) -> str:
        """The outcome in words."""
        name = self.spec.outcome if self.spec else ""
        return variable_label(name)

    def course_name(self) -> str:
        """The analysed course's name."""
        return self.course_names.get(self.spec.course_id, str(self.spec.course_id)) if self.spec else ""

    # -- records and reports ---------------------------------------------------------------------
    def record(self) -> Task | None:
        """Record the shown result in the audit log (once per result)."""
        if self.result is None or self._recorded is self.result or self.spec is None:
            return None
        self._recorded = self.result
        self.analysis_id = new_analysis_id()
        return self.runner.submit(
            db_job(record_analysis), self.db_path, self.spec, self.result, self.analysis_id
        )

    def report_html(self) -> str:
        """The report of the shown result, with the distribution plot."""
        return report_html(
            self.result, self.spec, course_name=self.course_name(), figures=self.results.figures()
        )

    def export_report(self, fmt: str) -> Task | None:
        """Ask where, then write the report as ``pdf`` or ``html`` (atomically; logged)."""
        if self.result is None or self.spec is None:
            return None
        suggested = f"impact-{self.spec.outcome}-{date.today().isoformat()}.{fmt}"
        path = files.ask_save_file(self, "Export the impact report", suggested, FILTERS[fmt])
        if path is None:
            return None
        if path.suffix.lower() not in {f".{fmt}", ".htm"}:
            path = path.with_name(path.name + f".{fmt}")
        self.record()
        page = self.report_html()
        students = int(sum(self.result.n.values()))
        if fmt == "pdf":
            from learnalytics_desktop.gui.report_pdf import write_pdf

            try:
                write_pdf(path, page, title="Impact report")
            except Exception as exc:
                self._report_bug(exc, "Writing the PDF report")
                return None
            task = self.runner.submit(
                db_job(record_report),
                self.db_path,
                str(path),
                "pdf",
                analysis_id=self.analysis_id,
                students=students,
            )
        else:
            task = self.runner.submit(
                db_job(write_html_report),
                self.db_path,
                str(path),
                page,
                analysis_id=self.analysis_id,
                students=students,
            )
        self.last_report = path
        return task.with_progress("Writing the report…").on_success(
            lambda _r: self.results.show_written(f"Report written to {path}") if not self._closed else None
        )

    # -- closing ---------------------------------------------------------------------------------
    def done(self, result: int) -> None:
        self._closed = True
        self.runner.cancel("impact.prepare")
        self.runner.cancel("impact.analyse")
        qsettings.save_geometry(self, "impact/wizard")
        super().done(result)

    @classmethod
    def ask(
        cls, parent: QWidget | None, runner: TaskRunner, ctx: Any, preset: AnalysisSpec | None = None
    ) -> WizardOutcome | None:
        """Run the wizard modally; what it found, or None when cancelled before the end."""
        wizard = cls(runner, ctx, preset, parent)
        try:
            if wizard.exec() != QDialog.DialogCode.Accepted or wizard.result is None or wizard.spec is None:
                return None
            return WizardOutcome(wizard.spec, wizard.result, wizard.analysis_id)
        finally:
            wizard.deleteLater()


__all__ = ["ImpactWizard", "WizardOutcome"]
