"""Load test: a whole university term (10,000,000 statements) through the real importer, then
the core calls behind every page, then the app itself against that database.

    .venv/bin/python bench/load_10m.py                     # 10,000,000 statements (an hour or so on 2 cores)
    .venv/bin/python bench/load_10m.py --n 200000 --json   # a quick run
    .venv/bin/python bench/load_10m.py --keep DIR          # keep the files and the database in DIR

Not a test: it prints figures for the README.

1. **Generate** (in this process, streamed to weekly JSON Lines files in a temporary folder, as
   an LRS export would be cut): ``n // 800`` students, ``n // 125,000`` course offerings of one
   15-week term (popularity skewed, so the biggest offering has a few thousand students), four
   offerings per student, activity driven by a latent engagement with drop-outs; videos,
   quizzes with scores, assignments with a lateness extension, readings, forum replies and
   navigation; 0.05 % of lines re-sent (duplicates), a few hundred voided statements and
   0.01 % broken lines. Gradebooks (CSV) for the three biggest offerings.
2. **Import** with ``core.ingest.importer.import_paths`` (automatic worker processes, as the
   app and the CLI run it) in a child process. Peak memory: the importing
   process (``VmHWM``) and the peak of the whole process tree's resident memory (the importer
   and its worker processes) sampled every 0.25 s from ``/proc``. Statements/s, database size.
3. **Core calls** each page makes, timed on that database (first call, then again warm):
   ``list_courses``; for the biggest offering as of week 7: ``compute_features``,
   ``weekly_series``, ``course_overview``; gradebook import (``import_outcomes``); training
   (``train_model`` on the three offerings with outcomes); scoring (``score_course``);
   ``risk_table``; ``student_choices`` and ``student_timeline``.
4. **The app** (offscreen, in a child process): opens the database as a user would, picks the
   biggest offering and week 7, then shows each page in turn; the time from switching to a page
   until every job it started has finished and the page shows its data.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WEEKS = 15
TERM_START = np.datetime64(
    "2025-02-03T00:00:00", "ms"
)  # a Monday; the term is over, so every week can be scored
WEEK = 7  # "as of a mid week"
ADL, VIDEO = "http://adlnet.gov/expapi/", "https://w3id.org/xapi/video/"
KINDS = [  # verb, activity type, slug, weight, result kind
    (VIDEO + "verbs/played", VIDEO + "activity-type/video", "video", 24, "video"),
    (VIDEO + "verbs/paused", VIDEO + "activity-type/video", "video", 16, "video"),
    (ADL + "verbs/completed", VIDEO + "activity-type/video", "video", 5, "video"),
    (ADL + "verbs/answered", ADL + "activities/question", "question", 10, "quiz"),
    (ADL + "verbs/passed", ADL + "activities/assessment", "quiz", 3, "quiz"),
    (ADL + "verbs/failed", ADL + "activities/assessment", "quiz", 2, "quiz"),
    (
        "http://activitystrea.ms/schema/1.0/submit",
        "http://id.tincanapi.com/activitytype/school-assignment",
        "assignment",
        3,
        "late",
    ),
    (
        "http://id.tincanapi.com/verb/viewed",
        "http://id.tincanapi.com/activitytype/document",
        "reading",
        14,
        "",
    ),
    (
        "http://id.tincanapi.com/verb/replied",
        "http://id.tincanapi.com/activitytype/forum-reply",
        "forum",
        5,
        "",
    ),
    (ADL + "verbs/launched", ADL + "activities/module", "module", 10, ""),
    (ADL + "verbs/terminated", ADL + "activities/module", "module", 8, ""),
]
HOME = "https://lms.example.edu"
LATE = "https://lms.example.edu/xapi/ext/late"
SEP = (",", ":")


# --- 1. generating a term ---------------------------------------------------------------------


def _plan(n: int, rng: np.random.Generator) -> dict:
    students, courses = max(200, n // 800), max(4, n // 125_000)
    z = rng.normal(size=students)  # engagement / ability
    pop = 1.0 / np.arange(1, courses + 1) ** 0.9
    pop /= pop.sum()
    pair_s, pair_c = [], []
    for s in range(students):
        for c in rng.choice(courses, size=min(4, courses), replace=False, p=pop):
            pair_s.append(s)
            pair_c.append(int(c))
    ps, pc = np.array(pair_s), np.array(pair_c)
    rate = np.exp(0.6 * z[ps] + rng.normal(0, 0.3, len(ps)))
    stop = np.where(rng.random(len(ps)) < 0.12, rng.integers(0, 11, len(ps)), WEEKS)  # drop-outs
    shape = np.array([1.3, 1.2, 1.1, 1.0, 1.0, 1.1, 1.4, 0.6, 1.0, 1.0, 1.0, 1.1, 1.3, 1.6, 1.2])
    lam = rate[:, None] * shape[None, :] * (np.arange(WEEKS)[None, :] < stop[:, None])
    counts = rng.multinomial(n, (lam / lam.sum()).ravel()).reshape(lam.shape)
    return {
        "z": z,
        "ps": ps,
        "pc": pc,
        "stop": stop,
        "counts": counts,
        "students": students,
        "courses": courses,
    }


def _fragments(plan: dict) -> dict:
    actors = []
    for s in range(plan["students"]):
        if s % 5 == 4:
            actors.append(
                json.dumps(
                    {"objectType": "Agent", "name": f"Student {s}", "mbox": f"mailto:s{s}@uni.example.edu"},
                    separators=SEP,
                )
            )
        else:
            actors.append(
                json.dumps(
                    {
                        "objectType": "Agent",
                        "name": f"Student {s}",
                        "account": {"homePage": HOME, "name": f"u{1_000_000 + s}"},
                    },
                    separators=SEP,
                )
            )
    parents = [
        json.dumps(
            [
                {
                    "objectType": "Activity",
                    "id": f"{HOME}/course/term2025s/c{c:03d}",
                    "definition": {
                        "type": ADL + "activities/course",
                        "name": {"en": f"Course {c:03d} (spring 2025)"},
                    },
                }
            ],
            separators=SEP,
        )
        for c in range(plan["courses"])
    ]
    objects = [
        [
            [
                json.dumps(
                    {
                        "objectType": "Activity",
                        "id": f"{HOME}/c{c:03d}/{k[2]}/{j}",
                        "definition": {"type": k[1], "name": {"en": f"{k[2]} {j}"}},
                    },
                    separators=SEP,
                )
                for j in range(30)
            ]
            for k in KINDS
        ]
        for c in range(plan["courses"])
    ]
    verbs = [
        json.dumps({"id": k[0], "display": {"en": k[0].rsplit("/", 1)[-1]}}, separators=SEP) for k in KINDS
    ]
    return {"actors": actors, "parents": parents, "objects": objects, "verbs": verbs}


def _uuid(a: int, b: int) -> str:
    h = f"{a:016x}{b:016x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


def _result(kind: str, i: int, raw: np.ndarray, vtime: np.ndarray, late: np.ndarray, dur: np.ndarray) -> str:
    if kind == "video":
        return f',"result":{{"extensions":{{"{VIDEO}extensions/time":{vtime[i]}}}}}'
    if kind == "quiz":
        r = int(raw[i])
        return (
            f',"result":{{"score":{{"raw":{r},"min":0,"max":20,"scaled":{r / 20}}},'
            f'"success":{"true" if r >= 10 else "false"},"completion":true,"duration":"PT{int(dur[i])}S"}}'
        )
    if kind == "late":
        return f',"result":{{"completion":true,"extensions":{{"{LATE}":{"true" if late[i] else "false"}}}}}'
    return ""


def generate(folder: Path, n: int, seed: int = 2025) -> dict:
    """Write ``n`` records as weekly JSON Lines files in ``folder/xapi`` and the gradebooks of
    the three biggest offerings in ``folder``; returns the plan (who takes what)."""
    rng = np.random.default_rng(seed)
    plan = _plan(n, rng)
    fr = _fragments(plan)
    (folder / "xapi").mkdir(parents=True, exist_ok=True)
    ps, pc, z, counts = plan["ps"], plan["pc"], plan["z"], plan["counts"]
    kind_p = np.array([k[3] for k in KINDS], float)
    kind_p /= kind_p.sum()
    actors, parents, objects, verbs = fr["actors"], fr["parents"], fr["objects"], fr["verbs"]
    earlier: list[str] = []  # ids of last week's statements, for voiding
    untidy = {"duplicates": 0, "broken": 0, "voiding": 0}
    for w in range(WEEKS):
        cells = np.nonzero(counts[:, w])[0]
        pair = rng.permutation(np.repeat(cells, counts[cells, w]))
        m = len(pair)
        kind = rng.choice(len(KINDS), size=m, p=kind_p)
        obj = rng.integers(0, 30, m)
        offset = rng.integers(0, 7 * 86_400_000, m).astype("timedelta64[ms]")
        stamps = np.datetime_as_string(
            TERM_START + np.timedelta64(w * 7 * 86_400_000, "ms") + offset, unit="ms"
        )
        ids = rng.integers(0, 2**63, size=(m, 2), dtype=np.int64).tolist()
        ability = z[ps[pair]]
        raw = np.clip(np.round(12 + 4 * ability + rng.normal(0, 3, m)), 0, 20).astype(int)
        vtime = np.round(rng.random(m) * 600, 3)
        late = rng.random(m) < (0.15 - 0.08 * np.tanh(ability))
        dur = rng.integers(20, 900, m)
        stamps_l, pair_l, kind_l, obj_l = stamps.tolist(), pair.tolist(), kind.tolist(), obj.tolist()
        lines: list[str] = []
        for i in range(m):
            p, k = pair_l[i], kind_l[i]
            c = int(pc[p])
            lines.append(
                f'{{"id":"{_uuid(*ids[i])}","actor":{actors[int(ps[p])]},"verb":{verbs[k]},'
                f'"object":{objects[c][k][obj_l[i]]},"timestamp":"{stamps_l[i]}Z",'
                f'"context":{{"contextActivities":{{"parent":{parents[c]}}}}}'
                f"{_result(KINDS[k][4], i, raw, vtime, late, dur)}}}"
            )
        if m > 1000:  # the untidiness of real exports, inside the n records
            n_dup, n_bad, n_void = m // 2000, m // 10_000, min(20, len(earlier))
            slots = rng.choice(m, size=n_dup + n_bad + n_void, replace=False).tolist()
            for j in slots[:n_dup]:
                lines[j] = lines[int(rng.integers(0, m))]
            for j in slots[n_dup : n_dup + n_bad]:
                lines[j] = lines[j][: int(rng.integers(10, 200))]
            for t, j in enumerate(slots[n_dup + n_bad :]):
                lines[j] = (
                    f'{{"id":"{_uuid(int(rng.integers(0, 2**62)), int(rng.integers(0, 2**62)))}",'
                    f'"actor":{actors[0]},"verb":{{"id":"{ADL}verbs/voided","display":{{"en":"voided"}}}},'
                    f'"object":{{"objectType":"StatementRef","id":"{earlier[t]}"}},"timestamp":"{stamps_l[j]}Z"}}'
                )
            untidy["duplicates"] += n_dup
            untidy["broken"] += n_bad
            untidy["voiding"] += n_void
            taken = set(slots)
            earlier = [
                lines[j][7:43] for j in rng.choice(m, size=40, replace=False).tolist() if j not in taken
            ][:20]
        with open(folder / "xapi" / f"term-2025s-week-{w + 1:02d}.jsonl", "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
            f.write("\n")
        del lines
    plan["untidy"] = untidy
    _gradebooks(folder, plan, rng)
    return plan


def _gradebooks(folder: Path, plan: dict, rng: np.random.Generator) -> None:
    sizes = np.bincount(plan["pc"], minlength=plan["courses"])
    plan["gradebook_courses"] = [int(c) for c in np.argsort(-sizes)[:3]]
    for c in plan["gradebook_courses"]:
        rows = ["Student ID;Email;Final grade;Result"]
        for p in np.nonzero(plan["pc"] == c)[0]:
            s = int(plan["ps"][p])
            dropped = bool(plan["stop"][p] < 8)
            grade = float(
                np.clip(58 + 16 * plan["z"][s] + rng.normal(0, 10) - (30 if dropped else 0), 0, 100)
            )
            result = "Withdrawn" if dropped and rng.random() < 0.5 else ("Pass" if grade >= 40 else "Fail")
            sid, email = (f"u{1_000_000 + s}", "") if s % 5 != 4 else ("", f"s{s}@uni.example.edu")
            rows.append(f"{sid};{email};{grade:.1f};{result}")
        (folder / f"gradebook-c{c:03d}.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def course_iri(c: int) -> str:
    return f"{HOME}/course/term2025s/c{c:03d}"


# --- 2. the import, in a child process ---------------------------------------------------------

# The importing process's own peak is VmHWM (Linux), not ru_maxrss: a forked child's ru_maxrss
# starts at its parent's resident size at the fork (this script holds gigabytes after generating).
_IMPORT_CHILD = """
import json, resource, sys, time
from learnalytics_desktop.core.ingest.importer import import_paths
from learnalytics_desktop.core.jobs import ConsoleReporter
t0 = time.perf_counter()
rep = import_paths(sys.argv[1], [sys.argv[2]], report=ConsoleReporter())
elapsed = time.perf_counter() - t0
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
try:
    hwm = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024
