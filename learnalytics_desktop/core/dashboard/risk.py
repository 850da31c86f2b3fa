"""The Students at risk table: the latest run of the active model with each student's engagement
and key features (definitions in :mod:`core.dashboard`)."""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime
from typing import TYPE_CHECKING

from learnalytics_desktop.core.dashboard.caseload import add_caseload_columns
from learnalytics_desktop.core.dashboard.overview import LEVELS, scoring_status
from learnalytics_desktop.core.jobs import NullReporter, Reporter

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

TABLE_FEATURES = (
    "days_since_last_activity",
    "events_last_7_days",
    "active_days",
    "total_time_minutes",
    "quiz_avg_score",
    "video_completion_rate",
    "assignments_submitted",
    "late_submissions",
    "forum_posts",
)
TOP_REASONS = 3
# CSV header -> decimals kept in exports (the table's own values are never rounded)
EXPORT_DECIMALS = {
    "risk_score": 3,
    "engagement_score": 1,
    "days_since_last_activity": 1,
    "total_time_minutes": 1,
    "quiz_avg_score": 2,
    "video_completion_rate": 2,
}
RAISES = " (raises risk)"  # implied in the top reasons column; "(lowers risk)" is kept
# risk table column -> CSV header (what the file says; learner ids stay inside the app). The
# name and e-mail columns come first so the file can feed a mail merge as it is.
EXPORT_COLUMNS: dict[str, str] = {
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "student": "student",
    "rank": "rank",
    "risk_score": "risk_score",
    "risk_level": "risk_level",
    "trend": "trend",
    "outreach_text": "outreach",
    "status": "status",
    "reasons": "reasons",
    "engagement": "engagement_score",
    **{c: c for c in TABLE_FEATURES},
}


def _run_scores(conn: sqlite3.Connection, run_id: int) -> pd.DataFrame:
    import json

    import pandas as pd

    rows = conn.execute(
        "SELECT s.actor, a.label, s.risk, s.level, s.reasons FROM scores s JOIN actors a ON a.id = s.actor WHERE s.run_id = ?",
        (int(run_id),),
    ).fetchall()
    return pd.DataFrame(
        [(int(a), str(lab), float(r), lv, json.loads(rs)) for a, lab, r, lv, rs in rows],
        columns=["actor", "student", "risk_score", "risk_level", "reasons"],
    )


