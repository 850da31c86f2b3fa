"""Progress reporting and cooperative cancellation for long core jobs.

Core jobs are plain functions that take a ``report: Reporter`` keyword. They call
``report.progress(fraction, message)`` now and then and ``report.check()`` at safe points;
``check`` raises :class:`Cancelled` once the user has asked to stop. No Qt object ever
enters the core: the GUI wraps a Reporter around its worker, the command line prints.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Protocol


class Cancelled(Exception):
    """Raised inside a job by ``Reporter.check()`` after the user asked to cancel."""


class Reporter(Protocol):
    def progress(self, fraction: float, message: str = "") -> None: ...

    def check(self) -> None: ...


class NullReporter:
    """Reports nowhere and is never cancelled."""

    def progress(self, fraction: float, message: str = "") -> None:
        pass

    def check(self) -> None:
        pass


class CancelToken:
    """A reporter that can be cancelled from another thread and forwards progress.

    ``callback(fraction, message)`` is called at most once per percent step (and for every
    new message), so a fast loop cannot flood the GUI thread.
    """

    def __init__(self, callback: Callable[[float, str], object] | None = None) -> None:
        self._event = threading.Event()
        self._callback = callback
        self._last = -1.0
        self._last_msg = ""

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled by the user")

    def progress(self, fraction: float, message: str = "") -> None:
        fraction = min(max(float(fraction), 0.0), 1.0)
        if self._callback is None:
            return
        if fraction - self._last >= 0.01 or message != self._last_msg or fraction >= 1.0:
            self._last = fraction
            self._last_msg = message
            self._callback(fraction, message)


class ConsoleReporter:
    """Progress on stderr for the command line, at most a few updates per second."""

    def __init__(self, stream: IO[str] | None = None, enabled: bool = True) -> None:
        self._stream = stream or sys.stderr
        self._enabled = enabled and self._stream.isatty()
        self._t = 0.0

    def check(self) -> None:
        pass

    def progress(self, fraction: float, message: str = "") -> None:
        if not self._enabled:
            return
        now = time.monotonic()
        if now - self._t < 0.25 and fraction < 1.0:
            return
        self._t = now
        self._stream.write(f"\r{fraction * 100:5.1f}% {message[:70]:<70}")
        if fraction >= 1.0:
            self._stream.write("\n")
        self._stream.flush()