except (OSError, IndexError, ValueError):
    hwm = me.ru_maxrss / 1024
print(json.dumps({"elapsed": elapsed, "counts": {k: getattr(rep, k) for k in
      ("read", "stored", "duplicates", "conflicts", "rejected", "voided")},
      "rejects_by_rule": rep.rejects_by_rule, "notes": rep.notes, "main_peak_mb": hwm,
      "cpu_s": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime}))
"""


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants (Linux /proc)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(x) for x in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total / 1024


def run_import(db: Path, folder: Path) -> dict:
    """Import ``folder`` into ``db`` in a child process; its figures plus the sampled tree peak."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _IMPORT_CHILD, str(db), str(folder)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.25):
            peak[0] = max(peak[0], _tree_rss_mb(proc.pid))

    threading.Thread(target=sample, daemon=True).start()
    out, _ = proc.communicate()
    done.set()
    if proc.returncode != 0:
        raise RuntimeError(f"the import failed with exit code {proc.returncode}")
    figures = json.loads(out.strip().splitlines()[-1])
    figures["tree_peak_mb"] = peak[0]
    return figures


# --- 3. the core calls behind the pages ---------------------------------------------------------


def time_core(db: Path, folder: Path, plan: dict) -> list[dict]:
    """Time each page's core calls on the imported database (first call, then warm)."""
    from learnalytics_desktop.core.courses import list_courses
    from learnalytics_desktop.core.dashboard import (
        course_overview,
        risk_table,
        student_choices,
        student_timeline,
    )
    from learnalytics_desktop.core.features import compute_features, weekly_series
    from learnalytics_desktop.core.model import train_model
    from learnalytics_desktop.core.model.scoring import score_course
    from learnalytics_desktop.core.outcomes import import_outcomes
    from learnalytics_desktop.core.store.db import open_db

    rows: list[dict] = []
    conn = open_db(db)

    def timed(page: str, call: str, fn, *args, repeat: bool = True, **kw):
        t0 = time.perf_counter()
        out = fn(*args, **kw)
        first = time.perf_counter() - t0
        warm = None
        if repeat:
            t0 = time.perf_counter()
            fn(*args, **kw)
            warm = time.perf_counter() - t0
        rows.append(
            {
                "page": page,
                "call": call,
                "first_s": round(first, 2),
                "warm_s": None if warm is None else round(warm, 2),
            }
        )
        print(
            f"  {page:14} {call:44} {first:8.2f} s" + ("" if warm is None else f"  (warm {warm:.2f} s)"),
            flush=True,
        )
        return out

    try:
        courses = timed("(open)", "list_courses (all offerings)", list_courses, conn)
        big = max(courses, key=lambda c: c.statements)
        as_of = big.as_of_week(WEEK)
        rows.append(
            {
                "page": "",
                "call": f"biggest offering: {big.students:,} students, {big.statements:,} statements",
                "first_s": None,
                "warm_s": None,
            }
        )
        feats = timed("Overview", f"compute_features (week {WEEK})", compute_features, conn, big.id, as_of)
        timed("Overview", "weekly_series", weekly_series, conn, big.id, as_of)
        timed("Overview", "course_overview (not scored yet)", course_overview, conn, big.id, WEEK)
        by_iri = {c.iri: c for c in courses}
        graded = [by_iri[course_iri(c)] for c in plan["gradebook_courses"]]
        for c, course in zip(plan["gradebook_courses"], graded, strict=True):
            timed(
                "Settings/CLI",
                f"import_outcomes (gradebook of {course.students:,})",
                import_outcomes,
                conn,
                course.id,
                folder / f"gradebook-c{c:03d}.csv",
                id_column="Student ID",
                email_column="Email",
                grade_column="Final grade",
                result_column="Result",
                repeat=False,
            )
        result = timed(
            "Model",
            f"train_model ({len(graded)} offerings, week {WEEK})",
            train_model,
            conn,
            [c.id for c in graded],
            WEEK,
            repeat=False,
        )
        rows[-1]["call"] += f" -> {result.model_id}"
        timed(
            "Overview", "score_course (biggest, week 7)", score_course, conn, big.id, week=WEEK, repeat=False
        )
        timed("Overview", "course_overview (scored)", course_overview, conn, big.id, WEEK)
        timed("Students at risk", "risk_table", risk_table, conn, big.id, WEEK)
        choices = timed("Student", "student_choices", student_choices, conn, big.id, as_of)
        actor = (
            int(feats["total_events"].idxmax()) if "total_events" in feats else int(choices["actor"].iloc[0])
        )
        timed(
            "Student", "student_timeline (most active student)", student_timeline, conn, actor, big.id, as_of
        )
    finally:
        conn.close()
    return rows


