"""The heavy jobs of the pages run in a child process (``TaskRunner.in_process``): the real
import of the Import page, training from the Model page, scoring a whole course."""

from __future__ import annotations

import os

import pytest
from factories import make_demo_db
from gui_helpers import ARRAY_STATEMENTS, FALLBACK, open_in, xapi_array

from learnalytics_desktop.core.store.db import open_db
from learnalytics_desktop.gui.main_window import MainWindow
from learnalytics_desktop.gui.pages.base import PageContext, Shell
from learnalytics_desktop.gui.process_jobs import live_processes

PAST = "https://lms.example.edu/course/ida101/2025-autumn"
WAIT = 120000


def course(path, iri=None):
    from learnalytics_desktop.core.courses import list_courses

    conn = open_db(path, create=False)
    try:
        courses = list_courses(conn)
    finally:
        conn.close()
    return courses, next((c for c in courses if iri is None or c.iri == iri), None)


def test_the_import_page_imports_in_a_child_process(qtbot, tmp_path):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    open_in(window, qtbot, tmp_path / "import.db", create=True)
    page = window.navigate("import")
    page.add_paths([xapi_array(tmp_path / "sim-array.json")])
    page.fallback_edit.setText(FALLBACK)
    assert page.problems() == []  # otherwise start() runs nothing and the wait below times out
    with qtbot.waitSignal(page.runner.finished, timeout=WAIT, check_params_cb=lambda t: t is page.task):
        task = page.start()
    assert task.state == "ok" and task.where == "process" and task.pid not in (None, os.getpid())
    assert page.last_outcome.counts()["stored"] == ARRAY_STATEMENTS
    assert list(page.last_outcome.frames) == ["rejects", "conflicts"]  # the tables' frames came back
    assert live_processes() == []
    window.close()


@pytest.fixture
def demo(tmp_path):
    return make_demo_db(tmp_path / "demo.db", students=40)


def test_training_from_the_model_page_runs_in_a_child_and_cancels(qtbot, runner, demo):
    from learnalytics_desktop.gui.pages.model.model_page import ModelPage

    courses, current = course(demo.path, "https://lms.example.edu/course/ida101/2026-autumn")
    page = ModelPage(Shell(runner))
    qtbot.addWidget(page)
    page.show()
    page.set_context(
        PageContext(db_path=demo.path, course_id=current.id, week=6, course=current, courses=tuple(courses))
    )
    qtbot.waitUntil(lambda: page.train_panel.db_path == demo.path and not runner.is_busy(), timeout=15000)
    task = page.train_panel.start()
    qtbot.waitUntil(lambda: task.pid is not None or task.done, timeout=WAIT)
    with qtbot.waitSignal(runner.cancelled, timeout=WAIT):
        page.train_panel.cancel()
    assert (
        task.where == "process" and page.train_panel.status.text() == "Training cancelled; nothing was saved."
    )
    assert live_processes() == []


def test_score_now_scores_the_course_in_a_child(qtbot, runner, demo):
    from learnalytics_desktop.core.model import train_model
    from learnalytics_desktop.gui.pages.dashboard.common import ScoreBanner

    courses, past = course(demo.path, PAST)
    conn = open_db(demo.path)
    try:
        train_model(conn, [past.id], 6, kind="logreg")
    finally:
        conn.close()
    _, current = course(demo.path, "https://lms.example.edu/course/ida101/2026-autumn")
    from learnalytics_desktop.core.dashboard import scoring_status

    conn = open_db(demo.path)
    try:
        status = scoring_status(conn, current.id, 6)
    finally:
        conn.close()
    assert status.can_score and status.state == "not_scored"
    banner = ScoreBanner(runner)
    qtbot.addWidget(banner)
    banner.set_status(status, demo.path, current.id, 6)
    with qtbot.waitSignal(banner.scored, timeout=WAIT) as blocker:
        task = banner.score()
    assert task.where == "process" and blocker.args[0].state == "scored"
