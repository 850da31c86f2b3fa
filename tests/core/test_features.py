"""Features as of a date on hand-made statements whose right answers are worked out below."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from factories import EventBuilder, at, ms

from learnalytics_desktop.core.features import (
    DEFAULT_WEIGHTS,
    FEATURE_COLUMNS,
    WeightsError,
    compute_features,
    describe,
    engagement_score,
    load_weights,
    save_weights,
    student_events,
    validate_weights,
    weekly_series,
)

START = "2026-01-05"  # a Monday
AS_OF = at(START, days=14)  # 2026-01-19 00:00 UTC: weeks 1-2 complete


@pytest.fixture
def course(db):
    """Ann (busy, known numbers), Bob (stops on day 1), Cat (roster only), a group, a late
    joiner, and noise in another course and after the as-of date."""
    b = EventBuilder(db)
    c = b.course("https://x.example/course/1", "Course one", start=START, weeks=10)
    other = b.course("https://x.example/course/2", "Course two", start=START, weeks=10)
    ann, bob, cat, dan = (b.student(n) for n in ("ann", "bob", "cat", "dan"))
    grp = b.student("team", kind="group")
    d = "2026-01-05T"
    b.event(ann, c, d + "10:00:00Z", "navigation", verb="launched")
    b.event(ann, c, d + "10:01:00Z", "video", verb="played", obj="v1")
    b.event(ann, c, d + "10:11:00Z", "video", verb="completed", obj="v1", duration=600)
    b.event(ann, c, d + "10:20:00Z", "reading", verb="experienced", duration=300)
    # session 2 (10 min) and, after a 31-minute gap, session 3 (20 min)
    b.event(ann, c, "2026-01-07T20:00:00Z", "video", verb="played", obj="v2")
    b.event(ann, c, "2026-01-07T20:05:00Z", "video", verb="paused", obj="v2", duration=300)
    b.event(ann, c, "2026-01-07T20:36:00Z", "assessment", verb="attempted", obj="q1")
    b.event(ann, c, "2026-01-07T20:46:00Z", "assessment", verb="passed", obj="q1", score=0.8, duration=600)
    b.event(ann, c, "2026-01-10T09:00:00Z", "assessment", verb="failed", obj="q2", score=0.5)
    b.event(ann, c, "2026-01-12T09:00:00Z", "assessment", verb="passed", obj="q3", raw=9, max_=10)
    b.event(ann, c, "2026-01-13T09:00:00Z", "assessment", verb="failed", obj="q4", score=0.0, voided=1)
    b.event(ann, c, "2026-01-14T18:00:00Z", "forum", verb="viewed")
    b.event(ann, c, "2026-01-14T18:02:00Z", "forum", verb="replied")
    b.event(ann, c, "2026-01-15T12:00:00Z", "assignment", verb="submitted", obj="a1", late=1)
    b.event(ann, c, "2026-01-16T12:00:00Z", "assignment", verb="submitted", obj="a2", late=0)
    b.event(ann, c, "2026-01-16T12:00:01Z", "other", verb="https://x.example/voiding", is_voiding=1)
    b.event(ann, c, "2026-01-19T00:00:00Z", "forum", verb="replied")  # at as_of: excluded
    b.event(ann, other, "2026-01-08T10:00:00Z", "forum", verb="replied")  # another course
    for minute in (0, 5, 9):
        b.event(bob, c, f"{d}09:{minute:02d}:00Z", "reading", verb="experienced", duration=60)
    b.enrol(cat, c)
    b.event(grp, c, d + "11:00:00Z", "forum", verb="replied")
    b.event(dan, c, "2026-01-20T10:00:00Z", "reading", verb="experienced")  # joins after as_of
    return {"db": db, "b": b, "c": c, "ann": ann, "bob": bob, "cat": cat, "dan": dan, "grp": grp}


def test_rows_are_enrolled_or_active_students_only(course):
    f = compute_features(course["db"], course["c"], AS_OF)
    assert list(f.index) == sorted([course["ann"], course["bob"], course["cat"]])
    assert f.index.name == "actor" and f.index.dtype == np.int64
    assert list(f.columns[: len(FEATURE_COLUMNS)]) == list(FEATURE_COLUMNS)


def test_known_values_for_a_busy_student(course):
    a = compute_features(course["db"], course["c"], AS_OF).loc[course["ann"]]
    assert a.total_events == 14  # the voided and the voiding statements do not count
    assert a.active_days == 7
    assert a.sessions == 8  # 5th, 7th (two), 10th, 12th, 14th, 15th, 16th
    # 25 + 10 + 20 + 0 + 0 + 2 + 0 + 0 minutes over 8 sessions
    assert a.avg_session_minutes == pytest.approx(57 / 8)
    assert a.total_time_minutes == pytest.approx((600 + 300 + 300 + 600) / 60)
    assert a.video_time_minutes == pytest.approx(15.0)
    assert a.video_completion_rate == pytest.approx(0.5)
    assert a.quiz_count == 3  # the voided 0 % attempt does not count
    assert a.quiz_avg_score == pytest.approx((0.8 + 0.5 + 0.9) / 3)
    assert a.quiz_score_trend == pytest.approx(0.05)
    assert a.forum_posts == 1
    assert a.assignments_submitted == 2
    assert a.late_submissions == 1
    assert a.days_since_last_activity == pytest.approx(
        (AS_OF - at("2026-01-16T12:00:00Z")).total_seconds() / 86400
    )
    gaps = np.array([2, 3, 2, 2, 1, 1, 3.0])  # between active days, then the open gap to the 19th
    assert a.regularity_score == pytest.approx(1 - gaps.std() / gaps.mean())
    assert a.events_video == 4 and a.events_assessment == 4 and a.events_forum == 2
    assert (
        a.events_assignment == 2
        and a.events_reading == 1
        and a.events_navigation == 1
        and a.events_other == 0
    )
    assert a.events_last_7_days == 5  # 12th..18th


def test_student_who_stopped_and_roster_only_student(course):
    f = compute_features(course["db"], course["c"], AS_OF)
    bob, cat = f.loc[course["bob"]], f.loc[course["cat"]]
    assert bob.sessions == 1 and bob.avg_session_minutes == pytest.approx(10.0)
    assert bob.regularity_score == 0.0  # a single active day
    assert bob.days_since_last_activity == pytest.approx(14 - 9.15 / 24)
    assert cat.total_events == 0 and cat.sessions == 0 and cat.total_time_minutes == 0
    assert cat.days_since_last_activity == pytest.approx(14.0)  # since the course start
    for col in ("avg_session_minutes", "video_completion_rate", "quiz_avg_score"):
        assert math.isnan(cat[col]), col
    assert cat.quiz_score_trend == 0.0 and cat.regularity_score == 0.0
    # percentiles within the course: Cat has been away longest
    assert f.loc[course["cat"], "pct_days_since_last_activity"] == pytest.approx(100.0)
    assert f.loc[course["ann"], "pct_days_since_last_activity"] == pytest.approx(100 / 3)
    assert all(describe(c) for c in f.columns), "every column is documented"


def test_as_of_is_strict_and_never_the_wall_clock(course):
    f1 = compute_features(course["db"], course["c"], AS_OF)
    later = compute_features(course["db"], course["c"], at("2026-01-19T00:00:00.001Z"))
    assert later.loc[course["ann"], "total_events"] == f1.loc[course["ann"], "total_events"] + 1
    assert course["dan"] not in f1.index
    early = compute_features(course["db"], course["c"], at(START, days=1))
    assert early.loc[course["ann"], "days_since_last_activity"] == pytest.approx((14 * 60 - 20) / (24 * 60))
    before_start = compute_features(course["db"], course["c"], at(START, days=-3))
    assert list(before_start.index) == [course["cat"]]
    assert before_start.loc[course["cat"], "days_since_last_activity"] == 0.0


def test_naive_as_of_means_utc(course):
    naive = AS_OF.replace(tzinfo=None)
    pd.testing.assert_frame_equal(
        compute_features(course["db"], course["c"], naive), compute_features(course["db"], course["c"], AS_OF)
    )


def test_category_mapping_overrides_are_used(course):
    from learnalytics_desktop.core.ingest.categories import save_mapping

    save_mapping(course["db"], verbs={}, types={"http://id.tincanapi.com/activitytype/document": "video"})
    b = compute_features(course["db"], course["c"], AS_OF).loc[course["bob"]]
    assert b.events_video == 3 and b.events_reading == 0 and b.video_time_minutes == pytest.approx(3.0)


def test_empty_course(db):
    b = EventBuilder(db)
    c = b.course("https://x.example/empty")
    f = compute_features(db, c, at(START))
    assert f.empty and list(f.columns[: len(FEATURE_COLUMNS)]) == list(FEATURE_COLUMNS)
    assert weekly_series(db, c, at(START)).empty


def test_weekly_series(course):
    w = weekly_series(course["db"], course["c"], at(START, days=10))  # inside week 2
    assert list(w.columns) == ["actor", "week", "events", "minutes", "quiz_avg"]
    assert len(w) == 3 * 2 and set(w.week) == {1, 2}
    ann = w[w.actor == course["ann"]].set_index("week")
    assert ann.loc[1, "events"] == 9 and ann.loc[2, "events"] == 3  # 12th and 14th (before the 15th)
    assert ann.loc[1, "quiz_avg"] == pytest.approx(0.65) and ann.loc[2, "quiz_avg"] == pytest.approx(0.9)
    bob = w[w.actor == course["bob"]].set_index("week")
    assert bob.loc[2, "events"] == 0 and math.isnan(bob.loc[2, "quiz_avg"])
    assert ann.loc[1, "minutes"] == pytest.approx(30.0)
    full = weekly_series(course["db"], course["c"], AS_OF)
    assert full.groupby("actor")["events"].sum()[course["ann"]] == 14
    assert full.week.max() == 2
    capped = weekly_series(course["db"], course["c"], at(START, days=400))
    assert capped.week.max() == 10  # the course's length


def test_student_events(course):
    ev = student_events(course["db"], course["ann"], course["c"], AS_OF, limit=5)
    assert len(ev) == 5
    assert ev["time"].is_monotonic_decreasing
    assert ev.iloc[0]["category"] == "assignment" and ev.iloc[0]["late"] == 0
    all_ev = student_events(course["db"], course["ann"], course["c"], AS_OF, limit=100)
    assert len(all_ev) == 14 and 0.0 not in set(all_ev["score"].dropna())  # voided one is hidden


def test_engagement_score_default_weights_and_normalisation(course):
    f = compute_features(course["db"], course["c"], AS_OF)
    s = engagement_score(f)
    assert s.name == "engagement_score" and s.between(0, 1).all()
    assert s[course["ann"]] > s[course["bob"]] > s[course["cat"]] == 0.0
    a = f.loc[course["ann"]]
    p95 = np.percentile(f["total_time_minutes"], 95)
    expected = (
        0.20 * a.regularity_score
        + 0.15 * 0.5
        + 0.20 * a.quiz_avg_score
        + 0.10 * (1 / 20)
        + 0.15 * min(a.total_time_minutes / p95, 1)
        + 0.20 * (1 - a.days_since_last_activity / 14)
    )
    assert s[course["ann"]] == pytest.approx(expected, abs=0.0006)
    only_quiz = engagement_score(f, {"quiz_avg_score": 3})
    assert only_quiz[course["ann"]] == pytest.approx(round(a.quiz_avg_score, 3))


def test_weights_validation_and_storage(db):
    assert load_weights(db) == DEFAULT_WEIGHTS
    saved = save_weights(db, {"quiz_avg_score": 2, "regularity_score": 2})
    assert saved["quiz_avg_score"] == pytest.approx(0.5) and saved["forum_posts_normalized"] == 0
    assert load_weights(db) == saved
    with pytest.raises(WeightsError, match="unknown engagement component.*'clicks'"):
        validate_weights({"clicks": 1})
    with pytest.raises(WeightsError, match="must not be negative"):
        validate_weights({"quiz_avg_score": -1})
    with pytest.raises(WeightsError, match="at least one"):
        validate_weights({"quiz_avg_score": 0})
    with pytest.raises(WeightsError, match="must be a number"):
        validate_weights({"quiz_avg_score": "high"})
    with pytest.raises(WeightsError, match="must be a number"):
        validate_weights({"quiz_avg_score": float("nan")})


def test_raw_scores_need_a_maximum(course):
    b, c = course["b"], course["c"]
    eve = b.student("eve")
    b.event(eve, c, "2026-01-06T10:00:00Z", "assessment", verb="passed", raw=7)  # no max: cannot be scaled
    b.event(eve, c, "2026-01-07T10:00:00Z", "assessment", verb="passed", raw=30, max_=40)
    e = compute_features(course["db"], c, AS_OF).loc[eve]
    assert e.quiz_count == 1 and e.quiz_avg_score == pytest.approx(0.75)


def test_start_from_data_when_not_set(db):
    b = EventBuilder(db)
    c = b.course("https://x.example/c")
    s = b.student("s")
    b.event(s, c, "2026-03-04T10:00:00Z", "reading")  # a Wednesday: the start is Monday the 2nd
    f = compute_features(db, c, at("2026-03-09"))
    assert f.loc[s, "total_events"] == 1
    b.enrol(b.student("t"), c)
    f = compute_features(db, c, at("2026-03-09"))
    assert f.loc[b.student("t"), "days_since_last_activity"] == pytest.approx(7.0)


def test_ms_helper():
    assert ms("1970-01-01T00:00:01Z") == 1000


def test_unpacked_read_path_gives_the_same_table(course):
    """Huge ids do not fit the packed fetch; the plain one must agree with it."""
    packed = compute_features(course["db"], course["c"], AS_OF)
    course["db"].execute(
        "INSERT INTO actors(id, ifi, kind, label) VALUES (?, 'account:h|huge', 'account', 'huge')", (1 << 40,)
    )
    pd.testing.assert_frame_equal(compute_features(course["db"], course["c"], AS_OF), packed)


def test_huge_ids_in_the_data(course):
    """Ids far beyond any lookup table (an old database after many erasures) still work."""
    db, b, c = course["db"], course["b"], course["c"]
    before = compute_features(db, c, AS_OF)
    db.execute(
        "INSERT INTO actors(id, ifi, kind, label) VALUES (?, 'account:h|big', 'account', 'big')", (1 << 45,)
    )
    db.execute(
        "INSERT INTO activities(id, iri, type_iri) VALUES (?, 'https://x.example/video/big', ?)",
        (1 << 44, "https://w3id.org/xapi/video/activity-type/video"),
    )
    b.event(1 << 45, c, "2026-01-06T10:00:00Z", "video", verb="played", obj="https://x.example/video/big")
    after = compute_features(db, c, AS_OF)
    assert after.loc[1 << 45, "events_video"] == 1 and after.loc[1 << 45, "video_completion_rate"] == 0
    base = list(FEATURE_COLUMNS)  # the percentiles move: there is one more student
    pd.testing.assert_frame_equal(after.drop(index=1 << 45)[base], before[base])