# --- 4. the app against the database (a child process runs this file with --gui) ----------------

PAGE_ORDER = ("import", "overview", "at_risk", "student", "model", "interventions", "impact", "settings")


def gui_child(db: Path, iri: str, week: int) -> int:
    """Open the app on ``db`` (offscreen), pick ``iri`` at ``week``, show each page; print JSON."""
    t_start = time.perf_counter()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QAbstractItemView, QApplication

    from learnalytics_desktop.app import main as app_main
    from learnalytics_desktop.gui import qsettings

    figures: dict = {"pages": [], "errors": []}

    def shown(window) -> None:
        path = db.resolve()
        qsettings.set_value(
            window._context_key(path), {"course": iri, "week": week}
        )  # a returning user's choice
        qsettings.set_value("window/page", "import")
        runner = window.runner
        runner.failed.connect(
            lambda task, exc: figures["errors"].append(f"{task.label or task}: {type(exc).__name__}: {exc}")
        )
        figures["window_s"] = round(time.perf_counter() - t_start, 2)
        pages = list(PAGE_ORDER)
        state = {"t0": time.perf_counter(), "idle": 0, "key": "(open)"}

        def rows_shown(page) -> int:
            models = {
                id(v.model()): v.model()
                for v in page.findChildren(QAbstractItemView)
                if v.model() is not None and v.isVisible()
            }
            return sum(m.rowCount() for m in models.values())

        def poll() -> None:
            ctx = window.shell.context
            opened = ctx.course is not None
            busy = runner.is_busy() or (state["key"] == "(open)" and not opened)
            state["idle"] = 0 if busy else state["idle"] + 1
            if state["idle"] < 3:  # idle on three polls in a row: every job the page started is done
                return
            took = time.perf_counter() - state["t0"] - 0.1
            if state["key"] == "(open)":
                figures["open_s"] = round(took, 2)
                figures["course"] = getattr(ctx.course, "label", None)
                figures["week"] = ctx.week
            else:
                figures["pages"].append(
                    {
                        "page": state["key"],
                        "seconds": round(took, 2),
                        "rows": rows_shown(window.pages[state["key"]]),
                    }
                )
            if not pages:
                timer.stop()
                window.confirm_close = lambda running: True
                window.close()
                QApplication.quit()
                return
            state["key"] = pages.pop(0)
            state["idle"] = 0
            state["t0"] = time.perf_counter()
            window.navigate(state["key"])

        timer = QTimer(window)
        timer.timeout.connect(poll)
        timer.start(50)

    code = app_main([str(db)], on_shown=shown)
    figures["exit_code"] = code
    print("GUI-FIGURES " + json.dumps(figures), flush=True)
    return 0


