"""Properties of the as-of features on random statements (hypothesis):

* adding statements at or after the as-of instant (any student, any course) changes nothing;
* the vectorised features equal a plain per-student reference written from the definitions.
"""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pandas as pd
from factories import EventBuilder, at
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnalytics_desktop.core.features import compute_features, weekly_series
from learnalytics_desktop.core.store import open_db

START = at("2026-02-02")  # a Monday
CATS = ["video", "assessment", "assignment", "reading", "forum", "navigation", "other"]
VERB_OF = {
    "video": ["played", "completed"],
    "assessment": ["attempted", "passed"],
    "assignment": ["submitted"],
    "reading": ["experienced"],
    "forum": ["viewed", "replied"],
    "navigation": ["launched"],
    "other": ["did"],
}

event = st.tuples(
    st.integers(0, 4),  # student
    st.integers(0, 30 * 24 * 60),  # minutes after the start
    st.sampled_from(CATS),
    st.integers(0, 3),  # verb choice / object number
    st.one_of(st.none(), st.floats(0, 200_000, allow_nan=False)),  # duration (s), over a day sometimes
    st.one_of(st.none(), st.floats(0, 1, allow_nan=False)),  # score
    st.one_of(st.none(), st.integers(0, 1)),  # late
    st.booleans(),  # voided
)


def _insert(b: EventBuilder, course: int, students: list[int], evs) -> None:
    for who, minute, cat, k, dur, score, late, voided in evs:
        verbs = VERB_OF[cat]
        b.event(
            students[who],
            course,
            START + timedelta(minutes=minute),
            cat,
            verb=verbs[k % len(verbs)],
            obj=f"o{k}",
            duration=dur,
            score=score if cat == "assessment" else None,
            late=late,
            voided=int(voided and k == 3),
        )


def _setup(evs, enrolled, dated=True):
    conn = open_db(None)
    b = EventBuilder(conn)
    c = b.course("https://x.example/c", start="2026-02-02" if dated else None, weeks=6 if dated else None)
    other = b.course("https://x.example/other", start="2026-02-02", weeks=6)
    students = [b.student(f"s{i}") for i in range(5)]
    for i in enrolled:
        b.enrol(students[i], c)
    _insert(b, c, students, evs)
    return conn, b, c, other, students


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(event, max_size=40),
    st.lists(event, max_size=15),
    st.integers(0, 30 * 24 * 60),
    st.sets(st.integers(0, 4), max_size=3),
    st.booleans(),
)
def test_statements_after_as_of_change_nothing(before, after, cut, enrolled, dated):
    """With the user's calendar or one found from the data (which must then come from the
    statements before the as-of instant only)."""
    conn, b, c, other, students = _setup(before, enrolled, dated)
    as_of = START + timedelta(minutes=cut)
    f1 = compute_features(conn, c, as_of)
    w1 = weekly_series(conn, c, as_of)
    later = [(w, max(m, cut), *rest) for w, m, *rest in after]  # at or after the cut
    _insert(b, c, students, later)
    _insert(
        b, other, students, [(w, m % (cut + 1), *rest) for w, m, *rest in after]
    )  # any time, other course
    grp = b.student("g", kind="group")
    b.event(grp, c, as_of, "forum", verb="replied")
    pd.testing.assert_frame_equal(compute_features(conn, c, as_of), f1)
    pd.testing.assert_frame_equal(weekly_series(conn, c, as_of), w1)
    conn.close()


def _reference(conn, course, as_of_ms, students):
    """The definitions in the catalog, one student at a time, in plain Python."""
    rows = conn.execute(  # durations to the millisecond, at most a day (see the catalog)
        "SELECT s.actor, s.ts, min(round(s.duration * 1000), 86400000) / 1000.0, s.score_scaled, v.iri, "
        "a.type_iri, a.iri FROM v_events s "
        "JOIN verbs v ON v.id = s.verb JOIN activities a ON a.id = s.object "
        "WHERE s.course = ? AND s.ts < ? ORDER BY s.ts, s.rowid",
        (course, as_of_ms),
    ).fetchall()
    out = {}
    start_ms = int(START.timestamp() * 1000)
    for sid in students:
        ev = [r for r in rows if r[0] == sid]
        ts = [r[1] for r in ev]
        sessions, cur = [], []
        for r in ev:
            if cur and r[1] - cur[-1][1] > 30 * 60_000:
                sessions.append(cur)
                cur = []
            cur.append(r)
        if cur:
            sessions.append(cur)
        lengths = [(s[-1][1] - s[0][1]) / 60_000 + (s[-1][2] or 0) / 60 for s in sessions]
        days = sorted({t // 86_400_000 for t in ts})
        gaps = [b - a for a, b in zip(days, days[1:], strict=False)]
        if days and as_of_ms // 86_400_000 - days[-1] > 0:
            gaps.append(as_of_ms // 86_400_000 - days[-1])
        reg = 0.0
        if len(days) >= 2 and gaps:
            reg = max(0.0, min(1.0, 1 - float(np.std(gaps)) / float(np.mean(gaps))))
        quiz = [min(max(r[3], 0), 1) for r in ev if r[3] is not None and r[5].endswith("/assessment")]
        videos = {r[6] for r in ev if r[5].endswith("/video")}
        done = {r[6] for r in ev if r[5].endswith("/video") and r[4].endswith("/completed")}
        out[sid] = {
            "total_events": len(ev),
            "active_days": len(days),
            "sessions": len(sessions),
            "avg_session_minutes": float(np.mean(lengths)) if lengths else math.nan,
            "total_time_minutes": sum(r[2] or 0 for r in ev) / 60,
            "quiz_count": len(quiz),
            "quiz_avg_score": float(np.mean(quiz)) if quiz else math.nan,
            "quiz_score_trend": float(np.polyfit(range(len(quiz)), quiz, 1)[0]) if len(quiz) >= 3 else 0.0,
            "video_completion_rate": len(done) / len(videos) if videos else math.nan,
            "days_since_last_activity": (as_of_ms - ts[-1]) / 86_400_000
            if ts
            else (as_of_ms - start_ms) / 86_400_000,
            "regularity_score": reg,
        }
    return pd.DataFrame.from_dict(out, orient="index")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(event, min_size=1, max_size=50), st.integers(1, 30 * 24 * 60))
def test_vectorised_features_equal_a_plain_reference(evs, cut):
    conn, b, c, other, students = _setup(evs, enrolled=set())
    as_of = START + timedelta(minutes=cut)
    f = compute_features(conn, c, as_of)
    ref = _reference(conn, c, int(as_of.timestamp() * 1000), list(f.index))
    for col in ref.columns:
        got, want = f[col].to_numpy(dtype=float), ref.loc[f.index, col].to_numpy(dtype=float)
        assert np.allclose(got, want, rtol=1e-9, atol=1e-9, equal_nan=True), (col, got, want)
    conn.close()
