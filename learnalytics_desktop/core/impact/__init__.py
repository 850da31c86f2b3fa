"""Impact statistics: did the interventions change the outcome, and how sure can we be?

Public API (pandas/scipy are imported only when a function runs)::

    analyze_impact(df, *, outcome, group_col="group", covariates=None, randomised=None,
                   kind="auto", seed=0, test="welch", n_boot=1000) -> ImpactResult
    impact_from_db(conn, course_id, groups, outcome, *, comparison="holdout", ...) -> ImpactResult
    impact_frame(conn, course_id, groups, outcome, *, comparison="holdout") -> (DataFrame, meta)
    read_groups_csv(path) -> DataFrame
    render_report_html(result) -> str

Modules: ``numeric`` (t-tests, Mann-Whitney, d/g/Glass, power), ``binary`` (risk
difference, odds ratio, Fisher), ``adjust`` (balance, propensity, IPW, doubly robust,
overlap weights, regression, bootstrap), ``rd`` (regression discontinuity at a risk
cut-off, density test), ``designs`` (randomised, threshold and observational analyses,
overlap diagnostics, possible-range intervals), ``analysis`` (the orchestration),
``verdict`` (the plain-language sentence), ``wording`` (every other word about a result:
units, names, flags; shared by the wizard, the report and the CLI), ``report`` (HTML),
``from_db`` (building the table).

Use cases the GUI and the CLI both call: ``sources.source_info`` (what a course offers),
``runs.AnalysisSpec`` / ``runs.prepare`` / ``runs.run_analysis`` / ``runs.analyse`` (one
analysis), ``records.record_analysis`` / ``records.list_analyses`` /
``records.report_html`` / ``records.write_html_report`` / ``records.record_report``.
"""

from __future__ import annotations

from learnalytics_desktop.core.impact.analysis import ImpactResult, analyze_impact
from learnalytics_desktop.core.impact.estimates import Estimate, ImpactError
from learnalytics_desktop.core.impact.from_db import (
    impact_frame,
    impact_from_db,
    load_outcome,
    read_groups_csv,
)
from learnalytics_desktop.core.impact.report import render_report_html

__all__ = [
    "Estimate",
    "ImpactError",
    "ImpactResult",
    "analyze_impact",
    "impact_frame",
    "impact_from_db",
    "load_outcome",
    "read_groups_csv",
    "render_report_html",
]
