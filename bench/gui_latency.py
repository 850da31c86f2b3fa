"""GUI latency under load: the longest stall of the GUI thread while a big import and a model
training run go on in the background through the app's TaskRunner; and time to first window.

    .venv/bin/python bench/gui_latency.py             # 1,000,000 statements (several minutes)
    .venv/bin/python bench/gui_latency.py --n 100000  # a quick run
    .venv/bin/python bench/gui_latency.py --json

1. **Set-up, in a child process** (so this process starts as cold as the app does):
   ``N`` statements are generated to a JSON Lines file with ``bench/import.py``'s generator,
   and the demo database is built (``core.demo.build_demo_database``).
2. **Time to first window**: from the top of this script (interpreter already up; see
   ``bench/startup.py`` for whole launches) to the first event-loop turn after the app's
   ``main()`` has shown its window (offscreen unless ``--platform`` says otherwise).
3. **Heartbeat**: a precise ``QTimer`` fires every ``--beat`` ms (default 5) on the GUI
   thread; each gap beyond the interval is a stall. Meanwhile the app opens the demo
   database (given on its command line, as a user would; phase ``open``), warms its heavy
   imports (``gui.warmup``; phase ``warm``, until it has finished), shows the Overview (its
   charts draw on the GUI thread; ``first_chart_page_ms`` is that call), then through
   ``window.runner`` (progress in the status bar, as in the app) submits the pages' own
   jobs: the Import page's ``import_jobs.run_import`` of the generated file into a new
   database (``core.ingest.importer.import_paths``), then the Model page's
   ``model_jobs.train`` of an at-risk model on the demo's finished offering at week 6
   (``core.model.train_model``), both ``.in_process()`` as the pages run them.
   ``--threads`` runs both on the database thread instead (the old way), ``--no-warm``
   skips the warm-up (the first chart page then imports everything itself).
4. Prints, per phase and overall: beats, the longest stall, the 99th percentile, and how
   many stalls exceeded 50 ms; and the import and training times. Aim: max stall < 50 ms.
   On Linux also the same figures less the time the GUI thread spent runnable but waiting
   for a core (``/proc/thread-self/schedstat``: on a machine busy with other work, the OS
   scheduler, not the app, causes those): the ``own`` columns, what the app itself caused
   (its own work on the GUI thread and waiting for the interpreter lock).
"""

from __future__ import annotations

import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SETUP = """
import importlib.util, sys
from pathlib import Path
spec = importlib.util.spec_from_file_location("bench_import", Path(sys.argv[1]) / "bench" / "import.py")
gen = importlib.util.module_from_spec(spec); spec.loader.exec_module(gen)
gen.generate(Path(sys.argv[2]), int(sys.argv[3]))
from learnalytics_desktop.core.demo import build_demo_database
build_demo_database(Path(sys.argv[4]), students=int(sys.argv[5]))
"""


def stats(gaps: list[float], beat: float, waits: list[float] | None = None) -> dict[str, float]:
    """Stall figures (ms) of heartbeat gaps (s): a stall is the part of a gap beyond the beat.
    ``waits`` (s, one per gap): run-queue waits, subtracted for the ``own_*`` figures."""
    if not gaps:
        return {"beats": 0, "max_ms": 0.0, "p99_ms": 0.0, "p50_ms": 0.0, "over_50ms": 0}
    stalls = sorted(max(0.0, g - beat) * 1000 for g in gaps)
    pick = lambda xs, q: xs[min(len(xs) - 1, int(q * len(xs)))]  # noqa: E731
    out = {
        "beats": len(gaps),
        "max_ms": round(stalls[-1], 1),
        "p99_ms": round(pick(stalls, 0.99), 1),
        "p50_ms": round(pick(stalls, 0.5), 1),
        "over_50ms": sum(s > 50 for s in stalls),
    }
    if waits is not None:
        own = sorted(max(0.0, g - beat - w) * 1000 for g, w in zip(gaps, waits, strict=True))
        out.update(
            own_max_ms=round(own[-1], 1),
            own_p99_ms=round(pick(own, 0.99), 1),
            own_over_50ms=sum(s > 50 for s in own),
        )
    return out


def run_queue_clock():
    """A function giving the seconds the calling thread has spent runnable but not running
    (Linux schedstat), or None where that is not available."""
    try:
        fd = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
    except OSError:
        return None
    return lambda: int(os.pread(fd, 100, 0).split()[1]) / 1e9


