"""Overview, Students at risk and Student pages on a demo database: they show the core's numbers
(core.dashboard), filter, sort, navigate, export, score, and stay fast with 100,000 rows.

Most tests write a scoring run straight into the store (a model row and scores with known
levels), so no training is needed; one slow test trains and scores for real. With the
environment variable LEARNALYTICS_SCREENSHOTS set to a folder, ``test_screenshots`` writes
overview.png, at_risk.png and student.png of the main window on the full demo there.
"""

from __future__ import annotations

import csv
import html
import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from factories import make_demo_db, risk_table_frame
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from learnalytics_desktop.core import dashboard
from learnalytics_desktop.core.courses import list_courses
from learnalytics_desktop.core.model.levels import risk_level
from learnalytics_desktop.core.store.db import copy_database, open_db
from learnalytics_desktop.gui.pages.base import PageContext, Shell
from learnalytics_desktop.gui.pages.dashboard.at_risk_page import AtRiskPage
from learnalytics_desktop.gui.pages.dashboard.overview_page import OverviewPage
from learnalytics_desktop.gui.pages.dashboard.risk_table import (
    COLUMNS,
    RiskTableModel,
    filter_positions,
    prepare,
)
from learnalytics_desktop.gui.pages.dashboard.student_page import StudentPage

WEEK = 6
CURRENT = "https://lms.example.edu/course/ida101/2026-autumn"


def read(path: Path, fn, *args, **kw):
    conn = open_db(path, create=False)
    try:
        return fn(conn, *args, **kw)
    finally:
        conn.close()


def add_model(conn, model_id: str = "m-test", week: int = WEEK) -> None:
    conn.execute(
        "INSERT INTO models(id, created_at, kind, week, courses, card, file, active) VALUES (?,?,?,?,?,?,?,0)",
        (model_id, "2026-10-27T00:00:00Z", "logreg", week, "[]", "{}", "/nonexistent"),
    )


def add_run(conn, course_id: int, model_id: str = "m-test", week: int = WEEK, seed: int = 3) -> int:
    """A stored run with random risks for every student of the course at the week."""
    course = next(c for c in list_courses(conn) if c.id == course_id)
    actors = [
        a
        for (a,) in conn.execute(
            "SELECT actor FROM enrolments WHERE course = ?1 UNION SELECT actor FROM v_events WHERE course = ?1 AND ts < ?2",
            (course_id, int(course.as_of_week(week).timestamp() * 1000)),
        )
    ]
    risks = np.random.default_rng(seed).beta(1.2, 2.5, len(actors)).round(4)
    run = conn.execute(
        "INSERT INTO score_runs(model_id, course, week, as_of, created_at) VALUES (?,?,?,?,?)",
        (model_id, course_id, week, course.as_of_week(week).isoformat(), "2026-10-27T09:00:00Z"),
    ).lastrowid
    conn.executemany(
        "INSERT INTO scores(run_id, actor, risk, level, reasons) VALUES (?,?,?,?,?)",
        [
            (run, a, float(r), lv, json.dumps([f"reason one of {a}", "reason two", "reason three", "four"]))
            for a, r, lv in zip(actors, risks, risk_level(risks), strict=True)
        ],
    )
    return int(run)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return make_demo_db(tmp_path_factory.mktemp("dash-gui") / "demo.db", students=40)


def context_for(path: Path, week: int = WEEK) -> PageContext:
    courses = read(path, list_courses)
    course = next(c for c in courses if c.iri == CURRENT)
    return PageContext(db_path=path, course_id=course.id, week=week, course=course, courses=tuple(courses))


@pytest.fixture
def plain(template, tmp_path) -> Path:
    """A demo database copy without any model."""
    target = tmp_path / "plain.db"
    copy_database(template.path, target)
    return target


@pytest.fixture
def scored(plain) -> Path:
    """A demo database copy with a (fake) active model for week 6 and a stored run."""
    ctx = context_for(plain)
    conn = open_db(plain, create=False)
    try:
        add_model(conn)
        add_run(conn, ctx.course_id)
    finally:
        conn.close()
    return plain


