"""Import commands: validate, import, rejects, keygen (a stable contract for scripts).

Exit codes (decisions):

* ``validate``: 0 when every record is a valid statement, 1 when at least one is not (like a
  linter: the check ran and found problems), 2 when it could not run (a missing file).
* ``import``: 0 when the import ran, whatever it rejected (rejects are data, not failure);
  2 with one line on stderr when it could not run (missing file, unusable database, bad key
  file); 130 when interrupted (the import can be resumed by running it again).
* ``rejects``, ``keygen``: 0 on success, 2 when they could not run.

``import --json`` prints one JSON object whose first keys are the integers ``read``,
``stored``, ``duplicates``, ``conflicts``, ``rejected``, ``voided``, ``skipped`` (read =
stored + duplicates + conflicts + rejected + skipped), followed by the details of
``ImportReport.to_dict`` (``skips_by_reason``, ``files`` with each file's ``format``,
``skipped_files``...).  ``validate --json`` prints one JSON object ``{"results": [{source,
location, statement_id, ok, rule, reason, skipped, format}, ...], "read": n, "valid": n,
"invalid": n, "skipped": n}``, written as it goes (skipped records are valid).

``--format`` (both commands) forces the source format of every file; without it each file's
format is found from its content (``core.ingest.detect``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sqlite3
import sys
from pathlib import Path

from learnalytics_desktop.cli import UserError


def _key(args: argparse.Namespace) -> bytes | None:
    from learnalytics_desktop.core.ingest.pseudonym import KeyFileError, load_key

    if args.key_file and not args.pseudonymize:
        raise UserError("--key-file is only used with --pseudonymize")
    if not args.pseudonymize:
        return None
    if not args.key_file:
        raise UserError(
            "--pseudonymize needs --key-file F (create the key with 'learnalytics keygen --key-file F')"
        )
    try:
        return load_key(args.key_file)
    except KeyFileError as exc:
        raise UserError(str(exc)) from exc


def _check_paths(paths: list[str]) -> None:
    for p in paths:
        if not Path(p).exists():
            raise UserError(f"{p} does not exist")


def cmd_import(args: argparse.Namespace) -> int:
    from learnalytics_desktop.core.ingest.importer import import_paths
    from learnalytics_desktop.core.ingest.sourcing import FormatError
    from learnalytics_desktop.core.jobs import ConsoleReporter

    key = _key(args)
    _check_paths(args.paths)
    db = Path(args.db)
    if db.is_dir():
        raise UserError(f"{db} is a folder; --db needs a database file")
    try:
        result = import_paths(
            db,
            args.paths,
            pseudonymize_key=key,
            course_fallback=args.course_fallback,
            report=ConsoleReporter(),
            workers=args.workers,
            source_format=args.format,
            format_options=format_options(args),
        )
    except FormatError as exc:
        raise UserError(str(exc)) from exc
    except sqlite3.Error as exc:
        raise UserError(
            f"the database {db} could not be written ({exc}); the import can be run again to continue"
        ) from exc
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False))
        return 0
    print(
        f"Read {result.read:,} records: {result.stored:,} stored, {result.duplicates:,} duplicates, "
        f"{result.conflicts:,} conflicts, {result.rejected:,} rejected"
        + (f", {result.skipped:,} skipped (not learner activity)" if result.skipped else "")
        + f"; {result.voided:,} voided."
    )
    for fr in result.files:
        if fr.format != "xapi" or any(f.format != "xapi" for f in result.files):
            print(f"  {fr.source}: read as {fr.format}")
    for rule, n in sorted(result.rejects_by_rule.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  rejected {n:,} x {rule}")
    for why, n in sorted(result.skips_by_reason.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  skipped {n:,} x {why}")
    for path, reason in result.skipped_files:
        print(f"  skipped {path}: {reason}")
    for fr in result.files:
        for note in fr.notes:
            print(f"  {fr.source}: {note}")
    for note in result.notes:
        print(f"  {note}")
    if result.resumed:
        print("  (continued an import that had been interrupted)")
    print(
        f"{result.elapsed:.1f} s, {result.statements_per_second:,.0f} statements/s. "
        f"See the rejects with: learnalytics rejects --db {args.db}"
    )
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from learnalytics_desktop.core.ingest.importer import validate_paths
    from learnalytics_desktop.core.ingest.sourcing import FormatError

    _check_paths(args.paths)
    out = sys.stdout
    counts = {"read": 0, "valid": 0, "invalid": 0, "skipped": 0}
    try:
        results = validate_paths(
            args.paths, workers=args.workers, source_format=args.format, format_options=format_options(args)
        )
        first = next(results, None)
    except FormatError as exc:
        raise UserError(str(exc)) from exc
    if args.json:
        out.write('{"results": [')
    for res in itertools.chain([first] if first is not None else [], results):
        counts["read"] += 1
        counts["valid" if res.ok else "invalid"] += 1
        counts["skipped"] += int(res.skipped)
        if args.json:
            out.write(("" if counts["read"] == 1 else ", ") + json.dumps(res._asdict(), ensure_ascii=False))
        elif not res.ok:
            out.write(f"{res.source}: {res.location}: INVALID [{res.rule}] {res.reason}\n")
        elif res.skipped:
            if not args.quiet:
                out.write(f"{res.source}: {res.location}: skipped: {res.reason}\n")
        elif not args.quiet:
            out.write(f"{res.source}: {res.location}: ok {res.statement_id}\n")
    if args.json:
        out.write("], " + json.dumps(counts)[1:] + "\n")
    else:
        out.write(
            f"{counts['read']:,} records: {counts['valid']:,} valid, {counts['invalid']:,} invalid"
            + (
                f" ({counts['skipped']:,} valid but skipped: not learner activity)"
                if counts["skipped"]
                else ""
            )
            + "\n"
        )
    return 1 if counts["invalid"] else 0


def cmd_rejects(args: argparse.Namespace) -> int:
    from learnalytics_desktop.core.ingest.quarantine import REJECT_COLUMNS, export_rejects, rejected_records
    from learnalytics_desktop.core.store import open_db

    db = Path(args.db)
    if not db.is_file():
        raise UserError(f"there is no database at {db}")
    conn = open_db(db, create=False)
    try:
        if args.csv:
            from learnalytics_desktop.core.export import ExportError

            try:
                n = export_rejects(conn, args.csv, args.import_id)
            except ExportError as exc:
                raise UserError(str(exc)) from exc
            print(f"Wrote {n:,} rejected records to {args.csv}")
            return 0
        rows = rejected_records(conn, args.import_id)
    finally:
        conn.close()
    if args.json:
        print(json.dumps([dict(zip(REJECT_COLUMNS, r, strict=True)) for r in rows], ensure_ascii=False))
        return 0
    for imp, source, loc, sid, rule, reason, _excerpt in rows:
        ident = f" (id {sid})" if sid else ""
        print(f"[{imp}] {source}: {loc}{ident}: [{rule}] {reason}")
    print(f"{len(rows):,} rejected records")
    return 0


def cmd_keygen(args: argparse.Namespace) -> int:
    from learnalytics_desktop.core.ingest.pseudonym import KeyFileError, create_key

    try:
        path = create_key(args.key_file)
    except KeyFileError as exc:
        raise UserError(str(exc)) from exc
    print(
        f"Wrote a new pseudonymisation key to {path} (readable by you only). Keep it safe and "
        "outside the database: without it, new imports cannot be matched to earlier pseudonyms."
    )
    return 0


def format_options(args: argparse.Namespace) -> dict[str, object]:
    """The reader options given on the command line (``core.ingest.formats``): ``--map
    ROLE=COLUMN`` (repeated) becomes ``columns``, ``--course-start`` a date or, given as
    ``COURSE=DATE`` (repeated), one date per course."""
    out: dict[str, object] = {
        k: v
        for k in ("home_page", "timezone", "course", "activities_file")
        if (v := getattr(args, k, None)) not in (None, "")
    }
    if out.get("activities_file"):
        out["activities_file"] = str(Path(str(out["activities_file"])).absolute())
    columns = {}
    for item in getattr(args, "map", None) or []:
        role, sep, column = item.partition("=")
        if not sep or not role.strip() or not column.strip():
            raise SystemExit(f"--map takes ROLE=COLUMN (e.g. --map student=user_id), not {item!r}")
        columns[role.strip()] = column.strip()
    if columns:
        out["columns"] = columns
    starts = getattr(args, "course_start", None) or []
    per_course = dict(s.rsplit("=", 1) for s in starts if "=" in s)
    plain = [s for s in starts if "=" not in s]
    if per_course:
        out["course_start"] = per_course
    elif plain:
        out["course_start"] = plain[-1]
    return out


def _add_format(p: argparse.ArgumentParser) -> None:
    from learnalytics_desktop.core.ingest.formats import FORMAT_NAMES

    p.add_argument(
        "--format",
        choices=FORMAT_NAMES,
        default=None,
        help="read every file as this format (default: found from each file's content)",
    )
    p.add_argument(
        "--home-page",
        metavar="URL",
        help="the site URL learner accounts belong to (Open edX, Moodle), e.g. https://lms.example.edu",
    )
    p.add_argument(
        "--map",
        action="append",
        metavar="ROLE=COLUMN",
        help="event tables: which column holds each role (student, time, course, activity, kind, "
        "verb, score, max_score, duration, count); repeat it, e.g. --map student=user --map time=ts",
    )
    p.add_argument("--timezone", metavar="ZONE", help="event tables: time zone of times without an offset")
    p.add_argument(
        "--course-start",
        action="append",
        metavar="[COURSE=]DATE",
        help="event tables / OULAD: the course start that day-offset times count from (repeat per course)",
    )
    p.add_argument(
        "--course-name",
        dest="course",
        metavar="NAME",
        help="event tables: the course when no column names it",
    )
    p.add_argument(
        "--activities",
        dest="activities_file",
        metavar="FILE",
        help="event tables / OULAD: a table of activity ids and their kinds (OULAD's vle.csv)",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the validate, import, rejects and keygen commands."""
    p = subparsers.add_parser(
        "validate",
        help="check xAPI, Caliper or Open edX files without storing anything",
        description="Check every record in files and folders: xAPI statements against xAPI "
        "1.0.3 / 2.0, other sources against their spec and as the statements made from them. "
        "Exit 0 if all are valid (skipped records are valid), 1 if any is not.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (.json, .jsonl, .gz, .zip)")
    p.add_argument("--json", action="store_true", help="one JSON object with a result per record")
    p.add_argument("--quiet", action="store_true", help="list only the invalid records")
    _add_format(p)
    p.add_argument("--workers", type=int, default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_validate)

    p = subparsers.add_parser(
        "import",
        help="import xAPI, Caliper or Open edX files into a database",
        description="Import statements (JSON, JSON Lines, LRS pages, .gz, .zip, "
        "folders), IMS Caliper 1.2 events and Open edX tracking logs; each file's format is "
        "found from its content unless --format says. Rejected records are kept for review "
        "(see 'rejects').",
    )
    p.add_argument("--db", required=True, help="database file (created if missing)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument(
        "--pseudonymize",
        action="store_true",
        help="store keyed pseudonyms instead of learner identifiers (needs --key-file)",
    )
    p.add_argument("--key-file", help="the pseudonymisation key (see 'keygen')")
    p.add_argument("--course-fallback", metavar="IRI", help="course for statements whose context names none")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    _add_format(p)
    p.add_argument(
        "--workers", type=int, default=None, help="worker processes for parsing (default: automatic; 0: none)"
    )
    p.set_defaults(func=cmd_import)

    p = subparsers.add_parser("rejects", help="list rejected records (the quarantine)")
    p.add_argument("--db", required=True)
    p.add_argument("--csv", metavar="OUT", help="write them to a spreadsheet-safe CSV file")
    p.add_argument("--json", action="store_true")
    p.add_argument("--import-id", type=int, default=None, help="only this import")
    p.set_defaults(func=cmd_rejects)

    p = subparsers.add_parser("keygen", help="create a pseudonymisation key file")
    p.add_argument("--key-file", required=True)
    p.set_defaults(func=cmd_keygen)
