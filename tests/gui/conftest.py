"""GUI test set-up (offscreen; see tests/conftest.py).

* ``app_settings`` (autouse): QSettings go to an INI file under the test's tmp folder, with a
  test organisation name, so no test reads or writes the developer's settings.
* ``runner``: a :class:`TaskRunner`, shut down (threads joined) after the test.
* ``_no_leaked_threads`` (autouse): fails a test that leaves a TaskRunner running or one of
  its threads alive, the global QThreadPool busy (napari's dangling-thread checks), or a
  job's child process running (``TaskRunner.in_process``; killed, then the test fails).
* Closing a main window in a test never asks "quit while working?": it answers yes.
* The offscreen platform warns "This plugin does not support propagateSizeHints()" whenever a
  top-level window with a layout is shown; that warning is ignored for GUI tests (other Qt
  warnings still fail them, as ``qt_log_level_fail = WARNING`` asks).
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

OFFSCREEN_NOISE = r"This plugin does not support propagateSizeHints\(\)"
GUI_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if GUI_DIR in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE, extend=True))


@pytest.fixture(autouse=True)
def app_settings(qapp, tmp_path, monkeypatch):
    """Isolated QSettings (INI under tmp_path, organisation "Learnalytics Tests")."""
    from PySide6.QtCore import QCoreApplication, QSettings

    folder = tmp_path / "qsettings"
    folder.mkdir()
    QCoreApplication.setOrganizationName("Learnalytics Tests")
    QCoreApplication.setApplicationName("Learnalytics Desktop Tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    monkeypatch.setenv("LEARNALYTICS_HOME", str(tmp_path / "home"))
    from learnalytics_desktop.gui.main_window import MainWindow

    monkeypatch.setattr(MainWindow, "confirm_close", lambda self, running: True)
    yield folder
    QSettings().sync()


def _our_processes() -> set:
    import multiprocessing

    from learnalytics_desktop.gui.process_jobs import live_processes

    # active_children() also reaps finished children; ours are named learnalytics-job-<id>
    children = {p for p in multiprocessing.active_children() if p.name.startswith("learnalytics-")}
    return children | set(live_processes())


def _our_threads() -> list[threading.Thread]:
    from learnalytics_desktop.gui.workers import THREAD_PREFIX

    return [t for t in threading.enumerate() if t.name.startswith(THREAD_PREFIX) and t.is_alive()]


@pytest.fixture(autouse=True)
def _no_leaked_threads(qapp):
    """Fail a test that leaves a task runner (or its threads, or Qt pool threads) running."""
    from PySide6.QtCore import QThreadPool

    from learnalytics_desktop.gui.workers import TaskRunner

    before_runners = set(map(id, TaskRunner.instances))
    before_threads = set(_our_threads())
    before_processes = _our_processes()
    yield
    qapp.processEvents()
    leaked = [r for r in list(TaskRunner.instances) if id(r) not in before_runners and not r.is_shut_down]
    for r in leaked:  # clean up so the next test starts fresh, then fail this one
        r.shutdown(wait=True)
    threads = [t for t in _our_threads() if t not in before_threads]
    pool_busy = QThreadPool.globalInstance().activeThreadCount()
    processes = [p for p in _our_processes() if p not in before_processes]
    for p in processes:
        p.kill()
        p.join(5)
    problems = []
    if leaked:
        problems.append(
            f"{len(leaked)} TaskRunner(s) not shut down (call runner.shutdown() or close the window)"
        )
    if threads:
        problems.append(f"threads still running: {[t.name for t in threads]}")
    if pool_busy:
        problems.append(f"{pool_busy} QThreadPool thread(s) still active")
    if processes:
        problems.append(f"job processes still running: {[(p.name, p.pid) for p in processes]}")
    if problems:
        pytest.fail("; ".join(problems))


@pytest.fixture
def runner(qapp):
    """A TaskRunner shut down (threads joined) at the end of the test."""
    from learnalytics_desktop.gui.workers import TaskRunner

    r = TaskRunner()
    yield r
    r.shutdown(wait=True)
