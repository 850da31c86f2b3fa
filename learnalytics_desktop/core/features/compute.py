"""Per-student features as of an instant, vectorised (numpy over the as-of event arrays).

The column meanings are in :mod:`learnalytics_desktop.core.features.catalog`. Every
aggregate is a ``bincount`` or a difference over events sorted by (student, time); there is
no loop over students or events. The fixes to the seed design (``READ-ME-FIRST.md``): days
since the last activity count to the as-of instant, not the wall clock (6); session length
is first-to-last statement of a real session, not an average gap (7); no per-event Python
objects (8); categories and verbs are whole IRIs through the mapping (3).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import TYPE_CHECKING, Any

from learnalytics_desktop.core.features.assessments import assessment_word, calendar_features
from learnalytics_desktop.core.features.catalog import (
    FEATURE_COLUMNS,
    PERCENTILE_OF,
    SESSION_GAP_MINUTES,
    TREND_MIN_ATTEMPTS,
)
from learnalytics_desktop.core.features.events import (
    COMPLETED_VERBS,
    FORUM_POST_VERBS,
    SUBMIT_VERBS,
    Events,
    distinct,
    load_events,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

DAY_MS = 86_400_000


def _count(ev: Events, mask: Any = None, weights: Any = None) -> Any:
    import numpy as np

    idx = ev.sidx if mask is None else ev.sidx[mask]
    w = None if weights is None else (weights if mask is None else weights[mask])
    return np.bincount(idx, weights=w, minlength=ev.n).astype(np.float64)


def _distinct_pairs(ev: Events, mask: Any) -> Any:
    """Per student: distinct activities among the events in ``mask`` (a bitmap over students x
    the activities involved when it is small enough, else a sort)."""
    import numpy as np

    s, o = ev.sidx[mask], ev.obj[mask]
    if len(s) == 0:
        return np.zeros(ev.n)
    uniq, code = distinct(o)  # activities renumbered 0..k-1
    k = len(uniq)
    if ev.n * k <= 64_000_000:
        seen = np.zeros(ev.n * k, dtype=bool)
        seen[s * k + code] = True
        return seen.reshape(ev.n, k).sum(axis=1).astype(np.float64)
    key = np.unique(s * k + code)
    return np.bincount(key // k, minlength=ev.n).astype(np.float64)


def _sessions(ev: Events) -> tuple[Any, Any]:
    """(sessions, mean session minutes) per student; see the catalog for the definition."""
    import numpy as np

    n_ev = len(ev.ts)
    if n_ev == 0:
        return np.zeros(ev.n), np.full(ev.n, np.nan)
    new = np.ones(n_ev, dtype=bool)
    new[1:] = (ev.sidx[1:] != ev.sidx[:-1]) | (np.diff(ev.ts) > SESSION_GAP_MINUTES * 60_000)
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:] - 1, n_ev - 1)
    last_dur = np.nan_to_num(ev.dur[ends], nan=0.0) * 1000.0
    length_ms = (ev.ts[ends] - ev.ts[starts]).astype(np.float64) + last_dur
    who = ev.sidx[starts]
    count = np.bincount(who, minlength=ev.n).astype(np.float64)
    total = np.bincount(who, weights=length_ms, minlength=ev.n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_min = np.where(count > 0, total / np.maximum(count, 1) / 60_000.0, np.nan)
    return count, mean_min


def _days(ev: Events) -> tuple[Any, Any, Any]:
    """(active days, regularity, last event ms or -1) per student."""
    import numpy as np

    n_ev = len(ev.ts)
    active = np.zeros(ev.n)
    regularity = np.zeros(ev.n)
    last_ts = np.full(ev.n, -1, dtype=np.int64)
    if n_ev == 0:
        return active, regularity, last_ts
    day = ev.ts // DAY_MS
    new = np.ones(n_ev, dtype=bool)
    new[1:] = (ev.sidx[1:] != ev.sidx[:-1]) | (day[1:] != day[:-1])
    d_s, d_day = ev.sidx[new], day[new]  # one entry per (student, active day), in order
    active = np.bincount(d_s, minlength=ev.n).astype(np.float64)
    last_of = np.flatnonzero(np.append(d_s[1:] != d_s[:-1], True))
    ends = np.append(np.flatnonzero(ev.sidx[1:] != ev.sidx[:-1]), n_ev - 1)  # each student's last event
    last_ts[ev.sidx[ends]] = ev.ts[ends]
    # gaps between consecutive active days of the same student, plus the open gap to the as-of day
    same = d_s[1:] == d_s[:-1]
    gaps = np.diff(d_day)[same].astype(np.float64)
    gap_s = d_s[1:][same]
    open_gap = (ev.as_of_ms // DAY_MS) - d_day[last_of]
    keep = open_gap > 0
    gaps = np.concatenate([gaps, open_gap[keep].astype(np.float64)])
    gap_s = np.concatenate([gap_s, d_s[last_of][keep]])
    k = np.bincount(gap_s, minlength=ev.n).astype(np.float64)
    s1 = np.bincount(gap_s, weights=gaps, minlength=ev.n)
    s2 = np.bincount(gap_s, weights=gaps * gaps, minlength=ev.n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / k
        std = np.sqrt(np.maximum(s2 / k - mean * mean, 0.0))
        reg = np.clip(1.0 - std / mean, 0.0, 1.0)
    regularity = np.where((active >= 2) & (k > 0), np.nan_to_num(reg, nan=0.0), 0.0)
    return active, regularity, last_ts


def _quizzes(ev: Events) -> tuple[Any, Any, Any]:
    """(count, mean 0-1 score, slope per attempt) of scored attempts: any statement with a
    score, whatever the activity's category (a TinCan ``school-assignment`` with a score is
    as much a marked piece of work as an ADL ``assessment``)."""
    import numpy as np

    mask = ~np.isnan(ev.score)
    s = ev.sidx[mask]
    y = np.clip(ev.score[mask], 0.0, 1.0)
    count = np.bincount(s, minlength=ev.n).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        avg = np.bincount(s, weights=y, minlength=ev.n) / count
    trend = np.zeros(ev.n)
    if len(s):
        first = np.ones(len(s), dtype=bool)
        first[1:] = s[1:] != s[:-1]
        group_start = np.maximum.accumulate(np.where(first, np.arange(len(s)), 0))
        x = (np.arange(len(s)) - group_start).astype(np.float64)  # attempt number in time order
        sx = np.bincount(s, weights=x, minlength=ev.n)
        sy = np.bincount(s, weights=y, minlength=ev.n)
        sxy = np.bincount(s, weights=x * y, minlength=ev.n)
        sxx = np.bincount(s, weights=x * x, minlength=ev.n)
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = (sxy - sx * sy / count) / (sxx - sx * sx / count)
        trend = np.where(count >= TREND_MIN_ATTEMPTS, np.nan_to_num(slope, nan=0.0), 0.0)
    return count, avg, trend


def features_from_events(ev: Events) -> pd.DataFrame:
    """The feature table of an :class:`Events` (see :func:`compute_features`)."""
    import numpy as np
    import pandas as pd

    dur0 = np.nan_to_num(ev.dur, nan=0.0)
    video = ev.cat == ev.code("video")
    out: dict[str, Any] = {"total_events": _count(ev)}
    active, regularity, last_ts = _days(ev)
    out["active_days"] = active
    out["total_time_minutes"] = _count(ev, weights=dur0) / 60.0
    out["video_time_minutes"] = _count(ev, video, dur0) / 60.0
    out["sessions"], out["avg_session_minutes"] = _sessions(ev)
    started = _distinct_pairs(ev, video)
    completed = _distinct_pairs(ev, video & ev.verb_mask(COMPLETED_VERBS))
    with np.errstate(invalid="ignore", divide="ignore"):
        out["video_completion_rate"] = np.where(started > 0, completed / np.maximum(started, 1), np.nan)
    out["quiz_count"], out["quiz_avg_score"], out["quiz_score_trend"] = _quizzes(ev)
    out["forum_posts"] = _count(ev, (ev.cat == ev.code("forum")) & ev.verb_mask(FORUM_POST_VERBS))
    # lateness counts on any submission (an ADL "assessment" with a late flag too)
    submission = ((ev.cat == ev.code("assignment")) & ev.verb_mask(SUBMIT_VERBS)) | ~np.isnan(ev.late)
    out["assignments_submitted"] = _distinct_pairs(ev, submission)
    out["late_submissions"] = _distinct_pairs(ev, submission & (ev.late == 1))
    if ev.start is not None:
        since_start = max(0.0, (ev.as_of_ms - _start_ms(ev)) / DAY_MS)
    else:
        since_start = np.nan
    out["days_since_last_activity"] = np.where(last_ts >= 0, (ev.as_of_ms - last_ts) / DAY_MS, since_start)
    out["regularity_score"] = regularity
    out["events_last_7_days"] = _count(ev, ev.ts >= ev.as_of_ms - 7 * DAY_MS)
    per_cat = np.bincount(ev.sidx * len(ev.categories) + ev.cat, minlength=ev.n * len(ev.categories))
    per_cat = per_cat.reshape(ev.n, len(ev.categories)).astype(np.float64)
    for i, name in enumerate(ev.categories):
        out[f"events_{name}"] = per_cat[:, i]
    out.update(calendar_features(ev))
    reg = ev.reg_ms if ev.reg_ms is not None else np.full(ev.n, np.nan)
    out["registration_day"] = (
        (reg - _start_ms(ev)) / DAY_MS if ev.start is not None else np.full(ev.n, np.nan)
    )
    frame = pd.DataFrame({c: out[c] for c in FEATURE_COLUMNS}, index=pd.Index(ev.students, name="actor"))
    frame = with_percentiles(frame)
    frame.attrs["assessment_word"] = assessment_word(ev)
    return frame


def with_percentiles(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (one offering's students) followed by its ``pct_<feature>`` columns: the
    percentile rank (0-100, ties averaged) of each feature among the frame's rows, NaN where
    the feature is NaN. The lake engine calls it once the offering's rows are together."""
    import pandas as pd

    pct = frame[list(PERCENTILE_OF)].rank(pct=True, method="average") * 100.0
    pct.columns = [f"pct_{c}" for c in PERCENTILE_OF]
    return pd.concat([frame, pct], axis=1)


def _start_ms(ev: Events) -> int:
    from datetime import UTC

    s = ev.start
    return int(datetime(s.year, s.month, s.day, tzinfo=UTC).timestamp() * 1000)  # type: ignore[union-attr]


def compute_features(conn: sqlite3.Connection, course_id: int, as_of: datetime) -> pd.DataFrame:
    """Per-student features of an offering as of ``as_of`` (timezone-aware; naive means UTC).

    One row per student enrolled in the offering or with a statement in it before
    ``as_of`` (index ``actor``, int64, sorted), using only statements strictly before
    ``as_of``; the columns are :data:`catalog.FEATURE_COLUMNS` then ``pct_<feature>``
    percentiles (0-100) within the offering. Adding statements at or after ``as_of`` never
    changes the result.
    """
    return features_from_events(load_events(conn, course_id, as_of))
