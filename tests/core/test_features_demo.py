"""Features on the generated demo course, where the truth behind the data is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from factories import make_demo_db

from learnalytics_desktop.core.courses import get_course
from learnalytics_desktop.core.features import (
    compute_features,
    engagement_score,
    student_events,
    weekly_series,
)
from learnalytics_desktop.core.outcomes import at_risk_labels
from learnalytics_desktop.core.store import open_db


@pytest.fixture
def demo(tmp_path):
    d = make_demo_db(tmp_path / "demo.db", students=120)
    conn = open_db(d.path)
    yield d, conn
    conn.close()


def test_students_who_stop_in_week_3_rank_high_at_week_5(demo):
    d, conn = demo
    cid = d.course_id(conn, "2025-autumn")
    course = get_course(conn, cid)
    as_of = course.as_of_week(5)
    f = compute_features(conn, cid, as_of)
    stopped = [
        s
        for s in d.files.students_of("2025-autumn")
        if s.fade_week == 3 and s.last_active is not None and s.last_active < course.as_of_week(3)
    ]
    assert len(stopped) >= 3
    ids = [d.actor_id(conn, s) for s in stopped]
    assert (f.loc[ids, "days_since_last_activity"] >= 14).all()
    assert (f.loc[ids, "pct_days_since_last_activity"] >= 75).all()
    active = f[f.events_last_7_days > 0]
    assert f.loc[ids, "days_since_last_activity"].min() > active["days_since_last_activity"].max()
    assert (f.loc[ids, "events_last_7_days"] == 0).all()


def test_students_who_never_started_are_there_with_nothing(demo):
    d, conn = demo
    for key in ("2025-autumn", "2026-autumn"):
        cid = d.course_id(conn, key)
        never = [s for s in d.files.students_of(key) if s.never_started]
        f = compute_features(conn, cid, get_course(conn, cid).as_of_week(4))
        assert len(f) == len(d.files.students_of(key)) + sum(
            s.kind == "openid" for s in d.files.students_of(key)
        )
        for s in never:
            row = f.loc[d.actor_id(conn, s)]
            assert row.total_events == 0 and row.days_since_last_activity == pytest.approx(28.0)


def test_adding_later_statements_changes_nothing_on_real_looking_data(demo, tmp_path):
    d, conn = demo
    cid = d.course_id(conn, "2025-autumn")
    as_of = get_course(conn, cid).as_of_week(6)
    full = compute_features(conn, cid, as_of)
    weekly = weekly_series(conn, cid, as_of)
    conn.execute("DELETE FROM statements WHERE course = ? AND ts >= ?", (cid, int(as_of.timestamp() * 1000)))
    pd.testing.assert_frame_equal(compute_features(conn, cid, as_of), full)
    pd.testing.assert_frame_equal(weekly_series(conn, cid, as_of), weekly)


def test_voided_statements_do_not_count(demo):
    d, conn = demo
    cid = d.course_id(conn, "2025-autumn")
    end = get_course(conn, cid).as_of_week(13)
    f = compute_features(conn, cid, end)
    assert (
        f["total_events"].sum()
        == conn.execute(
            "SELECT count(*) FROM v_events v JOIN actors a ON a.id = v.actor WHERE course = ? AND ts < ? "
            "AND a.kind != 'group'",
            (cid, int(end.timestamp() * 1000)),
        ).fetchone()[0]
    )
    for target in d.files.voided_ids:
        actor, ts = conn.execute("SELECT actor, ts FROM statements WHERE id = ?", (target,)).fetchone()
        events = student_events(conn, actor, cid, end, limit=10_000)
        assert len(events) == f.loc[actor, "total_events"]
        assert ts not in set(events["time"].astype("int64") // 1_000_000)


def test_features_carry_signal_about_outcomes(demo):
    """Not a model test: just that the generated behaviour relates to the outcomes."""
    d, conn = demo
    cid = d.course_id(conn, "2025-autumn")
    f = compute_features(conn, cid, get_course(conn, cid).as_of_week(6))
    labels = at_risk_labels(conn, cid)
    both = f.join(labels, how="inner")
    score = engagement_score(both)
    at_risk, fine = score[both.at_risk == 1], score[both.at_risk == 0]
    # probability that a random at-risk student scores below a random other one (an AUC)
    auc = (
        np.less.outer(at_risk.to_numpy(), fine.to_numpy()).mean()
        + 0.5 * np.equal.outer(at_risk.to_numpy(), fine.to_numpy()).mean()
    )
    assert 0.65 < auc < 0.99
    assert (
        both.loc[both.at_risk == 1, "quiz_avg_score"].mean()
        < both.loc[both.at_risk == 0, "quiz_avg_score"].mean()
    )
    assert both["late_submissions"].sum() > 0 and both["forum_posts"].sum() > 0
    assert both["video_completion_rate"].dropna().between(0, 1).all()
