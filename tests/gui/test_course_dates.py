"""Course dates: the dialog behind the context bar's "Dates…" button (found from the data,
editable, reset to the data) moves the as-of instants every page uses; and the network-share
warning shown as a non-modal banner when a database is opened."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from factories import EventBuilder, make_demo_db

from learnalytics_desktop.core.courses import data_calendar, set_course_dates
from learnalytics_desktop.core.store.db import open_db, storage_warning
from learnalytics_desktop.gui.dialogs.course_dates_dialog import CourseDatesDialog
from learnalytics_desktop.gui.main_window import MainWindow


@pytest.fixture
def window(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()


@pytest.fixture
def demo(tmp_path):
    return make_demo_db(tmp_path / "demo.db", students=40)


def open_in(window, qtbot, path: Path, *, create: bool = False) -> None:
    """Open ``path`` and wait for that task (other tasks, e.g. a page's reload, may end first)."""
    with qtbot.waitSignal(
        window.runner.finished, timeout=20000, check_params_cb=lambda t: t.key == "database"
    ):
        window.open_database(path, create=create)
    assert window.db_path == Path(path).resolve()


def dates_dialog(qtbot, window) -> CourseDatesDialog:
    dialog = CourseDatesDialog(window.shell, parent=window)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.dates is not None, timeout=10000)
    return dialog


def wait_saved(qtbot, window, dialog, action) -> None:
    """Run ``action`` (save or reset) and wait until the window reloaded its courses."""
    with qtbot.waitSignal(
        window.runner.finished, timeout=10000, check_params_cb=lambda t: t.key == "courses"
    ):
        assert action() is not None, dialog.message.text()


def test_changing_the_dates_moves_as_of_week(qtbot, window, demo):
    open_in(window, qtbot, demo.path)
    ctx = window.shell.context
    course = ctx.course
    assert course is not None and course.start_source == "user"  # the demo sets its calendar
    before = course.as_of_week(3)
    dialog = dates_dialog(qtbot, window)
    assert dialog.chosen() == (course.start, course.weeks)
    assert dialog.dates.data_start is not None and dialog.dates.data_start.isoformat() in dialog.found.text()
    assert "set by you" in dialog.start_source.text()
    assert dialog.reset_button.isEnabled()

    new_start = course.start + timedelta(days=7)
    dialog.set_dates(new_start, 9)
    assert (
        f"week 9 ends on {new_start + timedelta(days=62):%a} {(new_start + timedelta(days=62)).isoformat()}"
        in dialog.meaning.text()
    )
    wait_saved(qtbot, window, dialog, dialog.save)
    after = window.shell.context.course
    assert after.id == course.id and after.start == new_start and after.weeks == 9
    assert after.as_of_week(3) == before + timedelta(days=7)
    assert window.shell.context.as_of == after.as_of_week(window.shell.context.week)
    assert window.context_bar.week_spin.maximum() == 9
    assert dialog.course == after and dialog.result() == dialog.DialogCode.Accepted


def test_reset_to_the_data(qtbot, window, demo):
    conn = open_db(demo.path)
    cid = demo.course_id(conn, "2025-autumn")
    data_start, data_weeks = data_calendar(conn, cid)
    set_course_dates(conn, cid, data_start + timedelta(days=14), 5)
    conn.close()
    open_in(window, qtbot, demo.path)
    i = window.context_bar.course_combo.findData(cid)
    window.context_bar.course_combo.setCurrentIndex(i)  # as the user would
    assert window.shell.context.course_id == cid
    dialog = dates_dialog(qtbot, window)
    assert dialog.chosen() == (data_start + timedelta(days=14), 5)
    assert f"starts {data_start:%a} {data_start.isoformat()}, with {data_weeks} weeks" in dialog.found.text()
    wait_saved(qtbot, window, dialog, dialog.reset)
    course = window.shell.context.course
    assert (course.start, course.weeks, course.start_source, course.weeks_source) == (
        data_start,
        data_weeks,
        "data",
        "data",
    )
    assert course.as_of_week(2) == dialog.course.as_of_week(2)


