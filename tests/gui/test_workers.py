"""TaskRunner: outcomes, cancellation, stale results, progress throttling, threads."""

from __future__ import annotations

import threading

import pytest

from learnalytics_desktop.core.jobs import Cancelled
from learnalytics_desktop.gui.workers import THREAD_PREFIX, TaskRunner, accepts_report, db_job


def add(a, b):
    return a + b


def whoami(*, report):
    return threading.current_thread().name


def boom():
    raise ValueError("the file has no statements")


def wait_for_cancel(started: threading.Event, *, report):
    started.set()
    while True:
        report.check()
        threading.Event().wait(0.001)


def test_success_calls_callback_on_gui_thread(qtbot, runner):
    seen = []
    with qtbot.waitSignal(runner.succeeded, timeout=5000) as blocker:
        runner.submit(add, 2, b=3).on_success(
            lambda r: seen.append((r, threading.current_thread() is threading.main_thread()))
        )
    task, result = blocker.args
    assert result == 5 and seen == [(5, True)]
    assert task.state == "ok" and task.done


def test_jobs_run_on_the_database_thread_or_the_pool(qtbot, runner):
    with qtbot.waitSignal(runner.succeeded, timeout=5000) as db:
        runner.submit(whoami)
    with qtbot.waitSignal(runner.succeeded, timeout=5000) as cpu:
        runner.submit(whoami).in_pool()
    assert db.args[1].startswith(THREAD_PREFIX + "db")
    assert cpu.args[1].startswith(THREAD_PREFIX + "cpu")


def test_database_jobs_run_one_at_a_time_in_order(qtbot, runner):
    active, peak, order = [0], [0], []
    lock = threading.Lock()

    def job(i):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        threading.Event().wait(0.01)
        order.append(i)
        with lock:
            active[0] -= 1
        return i

    tasks = [runner.submit(job, i) for i in range(5)]
    qtbot.waitUntil(lambda: all(t.done for t in tasks), timeout=5000)
    assert peak[0] == 1 and order == list(range(5))


def test_failure_goes_to_the_task_callback(qtbot, runner):
    errors = []
    runner.failure_handler = lambda task, exc: pytest.fail("the default handler must not run")
    with qtbot.waitSignal(runner.failed, timeout=5000) as blocker:
        runner.submit(boom).on_failure(errors.append)
    assert isinstance(errors[0], ValueError) and blocker.args[1] is errors[0]


def test_failure_without_callback_shows_the_error_dialog(qtbot, runner):
    from learnalytics_desktop.gui.dialogs.error_dialog import ErrorDialog

    with qtbot.waitSignal(runner.failed, timeout=5000):
        runner.submit(boom).with_progress("Importing…")
    dialog = ErrorDialog.open_dialogs[-1]
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Importing failed"
    assert dialog.message_label.text() == "the file has no statements"
    details = dialog.details.toPlainText()
    assert (
        "Traceback" in details
        and "ValueError: the file has no statements" in details
        and "in boom" in details
    )
    assert not dialog.details.isVisible()
    dialog.details_button.click()
    assert dialog.details.isVisible()
    dialog.copy_details()
    from PySide6.QtGui import QGuiApplication

    assert "the file has no statements" in QGuiApplication.clipboard().text()
    dialog.reject()
    assert dialog not in ErrorDialog.open_dialogs


def test_cancel_is_not_an_error(qtbot, runner):
    started = threading.Event()
    runner.failure_handler = lambda task, exc: pytest.fail(f"cancel reported as a failure: {exc}")
    notified = []
    task = runner.submit(wait_for_cancel, started).on_cancelled(lambda: notified.append(True)).start()
    assert started.wait(5)
    with qtbot.waitSignal(runner.cancelled, timeout=5000):
        task.cancel()
    assert task.state == "cancelled" and notified == [True]
    assert isinstance(task.outcome[1], Cancelled)


def test_cancel_while_queued_never_runs(qtbot, runner):
    started, release = threading.Event(), threading.Event()
    ran = []

    def blocker_job():
        started.set()
        release.wait(5)

    first = runner.submit(blocker_job).start()
    assert started.wait(5)
    second = runner.submit(lambda: ran.append(1)).start()
    second.cancel()
    release.set()
    qtbot.waitUntil(lambda: first.done and second.done, timeout=5000)
    assert second.state == "cancelled" and ran == []


