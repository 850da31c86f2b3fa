"""Run one core job in a child process ("spawn"), with the thread runner's Reporter contract.

Why: a job on a worker thread shares the interpreter lock with the GUI thread, and the
Python-level import pipeline, scikit-learn fitting and the first import of scipy/sklearn
hold it long enough to freeze the window (287 ms stalls measured during a 1,000,000-statement
import). A child process has its own interpreter: the GUI thread never waits for it.

No Qt in this module: the child imports it (and the job's module) and nothing else of the GUI.
``multiprocessing`` is imported when a child is first started (this module is on the start-up path).

Protocol (one job, one child):

* The parent pickles ``(fn, args, kwargs)`` first (:func:`make_payload`); a job that cannot
  be pickled (a local function, a lock in its arguments) raises :class:`JobNotPicklable`
  and the caller runs it on its thread instead.
* **Progress**: the child's :class:`ChildReporter` keeps the CancelToken rule (a new value
  per 1 % step or new message) and a guard thread sends the latest one every
  :data:`FLUSH_INTERVAL` seconds over the result pipe; the last value is always sent before
  the outcome. The parent hands each to ``progress(fraction, message)`` in order.
* **Cancel**: ``cancelled()`` turning true in the parent sets a ``multiprocessing.Event``
  that ``report.check()`` reads in the child (cooperative). A child still running ``grace``
  seconds later is stopped: a "stop" message makes its guard thread kill the child's own
  children (the importer's parsing pool) and exit; then ``terminate()``/``kill()``, and on
  POSIX the child's process group (it makes one at start) as the last resort. The job then
  ends with :class:`~learnalytics_desktop.core.jobs.Cancelled`.
* **Outcome**: ``("ok", result)``, ``("cancelled", text)`` or ``("error", exc, traceback
  text)``. The exception is the job's own (pickled back; :class:`ProcessJobError` when it
  cannot be) with the child's traceback as its ``__cause__`` (:class:`RemoteTraceback`), so
  error dialogs show where it failed. A result that cannot be pickled is an error that says
  so. A child that dies without an outcome raises :class:`ProcessJobError` with its exit code.
* **Priority**: the child lowers its own scheduling priority (:data:`NICENESS` on POSIX,
  "below normal" on Windows; its own children inherit it), so when the cores are busy the
  GUI thread is served first: the job only gives way while the window has work to do.
* **No orphans**: the parent waits for the child to exit before returning; the child's guard
  exits when the parent dies; :func:`live_processes` lists running children and an ``atexit``
  hook kills any left when the app exits.
"""

from __future__ import annotations

import atexit
import inspect
import logging
import os
import pickle
import signal
import threading
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from learnalytics_desktop.core.jobs import Cancelled, NullReporter

if TYPE_CHECKING:  # pragma: no cover
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

log = logging.getLogger(__name__)

PROCESS_PREFIX = "learnalytics-job"
FLUSH_INTERVAL = 0.02  # seconds between progress messages from the child
POLL_INTERVAL = 0.05  # seconds between the parent's looks at its cancel flag
EXIT_GRACE = 10.0  # seconds a child may take to exit after sending its outcome
STOPPED_EXIT = 3  # exit code of a child stopped by its guard
NICENESS = 5  # added to the child's nice value (POSIX)

_live: set[BaseProcess] = set()
_live_lock = threading.Lock()
_atexit_installed = False


class JobNotPicklable(TypeError):
    """The job (function, arguments) cannot be sent to a child process."""


class ProcessJobError(RuntimeError):
    """A job in a child process failed in a way its own exception cannot carry back."""


class RemoteTraceback(Exception):
    """The child's traceback text, attached as ``__cause__`` of the exception it raised."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return f"(in the background process)\n{self.text}"


def accepts_report(fn: Callable[..., Any]) -> bool:
    """True when ``fn`` takes a ``report`` keyword (by name or through ``**kwargs``)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature
        return False
    return any(
        p.kind is inspect.Parameter.VAR_KEYWORD
        or (p.name == "report" and p.kind is not inspect.Parameter.POSITIONAL_ONLY)
        for p in params
    )


def format_exception(exc: BaseException) -> str:
    """The full traceback of ``exc`` as text (for the details section of error dialogs)."""
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


class DbJob:
    """``fn(conn, *args, **kw)`` as a job ``job(db_path, *args, report=..., **kw)``.

    The connection is opened with :func:`~learnalytics_desktop.core.store.db.open_db` where
    the job runs (worker thread or child process) and closed before it returns. A class, not
    a closure, so that it can be pickled for a child process (when ``fn`` can).
    """

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.pass_report = accepts_report(fn)
        self.__name__ = getattr(fn, "__name__", "job")
        self.__qualname__ = f"db_job({getattr(fn, '__qualname__', self.__name__)})"

    def __call__(self, db_path: Any, *args: Any, report: Any = None, **kw: Any) -> Any:
        from learnalytics_desktop.core.store.db import open_db

        conn = open_db(db_path)
        try:
            if self.pass_report:
                kw["report"] = report if report is not None else NullReporter()
            return self.fn(conn, *args, **kw)
        finally:
            conn.close()

    def __repr__(self) -> str:
        return f"<{self.__qualname__}>"


