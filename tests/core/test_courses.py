"""Course offerings: calendar from the data or the user, weeks, as-of instants, finding one."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from factories import EventBuilder

from learnalytics_desktop.core.courses import (
    CourseError,
    course_calendar,
    find_course,
    get_course,
    list_courses,
    set_course_dates,
)


@pytest.fixture
def two(db):
    b = EventBuilder(db)
    c1 = b.course(
        "https://lms.example.edu/course/ida101/2025-autumn", "Introduction to Data Analysis (Autumn 2025)"
    )
    c2 = b.course(
        "https://lms.example.edu/course/ida101/2026-autumn", "Introduction to Data Analysis (Autumn 2026)"
    )
    students = [b.student(f"s{i}") for i in range(20)]
    # c1: one stray statement weeks early (a teacher trying it out), then 20 students over
    # 10 weeks from Wednesday 2025-09-17, and one statement half a year later
    b.event(students[0], c1, "2025-08-01T10:00:00Z", "reading")
    for i, s in enumerate(students):
        for week in range(10):
            b.event(
                s, c1, datetime(2025, 9, 17, 9, tzinfo=UTC) + timedelta(days=7 * week, hours=i), "reading"
            )
    b.event(students[1], c1, "2026-03-01T10:00:00Z", "reading")
    b.event(students[2], c1, "2025-09-20T10:00:00Z", "reading", voided=1)
    b.enrol(b.student("never"), c1)
    grp = b.student("team", kind="group")
    b.event(grp, c1, "2025-09-18T10:00:00Z", "forum")
    return db, c1, c2, students


def test_calendar_found_from_the_data(two):
    db, c1, c2, _ = two
    c = get_course(db, c1)
    assert c.start == date(2025, 9, 15)  # Monday on or before the 5th percentile (Wed 17th)
    assert c.start.weekday() == 0 and c.start_source == "data"
    assert c.weeks == 10 and c.weeks_source == "data"  # the 99th percentile, not the stray one
    assert c.students == 21  # 20 active + 1 enrolled, the group is not a student
    assert c.statements == 1 + 200 + 1 + 1  # voided left out; the group's statement counts
    assert c.first_statement == datetime(2025, 8, 1, 10, tzinfo=UTC)
    empty = get_course(db, c2)
    assert empty.start is None and empty.weeks is None and empty.start_source == "none"
    with pytest.raises(CourseError, match="no start date"):
        empty.as_of_week(3)
    assert course_calendar(db, c1) == (date(2025, 9, 15), 10)


def test_as_of_week_and_week_of(two):
    db, c1, _, _ = two
    c = get_course(db, c1)
    assert c.as_of_week(0) == datetime(2025, 9, 15, tzinfo=UTC)
    assert c.as_of_week(3) == datetime(2025, 10, 6, tzinfo=UTC)
    assert c.week_of(datetime(2025, 9, 15, tzinfo=UTC)) == 1
    assert c.week_of(c.as_of_week(3) - timedelta(milliseconds=1)) == 3
    assert c.week_of(c.as_of_week(3)) == 4
    assert c.week_of(datetime(2025, 9, 14, 23, 59)) == 0  # naive = UTC, before the start
    assert c.week_of(int(c.as_of_week(1).timestamp() * 1000)) == 2
    assert c.weeks_complete(datetime(2025, 10, 8, tzinfo=UTC)) == 3
    assert c.weeks_complete(datetime(2030, 1, 1, tzinfo=UTC)) == 10
    assert c.end_dt == datetime(2025, 11, 24, tzinfo=UTC)
    for bad in (-1, 1.5, True, "3"):
        with pytest.raises(CourseError, match="whole number"):
            c.as_of_week(bad)


def test_user_dates_win_and_can_be_reset(two):
    db, c1, _, _ = two
    c = set_course_dates(db, c1, "2025-09-22", 13)
    assert (c.start, c.weeks, c.start_source, c.weeks_source) == (date(2025, 9, 22), 13, "user", "user")
    assert c.as_of_week(1) == datetime(2025, 9, 29, tzinfo=UTC)
    assert set_course_dates(db, c1, date(2025, 9, 8), None).weeks_source == "data"
    c = set_course_dates(db, c1, None, None)
    assert c.start == date(2025, 9, 15) and c.start_source == "data"
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'course_dates'").fetchone()[0] == 3
    with pytest.raises(CourseError, match="look like 2026-09-14"):
        set_course_dates(db, c1, "22/09/2025", None)
    with pytest.raises(CourseError, match="from 1 to 104"):
        set_course_dates(db, c1, None, 0)
    with pytest.raises(CourseError, match="no course offering with id 99"):
        set_course_dates(db, 99, None, 5)


def test_list_is_ordered_by_start(two):
    db, c1, c2, _ = two
    set_course_dates(db, c2, "2026-09-14", 13)
    courses = list_courses(db)
    assert [c.id for c in courses] == [c1, c2]
    assert courses[1].students == 0 and courses[1].statements == 0
    d = courses[0].to_dict()
    assert d["start"] == "2025-09-15" and d["iri"].endswith("2025-autumn")


def test_find_course(two):
    db, c1, c2, _ = two
    assert find_course(db, str(c1)).id == c1
    assert find_course(db, c2).id == c2
    assert find_course(db, "https://lms.example.edu/course/ida101/2026-autumn").id == c2
    assert find_course(db, "autumn 2025").id == c1  # a unique piece of the name
    assert find_course(db, "2026").id == c2  # not an id: a piece of the IRI
    with pytest.raises(CourseError, match="matches 2 course offerings.*2025-autumn.*2026-autumn"):
        find_course(db, "data analysis")
    with pytest.raises(CourseError, match="No course offering matches 'chemistry'. The offerings are"):
        find_course(db, "chemistry")


def test_find_course_in_an_empty_database(db):
    with pytest.raises(CourseError, match="no course offerings yet"):
        find_course(db, "x")


def test_registrations_do_not_place_the_start_and_a_late_start_is_flagged(db):
    from factories import EventBuilder, at

    from learnalytics_desktop.core.courses import get_course

    b = EventBuilder(db)
    c = b.course("https://x.example/reg")
    registered = "http://adlnet.gov/expapi/verbs/registered"
    for i in range(40):  # registrations months before teaching starts on Monday 2026-01-05
        s = b.student(f"s{i}")
        b.event(s, c, at("2025-09-01", days=i * 2), "navigation", verb=registered)
        for w in range(10):
            b.event(s, c, at("2026-01-05", days=7 * w + i % 5, hours=10), "reading", verb="viewed")
    course = get_course(db, c)
    assert course.start == date(2026, 1, 5) and course.start_source == "data"
    assert course.warnings == ()
    # a tester in a course shell opened a month early: the start moves, a warning says so
    pilot = b.student("pilot")
    for d in range(35):
        for h in (9, 15):
            b.event(pilot, c, at("2025-11-24", days=d, hours=h), "reading", verb="viewed")
    course = get_course(db, c)
    assert course.start == date(2025, 12, 1)
    assert len(course.warnings) == 1 and "Most activity starts in week 6, 5 weeks after" in course.warnings[0]
