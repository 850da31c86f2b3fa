"""Background work for the GUI: one :class:`TaskRunner` per window.

Core jobs are plain functions (``fn(*args, report=Reporter)``); the runner runs them off the
GUI thread and brings the outcome back as queued Qt signals::

    runner.submit(import_paths, db_path, paths).keyed("import").with_progress("Importing…") \\
        .on_success(self._show_report).on_failure(self._show_error)

* **Two executors.** Everything that touches SQLite runs on ONE worker thread, in submission
  order (each job opens its own connection: see :func:`db_job`). Pure CPU work that never
  touches the database can go to a small pool with ``.in_pool()``.
* **Child processes for heavy jobs.** ``.in_process()`` runs the job in a spawned child
  process (:mod:`~learnalytics_desktop.gui.process_jobs`), supervised from the database
  thread (so it keeps its place in the database queue). A worker thread shares the
  interpreter lock with the GUI thread; a child does not, so a long Python-level import or a
  model fit cannot freeze the window. Same contract: progress, Cancel (cooperative, then a
  hard stop after :attr:`TaskRunner.process_grace` s), the job's own exception with the
  child's traceback, the result pickled back. A child costs ~0.1 s to start (measured, 2
  cores) plus the imports its job needs (scikit-learn: ~1 s): use it for imports, training
  and scoring whole courses, never for small queries. A job that cannot
  be pickled (a local function: tests inject such fakes) runs on the thread instead and
  says so in the log; ``task.where`` tells which ("thread" or "process"). A monkeypatch in
  this process does not reach the child: a test replaces the job itself, not what it calls.
* **Builder, then start.** ``submit`` returns a :class:`Task`; the job starts on the next
  turn of the event loop (or at once with ``.start()``), so the builder calls can follow.
* **Reporter.** The job receives ``report=`` (a :class:`~learnalytics_desktop.core.jobs.CancelToken`)
  when its signature has a ``report`` parameter or ``**kwargs``. Progress is throttled at the
  source (1 % steps, new messages) and coalesced here: at most one progress event per task
  waits in the GUI queue, and at most one is shown every :attr:`TaskRunner.progress_interval`
  seconds; the latest value is always delivered before the outcome.
* **Keys.** A new task with the same key cancels the previous one; whatever the previous one
  returns is dropped (``dropped`` signal, never ``succeeded``). A task cancelled by the user
  (Cancel button) that finishes anyway still delivers its result: the work was done.
* **Errors.** A failure goes to the task's ``on_failure`` callback, or else to
  :attr:`TaskRunner.failure_handler`, which shows an error dialog with the traceback.
  :class:`~learnalytics_desktop.core.jobs.Cancelled` is not an error: ``cancelled`` signal
  and the ``on_cancelled`` callback.
* **Shutdown.** :meth:`TaskRunner.shutdown` cancels everything and joins the threads; the
  main window calls it when it closes.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, ClassVar

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QWidget

from learnalytics_desktop.core.jobs import Cancelled, CancelToken
from learnalytics_desktop.gui.process_jobs import (
    DbJob,
    JobNotPicklable,
    accepts_report,
    format_exception,
    make_payload,
    run_in_child,
)

log = logging.getLogger(__name__)

THREAD_PREFIX = "learnalytics-"
_ids = itertools.count(1)


def db_job(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn ``fn(conn, *args, **kw)`` into a job ``job(db_path, *args, report=..., **kw)``.

    The connection is opened with :func:`~learnalytics_desktop.core.store.db.open_db` on the
    worker thread (or in the child process) that runs the job and closed afterwards (one
    connection per thread). ``report`` is passed on when ``fn`` accepts it. The job can be
    pickled for ``.in_process()`` whenever ``fn`` is a module-level function.
    """
    return DbJob(fn)