def _with_people(conn: sqlite3.Connection, frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``first_name``, ``last_name`` and ``email`` (``core.people``; None where unknown or
    pseudonymised)."""
    from learnalytics_desktop.core.people import people

    known = people(conn, frame["actor"].tolist())
    who = [known.get(int(a)) for a in frame["actor"]]
    return frame.assign(
        first_name=[getattr(p, "first_name", None) for p in who],
        last_name=[getattr(p, "last_name", None) for p in who],
        email=[getattr(p, "email", None) for p in who],
        name_note=[getattr(p, "note", None) for p in who],
    )


def risk_table(
    conn: sqlite3.Connection, course_id: int, week: int, *, report: Reporter | None = None
) -> pd.DataFrame:
    """The Students at risk table: one row per student of the latest run of the active model
    at this week (see :func:`scoring_status`), highest risk first. Columns ``actor``,
    ``student`` (the label), ``first_name``, ``last_name``, ``email`` (``core.people``; None
    where unknown), ``name_note`` (why there is no name, else None), ``risk_score``, ``risk_level`` (ordered categorical low < moderate < high),
    ``top_reasons`` (the first three reasons, "; "-joined, without the implied "(raises risk)"), ``reasons`` (list),
    ``engagement`` and the features of :data:`TABLE_FEATURES` as of the run's as-of instant,
    and ``status``: the enrolment status as of that instant (``active``, ``not started`` or
    ``withdrawn (YYYY-MM-DD)``; ``core.outcomes.status``). Withdrawn students are in the
    frame; the advisor's list leaves them out by default (:func:`without_withdrawn`) and says
    how many. ``rank``, ``previous_risk``, ``new_high``, ``trend``, ``outreach`` and
    ``outreach_text`` are the caseload columns (``core.dashboard.caseload``); rows come in
    rank order. ``attrs`` carries ``status`` (a :class:`ScoringStatus`) and ``withdrawn`` (the
    count). Empty (same columns) when the week has not been scored."""
    import pandas as pd

    from learnalytics_desktop.core.features.compute import compute_features
    from learnalytics_desktop.core.features.engagement import engagement_score, load_weights
    from learnalytics_desktop.core.outcomes.status import enrolment_status

    report = report or NullReporter()
    status = scoring_status(conn, course_id, week)
    scores = _run_scores(conn, status.run_id) if status.run_id is not None else _run_scores(conn, -1)
    if status.run_id is not None:
        report.progress(0.3, "features")
        run_as_of = datetime.fromisoformat(status.run_as_of)  # type: ignore[arg-type]
        features = compute_features(conn, course_id, run_as_of)
        features = features.assign(engagement=engagement_score(features, load_weights(conn)))
        extra = features.reindex(scores["actor"].to_numpy())[["engagement", *TABLE_FEATURES]].reset_index(
            drop=True
        )
        enrol = enrolment_status(conn, course_id, run_as_of)["label"]
        extra["status"] = enrol.reindex(scores["actor"].to_numpy()).fillna("active").to_numpy()
    else:
        extra = pd.DataFrame({c: pd.Series(dtype="float64") for c in ("engagement", *TABLE_FEATURES)})
        extra["status"] = pd.Series(dtype=object)
    frame = pd.concat([scores.reset_index(drop=True), extra], axis=1)
    frame = _with_people(conn, frame)
    frame["top_reasons"] = [
        "; ".join(x.removesuffix(RAISES) for x in r[:TOP_REASONS]) for r in frame["reasons"]
    ]
    frame["risk_level"] = pd.Categorical(frame["risk_level"], categories=list(LEVELS), ordered=True)
    scored_as_of = datetime.fromisoformat(status.run_as_of) if status.run_as_of else None
    frame = add_caseload_columns(conn, frame, course_id, week, scored_as_of)
    cols = [
        "actor",
        "rank",
        "student",
        "first_name",
        "last_name",
        "email",
        "name_note",
        "risk_score",
        "risk_level",
        "previous_risk",
        "new_high",
        "trend",
        "outreach",
        "outreach_text",
        "status",
        "top_reasons",
        "engagement",
        *TABLE_FEATURES,
        "reasons",
    ]
    frame = frame[cols]
    frame.attrs["status"] = status
    frame.attrs["withdrawn"] = int(is_withdrawn(frame).sum())
    return frame


def is_withdrawn(table: pd.DataFrame) -> pd.Series:
    """True for the rows of a :func:`risk_table` whose student had withdrawn by the run's date."""
    return table["status"].astype(str).str.startswith("withdrawn")


def without_withdrawn(table: pd.DataFrame) -> pd.DataFrame:
    """The advisor's default list: the rows of students still enrolled (active or not started)."""
    out = table[~is_withdrawn(table).to_numpy()].reset_index(drop=True)
    out.attrs.update(table.attrs)
    return out


def export_risk_table(
    conn: sqlite3.Connection,
    path: str | os.PathLike[str],
    table: pd.DataFrame,
    *,
    course_id: int,
    week: int,
    run_id: int | None = None,
    filtered: bool = False,
) -> int:
    """Write ``table`` (rows of :func:`risk_table`, in the order given) as spreadsheet-safe CSV
    (``core.export.write_csv_atomic``: atomic, formula cells neutralised) with every reason
    "; "-joined, and log the export in the audit log (no learner identifier in the entry).
    Columns: name and e-mail first (a mail merge reads them as they are), then ``course``
    (the offering's name) and ``week``, then :data:`EXPORT_COLUMNS`. Numbers are rounded as
    people read them: the risk to 3 decimals, engagement and minutes to 1, rates to 2
    (:data:`EXPORT_DECIMALS`). Returns the number of rows written."""
    from learnalytics_desktop.core.export import record_export, write_csv_atomic

    missing = [c for c in EXPORT_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"the risk table to export has no column(s) {missing}")
    out = table[list(EXPORT_COLUMNS)].rename(columns=EXPORT_COLUMNS).copy()
    row = conn.execute("SELECT coalesce(name, iri) FROM courses WHERE id = ?", (int(course_id),)).fetchone()
    out.insert(3, "course", row[0] if row else str(course_id))
    out.insert(4, "week", int(week))
    for col, places in EXPORT_DECIMALS.items():
        if col in out.columns:
            out[col] = out[col].astype(float).round(places)
    out["reasons"] = [
        "; ".join(r) if isinstance(r, (list, tuple)) else ("" if r is None else str(r))
        for r in out["reasons"]
    ]
    out["risk_level"] = out["risk_level"].astype(object)
    rows = write_csv_atomic(path, out)
    record_export(
        conn,
        "risk_table",
        path,
        rows,
        course=int(course_id),
        week=int(week),
        run_id=run_id,
        filtered=bool(filtered),
    )
    return rows


__all__ = [
    "EXPORT_COLUMNS",
    "EXPORT_DECIMALS",
    "TABLE_FEATURES",
    "TOP_REASONS",
    "export_risk_table",
    "is_withdrawn",
    "risk_table",
    "without_withdrawn",
]
