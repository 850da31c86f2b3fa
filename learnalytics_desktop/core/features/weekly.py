"""Week-by-week activity of every student, and one student's recent statements, as of a date.

Weeks are the offering's calendar (``core.courses``): week 1 is the seven days from the
start date. The weekly series covers weeks 1..k where k is the week the as-of instant falls
in (the last one may be partial; at ``Course.as_of_week(k)`` exactly, weeks 1..k are
complete), capped at the offering's length. Statements from before the start count in
week 1. Every student of the feature table has a row for every week (0 events, 0 minutes,
``quiz_avg`` NaN when they did nothing that week).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from learnalytics_desktop.core.courses import course_calendar, to_ms
from learnalytics_desktop.core.features.events import Events, load_events
from learnalytics_desktop.core.ingest.xapi.timestamps import MAX_TS_MS, MIN_TS_MS

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

WEEK_MS = 7 * 86_400_000


def weekly_series(conn: sqlite3.Connection, course_id: int, as_of: datetime) -> pd.DataFrame:
    """Columns ``actor, week, events, minutes, quiz_avg`` (quiz average on a 0-1 scale) for
    weeks 1..k of every student (see the module docstring), sorted by actor and week."""
    start, weeks = course_calendar(conn, course_id, before=as_of)
    return weekly_from_events(load_events(conn, course_id, as_of, start=start), weeks)


def weekly_from_events(ev: Events, weeks: int | None) -> pd.DataFrame:
    """:func:`weekly_series` of already loaded events (``ev.start`` is the calendar's start,
    ``weeks`` its length as known before ``ev.as_of_ms``), so a caller that also computes
    features reads the statements once."""
    import numpy as np
    import pandas as pd

    start = ev.start
    columns = ["actor", "week", "events", "minutes", "quiz_avg"]
    if start is None:
        empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
        return empty.astype({"actor": "int64", "week": "int64", "events": "int64"})
    start_ms = to_ms(datetime(start.year, start.month, start.day, tzinfo=UTC))
    k = max(0, -(-(ev.as_of_ms - start_ms) // WEEK_MS))
    if weeks is not None:
        k = min(k, weeks)
    n = ev.n
    week = np.clip((ev.ts - start_ms) // WEEK_MS, 0, None)  # 0-based
    inside = week < k
    cell = (ev.sidx * k + week)[inside] if k else np.zeros(0, dtype=np.int64)
    size = n * k
    events = np.bincount(cell, minlength=size).astype(np.int64)
    minutes = np.bincount(cell, weights=np.nan_to_num(ev.dur, nan=0.0)[inside], minlength=size) / 60.0
    quiz = inside & (ev.cat == ev.code("assessment")) & ~np.isnan(ev.score)
    qcell = ev.sidx[quiz] * k + week[quiz]
    qn = np.bincount(qcell, minlength=size)
    qs = np.bincount(qcell, weights=np.clip(ev.score[quiz], 0, 1), minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        quiz_avg = np.where(qn > 0, qs / np.maximum(qn, 1), np.nan)
    return pd.DataFrame(
        {
            "actor": np.repeat(ev.students, k).astype(np.int64),
            "week": np.tile(np.arange(1, k + 1, dtype=np.int64), n),
            "events": events,
            "minutes": minutes,
            "quiz_avg": quiz_avg,
        }
    )


def student_events(
    conn: sqlite3.Connection, actor_id: int, course_id: int, as_of: datetime, limit: int = 200
) -> pd.DataFrame:
    """One student's most recent statements in an offering before ``as_of``, newest first:
    ``time`` (UTC), ``verb`` (display word or IRI), ``verb_iri``, ``activity`` (name or IRI),
    ``activity_iri``, ``category``, ``duration_minutes``, ``score`` (0-1), ``success``, ``late``."""
    import pandas as pd

    from learnalytics_desktop.core.ingest.categories import load_mapping

    rows = conn.execute(
        """SELECT s.ts, v.iri, v.display, a.iri, a.name, a.type_iri, s.duration,
                  CASE WHEN s.score_scaled IS NOT NULL THEN s.score_scaled
                       WHEN s.score_raw IS NOT NULL AND s.score_max > ifnull(s.score_min, 0)
                       THEN (s.score_raw - ifnull(s.score_min, 0)) / (s.score_max - ifnull(s.score_min, 0)) END,
                  s.success, s.late
           FROM v_events s JOIN verbs v ON v.id = s.verb LEFT JOIN activities a ON a.id = s.object
           WHERE s.actor = ? AND s.course = ? AND s.ts < ? ORDER BY s.ts DESC, s.rowid DESC LIMIT ?""",
        (int(actor_id), int(course_id), to_ms(as_of), int(max(0, limit))),
    ).fetchall()
    mapping = load_mapping(conn)
    df = pd.DataFrame(
        rows,
        columns=[
            "ts",
            "verb_iri",
            "verb_display",
            "activity_iri",
            "activity_name",
            "type_iri",
            "duration",
            "score",
            "success",
            "late",
        ],
    )
    out = pd.DataFrame(
        {
            # clipped: a database imported before the range check may hold year 1 or 9999
            "time": pd.to_datetime(
                df["ts"].astype("int64").clip(MIN_TS_MS, MAX_TS_MS - 1), unit="ms", utc=True
            ),
            "verb": df["verb_display"].where(df["verb_display"].notna(), df["verb_iri"]),
            "verb_iri": df["verb_iri"],
            "activity": df["activity_name"].where(df["activity_name"].notna(), df["activity_iri"]),
            "activity_iri": df["activity_iri"],
            "category": [mapping.category(v, t) for v, t in zip(df["verb_iri"], df["type_iri"], strict=True)],
            "duration_minutes": df["duration"].astype("float64") / 60.0,
            "score": df["score"].astype("float64"),
            "success": df["success"].astype("Int64"),
            "late": df["late"].astype("Int64"),
        }
    )
    return out
