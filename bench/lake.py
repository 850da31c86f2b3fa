"""The lake engine against the desktop on the same statements: when to switch to Spark.

    .venv/bin/python bench/lake.py                  # 1,000,000 statements (about half an hour on 2 cores)
    .venv/bin/python bench/lake.py --n 200000 --json

1. Generates ``n`` statements as weekly JSON Lines files (``bench/load_10m.generate``: a
   15-week term, offerings of skewed size, duplicates, voided statements, broken lines).
2. **Desktop**: ``import_paths`` into a new database (automatic worker processes, as the app),
   then ``compute_features`` of every offering as of week K: what the laptop does to have the
   feature tables.
3. **Lake**: ``learnalytics lake features --all-courses --week K`` on ``local[2]`` and on
   ``local[1]`` (``--masters``), each in its own process (a fresh JVM: the times include Spark's start-up,
   which a cluster job pays too), writing Parquet.
4. Prints the times, the ratio lake/desktop, and local[2] against local[1]: the speed-up one
   more executor core gives, which is what each added executor of a cluster gives while the
   files outnumber the cores (reading and validating is per file; the shuffles are small).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load_10m import generate  # noqa: E402


def desktop(folder: Path, db: Path, week: int) -> dict:
    """Import, then every offering's features as of ``week``: seconds of each."""
    from learnalytics_desktop.core.courses import list_courses
    from learnalytics_desktop.core.features import compute_features
    from learnalytics_desktop.core.ingest import import_paths
    from learnalytics_desktop.core.store import open_db

    t0 = time.perf_counter()
    report = import_paths(db, [folder])
    t1 = time.perf_counter()
    conn = open_db(db)
    students = 0
    try:
        for course in list_courses(conn):
            if course.start is not None:
                students += len(compute_features(conn, course.id, course.as_of_week(week)))
    finally:
        conn.close()
    t2 = time.perf_counter()
    return {
        "import_s": round(t1 - t0, 1),
        "features_s": round(t2 - t1, 1),
        "total_s": round(t2 - t0, 1),
        "read": report.read,
        "stored": report.stored,
        "students": students,
    }


def lake(folder: Path, out: Path, week: int, master: str) -> dict:
    """``lake features --all-courses`` in a fresh process: wall seconds and rows."""
    run = "import sys; from learnalytics_desktop.cli import main; sys.exit(main(sys.argv[1:]))"
    cmd = [sys.executable, "-c", run, "lake", "features", "--source", str(folder)]
    cmd += ["--all-courses", "--week", str(week), "--out", str(out), "--master", master, "--json"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"lake features failed ({done.returncode}): {done.stderr[-2000:]}")
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    return {"master": master, "total_s": round(wall, 1), "rows": summary["rows"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="statements to generate")
    parser.add_argument("--week", type=int, default=7, help="as of the end of week K")
    parser.add_argument("--masters", default="local[2],local[1]", help="Spark masters to time, in order")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lake-bench-") as tmp:
        folder = Path(tmp) / "data"
        folder.mkdir()
        generate(folder, args.n)
        xapi = folder / "xapi"
        files = sorted(xapi.glob("*"))
        desk = desktop(xapi, Path(tmp) / "bench.db", args.week)
        runs = [
            lake(xapi, Path(tmp) / f"features-{i}.parquet", args.week, m)
            for i, m in enumerate(args.masters.split(","))
        ]
    first = runs[0]
    result = {
        "statements": args.n,
        "files": len(files),
        "cores": os.cpu_count(),
        "load_average": round(os.getloadavg()[0], 1),
        "desktop": desk,
        "lake": runs,
        "lake_over_desktop": round(first["total_s"] / desk["total_s"], 2),
    }
    if len(runs) > 1:
        result["speedup_first_over_second"] = round(runs[1]["total_s"] / first["total_s"], 2)
    if args.json:
        print(json.dumps(result))
        return 0
    print(
        f"{args.n:,} statements in {len(files)} files, {os.cpu_count()} cores, load {result['load_average']}"
    )
    print(
        f"desktop: import {desk['import_s']} s + features {desk['features_s']} s = {desk['total_s']} s "
        f"({desk['students']:,} student rows)"
    )
    for r in runs:
        print(f"lake {r['master']}: {r['total_s']} s ({r['rows']:,} rows)")
    print(f"lake ({first['master']}) / desktop: {result['lake_over_desktop']}x the time")
    if len(runs) > 1:
        print(f"{runs[1]['master']} / {first['master']}: {result['speedup_first_over_second']}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