def show(qtbot, page, ctx: PageContext, ready) -> None:
    qtbot.addWidget(page)
    page.resize(1010, 690)
    page.show()
    qtbot.waitExposed(page)
    page.set_context(ctx)
    qtbot.waitUntil(lambda: ready() and not page.runner.is_busy(), timeout=20000)


# -- Overview ---------------------------------------------------------------------------------------


def test_overview_shows_the_core_numbers(qtbot, runner, scored):
    ctx = context_for(scored)
    page = OverviewPage(Shell(runner))
    show(qtbot, page, ctx, lambda: page.overview is not None)
    o = read(scored, dashboard.course_overview, ctx.course_id, WEEK)
    assert page.students_card.value.text() == f"{o.students:,}" == "44"
    assert page.active_card.value.text() == o.count_text(o.active_this_week)
    assert page.risk_card.value.text() == o.count_text(o.at_risk)
    assert page.engagement_card.value.text() == f"{o.avg_engagement:.2f}"
    moderate = int(o.levels.set_index("level").loc["moderate", "students"])
    assert page.risk_card.caption.text() == f"and {o.count_text(moderate)} at Moderate"
    for text, row in zip(page.levels.texts, o.levels.itertuples(), strict=True):
        assert text.startswith(o.count_text(int(row.students)))
    rates = o.completion.set_index("category")["completion"]
    assert page.completion.texts == [
        f"{100 * rates[c]:.0f}%" for c in ("video", "reading", "assessment", "assignment")
    ]
    xs, ys = page.weekly.median.getData()
    assert list(xs) == list(range(1, WEEK + 1)) and np.allclose(ys, o.weekly["engagement_median"])
    page.weekly.metric.setCurrentIndex(1)  # minutes per week
    assert np.allclose(page.weekly.median.getData()[1], o.weekly["minutes_median"])
    assert page.banner.status.state == "scored" and not page.banner.button.isVisible()


def test_overview_small_cells_show_as_less_than(qtbot, runner, scored):
    from learnalytics_desktop.core.privacy.suppress import set_small_cell_threshold

    read(scored, set_small_cell_threshold, 50)
    page = OverviewPage(Shell(runner))
    show(qtbot, page, context_for(scored), lambda: page.overview is not None)
    assert page.students_card.value.text() == "<50" and page.engagement_card.value.text() == "—"
    assert page.completion.texts == ["hidden (small group)"] * 4
    assert all(t.startswith("<50") or t == "0" for t in page.levels.texts)
    assert "small-cell" in page.footnote.text()


def test_overview_without_a_model_says_train_first(qtbot, runner, plain):
    page = OverviewPage(Shell(runner))
    show(qtbot, page, context_for(plain), lambda: page.overview is not None)
    assert page.risk_card.value.text() == "—" and "Model page" in page.banner.text.text()
    assert not page.banner.button.isVisible()


def test_score_now_runs_on_the_worker_and_the_page_follows(qtbot, runner, plain, monkeypatch):
    """The page first asks for the week to be scored by itself (``ensure_scored``, once); when
    that scores nothing (e.g. the week is not over), "Score now" is offered and works."""
    read(plain, add_model)
    calls, auto = [], []

    def fake_score_now(conn, course_id, week, *, report=None):
        calls.append((course_id, week))
        add_run(conn, course_id, week=week)
        return dashboard.scoring_status(conn, course_id, week)

    def fake_ensure_scored(conn, course_id, week, *, report=None):
        auto.append((course_id, week))
        return dashboard.scoring_status(conn, course_id, week)  # nothing scored

    monkeypatch.setattr(dashboard, "score_now", fake_score_now)
    monkeypatch.setattr(dashboard, "ensure_scored", fake_ensure_scored)
    shell = Shell(runner)
    page = OverviewPage(shell)
    ctx = context_for(plain)
    show(qtbot, page, ctx, lambda: page.overview is not None)
    qtbot.waitUntil(lambda: bool(auto) and not runner.is_busy(), timeout=10000)
    assert auto == [(ctx.course_id, WEEK)]
    qtbot.waitUntil(lambda: page.banner.button.isEnabled(), timeout=10000)
    assert page.banner.button.isVisible() and page.risk_card.value.text() == "—"
    with qtbot.waitSignal(shell.data_changed, timeout=10000):
        QTest.mouseClick(page.banner.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.overview.at_risk is not None and not runner.is_busy(), timeout=10000)
    assert calls == [(ctx.course_id, WEEK)]
    # asked once for the unscored week; the fixture's run predates the import, so it is stale
    # and checked once more (never a loop)
    assert auto[0] == (ctx.course_id, WEEK) and len(auto) <= 2
    assert page.risk_card.value.text() == page.overview.count_text(page.overview.at_risk)
    assert not page.banner.button.isVisible()


