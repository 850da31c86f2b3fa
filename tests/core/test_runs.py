"""core.model.runs.select_run: one rule for which stored scoring run counts, and every page
that shows risk (Students at risk, the Interventions page, the drafts' risk gate) resting on it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from learnalytics_desktop.core.dashboard import risk_table, scoring_status
from learnalytics_desktop.core.interventions.context import stored_risk
from learnalytics_desktop.core.interventions.high_risk import high_risk_students
from learnalytics_desktop.core.model.registry import set_active_model
from learnalytics_desktop.core.model.runs import select_run
from learnalytics_desktop.core.model.scoring import latest_run

START = date(2026, 9, 7)  # a Monday


def at_week(k: int, days: float = 0) -> datetime:
    return datetime(START.year, START.month, START.day, tzinfo=UTC) + timedelta(days=7 * k + days)


@pytest.fixture
def store(db):
    """A course with a calendar, three students and two trained models (``m-b`` newer)."""
    course = int(
        db.execute(
            "INSERT INTO courses(iri, name, start_date, weeks) VALUES ('https://x.org/c', 'C', ?, 12)",
            (START.isoformat(),),
        ).lastrowid
    )
    actors = [
        int(
            db.execute(
                "INSERT INTO actors(ifi, kind, label) VALUES (?, 'account', ?)", (f"a:{n}", n)
            ).lastrowid
        )
        for n in ("ann", "bob", "cy")
    ]
    for model, created in (("m-a", "2026-10-01T00:00:00Z"), ("m-b", "2026-10-02T00:00:00Z")):
        db.execute(
            "INSERT INTO models(id, created_at, kind, week, courses, card, file, active) "
            "VALUES (?,?,'logreg',5,'[]','{}','/nonexistent',0)",
            (model, created),
        )
    return db, course, actors


def add_run(conn, course, actors, model, as_of, created, high):
    run = int(
        conn.execute(
            "INSERT INTO score_runs(model_id, course, week, as_of, created_at) VALUES (?,?,5,?,?)",
            (model, course, as_of.isoformat(), created),
        ).lastrowid
    )
    for a in actors:
        level, risk = ("high", 0.9) if a in high else ("low", 0.1)
        conn.execute(
            "INSERT INTO scores(run_id, actor, risk, level, reasons) VALUES (?,?,?,?,?)",
            (run, a, risk, level, json.dumps([])),
        )
    return run


def test_week_moment_model_and_order(store):
    conn, course, actors = store
    assert select_run(conn, course, week=5) is None
    old = add_run(conn, course, actors, "m-b", at_week(5), "2026-10-12T08:00:00Z", actors[:1])
    new = add_run(conn, course, actors, "m-b", at_week(5), "2026-10-12T09:00:00Z", actors[:2])
    mid = add_run(conn, course, actors, "m-b", at_week(5, 2), "2026-10-14T09:00:00Z", actors[:1])
    earlier = add_run(conn, course, actors, "m-b", at_week(3), "2026-10-20T09:00:00Z", actors)
    # week k: the latest made run scored exactly as of the end of week k
    assert select_run(conn, course, week=5).id == new != old
    # a moment: runs of its week not after it; the mid-week run only once the moment reaches it
    assert select_run(conn, course, as_of=at_week(5, 1)).id == new
    assert select_run(conn, course, as_of=at_week(5, 3)).id == mid
    # an older week's run never stands in for this week, a later run never counts earlier
    assert select_run(conn, course, week=6) is None
    assert select_run(conn, course, as_of=at_week(4, 6)) is None
    assert select_run(conn, course, week=3).id == earlier
    # neither: the most recently made run of the model
    assert select_run(conn, course).id == earlier
    # a naive moment is UTC
    assert select_run(conn, course, as_of=at_week(5, 1).replace(tzinfo=None)).id == new
    # week and moment together: the week bounds from below, the moment from above
    assert select_run(conn, course, week=5, as_of=at_week(5, 3)).id == mid
    # another model is asked for by name; the active one (m-b, latest trained) by default
    assert select_run(conn, course, week=5, model="m-a") is None


def test_no_model_no_run(db):
    db.execute(
        "INSERT INTO courses(iri, name, start_date) VALUES ('https://x.org/c', 'C', ?)", (START.isoformat(),)
    )
    db.execute(
        "INSERT INTO score_runs(model_id, course, week, as_of, created_at) VALUES ('gone', 1, 5, ?, '2026-10-12')",
        (at_week(5).isoformat(),),
    )
    assert select_run(db, 1, week=5) is None
    assert select_run(db, 1, week=5, model="gone").id == 1


def test_bad_week_is_a_clear_error(store):
    from learnalytics_desktop.core.courses import CourseError

    conn, course, _ = store
    with pytest.raises(CourseError, match="whole number"):
        select_run(conn, course, week=-1)


def test_students_at_risk_and_interventions_agree_after_the_active_model_changes(store):
    """The drift of issue 10: model A scored week 5, then model B became active. Before,
    Students at risk (active model only) said "not scored" while the Interventions page and
    the drafts' risk gate still used A's run; now every view rests on the same run."""
    conn, course, actors = store
    set_active_model(conn, "m-a")
    run_a = add_run(conn, course, actors, "m-a", at_week(5), "2026-10-12T08:00:00Z", actors[:2])
    moment = at_week(5)
    assert scoring_status(conn, course, 5).run_id == run_a
    assert high_risk_students(conn, course, moment).actors == actors[:2]
    assert set(stored_risk(conn, course, moment)) == set(actors)

    set_active_model(conn, "m-b")  # the active model changes; B has not scored yet
    assert scoring_status(conn, course, 5).state == "not_scored"
    assert len(risk_table(conn, course, 5)) == 0
    assert not high_risk_students(conn, course, moment).available
    assert stored_risk(conn, course, moment) == {}
    assert latest_run(conn, course).empty

    run_b = add_run(conn, course, actors, "m-b", at_week(5), "2026-10-12T07:00:00Z", actors[2:])
    assert scoring_status(conn, course, 5).run_id == run_b  # made earlier than A's, still B's
    assert high_risk_students(conn, course, moment).actors == actors[2:]
    assert set(risk_table(conn, course, 5).query("risk_level == 'high'")["actor"]) == set(actors[2:])
    assert {a for a, (_, level, _) in stored_risk(conn, course, moment).items() if level == "high"} == set(
        actors[2:]
    )
    assert set(latest_run(conn, course)["run_id"]) == {run_b}
