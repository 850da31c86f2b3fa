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
regression, bootstrap), ``analysis`` (the orchestration and the choice of estimate),
``verdict`` (plain language), ``report`` (HTML), ``from_db`` (building the table).
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
