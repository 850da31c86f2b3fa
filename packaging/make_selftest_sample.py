"""Write the small dataset the ``--self-test`` imports: ``learnalytics_desktop/assets/selftest/``.

Run once (the output is committed), and again only when the demo generator's file formats
change: ``.venv/bin/python packaging/make_selftest_sample.py``.

The data is the demo course (:func:`learnalytics_desktop.core.demo.generate`) at a small size:
two offerings of 60 students, the finished one with a gradebook. The xAPI files are
gzip-compressed (the importer reads ``.json.gz``/``.jsonl.gz`` as such; the demo's zip archive
is kept as it is), which keeps the folder well under 1 MB while still exercising every
reader. ``manifest.json`` records each file's SHA-256, the offerings (dates, roster and
gradebook columns) and what an import must report, taken from the generator's own counts
(the truth behind the data, not from a run of the importer).

The output is byte-for-byte reproducible: same seed and size, fixed gzip header times.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

OUT = ROOT / "learnalytics_desktop" / "assets" / "selftest"
STUDENTS = 60  # per offering: >= 10 students in each outcome class, so a model can be trained
SEED = 7
TRAIN_WEEK = 6
MAX_BYTES = 1_000_000


def _gzip(src: Path, dst: Path) -> None:
    # GzipFile with mtime=0: the archive does not depend on when it was written
    with src.open("rb") as raw, dst.open("wb") as out, gzip.GzipFile(src.name, "wb", 9, out, mtime=0) as gz:
        shutil.copyfileobj(raw, gz)


def _data_rows(csv_path: Path) -> int:
    lines = csv_path.read_text(encoding="utf-8-sig").splitlines()[1:]  # rosters are UTF-8; skip the header
    return sum(1 for line in lines if line.strip())


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_sample(out: Path = OUT, students: int = STUDENTS, seed: int = SEED) -> dict:
    """Generate the sample into ``out`` (replacing what is there) and return the manifest."""
    from learnalytics_desktop.core.demo import ROSTER_ATTRIBUTES, generate

    with tempfile.TemporaryDirectory(prefix="learnalytics-sample-") as tmp:
        files = generate(tmp, students=students, seed=seed)
        if out.exists():
            shutil.rmtree(out)
        (out / "xapi").mkdir(parents=True)
        xapi = []
        for src in files.xapi_files:
            if src.suffix in (".json", ".jsonl"):
                dst = out / "xapi" / (src.name + ".gz")
                _gzip(src, dst)
            else:
                dst = out / "xapi" / src.name
                shutil.copyfile(src, dst)
            xapi.append(dst.relative_to(out).as_posix())
        offerings = []
        for off in files.offerings:
            roster = out / files.rosters[off.iri].name
            shutil.copyfile(files.rosters[off.iri], roster)
            gradebook = None
            if off.iri in files.gradebooks:
                gradebook = out / files.gradebooks[off.iri].name
                shutil.copyfile(files.gradebooks[off.iri], gradebook)
            offerings.append(
                {
                    "key": off.key,
                    "iri": off.iri,
                    "name": off.name,
                    "start": off.start.isoformat(),
                    "weeks": off.weeks,
                    "today": off.today.isoformat() if off.today else None,
                    "roster_rows": _data_rows(roster),
                    "roster": roster.name,
                    "gradebook": gradebook.name if gradebook else None,
                }
            )
        shutil.copyfile(Path(tmp) / "README.txt", out / "README.txt")
    c = files.counts
    read = c["records_past"] + c["records_current"]
    manifest = {
        "about": "The --self-test's sample: the demo course (core.demo.generate), small. "
        "Written by packaging/make_selftest_sample.py; do not edit by hand.",
        "generator": {"students": students, "seed": seed},
        "xapi": sorted(xapi),
        "expected_import": {
            "read": read,
            "rejected": c["invalid"],
            "duplicates": c["duplicates"],
            "voided": c["voided"],
            "stored": read - c["invalid"] - c["duplicates"],
        },
        "roster_columns": {
            "id_column": "Student ID",
            "email_column": "Email",
            "attribute_columns": list(ROSTER_ATTRIBUTES),
        },
        "gradebook_columns": {
            "id_column": "Student ID",
            "email_column": "Email",
            "grade_column": "Final grade",
            "result_column": "Result",
        },
        "offerings": offerings,
        "train_week": TRAIN_WEEK,
    }
    manifest["files"] = {
        p.relative_to(out).as_posix(): _sha256(p) for p in sorted(out.rglob("*")) if p.is_file()
    }
    (out / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    if total > MAX_BYTES:
        raise SystemExit(
            f"the sample is {total:,} bytes, more than the {MAX_BYTES:,} allowed; lower --students"
        )
    return manifest


def main(argv: list[str] | None = None) -> int:
    """Command line: ``make_selftest_sample.py [--students N] [--seed S] [--out DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--students", type=int, default=STUDENTS, help="students per offering (default %(default)s)"
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    manifest = make_sample(args.out, args.students, args.seed)
    total = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    files = len(manifest["files"]) + 1
    print(f"{args.out}: {files} files, {total:,} bytes; expected import {manifest['expected_import']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
