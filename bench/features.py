"""Benchmark: as-of features for 1,000,000 statements of 20,000 students.

    .venv/bin/python bench/features.py [--statements N] [--students N] [--repeat R] [--keep DB]

Builds a course straight into the schema (no importer; realistic mix: sessions of several
statements, videos, scored quizzes, late submissions, forum posts, 0.1 % voided), then times
``compute_features`` over all of it against a floor measured in the same process: reading
the same as-of rows' ``(actor, ts)`` from SQLite into numpy and counting statements per
student with a pandas groupby -- the least any per-student table must do. Prints the
seconds and the ratio. ``--keep DB`` keeps (and reuses) the generated database.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from learnalytics_desktop.core.features import compute_features, weekly_series  # noqa: E402
from learnalytics_desktop.core.store import open_db  # noqa: E402

START = datetime(2025, 9, 15, tzinfo=UTC)
WEEKS = 13
ADL = "http://adlnet.gov/expapi/verbs/"
CATEGORIES = {  # category: (share, activity type, verbs)
    "navigation": (
        0.20,
        "http://adlnet.gov/expapi/activities/course",
        [ADL + "launched", ADL + "terminated"],
    ),
    "video": (
        0.30,
        "https://w3id.org/xapi/video/activity-type/video",
        [
            "https://w3id.org/xapi/video/verbs/played",
            "https://w3id.org/xapi/video/verbs/paused",
            ADL + "completed",
        ],
    ),
    "assessment": (
        0.15,
        "http://adlnet.gov/expapi/activities/assessment",
        [ADL + "attempted", ADL + "passed", ADL + "failed"],
    ),
    "reading": (0.15, "http://id.tincanapi.com/activitytype/document", [ADL + "experienced"]),
    "forum": (
        0.12,
        "http://id.tincanapi.com/activitytype/discussion",
        ["http://id.tincanapi.com/verb/viewed", "http://id.tincanapi.com/verb/replied"],
    ),
    "assignment": (
        0.08,
        "http://id.tincanapi.com/activitytype/school-assignment",
        ["http://activitystrea.ms/schema/1.0/submit"],
    ),
}


def build(path: Path, n: int, students: int, seed: int = 1) -> None:
    """Write ``n`` statements of ``students`` students of one 13-week course into ``path``."""
    rng = np.random.default_rng(seed)
    conn = open_db(path)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    conn.execute(
        "INSERT INTO imports(id, source, started_at, status) VALUES (1, 'bench', '2026-01-01', 'done')"
    )
    conn.execute(
        "INSERT INTO courses(id, iri, name, start_date, weeks) VALUES (1, 'https://x.example/c', 'Bench',"
        " ?, ?)",
        (START.date().isoformat(), WEEKS),
    )
    conn.executemany(
        "INSERT INTO actors(id, ifi, kind, label) VALUES (?, ?, 'account', ?)",
        [(i + 1, f"account:https://lms.example.edu|s{i:05d}", f"s{i:05d}") for i in range(students)],
    )
    verbs, activities, cat_rows = [], [], []
    for c, (share, type_iri, vs) in CATEGORIES.items():
        v_ids = []
        for v in vs:
            verbs.append((len(verbs) + 1, v))
            v_ids.append(len(verbs))
        a_ids = []
        for k in range(WEEKS * 3):
            activities.append((len(activities) + 1, f"https://x.example/{c}/{k}", type_iri))
            a_ids.append(len(activities))
        cat_rows.append((c, share, v_ids, a_ids))
    conn.executemany(
        "INSERT INTO enrolments(course, actor, source) VALUES (1, ?, 'roster')",
        [(i + 1,) for i in range(students)],
    )  # everyone is on the roster, active or not
    conn.executemany("INSERT INTO verbs(id, iri) VALUES (?, ?)", verbs)
    conn.executemany("INSERT INTO activities(id, iri, type_iri) VALUES (?, ?, ?)", activities)
    conn.execute("DROP INDEX statements_course_cover")
    conn.execute("DROP INDEX statements_actor")

    # sessions of ~8 statements: a student (some far busier than others), a day, an hour
    per_session = 8
    n_sessions = n // per_session
    weight = rng.lognormal(0, 0.8, students)
    who = rng.choice(students, size=n_sessions, p=weight / weight.sum()) + 1
    day = rng.integers(0, 7 * WEEKS, n_sessions)
    start_ms = (
        int(START.timestamp() * 1000)
        + day * 86_400_000
        + rng.integers(8 * 3600, 23 * 3600, n_sessions) * 1000
    )
    actor = np.repeat(who, per_session)[:n]
    step = rng.exponential(180_000, n).astype(np.int64)
    step[::per_session] = 0
    offset = np.cumsum(step) - np.repeat(np.cumsum(step)[::per_session], per_session)[:n]
    ts = np.repeat(start_ms, per_session)[:n] + offset
    shares = np.array([r[1] for r in cat_rows])
    cat = rng.choice(len(cat_rows), size=n, p=shares / shares.sum())
    verb = np.empty(n, dtype=np.int64)
    obj = np.empty(n, dtype=np.int64)
    for i, (_, _, v_ids, a_ids) in enumerate(cat_rows):
        m = cat == i
        verb[m] = rng.choice(v_ids, size=m.sum())
        obj[m] = rng.choice(a_ids, size=m.sum())
    with_time = rng.random(n) < 0.5
    duration = np.where(with_time, rng.gamma(2.0, 150.0, n), np.nan)
    scored = np.isin(verb, [v for v, iri in verbs if iri.endswith(("/passed", "/failed"))])
    score = np.where(scored, rng.beta(5, 2, n), np.nan)
    submit = cat == [r[0] for r in cat_rows].index("assignment")
    late = np.where(submit, (rng.random(n) < 0.15).astype(float), np.nan)
    voided = (rng.random(n) < 0.001).astype(np.int64)
    h = hashlib.sha256(b"bench").digest()[:16]

    def opt(a: np.ndarray) -> list:
        return [None if x != x else x for x in a.tolist()]

    ids = [f"{i:08x}-0000-4000-8000-{i:012x}" for i in range(n)]
    conn.executemany(
        "INSERT INTO statements(id, hash, actor, verb, object, course, ts, duration, score_scaled, late, voided, "
        "import_id) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, 1)",
        zip(
            ids,
            [h] * n,
            actor.tolist(),
            verb.tolist(),
            obj.tolist(),
            ts.tolist(),
            opt(duration),
            opt(score),
            opt(late),
            voided.tolist(),
            strict=True,
        ),
    )
    conn.execute("CREATE INDEX statements_course_cover ON statements(course, ts, voided, is_voiding, actor)")
    conn.execute("CREATE INDEX statements_actor ON statements(actor, ts)")
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def floor(conn, as_of: datetime) -> int:
    """The same as-of rows' (actor, ts) into numpy, then statements per student (pandas)."""
    import pandas as pd

    rows = conn.execute(
        "SELECT actor, ts FROM v_events WHERE course = 1 AND ts < ?", (int(as_of.timestamp() * 1000),)
    ).fetchall()
    frame = pd.DataFrame(np.array(rows, dtype=np.int64), columns=["actor", "ts"])
    return len(frame.groupby("actor").size())


