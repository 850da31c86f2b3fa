"""The two small core additions the app's dialogs rely on: a column role given as "" is not
used (no guessing from the header), and ``data_calendar`` says what the data alone finds."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from factories import EventBuilder

from learnalytics_desktop.core.courses import CourseError, data_calendar, get_course, set_course_dates
from learnalytics_desktop.core.outcomes import OutcomesError, import_outcomes, import_roster


@pytest.fixture
def course(db):
    b = EventBuilder(db)
    c = b.course("https://x.example/c", "Course")
    ann, bob = b.student("u100"), b.student("u200")
    b.event(bob, c, "2026-01-07T10:00:00Z", "video")
    for week in range(7):  # Tuesdays from 2026-01-06 to 2026-02-17
        b.event(ann, c, f"{date(2026, 1, 6) + timedelta(days=7 * week)}T10:00:00Z", "video")
    return c


def test_a_role_given_as_empty_is_not_used(db, course, tmp_path):
    csv = tmp_path / "g.csv"
    csv.write_text("Student ID,Final grade,Result\nu100,72,Fail\nu200,30,Pass\n", encoding="utf-8")
    report = import_outcomes(db, course, csv, result_column="")
    assert report.columns == {"id": "Student ID", "grade": "Final grade"}
    rows = db.execute("SELECT final_grade, result, passed FROM outcomes ORDER BY final_grade").fetchall()
    assert rows == [
        (30.0, None, 0),
        (72.0, None, 1),
    ]  # passed from the grade and the pass mark, not the Result
    guessed = import_outcomes(db, course, csv)  # None: recognised from the header, as before
    assert guessed.columns["result"] == "Result"
    with pytest.raises(OutcomesError, match="no grade, result, passed or withdrew column"):
        import_outcomes(db, course, csv, grade_column="", result_column="")
    with pytest.raises(OutcomesError, match="no student id or e-mail column"):
        import_roster(db, course, csv, id_column="")
    with pytest.raises(OutcomesError, match="attribute column was given without a name"):
        import_roster(db, course, csv, attribute_columns=[" "])


def test_data_calendar_ignores_what_the_user_set(db, course):
    found = data_calendar(db, course)
    # the Monday on or before the 5th percentile; whole weeks to the 99th percentile (the 7th of
    # 8 statements: 2026-02-10, in week 6)
    assert found == (date(2026, 1, 5), 6)
    set_course_dates(db, course, "2025-12-01", 3)
    assert data_calendar(db, course) == found
    assert (get_course(db, course).start, get_course(db, course).weeks) == (date(2025, 12, 1), 3)
    set_course_dates(db, course, None, None)  # "Reset to the data"
    c = get_course(db, course)
    assert (c.start, c.weeks, c.start_source) == (*found, "data")
    assert c.as_of_week(2) - c.as_of_week(1) == timedelta(days=7)


def test_data_calendar_without_statements_or_course(db):
    empty = EventBuilder(db).course("https://x.example/empty")
    assert data_calendar(db, empty) == (None, None)
    with pytest.raises(CourseError, match="no course offering with id 999"):
        data_calendar(db, 999)