# -- Students at risk -------------------------------------------------------------------------------


@pytest.fixture
def at_risk(qtbot, runner, scored):
    shell = Shell(runner)
    page = AtRiskPage(shell)
    show(qtbot, page, context_for(scored), lambda: page.frame is not None)
    return page, shell, scored


def test_table_is_the_core_frame_with_levels_in_colour_and_words(at_risk):
    page, _shell, path = at_risk
    ctx = page.ctx
    frame = read(path, dashboard.risk_table, ctx.course_id, WEEK)
    model = page.model
    assert model.rowCount() == len(frame) == 44 and page.count.text() == "Showing 44 of 44 students"
    col = {c.name: i for i, c in enumerate(model.columns)}
    for r in (0, 10, 43):
        assert model.index(r, col["student"]).data() == frame["student"][r]
        level = str(frame["risk_level"][r])
        assert model.index(r, col["level"]).data() == level.capitalize()
        brush = model.index(r, col["level"]).data(Qt.ItemDataRole.BackgroundRole)
        assert (
            brush.color().name().lower()
            == {"low": "#ddeffa", "moderate": "#fbe6bc", "high": "#f6cdb0"}[level]
        )
        assert model.index(r, col["risk_score"]).data(Qt.ItemDataRole.UserRole) == pytest.approx(
            frame["risk_score"][r]
        )
    assert "reason two" in model.index(0, col["top_reasons"]).data(Qt.ItemDataRole.ToolTipRole)


def test_search_and_level_filter_in_pandas(qtbot, at_risk):
    page, _shell, _path = at_risk
    frame = page.frame
    page.level.setCurrentText("High")
    high = int((frame["risk_level"] == "high").sum())
    qtbot.waitUntil(lambda: page.model.shown_rows == high, timeout=5000)
    assert page.count.text() == f"Showing {high} of 44 students"
    page.level.setCurrentText("All levels")
    name = str(frame["student"][5])
    qtbot.keyClicks(page.search, name[1:6].upper())  # case-insensitive, any part of the name
    expected = int(frame["student"].str.lower().str.contains(name[1:6].lower(), regex=False).sum())
    qtbot.waitUntil(lambda: page.model.shown_rows == expected, timeout=5000)
    assert name in [page.model.value(r, "student") for r in range(page.model.rowCount())]


def test_sort_by_risk_and_by_level_severity(at_risk):
    page, _shell, _path = at_risk
    col = {c.name: i for i, c in enumerate(page.model.columns)}
    page.view.sortByColumn(col["risk_score"], Qt.SortOrder.AscendingOrder)
    risks = [page.model.value(r, "risk_score") for r in range(page.model.rowCount())]
    assert risks == sorted(risks)
    page.view.sortByColumn(col["level"], Qt.SortOrder.DescendingOrder)
    levels = [page.model.value(r, "level") for r in range(page.model.rowCount())]
    order = {"High": 0, "Moderate": 1, "Low": 2}
    assert [order[x] for x in levels] == sorted(order[x] for x in levels)