def timed(fn, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--statements", type=int, default=1_000_000)
    ap.add_argument("--students", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--keep", type=Path, help="database file to keep and reuse")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "bench.db"
        if not path.exists():
            t = time.perf_counter()
            build(path, args.statements, args.students)
            print(
                f"built {args.statements:,} statements of {args.students:,} students "
                f"in {time.perf_counter() - t:.1f} s"
            )
        conn = open_db(path)
        as_of = START + timedelta(days=7 * WEEKS)
        feats = compute_features(conn, 1, as_of)  # warm the page cache for both contenders
        assert int(feats["total_events"].sum()) == conn.execute("SELECT count(*) FROM v_events").fetchone()[0]
        f_min, f_med = timed(lambda: compute_features(conn, 1, as_of), args.repeat)
        b_min, b_med = timed(lambda: floor(conn, as_of), args.repeat)
        w_min, _ = timed(lambda: weekly_series(conn, 1, as_of), max(1, args.repeat // 2))
        conn.close()
    print(
        f"compute_features: {len(feats):,} students x {feats.shape[1]} columns from "
        f"{int(feats['total_events'].sum()):,} statements"
    )
    print(f"  compute_features  min {f_min:.2f} s  median {f_med:.2f} s")
    print(f"  floor (fetch actor,ts + groupby count)  min {b_min:.2f} s  median {b_med:.2f} s")
    print(f"  ratio to the floor  {f_min / b_min:.2f}x (min)  {f_med / b_med:.2f}x (median)")
    print(f"  weekly_series  min {w_min:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
