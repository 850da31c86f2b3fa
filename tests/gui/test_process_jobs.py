"""TaskRunner ``.in_process()``: jobs in a spawned child with the thread runner's contract
(result, failure with the child's traceback, cancel, hard stop, progress in order), and no
child process is ever left running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import process_job_samples as jobs
import pytest

from learnalytics_desktop.core.jobs import Cancelled
from learnalytics_desktop.gui.process_jobs import ProcessJobError, live_processes
from learnalytics_desktop.gui.workers import TaskRunner, db_job, format_exception

WAIT = 60000  # ms: a spawned child needs ~1 s to start on a loaded machine


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for its parent counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        try:
            return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            return False
    return True


def test_result_comes_back_from_a_child_process(qtbot, runner):
    seen = []
    with qtbot.waitSignal(runner.succeeded, timeout=WAIT) as blocker:
        task = (
            runner.submit(jobs.whoami)
            .in_process()
            .on_success(lambda r: seen.append((r, threading.current_thread() is threading.main_thread())))
        )
    pid = blocker.args[1]
    assert task.where == "process" and pid == task.pid and pid != os.getpid()
    assert seen == [(pid, True)]
    assert not alive(pid) and live_processes() == []


def test_db_job_in_a_child_opens_its_own_connection(qtbot, runner, tmp_path):
    from learnalytics_desktop.core.store.db import open_db

    path = tmp_path / "w.db"
    open_db(path).close()
    with qtbot.waitSignal(runner.succeeded, timeout=WAIT) as blocker:
        task = runner.submit(db_job(jobs.count_tables), path, "table").in_process()
    assert task.where == "process" and blocker.args[1] > 5


def test_failure_carries_the_jobs_exception_and_the_childs_traceback(qtbot, runner):
    errors = []
    with qtbot.waitSignal(runner.failed, timeout=WAIT):
        runner.submit(jobs.boom, "x.json").in_process().on_failure(errors.append)
    exc = errors[0]
    assert type(exc) is ValueError and str(exc) == "the file x.json has no statements"
    text = format_exception(exc)
    assert "Traceback" in text and "in boom" in text and "process_job_samples.py" in text
    assert "(in the background process)" in text


def test_failure_without_callback_shows_the_childs_traceback_in_the_dialog(qtbot, runner):
    from learnalytics_desktop.gui.dialogs.error_dialog import ErrorDialog

    with qtbot.waitSignal(runner.failed, timeout=WAIT):
        runner.submit(jobs.boom, "y.json").in_process().with_progress("Importing…")
    dialog = ErrorDialog.open_dialogs[-1]
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Importing failed"
    assert dialog.message_label.text() == "the file y.json has no statements"
    assert "in boom" in dialog.details.toPlainText()
    dialog.reject()


@pytest.mark.parametrize(
    ("job", "words"),
    [
        (jobs.odd_error, "process_job_samples.Odd: 1 and 2"),
        (jobs.unpicklable_result, "result cannot be sent back"),
        (jobs.hard_crash, "exit code 7"),
    ],
)
def test_what_cannot_come_back_is_a_clear_error(qtbot, runner, job, words):
    errors = []
    with qtbot.waitSignal(runner.failed, timeout=WAIT):
        runner.submit(job).in_process().on_failure(errors.append)
    assert isinstance(errors[0], ProcessJobError) and words in str(errors[0])


def test_progress_arrives_in_order_and_the_last_value_before_the_result(qtbot, runner):
    seen, order = [], []
    runner.progressed.connect(lambda t, f, m: (seen.append((f, m)), order.append("progress")))
    with qtbot.waitSignal(runner.succeeded, timeout=WAIT) as blocker:
        runner.submit(jobs.counts, 200).in_process().on_success(lambda r: order.append("result"))
    assert blocker.args[1]["steps"] == 200
    assert 1 <= len(seen) <= 201
    assert seen[-1] == (1.0, "step 200")
    steps = [int(m.split()[1]) for _, m in seen]
    assert steps == sorted(steps) and [f for f, _ in seen] == sorted(f for f, _ in seen)
    assert order[-1] == "result" and order.count("result") == 1


def test_cancel_stops_the_child_cooperatively(qtbot, runner, tmp_path):
    flag = tmp_path / "running"
    runner.failure_handler = lambda task, exc: pytest.fail(f"cancel reported as a failure: {exc}")
    notified = []
    task = (
        runner.submit(jobs.until_cancelled, str(flag)).in_process().on_cancelled(lambda: notified.append(1))
    )
    qtbot.waitUntil(flag.exists, timeout=WAIT)
    pid = int(flag.read_text())
    qtbot.waitUntil(lambda: task.message.endswith("ticks"), timeout=WAIT)  # progress flows
    with qtbot.waitSignal(runner.cancelled, timeout=WAIT):
        task.cancel()
    assert task.state == "cancelled" and notified == [1] and isinstance(task.outcome[1], Cancelled)
    assert "cancelled by the user" in str(task.outcome[1])  # the job's own check(), not a hard stop
    assert not alive(pid) and live_processes() == []


@pytest.mark.parametrize("job", [jobs.ignores_cancel, jobs.chatters_and_ignores_cancel])
def test_a_child_that_ignores_cancel_is_stopped_after_the_grace_period(qtbot, runner, tmp_path, job):
    runner.process_grace = 0.3
    flag = tmp_path / "running"
    task = runner.submit(job, str(flag)).in_process()
    qtbot.waitUntil(flag.exists, timeout=WAIT)
    pid = int(flag.read_text())
    with qtbot.waitSignal(runner.cancelled, timeout=WAIT):
        task.cancel()
    assert "did not respond to Cancel" in str(task.outcome[1])
    assert not alive(pid) and live_processes() == []


def test_a_hard_stop_also_stops_the_childs_own_children(qtbot, runner, tmp_path):
    runner.process_grace = 0.3
    flag = tmp_path / "running"
    task = runner.submit(jobs.spawns_and_ignores, str(flag)).in_process()
    qtbot.waitUntil(flag.exists, timeout=WAIT)
    pids = [int(p) for p in flag.read_text().split()]
    assert len(pids) == 2 and all(alive(p) for p in pids)
    with qtbot.waitSignal(runner.cancelled, timeout=WAIT):
        task.cancel()
    qtbot.waitUntil(lambda: not any(alive(p) for p in pids), timeout=10000)


def test_shutdown_stops_a_running_child(qtbot, tmp_path):
    r = TaskRunner()
    flag = tmp_path / "running"
    r.submit(jobs.until_cancelled, str(flag)).in_process().start()
    qtbot.waitUntil(flag.exists, timeout=WAIT)
    pid = int(flag.read_text())
    r.shutdown(wait=True)
    assert not alive(pid) and live_processes() == []


def test_a_job_that_cannot_be_pickled_runs_on_the_thread(qtbot, runner):
    lock = threading.Lock()  # not picklable: the job stays in this process

    def local(*, report):
        with lock:
            return os.getpid()

    with qtbot.waitSignal(runner.succeeded, timeout=5000) as blocker:
        task = runner.submit(local).in_process()
    assert blocker.args[1] == os.getpid() and task.where == "thread"


def test_cancel_while_queued_never_starts_a_child(qtbot, runner, tmp_path):
    release = threading.Event()
    first = runner.submit(release.wait, 10).start()  # holds the database thread
    second = runner.submit(jobs.whoami).in_process().start()
    second.cancel()
    release.set()
    qtbot.waitUntil(lambda: first.done and second.done, timeout=WAIT)
    assert second.state == "cancelled" and second.pid is None


PARENT = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[2])
    import process_job_samples as jobs
    from learnalytics_desktop.gui.process_jobs import make_payload, run_in_child
    if __name__ == "__main__":
        run_in_child(make_payload(jobs.until_cancelled, (sys.argv[1],), {}), pass_report=True,
                     progress=lambda f, m: None, cancelled=lambda: False)
""")


@pytest.mark.skipif(os.name != "posix", reason="kills the parent with SIGKILL")
def test_the_child_exits_when_the_app_dies(qtbot, tmp_path):
    flag = tmp_path / "running"
    script = tmp_path / "parent.py"
    script.write_text(PARENT, encoding="utf-8")
    parent = subprocess.Popen(
        [sys.executable, str(script), str(flag), str(Path(__file__).parent)],
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        qtbot.waitUntil(flag.exists, timeout=WAIT)
        pid = int(flag.read_text())
        parent.send_signal(signal.SIGKILL)  # no clean-up code runs in the parent
        parent.wait(10)
        qtbot.waitUntil(lambda: not alive(pid), timeout=10000)
    finally:
        if parent.poll() is None:
            parent.kill()