def test_double_click_opens_the_student_and_selection_drafts_interventions(qtbot, at_risk):
    page, shell, _path = at_risk
    view = page.view
    rect = view.visualRect(page.model.index(2, 0))
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # Qt wants a press first
    with qtbot.waitSignal(shell.navigate_requested) as nav:
        QTest.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert nav.args == ["student", {"actor": int(page.model.value(2, "actor"))}]
    view.clearSelection()
    for r in (0, 3, 4):
        view.selectionModel().select(
            page.model.index(r, 0),
            view.selectionModel().SelectionFlag.Select | view.selectionModel().SelectionFlag.Rows,
        )
    assert page.draft_button.isEnabled() and "3 students" in page.draft_button.text()
    with qtbot.waitSignal(shell.navigate_requested) as nav:
        QTest.mouseClick(page.draft_button, Qt.MouseButton.LeftButton)
    assert nav.args == ["interventions", {"actors": [int(page.model.value(r, "actor")) for r in (0, 3, 4)]}]


def test_enter_opens_the_student_and_labels_have_shortcuts(qtbot, at_risk):
    page, shell, _path = at_risk
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow, timeout=3000)
    page.view.setFocus()
    page.view.selectRow(4)
    with qtbot.waitSignal(shell.navigate_requested) as nav:
        QTest.keyClick(page.view, Qt.Key.Key_Return)
    assert nav.args == ["student", {"actor": int(page.model.value(4, "actor"))}]
    QTest.keyClick(page, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)  # Se&arch:
    assert page.search.hasFocus()


