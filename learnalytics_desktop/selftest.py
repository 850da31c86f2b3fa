"""``learnalytics-desktop --self-test``: open the main window offscreen, run checks, exit 0.

Used on source checkouts and on every frozen build. Steps are plain functions taking a
:class:`SelfTest` (from :mod:`learnalytics_desktop.selftest_harness`, which the end-to-end
steps in :mod:`learnalytics_desktop.selftest_steps` import too, so nothing imports back); add one with the :func:`step` decorator (steps run in registration order,
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
from pathlib import Path
from typing import IO, Any

from learnalytics_desktop.selftest_harness import STEPS, SelfTest, SelfTestFailure, step


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

__all__ = ["STEPS", "SelfTest", "SelfTestFailure", "run_self_test", "step"]
