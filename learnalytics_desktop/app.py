"""The desktop app: ``learnalytics-desktop [DB] [--demo] [--self-test]``.

Start-up stays light (first window in well under a second): this module and the main
window import only Qt; pandas, scikit-learn, scipy and pyqtgraph are imported by the pages
and jobs that need them, when they are first used. Once the window is shown, numpy, pandas
and pyqtgraph are warmed up (``gui.warmup``) so the first chart page opens without waiting;
imports, training and scoring run in child processes (``TaskRunner.in_process``).

Uncaught exceptions, on the GUI thread or any other, are printed to stderr and shown in the
error dialog: never swallowed.
"""

from __future__ import annotations

import argparse
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QApplication

from learnalytics_desktop import __version__

if TYPE_CHECKING:  # pragma: no cover
    from learnalytics_desktop.gui.main_window import MainWindow

ORG_NAME = "Learnalytics"
ORG_DOMAIN = "learnalytics.invalid"
APP_NAME = "Learnalytics Desktop"
FIRST_PAINT_MS = 60


def build_parser() -> argparse.ArgumentParser:
    """The command-line options of the desktop app."""
    parser = argparse.ArgumentParser(prog="learnalytics-desktop", description="Offline learning analytics.")
    parser.add_argument("db", nargs="?", type=Path, help="a database file to open")
    parser.add_argument("--demo", action="store_true", help="open the demo database (built on first use)")
    parser.add_argument(
        "--self-test", action="store_true", help="open the window offscreen, run checks, exit 0 when all pass"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


class _ErrorRelay(QObject):
    """Carries exceptions from other threads to the GUI thread (queued signal)."""

    raised = Signal(object, str)

    @Slot(object, str)
    def show(self, exc: BaseException, title: str) -> None:
        """Show the error dialog (runs on the GUI thread)."""
        _show_error(exc, title)


_relay: _ErrorRelay | None = None


def _show_error(exc: BaseException, title: str) -> None:
    from learnalytics_desktop.gui.dialogs.error_dialog import ErrorDialog

    try:
        ErrorDialog.report(QApplication.activeWindow(), exc, title=title)
    except Exception:
        traceback.print_exc()
        traceback.print_exception(type(exc), exc, exc.__traceback__)


def excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """``sys.excepthook``: print, then show the error dialog (KeyboardInterrupt just prints)."""
    if exc.__traceback__ is None and tb is not None:
        exc = exc.with_traceback(tb)
    if issubclass(exc_type, KeyboardInterrupt) or QApplication.instance() is None:
        sys.__excepthook__(exc_type, exc, tb)
        return
    if threading.current_thread() is not threading.main_thread():
        traceback.print_exception(exc_type, exc, tb)
        if _relay is not None:
            _relay.raised.emit(exc, "Unexpected error in a background thread")
        return
    _show_error(exc, "Unexpected error")


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None or issubclass(args.exc_type, SystemExit):
        return
    traceback.print_exception(args.exc_type, args.exc_value, args.exc_traceback)
    if _relay is not None:
        name = args.thread.name if args.thread is not None else "a background thread"
        _relay.raised.emit(args.exc_value, f"Unexpected error in {name}")


def install_excepthooks() -> None:
    """Route uncaught exceptions (GUI thread and other threads) to the error dialog."""
    global _relay
    if _relay is None:
        _relay = _ErrorRelay()
        _relay.raised.connect(_relay.show)
    sys.excepthook = excepthook
    threading.excepthook = _thread_excepthook


def create_application(argv: Sequence[str] | None = None) -> QApplication:
    """The QApplication (reused when one exists) with names, icon and settings configured."""
    from learnalytics_desktop.gui.qsettings import configure_settings

    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "learnalytics-desktop", *(argv or [])])
    QApplication.setOrganizationName(ORG_NAME)
    QApplication.setOrganizationDomain(ORG_DOMAIN)
    QApplication.setApplicationName(APP_NAME)
    QApplication.setApplicationVersion(__version__)
    QApplication.setDesktopFileName("learnalytics-desktop")
    configure_settings()
    from learnalytics_desktop.gui.icons import app_icon

    app.setWindowIcon(app_icon())
    return app  # type: ignore[return-value]


def create_main_window() -> MainWindow:
    """A new main window (not shown)."""
    from learnalytics_desktop.gui.main_window import MainWindow

    return MainWindow()


def main(
    argv: Sequence[str] | None = None,
    *,
    on_shown: Callable[[MainWindow], None] | None = None,
    warm: bool = True,
) -> int:
    """Run the app; returns the exit code. ``on_shown(window)`` runs once the window is up
    (the start-up benchmark uses it). ``warm``: load numpy, pandas and pyqtgraph shortly
    after the window is shown (``gui.warmup``; ``window.warmup``), so the first chart page
    does not pay for them on the GUI thread."""
    if getattr(sys, "frozen", False):
        import multiprocessing

        # The importer parses big files in spawned processes; in the frozen build each of
        # them starts this executable, and freeze_support() turns it into a worker.
        multiprocessing.freeze_support()
    args, qt_args = build_parser().parse_known_args(list(sys.argv[1:] if argv is None else argv))
    if args.self_test:
        from learnalytics_desktop.selftest import run_self_test

        return run_self_test()
    app = create_application(qt_args)
    install_excepthooks()
    window = create_main_window()
    window.show()
    if warm:
        from learnalytics_desktop.gui.warmup import start_warmup

        window.warmup = start_warmup(window)  # type: ignore[attr-defined]
    if on_shown is not None:
        QTimer.singleShot(0, lambda: on_shown(window))
    # Open the database once the window has been painted: the worker's first imports would
    # otherwise compete with the GUI thread for the interpreter during the first paint.
    if args.db is not None and not args.demo:
        QTimer.singleShot(FIRST_PAINT_MS, lambda: window.open_database(args.db))
    from learnalytics_desktop.gui.first_run import install_first_run

    # first launch: the welcome (demo database, guided tour) once the window is up; --demo
    # opens the demo, through the welcome on a first launch (first_run docstring)
    install_first_run(window, offer=args.db is None, demo=args.demo)
    code = app.exec()
    # Closing the window already did this; a quit without it (session end) must not leave a
    # job, or its child process, running until it completes.
    window.runner.shutdown(wait=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