def test_export_writes_the_rows_shown_and_logs_it(qtbot, at_risk, tmp_path, monkeypatch):
    from learnalytics_desktop.core.export import list_exports
    from learnalytics_desktop.gui.dialogs import files

    page, _shell, path = at_risk
    page.level.setCurrentText("Moderate and High")
    qtbot.waitUntil(lambda: page.model.shown_rows < 44, timeout=5000)

    page.view.sortByColumn([c.name for c in COLUMNS].index("student"), Qt.SortOrder.AscendingOrder)
    target = tmp_path / "out.csv"
    monkeypatch.setattr(files, "ask_save_file", lambda *a, **k: target)
    with qtbot.waitSignal(page.runner.succeeded, timeout=10000):
        page.export_csv()
    with open(target, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    shown = [page.model.value(r, "student") for r in range(page.model.rowCount())]
    assert [r["student"] for r in rows] == shown == sorted(shown)
    assert {r["risk_level"] for r in rows} <= {"moderate", "high"}
    entry = read(path, list_exports)[0]
    assert entry["what"] == "risk_table" and entry["rows"] == len(shown) and entry["filtered"] is True


def test_header_state_is_saved_and_restored(qtbot, runner, at_risk):
    page, _shell, path = at_risk
    page.view.setColumnWidth(0, 321)
    page.save_state()
    again = AtRiskPage(Shell(runner))
    show(qtbot, again, context_for(path), lambda: again.frame is not None)
    assert again.view.columnWidth(0) == 321


# -- 100,000 rows ------------------------------------------------------------------------------------


def big_frame(n: int = 100_000) -> pd.DataFrame:
    return prepare(risk_table_frame(n))


def test_a_100k_row_table_sorts_filters_and_scrolls(qtbot):
    """What 100,000 rows must do; how fast is bench/table_speed.py's (tests assert behaviour)."""
    frame = big_frame()
    model = RiskTableModel()
    model.set_frame(frame)
    assert model.rowCount() == model.shown_rows == 100_000  # FrameTableModel pages only above 100,000
    col = {c.name: i for i, c in enumerate(model.columns)}
    for name in ("risk_score", "student", "level"):
        model.sort(col[name], Qt.SortOrder.DescendingOrder)
    assert model.value(0, "level") == "High"
    positions = filter_positions(frame, "quiz 41", ("high",))
    assert len(positions) == int(((frame["risk_score"] > 0.5) & (frame["risk_level"] == "high")).sum())
    enrolled = filter_positions(frame, "quiz 41", ("high",), include_withdrawn=False)
    assert len(enrolled) == int(
        ((frame["risk_score"] > 0.5) & (frame["risk_level"] == "high") & (frame["status"] == "active")).sum()
    )

    from PySide6.QtWidgets import QTableView

    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(900, 600)
    view.show()
    qtbot.waitExposed(view)
    bar = view.verticalScrollBar()
    bar.setValue(bar.maximum())
    view.viewport().grab()  # renders every visible cell through data()
    assert view.rowAt(view.viewport().height() - 2) >= 99_990 - 40


def test_risk_model_passes_the_qt_model_tester(qtmodeltester):
    model = RiskTableModel()
    model.set_frame(big_frame(60))
    qtmodeltester.check(model)


# -- Student -----------------------------------------------------------------------------------------


def test_student_page_shows_the_core_timeline(qtbot, runner, scored):
    ctx = context_for(scored)
    page = StudentPage(Shell(runner))
    table = read(scored, dashboard.risk_table, ctx.course_id, WEEK)
    actor = int(table["actor"][0])
    page.open_with(actor=actor)  # before the list has loaded: remembered
    show(qtbot, page, ctx, lambda: page.timeline is not None and page.timeline.actor == actor)
    t = read(scored, dashboard.student_timeline, actor, ctx.course_id, ctx.as_of)
    assert t.label == table["student"][0]
    assert page.picker.currentText() == f"{t.person.full_name} ({t.label})"  # the name first, then the id
    assert t.person.email and t.person.email in page.summary.text()
    assert (
        "Risk level" in page.summary.text()
        and str(table["risk_level"][0]).capitalize() in page.summary.text()
    )
    xs, heights = page.activity.bars.opts["x"], page.activity.bars.opts["height"]
    assert list(xs) == t.weekly["week"].tolist() and np.allclose(heights, t.weekly["minutes"].fillna(0))
    assert page.events.rowCount() == len(t.events) and len(t.events) > 0
    times = [page.events.value(r, "time") for r in range(page.events.rowCount())]
    assert all(x < ctx.as_of for x in times)
    assert page.compare.rowCount() == len(dashboard.COMPARE)
    words = [page.compare.value(r, "words") for r in range(page.compare.rowCount())]
    assert words == t.compare["words"].tolist() and all("course" in w for w in words)
    quiz_x, quiz_y = page.quizzes.line.getData()
    assert (
        np.allclose(quiz_y, 100 * t.quizzes["score"])
        if len(t.quizzes)
        else quiz_x is None or len(quiz_x) == 0
    )
    risk_x, risk_y = page.risk.curve.getData()
    assert np.allclose(risk_y, 100 * t.risk["risk_score"]) and list(risk_x) == t.risk["week"].tolist()


def test_student_picker_searches_and_switches(qtbot, runner, scored):
    ctx = context_for(scored)
    page = StudentPage(Shell(runner))
    show(qtbot, page, ctx, lambda: page.timeline is not None)
    choices = read(scored, dashboard.student_choices, ctx.course_id, ctx.as_of)
    assert page.picker.count() == len(choices) == 44
    assert page.picker.completer().filterMode() == Qt.MatchFlag.MatchContains
    target = choices.iloc[7]
    page.picker.setCurrentIndex(page.picker.findData(int(target["actor"])))
    assert page.picker.currentText() == f"{target['name']} ({target['student']})"  # people, not ids
    page.picker.activated.emit(page.picker.currentIndex())
    qtbot.waitUntil(
        lambda: page.timeline.actor == int(target["actor"]) and not runner.is_busy(), timeout=10000
    )
    assert page.summary.text().startswith(f"<b>{target['name']}</b> ({target['student']})")
    page.set_context(ctx.with_changes(week=3))  # an earlier week: nothing later is shown
    qtbot.waitUntil(
        lambda: page.timeline.as_of == ctx.course.as_of_week(3) and not runner.is_busy(), timeout=10000
    )
    assert page.timeline.weekly["week"].max() == 3 and page.timeline.actor == int(target["actor"])
    assert all(page.events.value(r, "time") < ctx.course.as_of_week(3) for r in range(page.events.rowCount()))


# -- the whole window ---------------------------------------------------------------------------------


def window_on(qtbot, scored):
    """The main window on ``scored``, at the current course and week ``WEEK`` (context bar too)."""
    from gui_helpers import open_in

    from learnalytics_desktop.gui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    open_in(window, qtbot, scored)
    qtbot.waitUntil(lambda: window.shell.context.course is not None, timeout=10000)
    if window.shell.context.course.iri != CURRENT or window.shell.context.week != WEEK:
        window.context_bar.set_courses(window.context_bar._courses, context_for(scored).course_id, WEEK)
        window.shell.set_context(
            context_for(scored).with_changes(data_version=window.shell.context.data_version)
        )
    return window


def test_main_window_goes_from_the_table_to_the_student(qtbot, scored):
    window = window_on(qtbot, scored)
    page = window.navigate("at_risk")
    qtbot.waitUntil(
        lambda: page.frame is not None and len(page.frame) == 44 and not window.runner.is_busy(),
        timeout=20000,
    )
    page.open_student(page.model.index(1, 0))
    assert window.current_key == "student"
    student = window.pages["student"]
    actor = int(page.model.value(1, "actor"))
    qtbot.waitUntil(
        lambda: (
            student.timeline is not None and student.timeline.actor == actor and not window.runner.is_busy()
        ),
        timeout=20000,
    )
    assert student.picker.currentText() == f"{page.model.value(1, 'name')} ({page.model.value(1, 'student')})"
    overview = window.navigate("overview")
    qtbot.waitUntil(lambda: overview.overview is not None and not window.runner.is_busy(), timeout=20000)
    assert overview.risk_card.value.text() == overview.overview.count_text(
        int((page.frame["risk_level"] == "high").sum())
    )
    window.close()


# -- real scoring and screenshots (slow) --------------------------------------------------------------


@pytest.mark.slow
def test_score_now_with_a_really_trained_model(qtbot, runner, plain, monkeypatch, tmp_path):
    from learnalytics_desktop.core.model import train_model

    conn = open_db(plain, create=False)
    try:
        past = next(c for c in list_courses(conn) if c.iri != CURRENT).id
        train_model(conn, [past], WEEK, kind="logreg")
    finally:
        conn.close()
    page = AtRiskPage(Shell(runner))
    # the week has no run yet: the page scores it by itself (the list follows the week picker)
    show(qtbot, page, context_for(plain), lambda: page.frame is not None)
    qtbot.waitUntil(
        lambda: page.frame is not None and len(page.frame) == 44 and not runner.is_busy(), timeout=60000
    )
    assert not page.banner.button.isVisible()
    stored = read(plain, lambda c: c.execute("SELECT count(*) FROM scores").fetchone()[0])
    assert stored == 44 and not math.isnan(page.frame["engagement"].mean())


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("LEARNALYTICS_SCREENSHOTS"), reason="set LEARNALYTICS_SCREENSHOTS=<folder>"
)
def test_screenshots(qtbot, tmp_path):
    """The main window at 1200x780 on the full demo (300 students, a trained and scored model)."""
    from gui_helpers import open_in

    from learnalytics_desktop.core.model import score_course, train_model
    from learnalytics_desktop.gui.main_window import MainWindow

    out = Path(os.environ["LEARNALYTICS_SCREENSHOTS"])
    out.mkdir(parents=True, exist_ok=True)
    demo = make_demo_db(tmp_path / "demo.db", students=300)
    conn = open_db(demo.path)
    try:
        train_model(conn, [demo.course_id(conn, "2025-autumn")], WEEK)
        score_course(conn, demo.course_id(conn, "2026-autumn"), WEEK)
    finally:
        conn.close()
    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(1200, 780)
    window.show()
    open_in(window, qtbot, demo.path)
    qtbot.waitUntil(
        lambda: window.shell.context.course is not None and not window.runner.is_busy(), timeout=20000
    )
    assert window.shell.context.course.iri == CURRENT and window.shell.context.week == WEEK
    ready = {
        "overview": lambda p: p.overview is not None,
        "at_risk": lambda p: p.frame is not None and len(p.frame) > 0,
        "student": lambda p: p.timeline is not None,
    }
    for key in ("overview", "at_risk", "student"):
        if key == "student":  # the first student at level Moderate: a mixed picture
            table = window.pages["at_risk"]
            row = next(
                r for r in range(table.model.rowCount()) if table.model.value(r, "level") == "Moderate"
            )
            table.open_student(table.model.index(row, 0))
        page = window.navigate(key)
        qtbot.waitUntil(lambda p=page, k=key: ready[k](p) and not window.runner.is_busy(), timeout=30000)
        if key == "at_risk":  # three students picked for interventions
            for r in (0, 2, 3):
                page.view.selectionModel().select(
                    page.model.index(r, 0),
                    page.view.selectionModel().SelectionFlag.Select
                    | page.view.selectionModel().SelectionFlag.Rows,
                )
        window.statusBar().clearMessage()
        QTest.qWait(50)
        assert window.grab().save(str(out / f"{key}.png"))
    window.close()


