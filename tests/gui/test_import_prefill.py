"""The Import page starts from what Settings saved: the key file remembered on this computer
(QSettings) and the database's course fallback (read on the worker)."""

from __future__ import annotations

import pytest

from learnalytics_desktop.core.ingest.category_usage import FALLBACK_KEY
from learnalytics_desktop.gui import qsettings
from learnalytics_desktop.gui.main_window import MainWindow
from learnalytics_desktop.gui.pages.settings.privacy import KEY_FILE_SETTING

FALLBACK = "https://lms.example.edu/course/101"
OTHER = "https://lms.example.edu/course/202"


def open_in(window, qtbot, path, *, create=False):
    """Open ``path`` and wait until the window (and its pages) follow it."""
    window.open_database(path, create=create)
    qtbot.waitUntil(
        lambda: window.db_path == path.resolve() and window.shell.context.db_path == path.resolve(),
        timeout=20000,
    )


def _save_fallback(path, value):
    from learnalytics_desktop.core.store import open_db
    from learnalytics_desktop.core.store.db import set_setting

    conn = open_db(path)
    try:
        set_setting(conn, FALLBACK_KEY, value)
    finally:
        conn.close()


@pytest.fixture
def window(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_key_file_and_course_fallback_are_prefilled(qtbot, window, tmp_path):
    key = tmp_path / "school.key"
    key.write_text("x", encoding="utf-8")
    qsettings.set_value(KEY_FILE_SETTING, str(key))
    first, second = tmp_path / "a.db", tmp_path / "b.db"
    open_in(window, qtbot, first, create=True)
    open_in(window, qtbot, second, create=True)
    _save_fallback(first, FALLBACK)

    open_in(window, qtbot, first)
    page = window.navigate("import")
    assert page.key_edit.text() == str(key)
    assert not page.pseudonymize.isChecked()  # pre-filled, but pseudonymising stays the user's choice
    qtbot.waitUntil(lambda: page.fallback_edit.text() == FALLBACK, timeout=5000)
    assert not page.problems() or page.problems() == ["Add at least one file or folder."]

    # another database without a fallback: the pre-filled value does not follow to it
    open_in(window, qtbot, second)
    qtbot.waitUntil(lambda: page.fallback_edit.text() == "", timeout=5000)

    # what the user types is never replaced
    page.fallback_edit.setText(OTHER)
    page.key_edit.setText(str(tmp_path / "mine.key"))
    open_in(window, qtbot, first)
    task = page.load_defaults()  # the page's own reload for this database, the latest one
    with qtbot.waitSignal(window.runner.finished, timeout=5000, check_params_cb=lambda t: t is task):
        pass
    assert task.state == "ok", task.state
    assert page.fallback_edit.text() == OTHER and page.key_edit.text() == str(tmp_path / "mine.key")


def test_settings_saved_later_show_up_when_the_page_is_shown_again(qtbot, window, tmp_path):
    path = tmp_path / "c.db"
    open_in(window, qtbot, path, create=True)
    page = window.navigate("import")
    task = page.load_defaults()
    with qtbot.waitSignal(window.runner.finished, timeout=5000, check_params_cb=lambda t: t is task):
        pass
    assert page.key_edit.text() == "" and page.fallback_edit.text() == ""

    window.navigate("overview")
    qsettings.set_value(KEY_FILE_SETTING, str(tmp_path / "new.key"))
    _save_fallback(path, FALLBACK)
    window.navigate("import")
    qtbot.waitUntil(lambda: page.fallback_edit.text() == FALLBACK, timeout=5000)
    assert page.key_edit.text() == str(tmp_path / "new.key")
