"""Helpers shared by GUI tests (databases with courses, waiting for the window)."""

from __future__ import annotations

import functools
from pathlib import Path

DATASIM = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "xapi-valid" / "datasim"
FALLBACK = "https://lms.example.edu/course/datasim-101"


def small_demo(monkeypatch, students: int = 20) -> None:
    """Make ``core.demo.build_demo_database`` build a small demo (fast tests), here and in the
    child process the window builds the demo in (``gui.jobs.DEMO_STUDENTS``)."""
    import learnalytics_desktop.core.demo as demo
    import learnalytics_desktop.gui.jobs as jobs

    monkeypatch.setattr(jobs, "DEMO_STUDENTS", students)
    monkeypatch.setattr(
        demo, "build_demo_database", functools.partial(demo.build_demo_database, students=students)
    )


def build_small_demo(path: Path, students: int = 20) -> Path:
    """A demo database with two offerings of ``students`` students at ``path``."""
    from learnalytics_desktop.core.demo import build_demo_database

    return build_demo_database(path, students=students)


def open_in(window, qtbot, path: Path, *, create: bool = False) -> None:
    """Open ``path`` in ``window`` and wait until it is the window's database."""
    # wait for the database task itself: pages may start (and finish) their own tasks meanwhile
    with qtbot.waitSignal(
        window.runner.finished, timeout=20000, check_params_cb=lambda t: t.key == "database"
    ):
        window.open_database(path, create=create)
    assert window.db_path == Path(path).resolve()