def test_names_outreach_column_and_filter(qtbot, at_risk):
    """People, not ids, and who was already contacted: the advisor never writes twice."""
    from learnalytics_desktop.core.interventions import draft_interventions
    from learnalytics_desktop.core.people import people

    page, _shell, path = at_risk
    ctx = page.ctx
    col = {c.name: i for i, c in enumerate(page.model.columns)}
    actors = [int(page.model.value(r, "actor")) for r in range(3)]
    conn = open_db(path, create=False)
    try:
        who = people(conn, actors)
        draft_interventions(conn, ctx.course_id, actors, as_of=ctx.as_of, ignore_risk_gate=True)
    finally:
        conn.close()
    for r, a in enumerate(actors):
        person = who[a]
        assert page.model.index(r, col["name"]).data() == person.full_name
        assert page.model.index(r, col["email"]).data() == person.email
    old = page.frame
    page.refresh()
    qtbot.waitUntil(lambda: page.frame is not old, timeout=10000)
    drafted = set(page.frame.loc[page.frame["outreach"] == "drafted", "actor"])
    assert drafted and drafted <= set(actors), page.frame["outreach"].value_counts()
    row = next(r for r in range(page.model.rowCount()) if int(page.model.value(r, "actor")) in drafted)
    assert page.model.index(row, col["outreach_text"]).data().startswith("drafted 20")
    assert page.model.index(0, col["rank"]).data() == "1"
    page.outreach.setCurrentText("Not contacted yet")
    qtbot.waitUntil(
        lambda: page.model.shown_rows == page.model.rowCount() and page.model.rowCount() < 44, timeout=5000
    )
    shown = {int(page.model.value(r, "actor")) for r in range(page.model.rowCount())}
    assert not shown & drafted
    page.outreach.setCurrentText("Drafted or approved")
    qtbot.waitUntil(lambda: page.model.rowCount() == len(drafted), timeout=5000)


