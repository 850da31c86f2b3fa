"""``learnalytics lake``: the import checks and the features on Apache Spark (optional extra).

``learnalytics lake validate --source PATH... [--rejects DIR] [--json]`` checks every record
with the desktop's validator in Spark's executors; exit 0 when all are valid, 1 when some are
not (as ``learnalytics validate``), 2 when it could not run.

``learnalytics lake import-stats --source PATH... [--rejects DIR] [--json]`` reports what an
import would do: ``read = stored + duplicates + conflicts + rejected + skipped`` and
``voided``, the same counts the desktop import reports for the same files (``--json``: the
desktop's ``ImportReport.to_dict``, the integer counts first). Exit 0.

Sources are what the desktop import reads: xAPI (JSON, JSON Lines, LRS pages, gzip, zip),
IMS Caliper and Open edX tracking logs, each file's format found from its content
(``--format`` forces one; ``--home-page URL`` is the site learner accounts belong to).

``learnalytics lake features --source PATH... (--course IRI | --all-courses) [--start DATE]
--week K --out FILE.csv|FILE.parquet`` writes the as-of feature table with the columns and
values of ``learnalytics features`` (``--all-courses``: one file, a ``course`` column first).
Without ``--start`` an offering starts where its data says (the desktop's rule without a
user date). The output is written on the machine that runs the command.

Every command takes ``--master URL`` (default ``local[*]``, or what ``spark-submit`` set),
``--conf KEY=VALUE`` (repeatable, passed to Spark) and ``--course-fallback IRI`` (the course of
statements whose context names none). ``--rejects DIR`` writes the rejects (source, location,
statement id, rule, reason; no excerpt) as CSV part files into DIR, on any path Spark writes.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from learnalytics_desktop.cli import UserError
from learnalytics_desktop.cli.analytics_cmds import _positive_week
from learnalytics_desktop.cli.ingest_cmds import _add_format

SHOWN_REJECTS = 20


def _session(args: argparse.Namespace) -> Any:
    from learnalytics_desktop.lake.session import parse_conf, spark_session

    return spark_session(args.master, parse_conf(args.conf))


def _records(args: argparse.Namespace) -> tuple[Any, list[str]]:
    from learnalytics_desktop.cli.ingest_cmds import format_options
    from learnalytics_desktop.lake.ingest import check_formats, load_records

    records, files = load_records(
        _session(args),
        args.source,
        course_fallback=args.course_fallback,
        source_format=args.format,
        format_options=format_options(args),
    )
    records = records.cache()
    check_formats(records)
    return records, files


def _guarded(fn: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        from learnalytics_desktop.lake import LakeError

        try:
            return int(fn(args))
        except LakeError as exc:
            raise UserError(str(exc)) from exc

    return run


def cmd_validate(args: argparse.Namespace) -> int:
    """``learnalytics lake validate``."""
    records, files = _records(args)  # starts Spark first: a clear message when it is missing
    from pyspark.sql import functions as F

    from learnalytics_desktop.lake.ingest import write_rejects

    records = records.withColumn(
        "outcome",
        F.when(F.col("rule").isNotNull(), "rejected")
        .when(F.col("skip").isNotNull(), "skipped")
        .otherwise("valid"),
    )
    counts = {r["outcome"]: int(r["count"]) for r in records.groupBy("outcome").count().collect()}
    rules = {
        r["rule"]: int(r["count"])
        for r in records.where(F.col("rule").isNotNull()).groupBy("rule").count().collect()
    }
    valid, invalid, skipped = counts.get("valid", 0), counts.get("rejected", 0), counts.get("skipped", 0)
    first = records.where(F.col("rule").isNotNull()).orderBy("file", "rec").limit(SHOWN_REJECTS).collect()
    if args.rejects:
        write_rejects(records, files, args.rejects)
    summary = {
        "read": valid + invalid + skipped,
        "valid": valid,
        "invalid": invalid,
        "skipped": skipped,
        "rejects_by_rule": dict(sorted(rules.items())),
    }
    if args.json:
        summary["files"] = files
        print(json.dumps(summary))
    else:
        for r in first:
            print(f"{files[r['file']]}: {r['location']}: INVALID [{r['rule']}] {r['reason']}")
        if invalid > len(first):
            print(f"... and {invalid - len(first):,} more (--rejects DIR writes them all)")
        print(
            f"{valid + invalid + skipped:,} records in {len(files)} file(s): {valid:,} valid, "
            f"{invalid:,} invalid" + (f", {skipped:,} skipped (not learner activity)" if skipped else "")
        )
    return 1 if invalid else 0


def cmd_import_stats(args: argparse.Namespace) -> int:
    """``learnalytics lake import-stats``."""
    from learnalytics_desktop.lake.ingest import classify, outcomes, write_rejects

    records, files = _records(args)
    classified = classify(records).cache()
    result = outcomes(classified, files)
    if args.rejects:
        write_rejects(classified, files, args.rejects)
    if args.json:
        print(json.dumps(result.to_dict(), default=str))
    else:
        print(
            f"{result.read:,} records read: {result.stored:,} stored, {result.duplicates:,} duplicates, "
            f"{result.conflicts:,} conflicts, {result.rejected:,} rejected, {result.skipped:,} skipped; "
            f"{result.voided:,} voided"
        )
        for rule, n in sorted(result.rejects_by_rule.items()):
            print(f"  {rule}: {n:,}")
    return 0


def _out_path(text: str) -> Path:
    out = Path(text)
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise UserError(f"--out must end in .csv or .parquet, got {text!r}")
    if not out.parent.exists():
        raise UserError(f"the folder {out.parent} does not exist")
    return out


def write_table(table: Any, out: Path) -> int:
    """Write a feature table to CSV (as ``learnalytics features``) or Parquet, atomically."""
    if out.suffix.lower() == ".csv":
        from learnalytics_desktop.core.export import write_csv_atomic

        return write_csv_atomic(out, table)
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=out.name + ".", suffix=".part", dir=out.parent)
    os.close(fd)
    try:
        table.to_parquet(tmp, index=False)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(table)


def _write_sidecar(args: argparse.Namespace, out: Path, chosen: list[Any], tables: dict[str, Any]) -> None:
    """``OUT.json``: what was computed, from what, by what (``train/score --features`` and the
    app read it; the model card records it)."""
    import os
    from datetime import UTC, datetime

    import pyspark

    from learnalytics_desktop.core.model.feature_file import sidecar_path

    meta = {
        "engine": f"spark {pyspark.__version__} (learnalytics lake)",
        "master": args.master or "local[*]",
        "sources": [str(s) for s in args.source],
        "week": args.week,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "courses": [
            {
                "course": o.iri,
                "start": o.start.isoformat(),
                "as_of": o.as_of.isoformat(),
                "students": len(tables[o.iri]["table"]),
            }
            for o in chosen
        ],
    }
    side = sidecar_path(out)
    tmp = side.with_name(side.name + ".part")
    tmp.write_text(json.dumps(meta, indent=2), encoding="utf-8")
    os.replace(tmp, side)


def cmd_features(args: argparse.Namespace) -> int:
    """``learnalytics lake features``."""
    import pandas as pd

    from learnalytics_desktop.lake.features import feature_tables, offerings
    from learnalytics_desktop.lake.ingest import classify

    out = _out_path(args.out)
    start = None
    if args.start:
        try:
            start = date.fromisoformat(args.start)
        except ValueError:
            raise UserError(f"--start must be a date like 2026-09-07, got {args.start!r}") from None
    records, _files = _records(args)
    classified = classify(records).cache()
    chosen = offerings(
        classified, course=args.course, start=start, week=args.week, all_courses=args.all_courses
    )
    tables = feature_tables(classified, chosen)
    if args.all_courses:
        parts = [t["table"].assign(course=iri)[["course", *t["table"].columns]] for iri, t in tables.items()]
        table = pd.concat(parts, ignore_index=True)
    else:
        table = tables[chosen[0].iri]["table"]
    n = write_table(table, out)
    _write_sidecar(args, out, chosen, tables)
    summary = {
        "courses": [
            {
                "course": o.iri,
                "start": o.start.isoformat(),
                "start_from": o.start_source,
                "as_of": o.as_of.isoformat(),
                "students": len(tables[o.iri]["table"]),
            }
            for o in chosen
        ],
        "rows": n,
        "out": str(out),
    }
    if args.json:
        print(json.dumps(summary))
    else:
        for c in summary["courses"]:
            print(
                f"{c['course']}: {c['students']} students as of {c['as_of']} (start {c['start']}, from {c['start_from']})"
            )
        print(f"Wrote {n} rows to {out}")
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--source", nargs="+", required=True, metavar="PATH", help="files or folders (any path Spark reads)"
    )
    p.add_argument(
        "--master", default=None, help="Spark master URL (default local[*], or what spark-submit set)"
    )
    p.add_argument(
        "--conf", action="append", default=[], metavar="KEY=VALUE", help="a Spark setting (repeatable)"
    )
    p.add_argument("--course-fallback", metavar="IRI", help="course of statements whose context names none")
    p.add_argument("--json", action="store_true", help="print JSON")
    _add_format(p)


def register(sub: Any) -> None:
    """Add ``lake`` with ``validate``, ``import-stats`` and ``features``."""
    lake = sub.add_parser("lake", help="the import checks and features on Apache Spark (extra: [spark])")
    cmds = lake.add_subparsers(dest="lake_command", metavar="LAKE_COMMAND")
    lake.set_defaults(func=lambda a: (lake.print_help(sys.stderr), 2)[1])
    p = cmds.add_parser("validate", help="check every record with the desktop's validator")
    _common(p)
    p.add_argument("--rejects", metavar="DIR", help="write every reject as CSV parts into DIR")
    p.set_defaults(func=_guarded(cmd_validate))
    p = cmds.add_parser("import-stats", help="what an import would store, deduplicate, reject and void")
    _common(p)
    p.add_argument("--rejects", metavar="DIR", help="write every reject as CSV parts into DIR")
    p.set_defaults(func=_guarded(cmd_import_stats))
    p = cmds.add_parser("features", help="the as-of feature table of one or every offering (CSV or Parquet)")
    _common(p)
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--course", metavar="IRI", help="the offering's course IRI")
    which.add_argument(
        "--all-courses", action="store_true", help="every offering, one file with a course column"
    )
    p.add_argument("--start", metavar="DATE", help="the offering's first day (default: what the data says)")
    p.add_argument("--week", type=_positive_week, required=True, metavar="K", help="as of the end of week K")
    p.add_argument("--out", required=True, metavar="FILE", help="a .csv or .parquet file")
    p.set_defaults(func=_guarded(cmd_features))
