"""``learnalytics demo --out DIR [--students N] [--seed S] [--db FILE] [--json]``.

Writes the demo course's xAPI files, rosters and gradebook into DIR so a user can try an
import by hand (DIR must be empty, or hold an earlier demo). With ``--db`` it also builds
the demo database there (as the app does on first ``--demo``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from learnalytics_desktop.cli import UserError

_MARK = "Learnalytics demo course"


def _check_folder(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UserError(f"{out} is a file, not a folder")
    if out.exists() and any(out.iterdir()):
        readme = out / "README.txt"
        if not (readme.is_file() and readme.read_text(encoding="utf-8", errors="replace").startswith(_MARK)):
            raise UserError(f"{out} is not empty; choose an empty or new folder for the demo files")
    if not out.parent.exists():
        raise UserError(f"the folder {out.parent} does not exist")


def cmd_demo(args: argparse.Namespace) -> int:
    """``learnalytics demo``."""
    from learnalytics_desktop.core.demo import build_demo_database, generate
    from learnalytics_desktop.core.jobs import ConsoleReporter

    out = Path(args.out)
    _check_folder(out)
    if args.students < 1 or args.students > 100_000:
        raise UserError(f"--students must be between 1 and 100000, got {args.students}")
    if args.db and Path(args.db).exists():
        raise UserError(f"{args.db} already exists; the demo database is only written to a new file")
    files = generate(out, students=args.students, seed=args.seed, report=ConsoleReporter())
    result: dict[str, Any] = {
        "out": str(out),
        "xapi_files": [str(p) for p in files.xapi_files],
        "rosters": [str(p) for p in files.rosters.values()],
        "gradebooks": [str(p) for p in files.gradebooks.values()],
        "counts": files.counts,
    }
    if args.db:
        db = Path(args.db)
        build_demo_database(db, students=args.students, seed=args.seed, report=ConsoleReporter())
        result["db"] = str(db)
    if args.json:
        print(json.dumps(result))
    else:
        c = files.counts
        print(
            f"Wrote the demo course to {out}: {len(files.xapi_files)} xAPI files "
            f"({c.get('statements_generated', 0)} statements, plus {c.get('invalid', 0)} invalid, "
            f"{c.get('duplicates', 0)} duplicated and {c.get('voided', 0)} voided on purpose), "
            f"{len(files.rosters)} rosters, {len(files.gradebooks)} gradebook. See {out / 'README.txt'}."
        )
        if args.db:
            print(f"Built the demo database {args.db}.")
    return 0


def register(sub: Any) -> None:
    """Add ``demo``."""
    p = sub.add_parser("demo", help="write the demo course's xAPI files, rosters and gradebook to a folder")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write (empty or new)")
    p.add_argument("--students", type=int, default=300, help="students per offering (default 300)")
    p.add_argument("--seed", type=int, default=7, help="random seed (same seed, same files)")
    p.add_argument("--db", metavar="FILE", help="also build the demo database in this new file")
    p.add_argument("--json", action="store_true", help="print what was written as one JSON object")
    p.set_defaults(func=cmd_demo)
