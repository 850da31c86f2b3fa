"""Withdrawn students: not training rows once gone, not counted at risk, off the advisor's list
by default, a status column on every score."""

from __future__ import annotations

from test_dashboard import add_model, add_run, demo, template  # noqa: F401 (fixtures)

from learnalytics_desktop.core import dashboard
from learnalytics_desktop.core.courses import get_course, to_ms
from learnalytics_desktop.core.jobs import NullReporter
from learnalytics_desktop.core.model.data import build_training_data

WEEK = 6


def _withdraw(conn, course, actors, day):
    when = to_ms(course.as_of_week(0)) + day * 86_400_000
    for a in actors:
        conn.execute(
            "UPDATE enrolments SET withdrawn_ms = ? WHERE course = ? AND actor = ?", (when, course.id, int(a))
        )


def test_students_withdrawn_before_the_week_are_not_training_rows(demo, template):  # noqa: F811
    conn = demo[0]
    past = get_course(conn, template.course_id(conn, "2025-autumn"))
    before = build_training_data(conn, [past.id], WEEK, NullReporter())
    rows = before.labels.index.get_level_values("actor").tolist()
    early, late = rows[:3], rows[3:5]
    _withdraw(conn, past, early, 10)  # gone in week 2
    _withdraw(conn, past, late, 7 * WEEK + 3)  # still there at the end of week 6
    after = build_training_data(conn, [past.id], WEEK, NullReporter())
    kept = set(after.labels.index.get_level_values("actor"))
    assert not kept & set(early)
    assert set(late) <= kept
    assert len(kept) == len(rows) - 3
    assert after.courses[0]["excluded_withdrawn"] == 3


def test_withdrawn_students_are_listed_apart_and_not_counted_at_risk(demo):  # noqa: F811
    conn, _, course = demo
    add_model(conn, "m1", WEEK, "2026-01-01T00:00:00+00:00", active=1)
    _, scores = add_run(conn, course, "m1", WEEK, "2026-01-02T00:00:00+00:00", seed=1)
    high = sorted((a for a, (_, lv) in scores.items() if lv == "high"), key=lambda a: -scores[a][0])
    assert len(high) >= 3
    gone = high[:2]
    _withdraw(conn, course, gone, 12)
    table = dashboard.risk_table(conn, course.id, WEEK)
    by_actor = table.set_index("actor")["status"]
    expected_day = course.as_of_week(0).date().toordinal() + 12
    for a in gone:
        assert by_actor[a].startswith("withdrawn (")
        assert by_actor[a].endswith(f"{type(course.start).fromordinal(expected_day).isoformat()})")
    assert set(by_actor.drop(gone)) <= {"active", "not started"}
    assert table.attrs["withdrawn"] == 2
    shown = dashboard.without_withdrawn(table)
    assert set(shown["actor"]) == set(table["actor"]) - set(gone)
    ov = dashboard.course_overview(conn, course.id, WEEK)
    assert ov.at_risk == len(high) - 2
    assert ov.withdrawn == 2
    assert any("withdrawn" in n for n in ov.notes)
