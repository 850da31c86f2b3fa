"""What the impact wizard needs beyond ``core.impact``: choices, the two-step run, records.

* :func:`source_info` says which comparisons and outcomes a course offers (first page).
* The analysis runs in two steps so the wizard can put each on the right thread:
  :func:`prepare` builds the one-row-per-student table from the database (database thread)
  and :func:`run_analysis` computes the statistics from it (CPU pool, no database). Together
  they are exactly :func:`core.impact.impact_from_db` (same table, same arguments, same
  warnings), so the wizard's numbers are the core's numbers; :func:`analyse` chains them.
* :func:`record_analysis` keeps a summary of a finished analysis in the audit log (action
  ``impact_analysis``; aggregates only, never a learner identifier) and
  :func:`list_analyses` reads them back, newest first, with the reports exported for each
  (export log rows ``what = "impact report"`` carrying the analysis id).
* :func:`report_html` is the core report plus the wizard's figure;
  :func:`write_html_report` writes it atomically and logs the export.

Decision: past analyses live in the audit log, not a new table, as the export log does: it
needs no schema change, the privacy tools already read that table, and what is stored is a
summary of aggregates.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from learnalytics_desktop.core.impact.estimates import ImpactError

if TYPE_CHECKING:  # pragma: no cover
    import sqlite3

    import pandas as pd

    from learnalytics_desktop.core.impact.analysis import ImpactResult

SOURCES = {
    "holdout": "Treated vs randomised hold-out (interventions log)",
    "untreated": "Treated vs not treated (interventions log)",
    "csv": "Groups from a CSV file",
}
OUTCOME_TEXT = {"final_grade": "Final grade", "passed": "Passed", "withdrew": "Withdrew"}
TESTS = {"welch": "Welch's t-test", "student": "Student's t-test", "mann_whitney": "Mann-Whitney U"}
ANALYSIS_ACTION = "impact_analysis"
REPORT_WHAT = "impact report"


@dataclass
class SourceInfo:
    """What a course offers the wizard: comparison groups and outcomes with their counts."""

    course_id: int
    course_name: str
    holdout_treated: int = 0
    """Students in the treated arm of batches that had a randomised hold-out."""
    holdout_control: int = 0
    holdout_batches: int = 0
    treated: int = 0
    """Students with an intervention that left the app (exported or done)."""
    outcomes: dict[str, int] = field(default_factory=dict)
    """Outcome name -> students with a value."""
    kinds: dict[str, str] = field(default_factory=dict)
    """Outcome name -> ``numeric`` or ``binary``."""


def source_info(conn: sqlite3.Connection, course_id: int) -> SourceInfo:
    """Counts for the first wizard page (see :class:`SourceInfo`)."""
    from learnalytics_desktop.core.interventions.context import course_name

    info = SourceInfo(int(course_id), course_name(conn, int(course_id)))
    rows = conn.execute(
        "SELECT batch, actor, arm, status FROM interventions WHERE course = ? ORDER BY date, id",
        (int(course_id),),
    ).fetchall()
    randomised = {b for b, _a, arm, _s in rows if arm == "holdout" and b}
    info.holdout_batches = len(randomised)
    first_arm: dict[int, str] = {}
    for b, a, arm, _s in rows:
        if b in randomised and arm in {"treated", "holdout", "external"}:
            first_arm.setdefault(int(a), arm)
    info.holdout_control = sum(1 for arm in first_arm.values() if arm == "holdout")
    info.holdout_treated = len(first_arm) - info.holdout_control
    info.treated = len(
        {int(a) for _b, a, arm, s in rows if s in {"exported", "done"} and arm in {"treated", "external"}}
    )
    for name in ("final_grade", "passed", "withdrew"):
        values = [
            v
            for (v,) in conn.execute(f"SELECT {name} FROM outcomes WHERE course = ?", (int(course_id),))
            if v is not None
        ]
        info.outcomes[name] = len(values)
        info.kinds[name] = "numeric" if name == "final_grade" else "binary"
    for key, n, distinct in conn.execute(
        "SELECT key, COUNT(value), COUNT(DISTINCT value) FROM attributes WHERE course = ? AND value IS NOT NULL "
        "AND value != '' GROUP BY key ORDER BY key",
        (int(course_id),),
    ):
        values = [
            v
            for (v,) in conn.execute(
                "SELECT DISTINCT value FROM attributes WHERE course = ? AND key = ? AND value IS NOT NULL AND value != ''",
                (int(course_id), key),
            )
        ]
        try:
            numbers = {float(v) for v in values}
        except (TypeError, ValueError):
            continue  # a text attribute (e.g. study mode) is not an outcome
        info.outcomes[str(key)] = int(n)
        info.kinds[str(key)] = "binary" if numbers <= {0.0, 1.0} and distinct <= 2 else "numeric"
    return info


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

    def validate(self) -> None:
        """Raise :class:`ImpactError` naming the choice that is missing or wrong."""
        if self.source not in SOURCES:
            raise ImpactError(f"Choose the comparison: one of {', '.join(SOURCES)}, not {self.source!r}.")
        if self.source == "csv" and not self.groups_path:
            raise ImpactError("Choose the groups CSV file (columns student and group).")
        if not self.outcome:
            raise ImpactError("Choose the outcome to compare.")
        if self.test not in TESTS:
            raise ImpactError(f"The test must be one of {', '.join(TESTS)}, not {self.test!r}.")

    def describe(self) -> str:
        """The comparison in words, e.g. "Groups from a CSV file (groups.csv)"."""
        text = SOURCES.get(self.source, self.source)
        return (
            f"{text} ({Path(self.groups_path).name})" if self.source == "csv" and self.groups_path else text
        )

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
    groups = read_groups_csv(spec.groups_path) if spec.source == "csv" else None
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
    )
    result.warnings[:0] = meta["warnings"]
    result.diagnostics["source"] = meta["source"]
    return result


def analyse(conn: sqlite3.Connection, spec: AnalysisSpec, *, report: Any = None) -> ImpactResult:
    """:func:`prepare` then :func:`run_analysis` (what ``impact_from_db`` computes)."""
    return run_analysis(prepare(conn, spec, report=report), spec, report=report)


# --- records ---------------------------------------------------------------------------------


def summary(spec: AnalysisSpec, result: ImpactResult) -> dict[str, Any]:
    """The aggregates kept for a finished analysis (no learner identifier)."""
    est = result.estimates[result.recommended]
    return {
        "course": spec.course_id,
        "source": spec.source,
        "comparison": spec.describe(),
        "outcome": spec.outcome,
        "groups_path": spec.groups_path,
        "randomised_by_user": spec.randomised,
        "kind": result.kind,
        "test": spec.test,
        "randomised": result.randomised,
        "n": dict(result.n),
        "recommended": result.recommended,
        "label": est.label,
        "estimate": est.estimate,
        "ci_low": est.ci_low,
        "ci_high": est.ci_high,
        "p_value": est.p_value,
        "confounded": result.confounded,
        "verdict": result.verdict,
        "warnings": len(result.warnings),
    }


def new_analysis_id() -> str:
    """A fresh id for an analysis record."""
    return f"a-{uuid.uuid4().hex[:12]}"


def record_analysis(
    conn: sqlite3.Connection, spec: AnalysisSpec, result: ImpactResult, analysis_id: str | None = None
) -> str:
    """Keep a summary of a finished analysis in the audit log; returns its id (``analysis_id``
    when given, so a caller can name the record before the database thread writes it)."""
    from learnalytics_desktop.core.impact.estimates import clean
    from learnalytics_desktop.core.store.db import audit

    analysis_id = analysis_id or new_analysis_id()
    audit(conn, ANALYSIS_ACTION, id=analysis_id, **clean(summary(spec, result)))
    return analysis_id


def list_analyses(conn: sqlite3.Connection, course_id: int | None = None) -> list[dict[str, Any]]:
    """Recorded analyses, newest first: the summary plus ``id``, ``at``, ``user`` and
    ``reports`` (``[{"at", "path", "format"}]``, from the export log)."""
    reports: dict[str, list[dict[str, Any]]] = {}
    for at, detail in conn.execute("SELECT at, detail FROM audit_log WHERE action = 'export' ORDER BY id"):
        d = json.loads(detail)
        if d.get("what") == REPORT_WHAT and d.get("analysis"):
            reports.setdefault(str(d["analysis"]), []).append(
                {"at": at, "path": d.get("path"), "format": d.get("format")}
            )
    out = []
    for at, user, detail in conn.execute(
        "SELECT at, user, detail FROM audit_log WHERE action = ? ORDER BY id DESC", (ANALYSIS_ACTION,)
    ):
        d = json.loads(detail)
        if course_id is not None and d.get("course") != int(course_id):
            continue
        out.append({"at": at, "user": user, **d, "reports": reports.get(str(d.get("id")), [])})
    return out


# --- report ------------------------------------------------------------------------------------


def report_html(
    result: ImpactResult,
    spec: AnalysisSpec,
    *,
    course_name: str,
    figure_png: bytes | None = None,
    figure_caption: str = "",
) -> str:
    """The core's HTML report with the comparison named and, when given, the figure embedded
    (a PNG as a data URI: the file stays self-contained and opens offline)."""
    import html as _html

    from learnalytics_desktop.core.impact.report import render_report_html

    context = {"Course": course_name, "Comparison": spec.describe(), "Test": TESTS.get(spec.test, spec.test)}
    page = render_report_html(result, title="Impact report", context=context)
    if figure_png:
        data = base64.b64encode(figure_png).decode("ascii")
        figure = (
            "<h2>Distribution per group</h2>"
            f'<p><img src="data:image/png;base64,{data}" width="560" alt="{_html.escape(figure_caption, quote=True)}"></p>'
            f"<p>{_html.escape(figure_caption)}</p>"
        )
        page = page.replace("</body>", figure + "\n</body>", 1)
    return page


def write_html_report(
    conn: sqlite3.Connection,
    path: str | os.PathLike[str],
    page: str,
    *,
    analysis_id: str | None,
    students: int,
) -> Path:
    """Write the report atomically (UTF-8) and log the export."""
    from learnalytics_desktop.core.export import atomic_write_text

    target = atomic_write_text(path, page)
    record_report(conn, target, "html", analysis_id=analysis_id, students=students)
    return target


def record_report(
    conn: sqlite3.Connection,
    path: str | os.PathLike[str],
    fmt: str,
    *,
    analysis_id: str | None,
    students: int,
) -> None:
    """Log an exported impact report (the GUI writes PDFs itself, then calls this)."""
    from learnalytics_desktop.core.export import record_export

    record_export(conn, REPORT_WHAT, path, int(students), format=fmt, analysis=analysis_id)


__all__ = [
    "ANALYSIS_ACTION",
    "OUTCOME_TEXT",
    "REPORT_WHAT",
    "SOURCES",
    "TESTS",
    "AnalysisSpec",
    "Prepared",
    "SourceInfo",
    "analyse",
    "list_analyses",
    "new_analysis_id",
    "prepare",
    "record_analysis",
    "record_report",
    "report_html",
    "run_analysis",
    "source_info",
    "summary",
    "write_html_report",
]
