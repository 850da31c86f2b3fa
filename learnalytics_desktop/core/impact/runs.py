"""One impact analysis as the app and the command line run it: the choices, then two steps.

* :class:`AnalysisSpec` holds the choices (course, comparison, outcome, test, cut-off).
* The analysis runs in two steps so the wizard can put each on the right thread:
  :func:`prepare` builds the one-row-per-student table from the database (database thread)
  and :func:`run_analysis` computes the statistics from it (CPU pool, no database). Together
  they are exactly :func:`core.impact.impact_from_db` (same table, same arguments, same
  warnings), so the wizard's numbers are the core's numbers; :func:`analyse` chains them and
  is what the CLI calls.
* :func:`groups_file_stamp` fingerprints a groups CSV (size and SHA-256 of its bytes), so a
  caller that already ran an analysis knows when the file changed and must be read again.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from learnalytics_desktop.core.impact.estimates import ImpactError
from learnalytics_desktop.core.impact.wording import SOURCES, TESTS, describe_source

if TYPE_CHECKING:  # pragma: no cover
    import sqlite3

    import pandas as pd

    from learnalytics_desktop.core.impact.analysis import ImpactResult


@dataclass(frozen=True)
class AnalysisSpec:
    """The wizard's choices: course, comparison source, outcome and the test to report."""

    course_id: int
    source: str
    outcome: str
    groups_path: str | None = None
    randomised: bool | None = None
    """For a groups CSV: True when the user says chance decided the groups."""
    test: str = "welch"
    seed: int = 0
    n_boot: int = 1000
    cutoff: float | None = None
    """A risk threshold that decided who was treated (regression discontinuity); None uses
    the one the drafting log recorded, when there is one."""

    def validate(self) -> None:
        """Raise :class:`ImpactError` naming the choice that is missing or wrong."""
        if self.source not in SOURCES:
            raise ImpactError(f"Choose the comparison: one of {', '.join(SOURCES)}, not {self.source!r}.")
        if self.source == "csv" and not self.groups_path:
            raise ImpactError("Choose the groups CSV file (columns student and group).")
        if not self.outcome:
            raise ImpactError("Choose the outcome to compare.")
        if self.cutoff is not None and not 0.0 <= self.cutoff <= 1.0:
            raise ImpactError(f"The risk cut-off must be between 0 and 1, not {self.cutoff!r}.")
        if self.test not in TESTS:
            raise ImpactError(f"The test must be one of {', '.join(TESTS)}, not {self.test!r}.")

    def describe(self) -> str:
        """The comparison in words, e.g. "Groups from a CSV file (groups.csv)"."""
        return describe_source(self.source, self.groups_path)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict."""
        return asdict(self)


@dataclass
class Prepared:
    """The analysis table and what the core says about it (``impact_frame``'s meta)."""

    frame: pd.DataFrame
    meta: dict[str, Any]


def prepare(conn: sqlite3.Connection, spec: AnalysisSpec, *, report: Any = None) -> Prepared:
    """Build the analysis table for ``spec`` (database work: covariates may be recomputed)."""
    from learnalytics_desktop.core.impact.from_db import impact_frame, load_outcome, read_groups_csv

    spec.validate()
    load_outcome(conn, spec.course_id, spec.outcome)  # a clear message for an unknown outcome, first
    groups = read_groups_csv(spec.groups_path) if spec.source == "csv" and spec.groups_path else None
    comparison = "holdout" if spec.source == "holdout" else "untreated"
    frame, meta = impact_frame(
        conn, spec.course_id, groups, spec.outcome, comparison=comparison, report=report
    )
    return Prepared(frame, meta)


def run_analysis(prepared: Prepared, spec: AnalysisSpec, *, report: Any = None) -> ImpactResult:
    """The statistics for a prepared table (no database: safe on a CPU pool thread)."""
    from learnalytics_desktop.core.impact.analysis import analyze_impact

    meta = prepared.meta
    result = analyze_impact(
        prepared.frame,
        outcome=spec.outcome,
        group_col="group",
        covariates=meta["covariates"],
        randomised=meta["randomised"] if spec.randomised is None else spec.randomised,
        kind="auto",
        seed=spec.seed,
        test=spec.test,
        n_boot=spec.n_boot,
        report=report,
        selection=meta["selection"],
        cutoff=meta["cutoff"] if spec.cutoff is None else spec.cutoff,
        running=meta["running"],
    )
    result.warnings[:0] = meta["warnings"]
    result.diagnostics["source"] = meta["source"]
    return result


def analyse(conn: sqlite3.Connection, spec: AnalysisSpec, *, report: Any = None) -> ImpactResult:
    """:func:`prepare` then :func:`run_analysis` (what ``impact_from_db`` computes)."""
    return run_analysis(prepare(conn, spec, report=report), spec, report=report)


def groups_file_stamp(path: str | os.PathLike[str] | None) -> str | None:
    """Size and SHA-256 of a groups file (None without a path; "missing" when it is gone)."""
    if not path:
        return None
    try:
        data = Path(path).read_bytes()
    except OSError:
        return "missing"
    return f"{len(data)}:{hashlib.sha256(data).hexdigest()}"


__all__ = ["AnalysisSpec", "Prepared", "analyse", "groups_file_stamp", "prepare", "run_analysis"]
