"""The main window: navigation by keyboard, databases (open, new, recent, backup, demo),
the course/week context every page follows, window state, closing, the status-bar progress."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pytest
from gui_helpers import build_small_demo, open_in, small_demo
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from learnalytics_desktop.gui import qsettings
from learnalytics_desktop.gui.dialogs import files
from learnalytics_desktop.gui.dialogs.error_dialog import ErrorDialog
from learnalytics_desktop.gui.main_window import MainWindow
from learnalytics_desktop.gui.pages import PAGES
from learnalytics_desktop.gui.pages.base import ComingPage
from learnalytics_desktop.gui.workers import THREAD_PREFIX


@pytest.fixture
def window(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


@pytest.fixture
def demo_db(tmp_path) -> Path:
    return build_small_demo(tmp_path / "demo.db")


def test_every_page_is_reachable_by_keyboard_shortcut(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    for i, spec in reversed(list(enumerate(PAGES))):
        QTest.keyClick(window, Qt.Key(Qt.Key.Key_1.value + i), Qt.KeyboardModifier.ControlModifier)
        assert window.current_key == spec.key
        assert window.nav.currentRow() == i
        assert window.current_page is window.pages[spec.key] and window.pages[spec.key].isVisible()


def test_navigation_list_is_keyboard_driven_and_named(qtbot, window):
    assert [window.nav.item(i).text() for i in range(window.nav.count())] == [
        "Import",
        "Overview",
        "Students at risk",
        "Student",
        "Model",
        "Interventions",
        "Impact",
        "Settings",
    ]
    assert window.nav.accessibleName() == "Pages"
    assert [window.go_actions[s.key].shortcut().toString() for s in PAGES] == [
        f"Ctrl+{i}" for i in range(1, 9)
    ]
    assert all(not window.nav.item(i).icon().isNull() for i in range(window.nav.count()))
    window.nav.setFocus()
    QTest.keyClick(window.nav, Qt.Key.Key_Down)
    assert window.current_key == "overview"
    QTest.keyClick(window.nav, Qt.Key.Key_End)
    assert window.current_key == "settings"


def test_pages_not_built_yet_say_so(window, monkeypatch):
    import learnalytics_desktop.gui.main_window as mw
    from learnalytics_desktop.gui.pages import PageSpec

    coming = PageSpec("impact", "Impact", "impact", None, "A fair comparison with the hold-out group.")
    monkeypatch.setattr(mw, "PAGES", tuple(coming if p.key == "impact" else p for p in PAGES))
    window.pages.pop("impact", None)
    page = window.navigate("impact")
    assert isinstance(page, ComingPage)
    assert "coming soon" in page.text.text() and "hold-out" in page.text.text()
    assert page.accessibleName() == "Impact (coming soon)"


def test_a_broken_page_is_reported_not_hidden(qtbot, window, monkeypatch):
    import learnalytics_desktop.gui.main_window as mw
    from learnalytics_desktop.gui.pages import PageSpec

    broken = PageSpec(
        "overview", "Overview", "overview", "learnalytics_desktop.gui.pages.no_such_module:Nope", ""
    )
    monkeypatch.setattr(mw, "PAGES", tuple(broken if p.key == "overview" else p for p in PAGES))
    window.pages.pop("overview", None)
    page = window.navigate("overview")
    dialog = ErrorDialog.open_dialogs[-1]
    qtbot.addWidget(dialog)
    assert "could not be opened" in dialog.windowTitle() and "no_such_module" in dialog.details.toPlainText()
    assert "failed to open" in page.text.text()
    dialog.reject()


def test_new_database_from_the_file_menu(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setattr(files, "ask_new_database", lambda parent: tmp_path / "fresh.db")
    with qtbot.waitSignal(window.runner.succeeded, timeout=10000):
        window.action_new.trigger()
    assert (tmp_path / "fresh.db").exists()
    assert window.windowTitle() == "fresh.db — Learnalytics Desktop"
    assert window.action_backup.isEnabled()
    assert not window.context_bar.course_combo.isEnabled()
    assert "No courses yet" in window.context_bar.course_combo.currentText()
    assert qsettings.recent_files()[0] == (tmp_path / "fresh.db").resolve()


def test_open_database_fills_the_course_and_week_pickers(qtbot, window, demo_db, monkeypatch):
    monkeypatch.setattr(files, "ask_open_database", lambda parent: demo_db)
    with qtbot.waitSignal(window.runner.succeeded, timeout=10000):
        window.action_open.trigger()
    bar = window.context_bar
    assert bar.course_combo.count() == 2
    assert "Introduction to Data Analysis (Autumn 2025)" in bar.course_combo.itemText(0)
    # the offering in progress on the demo's "today" (two days into week 7) comes first
    assert "Autumn 2026" in bar.course_combo.currentText()
    ctx = window.shell.context
    assert ctx.db_path == demo_db.resolve() and ctx.course_id == bar.course.id and ctx.week == 6
    assert ctx.as_of.date().isoformat() == "2026-10-26"
    assert bar.as_of_label.text() == "data up to 2026-10-25"
    assert "2 courses" in window.db_label.text()


def test_context_changes_reach_every_page(qtbot, window, demo_db):
    hidden = window.navigate("overview")
    shown = window.navigate("student")
    open_in(window, qtbot, demo_db)
    bar = window.context_bar
    bar.course_combo.setCurrentIndex(0)  # the finished offering: its last week
    assert shown.ctx.course_id == bar.course.id and shown.ctx.week == 13
    bar.week_spin.setValue(3)
    assert shown.ctx.week == 3 and window.shell.context.week == 3
    assert hidden.ctx.week == 3 and hidden._stale  # hidden pages refresh when next shown
    window.navigate("overview")
    assert not hidden._stale


def test_course_and_week_are_remembered_per_database(qtbot, window, demo_db):
    open_in(window, qtbot, demo_db)
    window.context_bar.course_combo.setCurrentIndex(0)
    window.context_bar.week_spin.setValue(4)
    second = MainWindow()
    qtbot.addWidget(second)
    open_in(second, qtbot, demo_db)
    assert second.shell.context.course_id == window.shell.context.course_id
    assert second.shell.context.week == 4


def test_opening_a_missing_file_shows_an_error(qtbot, window, tmp_path):
    with qtbot.waitSignal(window.runner.failed, timeout=10000):
        window.open_database(tmp_path / "nope.db")
    dialog = ErrorDialog.open_dialogs[-1]
    qtbot.addWidget(dialog)
    assert "There is no database at" in dialog.message_label.text()
    assert window.db_path is None and window.windowTitle() == "Learnalytics Desktop"
    dialog.reject()


def test_recent_files_menu(qtbot, window, tmp_path, demo_db):
    open_in(window, qtbot, tmp_path / "one.db", create=True)
    open_in(window, qtbot, demo_db)
    window._fill_recent_menu()
    actions = window.recent_menu.actions()
    assert [a.text().split()[1] for a in actions] == ["demo.db", "one.db"]
    with qtbot.waitSignal(
        window.runner.succeeded, timeout=10000, check_params_cb=lambda task, result: task.key == "database"
    ):
        actions[1].trigger()
    assert window.db_path == (tmp_path / "one.db").resolve()


def test_backup_copy_writes_a_database_and_an_audit_row(qtbot, window, demo_db, tmp_path, monkeypatch):
    open_in(window, qtbot, demo_db)
    target = tmp_path / "copy.db"
    monkeypatch.setattr(files, "ask_save_file", lambda *a, **k: target)
    with qtbot.waitSignal(
        window.runner.succeeded, timeout=10000, check_params_cb=lambda task, result: task.key == "backup"
    ):
        window.action_backup.trigger()
    copy = sqlite3.connect(target)
    assert copy.execute("SELECT COUNT(*) FROM statements").fetchone()[0] > 1000
    copy.close()
    src = sqlite3.connect(demo_db)
    (detail,) = src.execute("SELECT detail FROM audit_log WHERE action = 'backup'").fetchone()
    # one backup use case: the same audit text as the Privacy tab and `learnalytics backup`
    assert set(json.loads(detail)) == {"dest", "bytes"} and json.loads(detail)["bytes"] > 0
    src.close()


def test_demo_is_built_on_first_use_with_a_progress_dialog(qtbot, window, monkeypatch):
    from PySide6.QtWidgets import QProgressDialog

    from learnalytics_desktop.core.paths import demo_db_path

    small_demo(monkeypatch)
    assert not demo_db_path().exists()
    seen = []
    window.runner.started.connect(
        lambda t: seen.append([d.isVisible() for d in window.findChildren(QProgressDialog)])
    )
    with qtbot.waitSignal(window.runner.succeeded, timeout=30000):
        window.open_demo()
    assert seen == [[True]]  # the modal progress dialog was up
    assert demo_db_path().exists() and window.db_path == demo_db_path().resolve()
    assert window.context_bar.course_combo.count() == 2
    qtbot.waitUntil(
        lambda: not [d for d in window.findChildren(QProgressDialog) if d.isVisible()], timeout=2000
    )


def test_status_bar_shows_progress_and_cancels(qtbot, window):
    started = threading.Event()

    def job(*, report):
        report.progress(0.25, "a quarter")
        started.set()
        while True:
            report.check()
            threading.Event().wait(0.001)

    with qtbot.waitSignal(window.runner.progressed, timeout=5000):
        window.runner.submit(job).with_progress("Crunching…")
    strip = window.status_progress
    assert strip.isVisible() and strip.label.text() == "Crunching… a quarter" and strip.bar.value() == 250
    with qtbot.waitSignal(window.runner.cancelled, timeout=5000):
        strip.cancel_button.click()
    assert not strip.isVisible()
    assert window.statusBar().currentMessage() == "Crunching: cancelled."


def test_window_state_is_saved_and_restored(qtbot, window):
    # The offscreen screen is 800 x 600 and restoreGeometry keeps windows on screen, so the
    # height (which fits) is what can round-trip here.
    window.resize(window.width(), 530)
    window.navigate("impact")
    assert window.height() == 530
    window.close()
    assert qsettings.get_value("window/page") == "impact"
    again = MainWindow()
    qtbot.addWidget(again)
    assert again.height() == 530
    assert again.restoreState(qsettings.settings().value("state/main"))


def test_closing_stops_running_work_and_joins_threads(qtbot, window):
    started = threading.Event()

    def forever(*, report):
        started.set()
        while True:
            report.check()
            threading.Event().wait(0.001)

    window.runner.submit(forever).with_progress("Working…").start()
    assert started.wait(5)
    window.close()
    assert window.runner.is_shut_down
    assert not [t for t in threading.enumerate() if t.name.startswith(THREAD_PREFIX)]


def test_closing_can_be_refused_while_working(qtbot, window, monkeypatch):
    started = threading.Event()

    def forever(*, report):
        started.set()
        while True:
            report.check()
            threading.Event().wait(0.001)

    asked = []
    monkeypatch.setattr(MainWindow, "confirm_close", lambda self, running: asked.append(running) or False)
    task = window.runner.submit(forever).with_progress("Working…").start()
    assert started.wait(5)
    window.close()
    assert window.isVisible() and not window.runner.is_shut_down and asked[0] == [task]
    with qtbot.waitSignal(window.runner.cancelled, timeout=5000):
        task.cancel()


def test_uncaught_exceptions_reach_the_error_dialog(qtbot, window, capsys):
    from learnalytics_desktop import app

    try:
        raise KeyError("course 42")
    except KeyError as exc:
        app.excepthook(type(exc), exc, exc.__traceback__)
    dialog = ErrorDialog.open_dialogs[-1]
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Unexpected error"
    assert "course 42" in dialog.message_label.text() and "KeyError" in dialog.message_label.text()
    assert "Traceback" in capsys.readouterr().err  # printed as well: never swallowed
    dialog.reject()


def test_a_demo_from_an_earlier_version_is_built_again(qtbot, window, monkeypatch):
    """A demo database without the trained model (built before the demo came ready) is
    replaced by the current one when the demo is opened."""
    from learnalytics_desktop.core.demo import build_demo_database
    from learnalytics_desktop.core.paths import demo_db_path
    from learnalytics_desktop.core.store.db import get_setting, open_db, set_setting

    small_demo(monkeypatch)
    path = demo_db_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    build_demo_database(path, students=20, ready=False)
    conn = open_db(path)
    try:
        info = get_setting(conn, "demo")
        info.pop("ready", None)
        set_setting(conn, "demo", info)
    finally:
        conn.close()
    window.open_demo()
    qtbot.waitUntil(lambda: window.db_path == path.resolve() and not window.runner.is_busy(), timeout=120_000)
    conn = open_db(path)
    try:
        assert "ready" in get_setting(conn, "demo")
    finally:
        conn.close()