def test_same_key_cancels_previous_and_drops_its_result(qtbot, runner):
    started = threading.Event()
    results, dropped = [], []

    def slow(*, report):
        started.set()
        for _ in range(200):  # ignores cancellation for a while, then returns a stale value
            threading.Event().wait(0.0005)
        return "stale"

    runner.dropped.connect(lambda t: dropped.append(t))
    first = runner.submit(slow).keyed("load").on_success(results.append).start()
    assert started.wait(5)
    with qtbot.waitSignal(runner.succeeded, timeout=10000) as blocker:
        second = runner.submit(add, 1, 1).keyed("load").on_success(results.append)
    qtbot.waitUntil(lambda: first.done and bool(dropped), timeout=10000)
    assert blocker.args[0] is second
    assert results == [2]
    assert first.superseded and dropped == [first]


def test_user_cancelled_task_that_finished_anyway_delivers(qtbot, runner):
    release = threading.Event()
    task = runner.submit(lambda: (release.wait(5), "done")[1]).start()
    task.cancel()  # running: the job never checks, so it completes
    with qtbot.waitSignal(runner.succeeded, timeout=5000) as blocker:
        release.set()
    assert blocker.args[1] == "done"


def test_progress_is_throttled_and_the_last_value_arrives(qtbot, runner):
    def busy(*, report):
        for i in range(1, 20001):
            report.progress(i / 20000, "")
        return "ok"

    seen = []
    runner.progressed.connect(lambda t, f, m: seen.append(f))
    with qtbot.waitSignal(runner.succeeded, timeout=5000):
        runner.submit(busy)
    assert 1 <= len(seen) <= 101
    assert seen[-1] == 1.0
    assert seen == sorted(seen)


def test_progress_with_changing_messages_is_coalesced(qtbot, runner):
    def chatty(*, report):
        for i in range(5000):
            report.progress(0.5, f"{i} statements")
        return "ok"

    seen = []
    runner.progressed.connect(lambda t, f, m: seen.append(m))
    with qtbot.waitSignal(runner.succeeded, timeout=5000):
        runner.submit(chatty)
    assert len(seen) < 200  # 5,000 reports, a handful of GUI updates
    assert seen[-1] == "4999 statements"


def test_report_is_passed_only_to_jobs_that_take_it():
    assert accepts_report(whoami) and not accepts_report(add)
    assert accepts_report(lambda **kw: None)
    assert not accepts_report(print)  # no signature: not passed


def test_db_job_opens_a_connection_on_the_worker(qtbot, runner, tmp_path):
    from learnalytics_desktop.core.store.db import open_db

    path = tmp_path / "w.db"
    open_db(path).close()

    def count_tables(conn, kind, *, report):
        report.check()
        return conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = ?", (kind,)).fetchone()[0]

    with qtbot.waitSignal(runner.succeeded, timeout=5000) as blocker:
        runner.submit(db_job(count_tables), path, "table")
    assert blocker.args[1] > 5


def test_builder_cannot_change_a_started_task(qtbot, runner):
    task = runner.submit(add, 1, 2).start()
    with pytest.raises(RuntimeError, match="already started"):
        task.keyed("x")
    qtbot.waitUntil(lambda: task.done, timeout=5000)


def test_shutdown_joins_threads_and_refuses_new_work(qtbot):
    r = TaskRunner()
    started = threading.Event()
    r.submit(wait_for_cancel, started).start()
    r.submit(whoami).in_pool().start()
    assert started.wait(5)
    r.shutdown(wait=True)
    assert not [t for t in threading.enumerate() if t.name.startswith(THREAD_PREFIX)]
    with pytest.raises(RuntimeError, match="shut down"):
        r.submit(add, 1, 2)


def test_stale_outcome_after_shutdown_is_ignored(qapp):
    r = TaskRunner()
    calls = []
    task = r.submit(add, 1, 2).on_success(calls.append).start()
    r.shutdown(wait=True)
    assert task.outcome == ("ok", 3)  # it ran, and its delivery is queued...
    qapp.processEvents()  # ...but nothing is delivered after shutdown
    assert calls == []
