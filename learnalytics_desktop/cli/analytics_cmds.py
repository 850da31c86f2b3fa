"""Analytics commands: ``courses``, ``outcomes``, ``roster``, ``features`` (a stable contract).

``learnalytics courses --db DB [--json]`` lists the offerings (id, IRI, name, start date,
weeks, students, statements); with ``--course C --start DATE --weeks N`` it first sets an
offering's calendar.

``learnalytics outcomes --db DB --course COURSE CSV [--id-column C] [--email-column C]
[--grade-column C] [--result-column C] [--passed-column C] [--withdrew-column C]
[--attribute-column C ...] [--key-file F] [--json]`` imports a gradebook and prints the match
report; ``roster`` does the same for a class list. Exit 0 when the import ran (unmatched
rows are reported, not failures), 2 with one clear line when it could not.

``learnalytics features --db DB --course COURSE (--week K | --as-of DATE) --out FILE.csv``
writes one row per student: ``student`` (the label the data has), the features, the
engagement score and the percentile columns. ``--as-of 2026-10-26`` means strictly before
2026-10-26 00:00 UTC (a date-time with an offset is taken as given).

The at-risk model's ``train`` and ``score`` live in ``model_cmds`` and are registered from here.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from learnalytics_desktop.cli import UserError


def _open(path: str) -> Any:
    from learnalytics_desktop.core.store import open_db

    p = Path(path)
    if not p.exists():
        raise UserError(f"there is no database at {p}")
    return open_db(p, create=False)


def _user_errors() -> tuple[type[BaseException], ...]:
    from learnalytics_desktop.core.courses import CourseError
    from learnalytics_desktop.core.export import ExportError
    from learnalytics_desktop.core.features.engagement import WeightsError
    from learnalytics_desktop.core.ingest.pseudonym import KeyFileError
    from learnalytics_desktop.core.outcomes import OutcomesError

    return CourseError, OutcomesError, WeightsError, KeyFileError, ExportError


def _run(fn: Any, args: argparse.Namespace) -> int:
    try:
        return int(fn(args))
    except _user_errors() as exc:
        raise UserError(str(exc)) from exc


def _course(conn: Any, text: str) -> Any:
    from learnalytics_desktop.core.courses import find_course

    return find_course(conn, text)


# --- courses -----------------------------------------------------------------------------------


def cmd_courses(args: argparse.Namespace) -> int:
    """``learnalytics courses``."""
    from learnalytics_desktop.core.courses import list_courses, set_course_dates, user_dates

    conn = _open(args.db)
    try:
        if args.start is not None or args.weeks is not None:
            if not args.course:
                raise UserError("--start and --weeks need --course to say which offering")
            course = _course(conn, args.course)
            kept_start, kept_weeks = user_dates(conn, course.id)  # None = from the data
            start = kept_start if args.start is None else (None if args.start == "data" else args.start)
            weeks = kept_weeks if args.weeks is None else (None if args.weeks == "data" else _int(args.weeks))
            set_course_dates(conn, course.id, start, weeks)
        courses = list_courses(conn)
    finally:
        conn.close()
    if args.json:
        print(json.dumps([c.to_dict() for c in courses]))
        return 0
    if not courses:
        print("No course offerings yet: import xAPI statements first.")
        return 0
    for c in courses:
        start = f"{c.start} ({c.start_source})" if c.start else "unknown"
        weeks = f"{c.weeks} ({c.weeks_source})" if c.weeks else "unknown"
        print(
            f"{c.id}: {c.label}\n    {c.iri}\n    start {start}, weeks {weeks}, "
            f"{c.students} students, {c.statements} statements"
        )
        for w in c.warnings:
            print(f"    warning: {w}")
    return 0


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise UserError(f"--weeks must be a whole number or 'data', got {text!r}") from None


def register_courses(sub: Any) -> None:
    """Add ``courses``."""
    p = sub.add_parser("courses", help="list course offerings (and set an offering's start date and weeks)")
    p.add_argument("--db", required=True, help="database file")
    p.add_argument("--course", help="the offering to change (id, IRI or part of its name)")
    p.add_argument(
        "--start", metavar="DATE", help="set its start date (YYYY-MM-DD), or 'data' to find it from the data"
    )
    p.add_argument("--weeks", metavar="N", help="set its length in weeks, or 'data'")
    p.add_argument("--json", action="store_true", help="print the offerings as a JSON list")
    p.set_defaults(func=lambda a: _run(cmd_courses, a))


# --- outcomes and roster ----------------------------------------------------------------------


def _print_report(report: Any, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.to_dict()))
    else:
        print(report.summary())


def _import_file(kind: str, args: argparse.Namespace) -> int:
    """``outcomes`` / ``roster``: ``core.outcomes.files.import_file``, the import dialog's use
    case (a column option not given is recognised by its header)."""
    from learnalytics_desktop.core.outcomes.files import ROLES, import_file

    conn = _open(args.db)
    try:
        course = _course(conn, args.course)
        mapping = {role: getattr(args, f"{role}_column", None) for role, _ in ROLES[kind]}
        report = import_file(
            conn,
            kind,
            course.id,
            args.csv,
            mapping,
            args.attribute_column or (),
            key_file=args.key_file or None,
            home_pages=args.home_page or (),
        )
    finally:
        conn.close()
    _print_report(report, args.json)
    return 0


def cmd_outcomes(args: argparse.Namespace) -> int:
    """``learnalytics outcomes``."""
    return _import_file("outcomes", args)


def cmd_roster(args: argparse.Namespace) -> int:
    """``learnalytics roster``."""
    return _import_file("roster", args)


def _matching_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", required=True, help="database file")
    p.add_argument("--course", required=True, help="the offering (id, IRI or part of its name)")
    p.add_argument("csv", metavar="CSV", help="the CSV file (encoding and delimiter are detected)")
    p.add_argument("--id-column", metavar="C", help="column with the student id (account name)")
    p.add_argument("--email-column", metavar="C", help="column with the e-mail address")
    p.add_argument(
        "--attribute-column",
        metavar="C",
        action="append",
        help="a demographic/other column to keep for fairness reports (never a feature); repeatable",
    )
    p.add_argument("--key-file", metavar="F", help="pseudonymisation key, to match a pseudonymised database")
    p.add_argument(
        "--home-page",
        metavar="URL",
        action="append",
        help="account home page of the ids (needed only for pseudonymised databases); repeatable",
    )
    p.add_argument("--json", action="store_true", help="print the match report as one JSON object")


def register_outcomes(sub: Any) -> None:
    """Add ``outcomes``."""
    p = sub.add_parser(
        "outcomes", help="import final grades/results from a gradebook CSV and report the matching"
    )
    _matching_args(p)
    p.add_argument("--grade-column", metavar="C", help="column with the final grade (0-100)")
    p.add_argument("--result-column", metavar="C", help="column with Pass / Fail / Withdrawn / Distinction")
    p.add_argument("--passed-column", metavar="C", help="column with a passed flag (yes/no, 1/0)")
    p.add_argument("--withdrew-column", metavar="C", help="column with a withdrew flag (yes/no, 1/0)")
    p.set_defaults(func=lambda a: _run(cmd_outcomes, a))


def register_roster(sub: Any) -> None:
    """Add ``roster``."""
    p = sub.add_parser(
        "roster", help="import an offering's class list (students without statements included)"
    )
    _matching_args(p)
    p.add_argument(
        "--status-column",
        metavar="C",
        help="column with the enrolment status (active / withdrawn ...); '' = none",
    )
    p.add_argument(
        "--registered-column",
        metavar="C",
        help="column with the registration date (YYYY-MM-DD or days from the start); '' = none",
    )
    p.add_argument(
        "--withdrawn-column",
        metavar="C",
        help="column with the withdrawal date (YYYY-MM-DD or days from the start); '' = none",
    )
    p.set_defaults(func=lambda a: _run(cmd_roster, a))


# --- features ----------------------------------------------------------------------------------


def parse_as_of(text: str) -> datetime:
    """``YYYY-MM-DD`` (00:00 UTC) or an ISO date-time (naive = UTC)."""
    t = text.strip()
    try:
        if len(t) == 10:
            d = date.fromisoformat(t)
            return datetime(d.year, d.month, d.day, tzinfo=UTC)
        dt = datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        raise UserError(f"--as-of must be a date (2026-10-26) or a date-time, got {text!r}") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def cmd_features(args: argparse.Namespace) -> int:
    """``learnalytics features``."""
    from learnalytics_desktop.core.export import record_export, write_csv_atomic
    from learnalytics_desktop.core.features import compute_features, load_weights
    from learnalytics_desktop.core.features.table import feature_table
    from learnalytics_desktop.core.learners import actor_labels

    conn = _open(args.db)
    try:
        course = _course(conn, args.course)
        as_of = course.as_of_week(args.week) if args.week is not None else parse_as_of(args.as_of)
        feats = compute_features(conn, course.id, as_of)
        labels = actor_labels(conn, [int(a) for a in feats.index])
        names = [labels.get(int(a), str(a)) for a in feats.index]
        n = write_csv_atomic(args.out, feature_table(feats, names, load_weights(conn)))
        record_export(conn, "features", args.out, n, course=course.iri, as_of=as_of.isoformat())
    finally:
        conn.close()
    summary = {"course": course.iri, "as_of": as_of.isoformat(), "students": n, "out": str(args.out)}
    text = f"Wrote features of {n} students as of {as_of.isoformat()} to {args.out}"
    print(json.dumps(summary) if args.json else text)
    return 0


def _positive_week(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of weeks, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"the week cannot be negative, got {value}")
    return value


def register_features(sub: Any) -> None:
    """Add ``features``."""
    p = sub.add_parser("features", help="write every student's features as of week K or a date (CSV)")
    p.add_argument("--db", required=True, help="database file")
    p.add_argument("--course", required=True, help="the offering (id, IRI or part of its name)")
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--week", type=_positive_week, metavar="K", help="as of the end of week K")
    when.add_argument("--as-of", metavar="DATE", help="as of a date (00:00 UTC) or date-time")
    p.add_argument("--out", required=True, metavar="FILE.csv", help="CSV file to write")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=lambda a: _run(cmd_features, a))


def register(sub: Any) -> None:
    """Add ``courses``, ``outcomes``, ``roster``, ``features`` (and the model's ``train``/``score``)."""
    register_courses(sub)
    register_outcomes(sub)
    register_roster(sub)
    register_features(sub)
    try:
        from learnalytics_desktop.cli import model_cmds
    except ModuleNotFoundError as exc:
        if exc.name != "learnalytics_desktop.cli.model_cmds":
            raise
        return
    model_cmds.register(sub)
