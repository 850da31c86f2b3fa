"""The Student page's data: one student's timeline and how they compare with the course.

Everything is as of an instant: statements at or after it are never read, and scoring runs
whose as-of instant lies after it are left out of the risk history (looking at week 4 shows
what was known at week 4).
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

RECENT_EVENTS = 200
# feature -> (label, higher is better?); "engagement" is the engagement score
COMPARE: dict[str, tuple[str, bool]] = {
    "engagement": ("Engagement score", True),
    "days_since_last_activity": ("Days since last activity", False),
    "events_last_7_days": ("Events in the last 7 days", True),
    "active_days": ("Active days", True),
    "total_time_minutes": ("Study time (minutes)", True),
    "video_completion_rate": ("Videos completed", True),
    "quiz_avg_score": ("Quiz average", True),
    "assignments_submitted": ("Assignments submitted", True),
    "late_submissions": ("Late submissions", False),
    "forum_posts": ("Forum posts", True),
    "regularity_score": ("Regular study", True),
}


@dataclass
class StudentTimeline:
    """One student in one offering as of ``as_of`` (see :func:`student_timeline`)."""

    actor: int
    label: str
    course_id: int
    as_of: datetime
    in_course: bool  # enrolled or active before as_of
    weekly: pd.DataFrame  # week, events, minutes, quiz_avg, course_events_median, course_minutes_median
    quizzes: pd.DataFrame  # time, week, position (course week as a number: week w spans w-0.5 to w+0.5), activity, score (0-1), oldest first
    risk: pd.DataFrame  # core.model.risk_history rows with as_of <= as_of
    compare: pd.DataFrame  # feature, label, value, median, percentile, words, concern
    events: pd.DataFrame  # core.features.student_events, newest first, at most RECENT_EVENTS
    total_events: int  # all of the student's statements in the offering before as_of
    latest: dict[str, Any]  # risk_score, risk_level, reasons of the latest run shown (empty if none)
    thresholds: dict[str, float]  # the risk thresholds in force (core.model.levels)
    person: Any = None  # core.people.Person: name, e-mail, or why there is no name
    outreach: str = ""  # "sent 2026-10-27" etc. (core.interventions.outreach), "" when none


def student_choices(conn: sqlite3.Connection, course_id: int, as_of: datetime) -> pd.DataFrame:
    """The offering's students as of ``as_of`` (enrolled, or with a statement before it; not
    groups): columns ``actor``, ``student`` (label) and ``name`` (``core.people``; None when
    unknown), sorted by label."""
    import pandas as pd

    from learnalytics_desktop.core.courses import to_ms

    rows = conn.execute(
        "SELECT a.id, a.label FROM (SELECT actor FROM enrolments WHERE course = ?1 "
        "UNION SELECT actor FROM v_events WHERE course = ?1 AND ts < ?2) u JOIN actors a ON a.id = u.actor "
        "WHERE a.kind != 'group' ORDER BY a.label COLLATE NOCASE, a.id",
        (int(course_id), to_ms(as_of)),
    ).fetchall()
    from learnalytics_desktop.core.people import people

    frame = pd.DataFrame(rows, columns=["actor", "student"]).astype({"actor": "int64", "student": object})
    known = people(conn, frame["actor"].tolist())
    frame["name"] = [getattr(known.get(int(a)), "full_name", None) for a in frame["actor"]]
    return frame


def percentile_words(value: float, others: Any) -> tuple[float, str]:
    """(mid-rank percentile 0-100, plain words) of ``value`` among ``others`` (NaNs ignored).

    The percentile counts students below plus half of those equal, so the course median sits
    at 50. Words say how many students are strictly below or above."""
    import numpy as np

    vals = np.asarray(others, dtype=float)
    vals = vals[~np.isnan(vals)]
    if value is None or (isinstance(value, float) and math.isnan(value)) or len(vals) == 0:
        return float("nan"), "nothing to compare yet"
    n_below, n_above = int((vals < value).sum()), int((vals > value).sum())
    below, above = n_below / len(vals), n_above / len(vals)
    pct = 100.0 * (n_below + 0.5 * (len(vals) - n_below - n_above)) / len(vals)
    if above > below:
        words = f"lower than {100 * above:.0f}% of the course"
    elif below > above:
        words = f"higher than {100 * below:.0f}% of the course"
    else:
        words = "in the middle of the course"
    return pct, words


def _compare(features: pd.DataFrame, actor: int, threshold: int) -> pd.DataFrame:
    import pandas as pd

    from learnalytics_desktop.core.model.phrases import describe

    hide_median = len(features) < threshold
    row = features.loc[actor].to_dict() if actor in features.index else {}
    out = []
    for name, (label, higher_better) in COMPARE.items():
        value = float(row.get(name, float("nan")))
        median = float("nan") if hide_median else float(features[name].median())
        pct, words = percentile_words(value, features[name].to_numpy())
        # the phrase without the median (the table shows it beside), then where the student stands
        said = (
            ("no value" if math.isnan(value) else f"engagement score {value:.2f}")
            if name == "engagement"
            else describe(name, value, float("nan"), row)
        )
        concern = not math.isnan(pct) and (pct <= 25 if higher_better else pct >= 75)
        out.append((name, label, value, median, pct, f"{said}; {words}", concern))
    return pd.DataFrame(
        out, columns=["feature", "label", "value", "median", "percentile", "words", "concern"]
    )


def student_timeline(
    conn: sqlite3.Connection, actor_id: int, course_id: int, as_of: datetime, *, limit: int = RECENT_EVENTS
) -> StudentTimeline:
    """Weekly activity, quiz scores, risk history, comparison with the course and recent
    events of one student in one offering as of ``as_of`` (nothing at or after it)."""
    import numpy as np
    import pandas as pd

    from learnalytics_desktop.core.courses import WEEK_MS, course_calendar, to_ms
    from learnalytics_desktop.core.dashboard.overview import scoring_status
    from learnalytics_desktop.core.features.compute import features_from_events
    from learnalytics_desktop.core.features.engagement import engagement_score, load_weights
    from learnalytics_desktop.core.features.events import load_events
    from learnalytics_desktop.core.features.weekly import student_events, weekly_from_events
    from learnalytics_desktop.core.model.levels import get_thresholds
    from learnalytics_desktop.core.model.scoring import risk_history
    from learnalytics_desktop.core.people import people
    from learnalytics_desktop.core.privacy.suppress import small_cell_threshold

    actor = int(actor_id)
    found = conn.execute("SELECT label FROM actors WHERE id = ?", (actor,)).fetchone()
    if found is None:
        raise LookupError(f"There is no student with id {actor} in this database.")
    cid = int(course_id)
    # The offering's statements are read once, for the features and the weekly series alike,
    # with the calendar as known before as_of (what compute_features and weekly_series use);
    # the calendar from all the data (what get_course gives, without its counts) places the
    # quizzes and finds the scoring week (course_calendar raises CourseError for no such offering).
    start_before, weeks_before = course_calendar(conn, cid, before=as_of)
    ev = load_events(conn, cid, as_of, start=start_before)
    features = features_from_events(ev)
    features = features.assign(engagement=engagement_score(features, load_weights(conn)))
    weekly_all = weekly_from_events(ev, weeks_before)
    del ev
    start_all, weeks_all = course_calendar(conn, cid)
    start_dt = (
        None if start_all is None else datetime(start_all.year, start_all.month, start_all.day, tzinfo=UTC)
    )
    medians = weekly_all.groupby("week")[["events", "minutes"]].median()
    mine = weekly_all[weekly_all["actor"] == actor].set_index("week")[["events", "minutes", "quiz_avg"]]
    weeks = pd.Index(medians.index, name="week")
    weekly = (
        mine.reindex(weeks)
        .assign(course_events_median=medians["events"], course_minutes_median=medians["minutes"])
        .reset_index()
    )
    if actor not in features.index:
        weekly[["events", "minutes"]] = weekly[["events", "minutes"]].fillna(0)

    everything = student_events(conn, actor, cid, as_of, limit=10_000_000)
    quiz = everything[(everything["category"] == "assessment") & everything["score"].notna()].iloc[::-1]
    start = pd.Timestamp(start_dt) if start_dt is not None else pd.Timestamp(0, tz="UTC")
    position = ((quiz["time"] - start) / pd.Timedelta(days=7)).to_numpy(
        dtype=float
    ) + 0.5  # week w: [w-0.5, w+0.5)
    quizzes = pd.DataFrame(
        {
            "time": quiz["time"].to_numpy(),
            "week": np.floor(position + 0.5).astype("int64"),
            "position": position,
            "activity": quiz["activity"].to_numpy(),
            "score": quiz["score"].to_numpy(dtype=float),
        }
    )
    history = risk_history(conn, actor, cid)
    if len(history):
        keep = np.array([datetime.fromisoformat(a) <= as_of for a in history["as_of"]], dtype=bool)
        history = history[keep].reset_index(drop=True)
    latest: dict[str, Any] = {}
    week = 0
    if start_dt is not None:  # Course.weeks_complete
        done = max(0, (to_ms(as_of) - to_ms(start_dt)) // WEEK_MS)
        week = int(min(done, weeks_all)) if weeks_all is not None else int(done)
    status = scoring_status(conn, cid, week) if week >= 1 else None
    if status is not None and status.run_id is not None:
        row = history[history["run_id"] == status.run_id]
        if len(row):
            latest = {k: row.iloc[-1][k] for k in ("risk_score", "risk_level", "reasons", "week")}
    return StudentTimeline(
        actor=actor,
        label=str(found[0]),
        course_id=cid,
        as_of=as_of,
        in_course=actor in features.index,
        weekly=weekly,
        quizzes=quizzes,
        risk=history,
        compare=_compare(features, actor, small_cell_threshold(conn)),
        events=everything.head(max(0, int(limit))).reset_index(drop=True),
        total_events=len(everything),
        latest=latest,
        thresholds=get_thresholds(conn),
        person=people(conn, [actor]).get(actor),
        outreach=_outreach_text(conn, actor, cid, as_of),
    )


def _outreach_text(conn: sqlite3.Connection, actor: int, course_id: int, as_of: datetime) -> str:
    from learnalytics_desktop.core.interventions.outreach import outreach_status

    status = outreach_status(conn, course_id, as_of)
    return str(status.loc[actor, "outreach_text"]) if actor in status.index else ""


__all__ = [
    "COMPARE",
    "RECENT_EVENTS",
    "StudentTimeline",
    "percentile_words",
    "student_choices",
    "student_timeline",
]