def main() -> int:  # noqa: C901 - one linear script of measurements
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="statements to import (default 1,000,000)")
    ap.add_argument(
        "--students", type=int, default=300, help="students per demo offering for training (default 300)"
    )
    ap.add_argument("--beat", type=float, default=5.0, help="heartbeat interval in ms (default 5)")
    ap.add_argument("--platform", default="offscreen", help="Qt platform (default offscreen)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument(
        "--threads", action="store_true", help="run import and training on the database thread (old way)"
    )
    ap.add_argument(
        "--no-warm", action="store_true", help="no warm-up of numpy/pandas/pyqtgraph after start-up"
    )
    ap.add_argument(
        "--keep", action="store_true", help="keep the temporary folder (statements file, databases)"
    )
    ap.add_argument(
        "--trace-stalls",
        type=float,
        default=0.0,
        metavar="MS",
        help="print where the GUI thread was during each stall longer than MS (0 = off)",
    )
    args = ap.parse_args()
    os.environ["QT_QPA_PLATFORM"] = args.platform
    tmp = Path(tempfile.mkdtemp(prefix="la-gui-latency-"))
    if not args.keep:  # the generated file and databases take ~1 GB at 1,000,000 statements
        import atexit
        import shutil

        atexit.register(shutil.rmtree, tmp, True)
    os.environ["LEARNALYTICS_HOME"] = str(tmp / "home")  # settings, models, keys: never the user's
    src, demo, target = tmp / "statements.jsonl", tmp / "demo.db", tmp / "imported.db"

    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", SETUP, str(ROOT), str(src), str(args.n), str(demo), str(args.students)],
        check=True,
        cwd=ROOT,
    )
    setup_s = time.perf_counter() - t
    t_script = time.perf_counter() - T_START - setup_s  # time to here, without the set-up

    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from learnalytics_desktop.app import main as app_main
    from learnalytics_desktop.gui.pages.ingest import jobs as import_jobs
    from learnalytics_desktop.gui.pages.ingest import model_jobs
    from learnalytics_desktop.gui.workers import db_job

    beat = args.beat / 1000.0
    figures: dict = {
        "statements": args.n,
        "demo_students": args.students,
        "setup_s": round(setup_s, 1),
        "jobs_in": "thread" if args.threads else "process",
        "warm": not args.no_warm,
    }
    beats: list[float] = []
    phases: list[tuple[str, float]] = []  # (phase, start time)
    t_app = time.perf_counter()

    def phase(name: str) -> None:
        phases.append((name, time.perf_counter()))

    run_queue = None
    waits_at: list[float] = []

    def tick() -> None:
        nonlocal run_queue
        beats.append(time.perf_counter())
        if run_queue is None:
            run_queue = run_queue_clock() or (lambda: 0.0)
        waits_at.append(run_queue())

    import gc

    gc_pauses: list[tuple[int, float]] = []  # (generation, seconds): a collection stops every thread
    gc_start = [0.0]

    def gc_watch(stage: str, info: dict) -> None:
        if stage == "start":
            gc_start[0] = time.perf_counter()
        else:
            gc_pauses.append((info["generation"], time.perf_counter() - gc_start[0]))

    gc.callbacks.append(gc_watch)
    traces: list[str] = []
    if args.trace_stalls > 0:
        import threading
        import traceback

        def watch() -> None:  # samples every thread's stack while the GUI thread is stalled (every 100 ms)
            reported, sampled = None, 0.0
            while not phases or phases[-1][0] != "end":
                time.sleep(0.01)
                last = beats[-1] if beats else None
                now = time.perf_counter()
                if (
                    last is not None
                    and now - last > args.trace_stalls / 1000
                    and (reported != last or now - sampled > 0.1)
                ):
                    reported, sampled = last, now
                    frames = sys._current_frames()
                    names = {t.ident: t.name for t in threading.enumerate()}
                    where = "".join(
                        f"  [{names.get(ident, ident)}]\n"
                        + "".join(x for x in traceback.format_stack(f)[-60:] if "<frozen" not in x)
                        for ident, f in frames.items()
                        if ident != threading.get_ident()
                    )
                    traces.append(
                        f"stalled {now - last:.3f} s after the beat at {last - t_app:.3f} s:\n{where}"
                    )

        threading.Thread(target=watch, daemon=True, name="stall-watch").start()

    def finish(window) -> None:
        phase("end")
        window.confirm_close = lambda running: True
        window.close()
        QApplication.quit()

    def failed(window, what: str, exc: BaseException) -> None:
        figures["error"] = f"{what}: {type(exc).__name__}: {exc}"
        finish(window)

    def shown(window) -> None:
        first = time.perf_counter()
        figures["first_window_s"] = round(first - t_app + t_script, 3)
        figures["first_window_in_app_s"] = round(first - t_app, 3)
        timer = QTimer(window)
        timer.setTimerType(Qt.TimerType.PreciseTimer)
        timer.timeout.connect(tick)
        timer.start(max(1, int(args.beat)))
        phase("open")  # main() opens the database given on its command line
        runner = window.runner

        def where(task):  # the pages run these jobs in a child process
            return task if args.threads else task.in_process()

        def start_chart_page() -> None:
            if not args.no_warm and not window.warmup.done:
                phase("warm")
                window.warmup.finished.connect(
                    lambda: QTimer.singleShot(300, start_chart_page)
                )  # a user's click later
                return
            phase("chart")
            if not args.no_warm:
                figures["warmup"] = dict(window.warmup.timings)
            t_page = time.perf_counter()
            window.navigate(
                "overview"
            )  # the first chart page: built (pyqtgraph imported if not warm) on the GUI thread
            figures["first_chart_page_ms"] = round((time.perf_counter() - t_page) * 1000, 1)
            # the page's own loading job and drawing first: the import phase is the import alone
            QTimer.singleShot(100, lambda: wait_idle(lambda: QTimer.singleShot(500, start_import)))

        def wait_idle(then) -> None:
            if runner.is_busy():
                QTimer.singleShot(20, lambda: wait_idle(then))
            else:
                then()

        def start_import() -> None:
            phase("import")
            t0 = time.perf_counter()
            (
                where(runner.submit(import_jobs.run_import, target, [src]))
                .keyed("import")
                .with_progress("Importing…")
                .on_success(
                    lambda out: (
                        figures.update(
                            import_s=round(time.perf_counter() - t0, 1),
                            imported=int(getattr(out.report, "stored", 0)),
                        ),
                        start_training(),
                    )
                )
                .on_failure(lambda exc: failed(window, "import", exc))
            )

        def start_training() -> None:
            past = [c.id for c in window.shell.context.courses if "2025" in c.iri]
            phase("train")
            t0 = time.perf_counter()
            (
                where(runner.submit(db_job(model_jobs.train), demo, past, 6))
                .keyed("train")
                .with_progress("Training…")
                .on_success(
                    lambda res: (
                        figures.update(train_s=round(time.perf_counter() - t0, 1), model=res[0]),
                        phase("idle"),
                        QTimer.singleShot(1000, lambda: finish(window)),
                    )
                )
                .on_failure(lambda exc: failed(window, "training", exc))
            )

        def opened(_task) -> None:
            if window.shell.context.course is not None and not runner.is_busy("database"):
                runner.finished.disconnect(opened)
                QTimer.singleShot(0, start_chart_page)

        runner.finished.connect(opened)

    code = app_main([str(demo)], on_shown=shown, warm=not args.no_warm)
    if code != 0 and "error" not in figures:
        figures["error"] = f"the app exited with {code}"
    gaps_by_phase: dict[str, list[float]] = {}
    waits_by_phase: dict[str, list[float]] = {}
    bounds = phases + [("after", float("inf"))]
    for (name, start), (_next, stop) in zip(bounds, bounds[1:], strict=False):
        # a gap belongs to the phase it ends in: work started at a phase mark stalls that phase
        gaps_by_phase[name] = [b - a for a, b in zip(beats, beats[1:], strict=False) if start <= b < stop]
        waits_by_phase[name] = [
            w2 - w1 for b, w1, w2 in zip(beats[1:], waits_at, waits_at[1:], strict=False) if start <= b < stop
        ]
    all_gaps = [b - a for a, b in zip(beats, beats[1:], strict=False)]
    all_waits = [w2 - w1 for w1, w2 in zip(waits_at, waits_at[1:], strict=False)]
    figures["stalls"] = {
        name: stats(g, beat, waits_by_phase[name]) for name, g in gaps_by_phase.items() if name != "end"
    }
    figures["stalls"]["all"] = stats(all_gaps, beat, all_waits)
    gc.callbacks.remove(gc_watch)
    full = [d for g, d in gc_pauses if g == 2]
    figures["gc"] = {
        "collections": len(gc_pauses),
        "full": len(full),
        "longest_full_ms": round(max(full, default=0.0) * 1000, 1),
        "longest_ms": round(max((d for _, d in gc_pauses), default=0.0) * 1000, 1),
    }
    figures["beat_ms"] = args.beat
    figures["cpus"] = os.cpu_count()
    if args.json:
        print(json.dumps(figures))
    else:
        print(
            f"set-up (child process): {args.n:,} statements generated, demo with {args.students} students/offering, "
            f"{setup_s:.1f} s"
        )
        print(
            f"time to first window: {figures.get('first_window_s', float('nan')):.3f} s "
            f"({figures.get('first_window_in_app_s', float('nan')):.3f} s of it in the app's main())"
        )
        print(
            f"import: {figures.get('import_s', '?')} s ({figures.get('imported', 0):,} stored); "
            f"training: {figures.get('train_s', '?')} s; jobs in a {figures['jobs_in']}"
        )
        print(
            f"first chart page: {figures.get('first_chart_page_ms', '?')} ms on the GUI thread; "
            f"warm-up: {figures.get('warmup', 'off')}"
        )
        print(f"garbage collections in this process: {figures['gc']}")
        print(f"heartbeat every {args.beat:g} ms on the GUI thread; stall = gap beyond the beat")
        print(
            f"{'phase':8} {'beats':>7} {'max ms':>8} {'p99 ms':>8} {'p50 ms':>8} {'>50 ms':>7}"
            f" | own: {'max ms':>7} {'p99 ms':>7} {'>50 ms':>7}"
        )
        for name, s in figures["stalls"].items():
            print(
                f"{name:8} {s['beats']:>7} {s['max_ms']:>8} {s['p99_ms']:>8} {s['p50_ms']:>8} {s['over_50ms']:>7}"
                f" |      {s.get('own_max_ms', '-'):>7} {s.get('own_p99_ms', '-'):>7} {s.get('own_over_50ms', '-'):>7}"
            )
        if "error" in figures:
            print("ERROR:", figures["error"])
        for trace in traces:
            print(trace)
    return 1 if "error" in figures else 0


if __name__ == "__main__":
    sys.exit(main())
