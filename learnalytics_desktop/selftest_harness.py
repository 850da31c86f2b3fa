"""The self-test's harness: the step registry and what a step gets (:class:`SelfTest`).

Kept apart from :mod:`learnalytics_desktop.selftest` (the window checks and the runner) and
:mod:`learnalytics_desktop.selftest_steps` (the end-to-end steps) so both import it and
neither imports the other back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from PySide6.QtWidgets import QApplication

    from learnalytics_desktop.gui.main_window import MainWindow

STEPS: list[tuple[str, Callable[[SelfTest], None]]] = []


def step(name: str) -> Callable[[Callable[[SelfTest], None]], Callable[[SelfTest], None]]:
    """Register a self-test step under ``name``."""

    def register(fn: Callable[[SelfTest], None]) -> Callable[[SelfTest], None]:
        STEPS.append((name, fn))
        return fn

    return register


class SelfTestFailure(AssertionError):
    """A step found something wrong."""


class SelfTest:
    """What steps get: the application, the main window, a scratch folder, and waiting helpers."""

    def __init__(self, app: QApplication, window: MainWindow, workdir: Path) -> None:
        self.app = app
        self.window = window
        self.workdir = workdir
        self.errors: list[BaseException] = []
        window.runner.failure_handler = lambda task, exc: self.errors.append(exc)

    def wait(self, condition: Callable[[], bool], timeout: float = 60.0, what: str = "condition") -> None:
        """Process events until ``condition()`` is true; fail after ``timeout`` seconds or on a
        task failure reported meanwhile."""
        from PySide6.QtCore import QEventLoop

        deadline = time.monotonic() + timeout
        while not condition():
            if self.errors:
                raise SelfTestFailure(
                    f"a background task failed while waiting for {what}"
                ) from self.errors.pop(0)
            if time.monotonic() > deadline:
                raise SelfTestFailure(f"timed out after {timeout:.0f} s waiting for {what}")
            self.app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.005)
        self.app.processEvents()

    def run(self, fn: Callable[..., Any], *args: Any, timeout: float = 300.0, **kwargs: Any) -> Any:
        """Run ``fn`` on the window's task runner (database thread) and return its result."""
        box: dict[str, Any] = {}
        task = self.window.runner.submit(fn, *args, **kwargs).on_success(lambda r: box.setdefault("ok", r))
        task.on_failure(lambda exc: box.setdefault("error", exc))
        task.on_cancelled(lambda: box.setdefault("error", SelfTestFailure("cancelled")))
        self.wait(lambda: bool(box), timeout, getattr(fn, "__name__", "a job"))
        if "error" in box:
            raise box["error"]
        return box["ok"]

    def check(self, condition: bool, message: str) -> None:
        """Fail the step with ``message`` unless ``condition``."""
        if not condition:
            raise SelfTestFailure(message)


__all__ = ["STEPS", "SelfTest", "SelfTestFailure", "step"]