def test_withdrawn_students_are_hidden_until_asked_for(qtbot, runner, scored):
    ctx = context_for(scored)
    course = ctx.course
    conn = open_db(scored, create=False)
    try:
        actors = [r[0] for r in conn.execute("SELECT actor FROM scores ORDER BY risk DESC LIMIT 3")]
        when = int(course.as_of_week(1).timestamp() * 1000)
        for a in actors:
            conn.execute(
                "INSERT INTO enrolments(course, actor, source, withdrawn_ms) VALUES (?, ?, 'roster', ?) "
                "ON CONFLICT(course, actor) DO UPDATE SET withdrawn_ms = excluded.withdrawn_ms",
                (course.id, a, when),
            )
    finally:
        conn.close()
    page = AtRiskPage(Shell(runner))
    show(qtbot, page, ctx, lambda: page.frame is not None)
    total = len(page.frame)
    assert page.show_withdrawn.text() == "Show &withdrawn (3)" and not page.show_withdrawn.isChecked()
    qtbot.waitUntil(lambda: page.model.shown_rows == total - 3, timeout=5000)
    shown = {int(page.model.value(r, "actor")) for r in range(page.model.rowCount())}
    assert not shown & set(actors)
    page.show_withdrawn.setChecked(True)
    qtbot.waitUntil(lambda: page.model.shown_rows == total, timeout=5000)
    statuses = {page.model.value(r, "status") for r in range(page.model.rowCount())}
    assert any(str(s).startswith("withdrawn (") for s in statuses)


