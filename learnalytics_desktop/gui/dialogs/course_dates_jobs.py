"""Worker-side jobs of the course dates dialog (plain functions, no Qt; each opens its own
connection on the task runner's database thread)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from typing import Any

from learnalytics_desktop.core.jobs import NullReporter, Reporter


@dataclass(frozen=True)
class CourseDates:
    """An offering's calendar as used now (``course``) and as the data alone finds it."""

    course: Any  # core.courses.Course
    data_start: date | None
    data_weeks: int | None


def load_dates(
    db_path: str | os.PathLike[str], course_id: int, *, report: Reporter = NullReporter()
) -> CourseDates:
    """The offering and what its statements say of its start and length."""
    from learnalytics_desktop.core.courses import data_calendar, get_course
    from learnalytics_desktop.core.store.db import open_db

    conn = open_db(db_path, create=False)
    try:
        start, weeks = data_calendar(conn, int(course_id))
        return CourseDates(get_course(conn, int(course_id)), start, weeks)
    finally:
        conn.close()


def save_dates(
    db_path: str | os.PathLike[str],
    course_id: int,
    start: date | None,
    weeks: int | None,
    *,
    report: Reporter = NullReporter(),
) -> CourseDates:
    """Set the start date and length (None = follow the data) with ``core.courses.set_course_dates``."""
    from learnalytics_desktop.core.courses import set_course_dates
    from learnalytics_desktop.core.store.db import open_db

    conn = open_db(db_path, create=False)
    try:
        set_course_dates(conn, int(course_id), start, weeks)
    finally:
        conn.close()
    return load_dates(db_path, course_id)


__all__ = ["CourseDates", "load_dates", "save_dates"]
