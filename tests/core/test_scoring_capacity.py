"""The advisor-capacity mode saved in Settings is what scoring uses, on every path that scores
(the dashboard's "Score now" here; the command line in test_model_cli.py)."""

from __future__ import annotations

import json

import pytest
from factories import make_demo_db

from learnalytics_desktop.core import dashboard
from learnalytics_desktop.core.model import score_course, train_model
from learnalytics_desktop.core.model.levels import CAPACITY_KEY, ThresholdError, get_thresholds
from learnalytics_desktop.core.store import open_db
from learnalytics_desktop.core.store.db import set_setting

WEEK = 6


@pytest.fixture
def untrained(tmp_path):
    built = make_demo_db(tmp_path / "demo.db", students=40)
    conn = open_db(built.path)
    yield conn, built
    conn.close()


@pytest.fixture
def demo(untrained):
    conn, built = untrained
    train_model(conn, [built.course_id(conn, "2025-autumn")], WEEK)  # the active model
    return conn, built.course_id(conn, "2026-autumn")


def _levels(conn, run_id):
    return conn.execute(
        "SELECT actor, risk, level FROM scores WHERE run_id = ? ORDER BY risk DESC", (run_id,)
    ).fetchall()


@pytest.mark.slow  # builds a demo database and trains a model (~8 s)
def test_saved_capacity_decides_the_levels_when_scoring_from_the_dashboard(demo):
    conn, course = demo
    # no capacity saved: the thresholds decide
    status = dashboard.score_now(conn, course, WEEK)
    rows = _levels(conn, status.run_id)
    high_by_threshold = sum(r >= get_thresholds(conn)["high"] for _, r, _ in rows)
    assert sum(lv == "high" for *_, lv in rows) == high_by_threshold != 10

    set_setting(conn, CAPACITY_KEY, 10)
    status = dashboard.score_now(conn, course, WEEK)
    rows = _levels(conn, status.run_id)
    assert len(rows) > 10
    assert sum(lv == "high" for *_, lv in rows) == 10
    assert min(r for _, r, lv in rows if lv == "high") >= max(r for _, r, lv in rows if lv != "high")
    detail = json.loads(
        conn.execute(
            "SELECT detail FROM audit_log WHERE action = 'score' ORDER BY id DESC LIMIT 1"
        ).fetchone()[0]
    )
    assert detail["capacity"] == 10 and detail["high"] == 10

    # an explicit capacity overrides the saved one for that run only
    out = score_course(conn, course, WEEK, capacity=3)
    assert (out["risk_level"] == "high").sum() == 3 and out.attrs["capacity"] == 3
    out = score_course(conn, course, WEEK)
    assert (out["risk_level"] == "high").sum() == 10 and out.attrs["capacity"] == 10


def test_a_broken_saved_capacity_is_a_clear_error(untrained):
    conn, built = untrained
    course = built.course_id(conn, "2026-autumn")  # checked before any model is loaded
    set_setting(conn, CAPACITY_KEY, "ten")
    with pytest.raises(ThresholdError, match="risk_capacity"):
        dashboard.score_now(conn, course, WEEK)
    with pytest.raises(ThresholdError, match="between 1 and"):
        score_course(conn, course, WEEK, capacity=0)


@pytest.mark.slow  # builds a demo database and trains a model (~8 s)
def test_withdrawn_students_take_no_place_of_the_capacity(demo):
    from learnalytics_desktop.core.courses import get_course, to_ms

    conn, course = demo
    set_setting(conn, CAPACITY_KEY, 5)
    first = score_course(conn, course, week=WEEK)
    top = first["actor"].tolist()[:3]  # the riskiest three withdraw in week 2
    start = to_ms(get_course(conn, course).as_of_week(0))
    for a in top:
        conn.execute(
            "INSERT INTO enrolments(course, actor, source, withdrawn_ms) VALUES (?, ?, 'roster', ?) "
            "ON CONFLICT(course, actor) DO UPDATE SET withdrawn_ms = excluded.withdrawn_ms",
            (course, int(a), start + 10 * 86_400_000),
        )
    again = score_course(conn, course, week=WEEK)
    gone = again[again["actor"].isin(top)]
    assert gone["status"].str.startswith("withdrawn (").all()
    enrolled = again[~again["actor"].isin(top)]
    assert (enrolled["risk_level"] == "high").sum() == 5  # the capacity goes to students still enrolled
    assert set(enrolled["status"]) <= {"active", "not started"}