def click_chart(qtbot, plot, x: float, y: float) -> None:
    """A real left click on the chart point (``x``, ``y``) in data coordinates."""
    from PySide6.QtCore import QPointF, Qt

    scene = plot.getPlotItem().getViewBox().mapViewToScene(QPointF(x, y))
    qtbot.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, pos=plot.mapFromScene(scene))


def test_overview_charts_drill_down_to_the_risk_table(qtbot, scored):
    window = window_on(qtbot, scored)
    overview = window.navigate("overview")
    qtbot.waitUntil(lambda: overview.overview is not None and not window.runner.is_busy(), timeout=20000)
    bars = overview.levels
    assert bars.level_at(2.0, 1.0) == "high" and bars.level_at(1.5, 1.0) is None
    click_chart(qtbot, bars.plot, 2.0, 1.0)  # inside the High bar
    page = window.pages["at_risk"]
    assert window.current_key == "at_risk" and page.level.currentText() == "High"
    qtbot.waitUntil(lambda: page.frame is not None and not window.runner.is_busy(), timeout=20000)
    shown = page.shown_frame()
    assert len(shown) > 0 and set(shown["risk_level"]) == {"high"}

    window.navigate("overview")
    qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=20000)
    assert overview.weekly.week_at(3.1) == 3 and overview.weekly.week_at(WEEK + 2) is None
    click_chart(qtbot, overview.weekly.plot, 3.0, 0.5)
    assert window.current_key == "at_risk"
    assert window.shell.context.week == 3 and window.context_bar.week == 3
    assert window.context_bar.week_spin.text().startswith("Week 3")
    window.close()


def test_the_current_students_reasons_are_shown_in_full(qtbot, at_risk):
    page, _shell, path = at_risk
    frame = read(path, dashboard.risk_table, page.ctx.course_id, WEEK)
    assert page.reasons.text().startswith("Select a student")
    col = {c.name: i for i, c in enumerate(page.model.columns)}
    page.view.setCurrentIndex(page.model.index(0, col["student"]))
    text = page.reasons.text()
    who = page.model.value(0, "name") or page.model.value(0, "student")
    assert text.startswith(f"<b>Why {who}:</b>")
    row = frame.index[frame["student"] == page.model.value(0, "student")][0]
    for reason in frame["reasons"][row]:  # every reason, not the cut "Top reasons" cell
        assert html.escape(str(reason)) in text


def test_weeks_without_statements_are_no_data_not_zero(qtbot):
    from learnalytics_desktop.gui.pages.dashboard.overview_charts import WeeklyChart

    chart = WeeklyChart()
    qtbot.addWidget(chart)
    cols = {
        f"{p}_{q}": [0.2, 0.4, 0.0, 0.0] for p in ("engagement", "minutes") for q in ("q25", "median", "q75")
    }
    frame = pd.DataFrame({"week": [1, 2, 3, 4], "students": [10] * 4, "active": [8, 6, 0, 0], **cols})
    chart.set_frame(frame)
    xs, ys = chart.median.getData()
    assert list(xs) == [1, 2, 3, 4] and list(ys[:2]) == [0.2, 0.4] and np.isnan(ys[2:]).all()
    assert chart.empty_weeks == [3, 4] and [t.toPlainText() for t in chart.no_data] == ["no data"] * 2
    assert "(3, 4)" in chart.plot.toolTip()
    chart.set_frame(frame.assign(active=[8, 6, 5, 4]))
    assert chart.empty_weeks == [] and chart.no_data == []
