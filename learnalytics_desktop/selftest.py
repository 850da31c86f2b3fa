"""``learnalytics-desktop --self-test``: open the main window offscreen, run checks, exit 0.

Used on source checkouts and on every frozen build. Steps are plain functions taking a
:class:`SelfTest`; add one with the :func:`step` decorator (steps run in registration order,
a step that raises fails the run but the others still run)::

    @step("import the bundled sample")
    def _import_sample(t: SelfTest) -> None:
        t.window.open_database(t.workdir / "s.db", create=True)
        t.wait(lambda: t.window.db_path is not None)
        result = t.run(import_paths, t.window.db_path, [sample])   # on the window's runner

The run uses a temporary data folder (``LEARNALYTICS_HOME``) unless one is set, so it never
touches the user's databases or settings.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

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


@step("main window opens")
def _window_opens(t: SelfTest) -> None:
    t.check(t.window.isVisible(), "the main window is not visible")
    t.check("Learnalytics" in t.window.windowTitle(), f"unexpected title {t.window.windowTitle()!r}")


@step("icons and assets load")
def _assets(t: SelfTest) -> None:
    from learnalytics_desktop.gui.icons import app_icon, icon
    from learnalytics_desktop.gui.pages import PAGES

    t.check(not app_icon().isNull(), "the application icon did not load")
    for spec in PAGES:
        pixmap = icon(spec.icon).pixmap(24, 24)
        t.check(not pixmap.isNull(), f"the icon {spec.icon!r} did not render (SVG plugin missing?)")


@step("every page opens")
def _pages(t: SelfTest) -> None:
    from learnalytics_desktop.gui.pages import PAGES

    for spec in PAGES:
        page = t.window.navigate(spec.key)
        t.app.processEvents()
        t.check(t.window.current_page is page and page.isVisible(), f"page {spec.key!r} is not shown")
    t.window.navigate("import")


@step("a new database opens")
def _database(t: SelfTest) -> None:
    path = t.workdir / "self-test.db"
    t.window.open_database(path, create=True)
    t.wait(lambda: t.window.db_path == path.resolve(), 60, "the database to open")
    t.check(path.exists(), f"{path} was not created")


def _qt_messages(kind: Any, context: Any, message: str) -> None:
    """Qt's messages to stderr, less the offscreen platform's note on every new window."""
    if "does not support propagateSizeHints" not in message:
        sys.stderr.write(message + "\n")


def run_self_test(out: IO[str] | None = None) -> int:
    """Run every registered step; print one line per step; 0 when all pass, 1 otherwise."""
    out = out or sys.stdout
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="learnalytics-selftest-") as tmp:
        workdir = Path(tmp)
        os.environ.setdefault("LEARNALYTICS_HOME", str(workdir / "home"))
        from PySide6.QtCore import qInstallMessageHandler

        from learnalytics_desktop.app import create_application, create_main_window

        qInstallMessageHandler(_qt_messages)
        started = time.monotonic()
        app = create_application([])
        window = create_main_window()
        window.show()
        app.processEvents()
        print(f"self-test: window shown after {time.monotonic() - started:.2f} s", file=out)
        t = SelfTest(app, window, workdir)
        failed = 0
        for name, fn in STEPS:
            t0 = time.monotonic()
            try:
                fn(t)
            except BaseException as exc:
                failed += 1
                print(f"FAIL {name}: {exc}", file=out)
                traceback.print_exception(type(exc), exc, exc.__traceback__, file=out)
                t.errors.clear()
            else:
                print(f"ok   {name} ({time.monotonic() - t0:.2f} s)", file=out)
        window.confirm_close = lambda running: True  # type: ignore[method-assign]
        window.close()
        app.processEvents()
        print(f"self-test: {len(STEPS) - failed}/{len(STEPS)} steps passed", file=out)
        return 1 if failed else 0


import learnalytics_desktop.selftest_steps  # noqa: E402, F401 - registers the end-to-end steps (packaging)
