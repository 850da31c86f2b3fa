"""Impact analyses as records: keep, list and report them (the GUI and the CLI call these).

* :func:`record_analysis` keeps a summary of a finished analysis in the audit log (action
  ``impact_analysis``; aggregates only, never a learner identifier) and
  :func:`list_analyses` reads them back, newest first, with the reports exported for each
  (export log rows ``what = "impact report"`` carrying the analysis id).
* :func:`report_html` is the core report with the course and comparison named and the
  figures the caller drew (the GUI's distribution and RD plots);
  :func:`write_html_report` writes it atomically and logs the export;
  :func:`record_report` logs a report written elsewhere (the GUI's PDF).

Decision: past analyses live in the audit log, not a new table, as the export log does: it
needs no schema change, the privacy tools already read that table, and what is stored is a
summary of aggregates.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from learnalytics_desktop.core.impact.wording import TESTS

if TYPE_CHECKING:  # pragma: no cover
    import sqlite3

    from learnalytics_desktop.core.impact.analysis import ImpactResult
    from learnalytics_desktop.core.impact.runs import AnalysisSpec

ANALYSIS_ACTION = "impact_analysis"
REPORT_WHAT = "impact report"


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
        "cutoff_by_user": spec.cutoff,
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
        "unit": result.unit,
        "withheld": est.extra.get("withheld"),
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


def report_html(
    result: ImpactResult,
    spec: AnalysisSpec,
    *,
    course_name: str,
    figures: dict[str, tuple[bytes, str]] | None = None,
) -> str:
    """The core's HTML report with the comparison named and the given figures embedded
    (``{"distribution" | "rd": (png, caption)}``, as data URIs: the file stays
    self-contained and opens offline)."""
    from learnalytics_desktop.core.impact.report import render_report_html

    context = {"Course": course_name, "Comparison": spec.describe(), "Test": TESTS.get(spec.test, spec.test)}
    return render_report_html(result, title="Impact report", context=context, figures=figures)


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
    "REPORT_WHAT",
    "list_analyses",
    "new_analysis_id",
    "record_analysis",
    "record_report",
    "report_html",
    "summary",
    "write_html_report",
]