def test_nothing_is_written_when_nothing_changed(qtbot, window, demo):
    open_in(window, qtbot, demo.path)
    conn = open_db(demo.path)
    audits = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'course_dates'").fetchone()[0]
    conn.close()
    dialog = dates_dialog(qtbot, window)
    assert dialog.save() is None and dialog.result() == dialog.DialogCode.Accepted
    conn = open_db(demo.path)
    assert (
        conn.execute("SELECT count(*) FROM audit_log WHERE action = 'course_dates'").fetchone()[0] == audits
    )
    conn.close()


def test_a_course_without_statements_can_be_given_dates(qtbot, window, tmp_path):
    path = tmp_path / "one.db"
    conn = open_db(path)
    EventBuilder(conn).course("https://x.example/c-empty", name="Empty course")
    conn.close()
    open_in(window, qtbot, path)
    assert window.context_bar.as_of_label.text() == "no start date set"
    dialog = dates_dialog(qtbot, window)
    assert "no statements yet" in dialog.found.text() and not dialog.reset_button.isEnabled()
    dialog.set_dates("2026-02-04", 10)  # a Wednesday
    assert "not a Monday" in dialog.meaning.text()
    wait_saved(qtbot, window, dialog, dialog.save)
    assert window.shell.context.course.start == date(2026, 2, 4)
    assert window.context_bar.as_of_label.text().startswith("data up to 2026-")


def test_dates_button_opens_the_dialog(qtbot, window, demo, monkeypatch):
    calls = []
    monkeypatch.setattr(
        CourseDatesDialog,
        "ask",
        classmethod(lambda cls, parent, shell, course_id=None: calls.append(shell.context.course_id)),
    )
    assert not window.context_bar.dates_button.isEnabled()
    open_in(window, qtbot, demo.path)
    assert window.context_bar.dates_button.isEnabled()
    window.context_bar.dates_button.click()
    assert calls == [window.shell.context.course_id] and calls[0] is not None


# -- the network share warning -----------------------------------------------------------------------


def test_network_share_warning_is_a_banner_not_a_dialog(qtbot, window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QApplication

    import learnalytics_desktop.core.store.db as store_db

    shared = tmp_path / "share" / "course.db"
    shared.parent.mkdir()
    local = tmp_path / "local.db"
    monkeypatch.setattr(
        store_db, "is_network_path", lambda p, mounts_text=None: Path(p).parent == shared.parent
    )
    assert storage_warning(local) is None
    open_in(window, qtbot, shared, create=True)
    expected = storage_warning(shared)
    assert expected and "network share" in expected
    assert window.banner.isVisible() and window.banner.message() == expected
    assert QApplication.activeModalWidget() is None  # nothing blocks the user
    open_in(window, qtbot, local, create=True)
    assert not window.banner.isVisible()
    open_in(window, qtbot, shared)
    assert window.banner.isVisible()
    window.banner.close_button.click()
    assert not window.banner.isVisible()


# -- screenshot (on request) -------------------------------------------------------------------------


@pytest.mark.skipif(
    not os.environ.get("LEARNALYTICS_SCREENSHOTS"), reason="set LEARNALYTICS_SCREENSHOTS=<folder>"
)
def test_screenshot(qtbot, window, demo, monkeypatch):
    import learnalytics_desktop.core.store.db as store_db

    out = Path(os.environ["LEARNALYTICS_SCREENSHOTS"])
    out.mkdir(parents=True, exist_ok=True)
    open_in(window, qtbot, demo.path)
    dialog = dates_dialog(qtbot, window)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.grab().save(str(out / "course_dates.png"))
    dialog.reject()
    monkeypatch.setattr(store_db, "is_network_path", lambda p, mounts_text=None: True)
    window.resize(1200, 780)
    open_in(window, qtbot, demo.path)
    window.grab().save(str(out / "network_share_banner.png"))