def make_payload(fn: Callable[..., Any], args: tuple, kwargs: dict) -> bytes:
    """``(fn, args, kwargs)`` pickled for a child; :class:`JobNotPicklable` says why not."""
    try:
        return pickle.dumps((fn, tuple(args), dict(kwargs)), protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        raise JobNotPicklable(
            f"{getattr(fn, '__qualname__', fn)!s} cannot run in a child process: {exc}"
        ) from exc


def live_processes() -> list[BaseProcess]:
    """Job processes started here and still running."""
    with _live_lock:
        return [p for p in _live if p.is_alive()]


def _kill_all() -> None:
    """``atexit``: stop every job process still running (the app is exiting)."""
    for proc in live_processes():
        _hard_stop(proc, None)


# -- child side ------------------------------------------------------------------------------
class ChildReporter:
    """The Reporter a job gets in the child: ``check`` reads the parent's cancel event;
    ``progress`` keeps the latest value for the guard thread to send (see the module doc)."""

    def __init__(self, conn: Connection, cancel: Any) -> None:
        self._conn = conn
        self._cancel = cancel
        self._lock = threading.Lock()  # the pending value and the pipe
        self._pending: tuple[float, str] | None = None
        self._last = -1.0
        self._last_msg = ""
        self._done = False

    def check(self) -> None:
        """Raise :class:`Cancelled` once the user has cancelled in the app."""
        if self._cancel.is_set():
            raise Cancelled("cancelled by the user")

    def progress(self, fraction: float, message: str = "") -> None:
        """Record progress (sent by the guard thread at most every FLUSH_INTERVAL)."""
        fraction = min(max(float(fraction), 0.0), 1.0)
        with self._lock:
            if fraction - self._last >= 0.01 or message != self._last_msg or fraction >= 1.0:
                self._last, self._last_msg = fraction, message
                self._pending = (fraction, message)

    def flush(self) -> None:
        """Send the latest progress value, if there is a new one."""
        with self._lock:
            if not self._done:
                self._send_pending()

    def _send_pending(self) -> None:
        item, self._pending = self._pending, None
        if item is not None:
            self._conn.send(("progress", item[0], item[1]))

    def finish(self, outcome: tuple) -> None:
        """Send the last progress value, then the outcome (an error when it cannot be pickled)."""
        with self._lock:
            self._send_pending()
            self._done = True
            try:
                self._conn.send(outcome)
            except (pickle.PicklingError, AttributeError, TypeError) as exc:
                what = "result" if outcome[0] == "ok" else "error"
                err = ProcessJobError(f"The job's {what} cannot be sent back to the app ({exc}).")
                self._conn.send(("error", err, format_exception(exc)))


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling as the same type, else a ProcessJobError naming it."""
    try:
        if type(pickle.loads(pickle.dumps(exc))) is type(exc):
            return exc
    except Exception:
        pass
    return ProcessJobError(f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}")


def _stop_now() -> None:
    """Kill this child's own children (e.g. a parsing pool), then exit at once."""
    import multiprocessing

    for child in multiprocessing.active_children():
        try:
            child.kill()
        except Exception:
            pass
    os._exit(STOPPED_EXIT)


def _guard(control: Connection, reporter: ChildReporter) -> None:
    """Child thread: send progress; exit when the parent says "stop" or goes away."""
    import multiprocessing
    from multiprocessing.connection import wait

    parent = multiprocessing.parent_process()
    waitables: list[Any] = [control] + ([parent.sentinel] if parent is not None else [])
    while True:
        ready = wait(waitables, timeout=FLUSH_INTERVAL)
        if not ready:
            try:
                reporter.flush()
            except OSError:  # the parent closed the pipe: it is gone
                _stop_now()
            continue
        if control in ready:
            try:
                control.recv()  # the only message is "stop"
            except (EOFError, OSError):
                pass
        _stop_now()


def _lower_priority() -> None:
    """Give way to the app's GUI thread when the cores are busy (see the module docstring)."""
    try:
        if os.name == "posix":
            os.nice(NICENESS)
        elif os.name == "nt":
            import ctypes

            below_normal = 0x00004000  # BELOW_NORMAL_PRIORITY_CLASS
            kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
            kernel32.SetPriorityClass(kernel32.GetCurrentProcess(), below_normal)
    except (OSError, AttributeError):  # not allowed or not available: run at normal priority
        pass


def child_main(
    payload: bytes, results: Connection, control: Connection, cancel: Any, pass_report: bool
) -> None:
    """Entry point of the child process (see the module docstring)."""
    if os.name == "posix":
        try:
            os.setpgid(0, 0)  # a group of its own: the parent can stop it with its children
        except OSError:
            pass
    _lower_priority()
    reporter = ChildReporter(results, cancel)
    threading.Thread(
        target=_guard, args=(control, reporter), daemon=True, name="learnalytics-child-guard"
    ).start()
    try:
        fn, args, kwargs = pickle.loads(payload)
        if pass_report:
            kwargs = {**kwargs, "report": reporter}
        result = fn(*args, **kwargs)
    except Cancelled as exc:
        reporter.finish(("cancelled", str(exc) or "cancelled"))
    except BaseException as exc:
        reporter.finish(("error", _portable(exc), format_exception(exc)))
    else:
        reporter.finish(("ok", result))
    results.close()


# -- parent side -----------------------------------------------------------------------------
def _hard_stop(proc: BaseProcess, control: Connection | None) -> None:
    """Stop ``proc`` and its children: ask its guard, then terminate, then kill."""
    if control is not None:
        try:
            control.send("stop")
        except OSError:
            pass
        proc.join(1.0)
    if proc.is_alive():
        proc.terminate()
        proc.join(1.0)
    if os.name == "posix" and proc.pid is not None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # its group (own pid; never ours, see child_main)
        except (ProcessLookupError, PermissionError):
            pass
    if proc.is_alive():
        proc.kill()
    proc.join(5.0)


def run_in_child(
    payload: bytes,
    *,
    pass_report: bool,
    progress: Callable[[float, str], None],
    cancelled: Callable[[], bool],
    grace: float = 3.0,
    name: str = PROCESS_PREFIX,
    started: Callable[[int], None] | None = None,
) -> Any:
    """Run the pickled job (:func:`make_payload`) in a spawned child; return its result.

    Blocks the calling (worker) thread, not the interpreter: it waits on the pipe. Progress
    goes to ``progress``; ``cancelled()`` is polled every :data:`POLL_INTERVAL` s;
    ``started(pid)`` is called once the child runs. Raises the job's exception,
    :class:`Cancelled`, or :class:`ProcessJobError`.
    """
    global _atexit_installed
    import multiprocessing
    from multiprocessing.connection import wait

    ctx = multiprocessing.get_context("spawn")
    cancel = ctx.Event()
    results_r, results_w = ctx.Pipe(duplex=False)
    control_r, control_w = ctx.Pipe(duplex=False)
    proc = ctx.Process(
        target=child_main, name=name, daemon=False, args=(payload, results_w, control_r, cancel, pass_report)
    )
    with _live_lock:
        if not _atexit_installed:
            atexit.register(_kill_all)
            _atexit_installed = True
        proc.start()
        _live.add(proc)
    results_w.close()
    control_r.close()
    if started is not None and proc.pid is not None:
        started(proc.pid)
    outcome: tuple | None = None
    cancel_at: float | None = None
    try:
        deadline: float | None = None  # hard stop after this (cancel grace, or exit grace)
        while True:
            if outcome is None and cancel_at is None and cancelled():
                cancel.set()
                cancel_at = time.monotonic()
                deadline = cancel_at + grace
            if deadline is not None and time.monotonic() > deadline:  # checked first: a child
                log.warning("job process %s did not stop in time; stopping it", proc.pid)  # that keeps
                _hard_stop(proc, control_w)  # reporting progress must not postpone it
                if outcome is None:
                    outcome = ("cancelled", f"stopped: it did not respond to Cancel within {grace:g} s")
                break
            ready = wait([results_r, proc.sentinel], timeout=POLL_INTERVAL)
            if results_r in ready:
                try:
                    message = results_r.recv()
                except (EOFError, OSError):
                    message = None
                if message is None:  # the child closed its end: it is exiting
                    proc.join(EXIT_GRACE if outcome is not None else 1.0)
                    break
                if message[0] == "progress":
                    if outcome is None:
                        progress(message[1], message[2])
                else:
                    outcome = message
                    deadline = time.monotonic() + EXIT_GRACE
                continue
            if proc.sentinel in ready and not results_r.poll():
                break
    finally:
        if proc.is_alive():
            _hard_stop(proc, control_w)
        proc.join()
        with _live_lock:
            _live.discard(proc)
        results_r.close()
        control_w.close()
        exitcode = proc.exitcode
        proc.close()
    return _unpack(outcome, exitcode)


def _unpack(outcome: tuple | None, exitcode: int | None) -> Any:
    """The result of an outcome message, or raise what it says."""
    if outcome is None:
        raise ProcessJobError(
            f"The background process stopped without a result (exit code {exitcode}): "
            "it crashed or was killed."
        )
    kind = outcome[0]
    if kind == "ok":
        return outcome[1]
    if kind == "cancelled":
        raise Cancelled(outcome[1])
    exc, text = outcome[1], outcome[2]
    exc.__cause__ = RemoteTraceback(text)
    raise exc


__all__ = [
    "DbJob",
    "JobNotPicklable",
    "ProcessJobError",
    "RemoteTraceback",
    "accepts_report",
    "format_exception",
    "live_processes",
    "make_payload",
    "run_in_child",
]