class Task:
    """One submitted job. Configure it with the builder methods before it starts."""

    def __init__(self, runner: TaskRunner, fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
        self.id = next(_ids)
        self.runner = runner
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.key: str | None = None
        self.label = ""
        self.modal = False
        self.pool = "db"
        self.fraction = 0.0
        self.message = ""
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self.superseded = False
        self.cancel_requested = False
        self.outcome: tuple[str, Any] | None = None  # ("ok"|"error"|"cancelled", value)
        self.token = CancelToken(self._progress_from_worker)
        self.future: Future | None = None
        self.where: str | None = None  # "thread" | "process", once it runs
        self.pid: int | None = None  # the child process of an in-process task
        self._callbacks: dict[str, Callable[..., Any]] = {}
        self._lock = threading.Lock()
        self._latest: tuple[float, str] | None = None
        self._queued = False
        self._last_emit = 0.0

    def __repr__(self) -> str:
        name = getattr(self.fn, "__qualname__", repr(self.fn))
        return f"<Task {self.id} {name} key={self.key!r} state={self.state}>"

    # -- builder ---------------------------------------------------------------------------
    def _builder(self) -> None:
        if self.future is not None:
            raise RuntimeError(f"{self!r} has already started; configure it before it starts")

    def on_success(self, cb: Callable[[Any], Any]) -> Task:
        """Call ``cb(result)`` on the GUI thread when the job returns."""
        self._callbacks["success"] = cb
        return self

    def on_failure(self, cb: Callable[[BaseException], Any]) -> Task:
        """Call ``cb(exc)`` on the GUI thread instead of the runner's error dialog."""
        self._callbacks["failure"] = cb
        return self

    def on_cancelled(self, cb: Callable[[], Any]) -> Task:
        """Call ``cb()`` when the job stopped with ``Cancelled``."""
        self._callbacks["cancelled"] = cb
        return self

    def on_finished(self, cb: Callable[[], Any]) -> Task:
        """Call ``cb()`` after any delivered outcome (success, failure, cancel); not when dropped."""
        self._callbacks["finished"] = cb
        return self

    def with_progress(self, label: str, *, modal: bool = False) -> Task:
        """Show progress under ``label`` (status bar; a progress dialog when ``modal``)."""
        self._builder()
        self.label = label
        self.modal = modal
        return self

    def keyed(self, key: str) -> Task:
        """Give the task a key: starting it cancels (and drops) the running task with that key."""
        self._builder()
        self.key = key
        return self

    def in_pool(self) -> Task:
        """Run on the CPU pool instead of the database thread (never touch SQLite there)."""
        self._builder()
        self.pool = "cpu"
        return self

    def in_process(self) -> Task:
        """Run in a child process (see the module docstring): for imports, training and
        scoring whole courses. It keeps its place in the database queue."""
        self._builder()
        self.pool = "process"
        return self

    def start(self) -> Task:
        """Start now (otherwise it starts on the next turn of the event loop). Idempotent."""
        self.runner._start(self)
        return self

    # -- control ---------------------------------------------------------------------------
    def cancel(self) -> None:
        """Ask the job to stop (cooperative: its next ``report.check()`` raises)."""
        self.cancel_requested = True
        self.token.cancel()
        if self.future is not None:
            self.future.cancel()  # only succeeds while it is still queued

    @property
    def state(self) -> str:
        """pending | running | ok | error | cancelled."""
        if self.outcome is not None:
            return self.outcome[0]
        if self.future is None:
            return "pending"
        return "running"

    @property
    def done(self) -> bool:
        """True once the job has an outcome."""
        return self.outcome is not None

    @property
    def elapsed(self) -> float:
        """Seconds since the job started (until it finished)."""
        if self.started_at is None:
            return 0.0
        return (self.finished_at or time.monotonic()) - self.started_at

    # -- worker side -----------------------------------------------------------------------
    def _progress_from_worker(self, fraction: float, message: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._latest = (fraction, message)
            if self._queued:
                return
            if fraction < 1.0 and now - self._last_emit < self.runner.progress_interval:
                return
            self._queued = True
            self._last_emit = now
        self.runner._worker_progress.emit(self)

    def _take_progress(self) -> tuple[float, str] | None:
        with self._lock:
            latest, self._latest = self._latest, None
            self._queued = False
        return latest

    def _run(self) -> Any:
        kw = dict(self.kwargs)
        pass_report = accepts_report(self.fn)
        self.token.check()
        if self.pool == "process":
            try:
                payload = make_payload(self.fn, self.args, kw)
            except JobNotPicklable as exc:
                log.info("task %s runs on a thread: %s", self.id, exc)
            else:
                self.where = "process"
                return run_in_child(
                    payload,
                    pass_report=pass_report,
                    progress=self._progress_from_worker,
                    cancelled=lambda: self.token.cancelled,
                    grace=self.runner.process_grace,
                    name=f"learnalytics-job-{self.id}",
                    started=self._child_started,
                )
        self.where = "thread"
        if pass_report:
            kw["report"] = self.token
        return self.fn(*self.args, **kw)

    def _child_started(self, pid: int) -> None:
        self.pid = pid


def default_failure_handler(task: Task, exc: BaseException) -> None:
    """Show an error dialog (message + traceback in a details section)."""
    from learnalytics_desktop.gui.dialogs.error_dialog import ErrorDialog

    title = f"{task.label.rstrip('…. ')} failed" if task.label else "Something went wrong"
    ErrorDialog.report(task.runner.dialog_parent, exc, title=title)


class TaskRunner(QObject):
    """Runs core jobs off the GUI thread; see the module docstring."""

    started = Signal(object)  # task
    progressed = Signal(object, float, str)  # task, fraction, message
    succeeded = Signal(object, object)  # task, result
    failed = Signal(object, object)  # task, exception
    cancelled = Signal(object)  # task
    dropped = Signal(object)  # task (superseded: outcome ignored)
    finished = Signal(object)  # task, after any of the above

    _worker_progress = Signal(object)
    _worker_done = Signal(object)

    #: every runner created (tests check that each one was shut down)
    instances: ClassVar[weakref.WeakSet[TaskRunner]] = weakref.WeakSet()

    def __init__(self, parent: QObject | None = None, *, cpu_workers: int = 2) -> None:
        super().__init__(parent)
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix=THREAD_PREFIX + "db")
        self._cpu = ThreadPoolExecutor(max_workers=cpu_workers, thread_name_prefix=THREAD_PREFIX + "cpu")
        self._active: dict[int, Task] = {}
        self._current: dict[str, int] = {}
        self._closed = False
        self.progress_interval = 0.05
        #: seconds an in-process job may take to honour Cancel before it is stopped hard
        self.process_grace = 3.0
        self.dialog_parent: QWidget | None = None
        self.failure_handler: Callable[[Task, BaseException], None] = default_failure_handler
        self._worker_progress.connect(self._on_worker_progress, Qt.ConnectionType.QueuedConnection)
        self._worker_done.connect(self._on_worker_done, Qt.ConnectionType.QueuedConnection)
        TaskRunner.instances.add(self)

    # -- public ----------------------------------------------------------------------------
    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Task:
        """Create a task for ``fn(*args, **kwargs)``; it starts on the next event-loop turn."""
        if self._closed:
            raise RuntimeError("the task runner has been shut down")
        task = Task(self, fn, args, kwargs)
        QTimer.singleShot(0, self, lambda: self._start(task))
        return task

    @property
    def active_tasks(self) -> list[Task]:
        """Tasks started and not finished yet, oldest first."""
        return list(self._active.values())

    def is_busy(self, key: str | None = None) -> bool:
        """True when a task (with ``key``, if given) is running or queued."""
        if key is None:
            return bool(self._active)
        return key in self._current

    def cancel(self, key: str | None = None) -> None:
        """Cancel the task with ``key``, or every task when ``key`` is None."""
        for task in list(self._active.values()):
            if key is None or task.key == key:
                task.cancel()

    def shutdown(self, wait: bool = True) -> None:
        """Cancel all tasks, stop both executors and (with ``wait``) join their threads.

        A job running in a child process is cancelled too; with ``wait`` this returns once the
        child has exited (at most :attr:`process_grace` s plus the hard stop)."""
        if self._closed:
            return
        self._closed = True
        for task in list(self._active.values()):
            task.cancel()
        self._db.shutdown(wait=wait, cancel_futures=True)
        self._cpu.shutdown(wait=wait, cancel_futures=True)
        self._active.clear()
        self._current.clear()

    @property
    def is_shut_down(self) -> bool:
        """True after :meth:`shutdown`."""
        return self._closed

    # -- internals -------------------------------------------------------------------------
    def _start(self, task: Task) -> None:
        if task.future is not None or self._closed:
            return
        if task.key is not None:
            old_id = self._current.get(task.key)
            old = self._active.get(old_id) if old_id is not None else None
            if old is not None:
                old.superseded = True
                old.cancel()
            self._current[task.key] = task.id
        executor = self._cpu if task.pool == "cpu" else self._db  # "process": supervised from the db thread
        task.started_at = time.monotonic()
        self._active[task.id] = task
        task.future = executor.submit(self._execute, task)
        task.future.add_done_callback(lambda fut, t=task: self._future_done(t, fut))
        self.started.emit(task)

    @staticmethod
    def _execute(task: Task) -> None:
        try:
            task.outcome = ("ok", task._run())
        except Cancelled as exc:
            task.outcome = ("cancelled", exc)
        except BaseException as exc:
            task.outcome = ("error", exc)

    def _future_done(self, task: Task, fut: Future) -> None:
        if fut.cancelled():  # never ran: cancelled while queued
            task.outcome = ("cancelled", Cancelled("cancelled before it started"))
        elif task.outcome is None:  # pragma: no cover - _execute always sets it
            task.outcome = ("error", fut.exception() or RuntimeError("job ended without a result"))
        task.finished_at = time.monotonic()
        if not self._closed:
            self._worker_done.emit(task)

    @Slot(object)
    def _on_worker_progress(self, task: Task) -> None:
        latest = task._take_progress()
        if latest is None or self._closed or task.superseded:
            return
        task.fraction, task.message = latest
        self.progressed.emit(task, task.fraction, task.message)

    @Slot(object)
    def _on_worker_done(self, task: Task) -> None:
        if self._closed:
            return
        self._active.pop(task.id, None)
        if task.key is not None and self._current.get(task.key) == task.id:
            del self._current[task.key]
        try:
            if task.superseded:
                self._drop(task)
                return
            latest = task._take_progress()
            if latest is not None and task.outcome and task.outcome[0] == "ok":
                task.fraction, task.message = latest
                self.progressed.emit(task, task.fraction, task.message)
            kind, value = task.outcome or ("error", RuntimeError("no outcome"))
            if kind == "ok":
                self._call(task, "success", value)
                self.succeeded.emit(task, value)
            elif kind == "cancelled":
                self._call(task, "cancelled")
                self.cancelled.emit(task)
            else:
                handler = task._callbacks.get("failure")
                if handler is not None:
                    handler(value)
                else:
                    self.failure_handler(task, value)
                self.failed.emit(task, value)
            self._call(task, "finished")
        finally:
            self.finished.emit(task)

    def _drop(self, task: Task) -> None:
        kind, value = task.outcome or ("cancelled", None)
        if kind == "error":
            # Stale but not silent: a superseded job that crashed still leaves a trace.
            log.warning("superseded task %r failed:\n%s", task, format_exception(value))
        self.dropped.emit(task)

    @staticmethod
    def _call(task: Task, name: str, *args: Any) -> None:
        cb = task._callbacks.get(name)
        if cb is not None:
            cb(*args)
