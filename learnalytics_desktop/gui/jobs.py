"""Small database jobs of the main window. Plain functions: they run on the task runner's
database thread, open their own connection and never touch Qt."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from learnalytics_desktop.core.jobs import NullReporter, Reporter


@dataclass(frozen=True)
class DatabaseInfo:
    """What the main window needs of a database: its courses, for the demo its "today", and a
    sentence when its location needs care (``core.store.db.storage_warning``: a network share)."""

    courses: list[Any] = field(default_factory=list)
    today: date | None = None
    storage_note: str | None = None
    demo_stale: bool = False  # a demo database built before the demo came trained and scored


def load_info(conn: Any) -> DatabaseInfo:
    """The course offerings (``core.courses.list_courses``) and the database's fixed today
    (``core.clock.fixed_today``: the demo's), if any."""
    from learnalytics_desktop.core.clock import fixed_today
    from learnalytics_desktop.core.courses import list_courses
    from learnalytics_desktop.core.store.db import get_setting

    today = fixed_today(conn)
    demo = get_setting(conn, "demo")
    return DatabaseInfo(
        list(list_courses(conn)),
        today.date() if isinstance(today, datetime) else today,
        demo_stale=isinstance(demo, dict) and "ready" not in demo,
    )


def open_database(
    path: str | os.PathLike[str], create: bool = False, *, report: Reporter = NullReporter()
) -> DatabaseInfo:
    """Open (create, or migrate with a backup first) the database and return its courses and
    the storage warning of its location, if any (checked here, off the GUI thread: finding a
    path's filesystem can be slow on a network share)."""
    from dataclasses import replace

    from learnalytics_desktop.core.store.db import open_db, storage_warning

    report.progress(0.0, Path(path).name)
    conn = open_db(path, create=create)
    try:
        report.check()
        info = load_info(conn)
    finally:
        conn.close()
    return replace(info, storage_note=storage_warning(path))


def database_info(path: str | os.PathLike[str], *, report: Reporter = NullReporter()) -> DatabaseInfo:
    """The courses of an already open database (after an import, for example)."""
    from learnalytics_desktop.core.store.db import open_db

    conn = open_db(path, create=False)
    try:
        return load_info(conn)
    finally:
        conn.close()


DEMO_STUDENTS: int | None = None  # students per offering; None = the demo's default (tests set it)


def build_demo(
    path: str | os.PathLike[str], students: int | None = None, *, report: Reporter = NullReporter()
) -> DatabaseInfo:
    """Build the demo database at ``path`` (``core.demo.build_demo_database``, which writes
    beside the target and moves it into place, so a cancelled build leaves nothing), then
    return its courses. Runs in a child process (it trains a model), so the size is an
    argument, not a setting of this process."""
    from learnalytics_desktop.core.demo import build_demo_database

    if students is None:
        build_demo_database(Path(path), report=report)
    else:
        build_demo_database(Path(path), students=int(students), report=report)
    return open_database(path, create=False)
