"""Screenshots of every page and dialog in REAL X11 windows (``./dev screenshots``).

The offscreen platform the tests use has no window system: it never clamps a window to a
screen, never sizes a dialog the way a real X server does. This script starts ``Xvfb`` (a real
X server in memory) at each screen size, runs the app on the ``xcb`` platform inside it and
saves what the screen shows (the whole screen, so a window that runs off it is visible as
such) to ``docs/screenshots/<width>x<height>/NN-name.png``.

    python packaging/screenshots.py [--sizes 1280x720,1920x1080] [--out docs/screenshots]
                                    [--students 300] [--db demo.db]

Data: the built-in demo (generated, trained and scored by ``core.demo``; no personal data),
built once into a temporary folder, or an existing database given with ``--db``. Settings go
to a temporary LEARNALYTICS_HOME, so the user's own recent files and window sizes are untouched.

Dialogs are shot by replacing ``QDialog.exec`` for the run: the dialog is shown, left to
finish loading, grabbed and closed (Cancel), so nothing is changed in the database.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETTLE_S = 2.0  # after the last job finished: let charts and layouts finish painting
JOB_TIMEOUT_S = 240.0


# -- the driver (no Qt): one Xvfb and one child per screen size -----------------------------------
def start_xvfb(size: str) -> tuple[subprocess.Popen, str]:
    """An Xvfb server at ``size`` (``WxH``) on a free display; (process, ":N")."""
    read, write = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", f"{size}x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as f:
        number = f.readline().strip()
    if not number:
        proc.kill()
        raise SystemExit("Xvfb did not start (install it with: apt-get install -y xvfb)")
    return proc, f":{number}"


def drive(args: argparse.Namespace) -> int:
    home = Path(tempfile.mkdtemp(prefix="learnalytics-shots-"))
    env = dict(os.environ, LEARNALYTICS_HOME=str(home), PYTHONPATH=str(ROOT))
    db = Path(args.db).resolve() if args.db else home / "demo.db"
    if not args.db:
        print(f"Building the demo database ({args.students} students per offering) …", flush=True)
        code = "import sys; from learnalytics_desktop.core.demo import build_demo_database as b; "
        code += "b(sys.argv[1], students=int(sys.argv[2]))"
        subprocess.run([sys.executable, "-c", code, str(db), str(args.students)], env=env, check=True)
    failed = 0
    for size in args.sizes.split(","):
        xvfb, display = start_xvfb(size)
        try:
            out = Path(args.out).resolve() / size
            out.mkdir(parents=True, exist_ok=True)
            for old in out.glob("*.png"):
                old.unlink()
            child_env = dict(env, DISPLAY=display, QT_QPA_PLATFORM="xcb")
            cmd = [sys.executable, __file__, "--shoot", "--db", str(db), "--out", str(out)]
            print(f"{size}: shooting into {out} …", flush=True)
            failed += subprocess.run(cmd, env=child_env).returncode != 0
        finally:
            xvfb.terminate()
            xvfb.wait()
    shutil.rmtree(home, ignore_errors=True)  # the demo and the settings of this run
    return 1 if failed else 0


# -- the child: the app in the X server -----------------------------------------------------------
def shoot(db: Path, out: Path) -> int:
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication, QDialog

    from learnalytics_desktop.app import create_application, create_main_window
    from learnalytics_desktop.gui.pages import PAGES

    app = create_application([])
    window = create_main_window()
    window.show()
    count = [0]
    problems: list[str] = []

    def pump(seconds: float) -> None:
        loop = QEventLoop()
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()

    def settle() -> None:
        deadline = time.monotonic() + JOB_TIMEOUT_S
        while window.runner.active_tasks and time.monotonic() < deadline:
            pump(0.2)
        if window.runner.active_tasks:
            problems.append(f"still running after {JOB_TIMEOUT_S:.0f} s: {window.runner.active_tasks}")
        pump(SETTLE_S)

    def save(name: str) -> None:
        count[0] += 1
        screen = QApplication.primaryScreen()
        path = out / f"{count[0]:02d}-{name}.png"
        if not screen.grabWindow(0).save(str(path)):
            problems.append(f"could not write {path}")
        print(f"  {path.name}", flush=True)

    def fake_exec(dialog: QDialog) -> int:
        dialog.show()
        settle()
        save("dialog-" + type(dialog).__name__.removesuffix("Dialog").lower())
        dialog.reject()
        return int(QDialog.DialogCode.Rejected)

    QDialog.exec = fake_exec  # type: ignore[method-assign,assignment]
    try:
        settle()
        window.open_database(db, fresh=True)
        settle()
        for spec in PAGES:
            window.navigate(spec.key)
            settle()
            save(spec.key)
        window.navigate("overview")
        settle()
        dialogs = [
            ("Dates…", window.edit_course_dates),
            ("gradebook", window.import_outcomes),
            ("class list", lambda: window.import_outcomes("roster")),
        ]
        for label, open_it in dialogs:
            try:
                open_it()
            except Exception as exc:
                problems.append(f"{label}: {type(exc).__name__}: {exc}")
        for key, opener in _page_dialogs():
            page = window.navigate(key)
            settle()
            try:
                opener(window, page)
            except Exception as exc:
                problems.append(f"{key}: {type(exc).__name__}: {exc}")
    finally:
        window.runner.shutdown(wait=True)
        window.close()
        app.processEvents()
    for p in problems:
        print("PROBLEM:", p, file=sys.stderr)
    return 1 if problems else 0


def _page_dialogs() -> list[tuple[str, object]]:
    """The dialogs pages open, each through the page's own button where it has one."""

    def impact(window, page):
        from learnalytics_desktop.gui.pages.impact.wizard import ImpactWizard

        ImpactWizard.ask(window, window.runner, window.shell.context)

    def rules(window, page):
        from learnalytics_desktop.core.interventions.rules import default_rules
        from learnalytics_desktop.gui.pages.interventions.rules_dialog import RulesDialog

        RulesDialog.ask(window, default_rules())

    def draft(window, page):
        from learnalytics_desktop.core.interventions.rules import default_rules
        from learnalytics_desktop.gui.pages.interventions.draft_dialog import DraftDialog

        DraftDialog.ask(window, who="12 students at high risk", rules=default_rules(), students=12)

    def features(window, page):
        from learnalytics_desktop.gui.dialogs.feature_table_dialog import FeatureTableDialog

        FeatureTableDialog.ask(window, window.shell)

    def calendar(window, page):
        from learnalytics_desktop.gui.dialogs.calendar_dialog import CalendarDialog

        CalendarDialog.ask(window, window.shell)

    return [
        ("impact", impact),
        ("interventions", rules),
        ("interventions", draft),
        ("model", features),
        ("settings", calendar),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1280x720,1920x1080")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--db", help="an existing database instead of the demo")
    parser.add_argument("--shoot", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.shoot:
        return shoot(Path(args.db), Path(args.out))
    return drive(args)


if __name__ == "__main__":
    sys.exit(main())
