"""Time to first window: the app (``learnalytics-desktop``'s ``main``) against a bare Qt window.

Each run is a fresh interpreter (launch -> the window shown and the first event-loop turn
done). The baseline, measured in the same run, is a bare ``QApplication`` + ``QWidget.show()``:
what any PySide6 program pays. Prints the median (and best) of each and their ratio.

    .venv/bin/python bench/startup.py [--runs 7] [--platform offscreen] [--db FILE]

With ``--db`` the app also opens that database; the figure printed for it is the time until
its courses are in the pickers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BASELINE = """
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication(sys.argv[:1])
w = QWidget()
w.resize(1200, 780)
w.show()
QTimer.singleShot(0, lambda: (print("shown", time.time(), flush=True), app.quit()))
app.exec()
"""

APP = """
import sys, time
from PySide6.QtWidgets import QApplication
from learnalytics_desktop.app import main

db = sys.argv[1] if len(sys.argv) > 1 else None

def shown(window):
    print("shown", time.time(), flush=True)
    if db is None:
        return done(window)
    if window.shell.context.db_path is not None and window.context_bar.course is not None:
        return loaded(window)
    window.shell.context_changed.connect(lambda ctx: ctx.course is not None and loaded(window))

def loaded(window):
    print("loaded", time.time(), flush=True)
    done(window)

def done(window):
    window.confirm_close = lambda running: True
    window.close()
    QApplication.quit()

sys.exit(main([db] if db else [], on_shown=shown))
"""


def run_once(code: str, args: list[str], env: dict[str, str]) -> dict[str, float]:
    """Launch one interpreter; seconds from launch to each event it prints."""
    start = time.time()
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )
    if out.returncode != 0:
        raise SystemExit(f"run failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    marks = {}
    for line in out.stdout.splitlines():
        name, _, stamp = line.partition(" ")
        if name in ("shown", "loaded"):
            marks[name] = float(stamp) - start
    return marks


def main(argv: list[str] | None = None) -> int:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--platform", default="offscreen", help="Qt platform plugin (offscreen, xcb…)")
    parser.add_argument("--db", type=Path, help="also open this database and time its courses loading")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="learnalytics-bench-") as home:
        env = dict(os.environ, QT_QPA_PLATFORM=args.platform, LEARNALYTICS_HOME=home)
        extra = [str(args.db.resolve())] if args.db else []
        run_once(BASELINE, [], env)  # warm the file cache for both
        run_once(APP, extra, env)
        base, app, loaded = [], [], []
        for _ in range(args.runs):  # interleaved, so both see the same machine load
            base.append(run_once(BASELINE, [], env)["shown"])
            marks = run_once(APP, extra, env)
            app.append(marks["shown"])
            if "loaded" in marks:
                loaded.append(marks["loaded"])
    b, a = statistics.median(base), statistics.median(app)
    print(f"runs: {args.runs} each, platform {args.platform}, Python {sys.version.split()[0]}")
    print(f"baseline (bare QApplication + QWidget shown): median {b:.3f} s, best {min(base):.3f} s")
    print(f"app first window shown:                      median {a:.3f} s, best {min(app):.3f} s")
    print(f"ratio app / baseline (medians):              {a / b:.2f}x  (target: app under 1 s)")
    if loaded:
        print(f"database opened, courses in the pickers:     median {statistics.median(loaded):.3f} s")
    if a >= 1.0:
        print("over the 1 s target (on a busy machine the baseline grows too: compare the ratio)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