def run_gui(db: Path, iri: str, home: Path) -> dict:
    env = dict(os.environ, LEARNALYTICS_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--gui", str(db), iri, str(WEEK)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    for line in out.stdout.splitlines():
        if line.startswith("GUI-FIGURES "):
            return json.loads(line[len("GUI-FIGURES ") :])
    return {"error": f"the app exited with {out.returncode}: {out.stderr[-2000:]}"}


# --- main ----------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--n", type=int, default=10_000_000, help="statements (records) to generate (default 10,000,000)"
    )
    ap.add_argument("--keep", metavar="DIR", help="write the files and the database here and keep them")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object at the end")
    ap.add_argument("--gui", nargs=3, metavar=("DB", "IRI", "WEEK"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.gui:
        return gui_child(Path(args.gui[0]), args.gui[1], int(args.gui[2]))
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="la-load-"))
    work.mkdir(parents=True, exist_ok=True)
    home = work / "home"
    home.mkdir(exist_ok=True)
    os.environ["LEARNALYTICS_HOME"] = str(home)  # models, keys, settings: never the user's
    files, db = work / "files", work / "term.db"
    figures: dict = {"n": args.n, "cpus": os.cpu_count()}

    t0 = time.perf_counter()
    plan = generate(files, args.n)
    src_bytes = sum(p.stat().st_size for p in (files / "xapi").iterdir())
    figures["generate"] = {
        "seconds": round(time.perf_counter() - t0, 1),
        "students": plan["students"],
        "offerings": plan["courses"],
        "files": WEEKS,
        "gb": round(src_bytes / 1e9, 2),
        **plan["untidy"],
    }
    print(
        f"generated {args.n:,} records ({src_bytes / 1e9:.2f} GB, {plan['students']:,} students, "
        f"{plan['courses']} offerings) in {figures['generate']['seconds']} s",
        flush=True,
    )

    imp = run_import(db, files / "xapi")
    size = sum(p.stat().st_size for p in work.iterdir() if p.name.startswith("term.db"))
    figures["import"] = {
        **imp,
        "per_s": round(imp["counts"]["read"] / imp["elapsed"]),
        "db_gb": round(size / 1e9, 2),
    }
    print(
        f"import: {imp['elapsed']:.0f} s, {figures['import']['per_s']:,} records/s; peak memory: importing process "
        f"{imp['main_peak_mb']:.0f} MB, whole process tree with its workers {imp['tree_peak_mb']:.0f} MB (sampled "
        f"every 0.25 s); database {size / 1e9:.2f} GB; {imp['counts']}",
        flush=True,
    )

    print("core calls (first call; warm repeat):", flush=True)
    figures["core"] = time_core(db, files, plan)
    big = max(range(plan["courses"]), key=lambda c: int(plan["counts"][plan["pc"] == c].sum()))
    print("the app, offscreen (biggest offering, week 7): time until each page shows its data", flush=True)
    figures["gui"] = run_gui(db, course_iri(big), home)
    gui = figures["gui"]
    if "error" in gui:
        print("  ERROR:", gui["error"])
    else:
        print(
            f"  window up {gui.get('window_s')} s; database opened and courses listed {gui.get('open_s')} s "
            f"({gui.get('course')}, week {gui.get('week')})"
        )
        for p in gui["pages"]:
            print(f"  {p['page']:14} {p['seconds']:8.2f} s   {p['rows']:,} table rows shown")
        for e in gui["errors"]:
            print("  error:", e)
    if args.json:
        print(json.dumps(figures, default=str))
    if not args.keep:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
