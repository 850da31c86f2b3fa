"""Jobs for the child-process tests (tests/gui/test_process_jobs.py).

Module-level and Qt-free: a spawned child imports this module to unpickle them. A job
tells the test it runs by writing a flag file; it is written whole (a temporary file, then a
rename), because a test that saw it exist while still empty read no pid at all: under load
that failed one test and let another pass without checking anything.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def announce(flag: str, text: str) -> None:
    """Create ``flag`` holding ``text`` in one step: it never exists empty or half written."""
    tmp = Path(flag + ".part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, flag)


def add(a, b):
    """Return ``a + b`` (no report)."""
    return a + b


def whoami(*, report):
    """The process id it ran in."""
    report.check()
    return os.getpid()


def boom(path):
    """Fail with a ValueError naming the file."""
    raise ValueError(f"the file {path} has no statements")


def counts(n, *, report):
    """Report n steps in order, then return the messages sent."""
    for i in range(1, n + 1):
        report.progress(i / n, f"step {i}")
        time.sleep(0.002)
    return {"steps": n, "pid": os.getpid()}


def until_cancelled(flag: str, *, report):
    """Write ``flag`` once running, then loop until cancelled (checks every 2 ms)."""
    announce(flag, str(os.getpid()))
    done = 0
    while True:
        done += 1
        report.progress(min(done / 1e6, 0.99), f"{done} ticks")
        report.check()
        time.sleep(0.002)


def ignores_cancel(flag: str, *, report):
    """Write ``flag``, then sleep without ever checking (the runner must stop it hard)."""
    announce(flag, str(os.getpid()))
    time.sleep(600)
    return "never"


def chatters_and_ignores_cancel(flag: str, *, report):
    """Write ``flag``, then report progress forever without ever checking for cancellation."""
    announce(flag, str(os.getpid()))
    i = 0
    while True:
        i += 1
        report.progress(0.5, f"{i} ticks")
        time.sleep(0.001)


def unpicklable_result():
    """Return something that cannot be pickled (a generator)."""
    return (i for i in range(3))


class Odd(Exception):
    """An exception whose constructor does not take its message back (cannot be unpickled)."""

    def __init__(self, a, b):
        super().__init__(f"{a} and {b}")


def odd_error():
    """Raise an exception that does not survive pickling."""
    raise Odd(1, 2)


def hard_crash():
    """Exit the child abruptly, without an outcome."""
    os._exit(7)


def count_tables(conn, kind, *, report):
    """A db job: tables of ``kind`` in the database."""
    report.check()
    return conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = ?", (kind,)).fetchone()[0]


def spawns_and_ignores(flag: str, *, report):
    """Start a child of its own (as the importer's parsing pool does), write both pids to
    ``flag``, then sleep without checking for cancellation."""
    import multiprocessing

    child = multiprocessing.get_context("spawn").Process(target=time.sleep, args=(600,))
    child.start()
    announce(flag, f"{os.getpid()} {child.pid}")
    time.sleep(600)
    return "never"
