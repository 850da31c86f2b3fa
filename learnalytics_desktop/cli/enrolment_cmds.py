"""``learnalytics assessments`` (an offering's assessment calendar) and ``learnalytics
enrolment`` (who is active, not started or withdrawn as of a date; the joining/leaving verbs)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from learnalytics_desktop.cli import UserError
from learnalytics_desktop.cli.analytics_cmds import _course, _open, _positive_week, _run, parse_as_of


def _where(items: list[str] | None) -> dict[str, str] | None:
    out = {}
    for item in items or ():
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UserError(f"--where takes COLUMN=VALUE, got {item!r}")
        out[name.strip()] = value.strip()
    return out or None


def cmd_assessments(args: argparse.Namespace) -> int:
    """Import (with a CSV) or list an offering's assessment calendar."""
    from learnalytics_desktop.core.outcomes.assessments import import_assessments, list_assessments

    conn = _open(args.db)
    try:
        course = _course(conn, args.course)
        report = None
        if args.csv:
            report = import_assessments(
                conn,
                course.id,
                args.csv,
                id_column=args.id_column,
                title_column=args.title_column,
                kind_column=args.kind_column,
                due_column=args.due_column,
                weight_column=args.weight_column,
                max_score_column=args.max_score_column,
                iri_template=args.iri_template,
                preset=args.preset,
                where=_where(args.where),
            )
        items = list_assessments(conn, course.id)
    finally:
        conn.close()
    if args.json:
        print(
            json.dumps({"import": report.to_dict() if report else None, "assessments": items}, sort_keys=True)
        )
        return 0
    if report is not None:
        print(report.summary())
    for it in items:
        due = it["due"] or "no due date"
        weight = "" if it["weight"] is None else f", weight {it['weight']:g}"
        print(f"  {it['kind']:<10} {it['title']}: due {due}{weight}; {it['statements']} statements")
    if not items:
        print(f"{course.label} has no assessment calendar yet (give a CSV file to import one).")
    return 0


def cmd_enrolment(args: argparse.Namespace) -> int:
    """Print each student's enrolment status as of a week or date, or set the verbs."""
    from learnalytics_desktop.core.outcomes.status import (
        EnrolmentVerbsError,
        enrolment_status,
        load_enrolment_verbs,
        save_enrolment_verbs,
    )

    conn = _open(args.db)
    try:
        if args.join_verb is not None or args.leave_verb is not None:
            try:
                verbs = save_enrolment_verbs(conn, join=args.join_verb, leave=args.leave_verb)
            except EnrolmentVerbsError as exc:
                raise UserError(str(exc)) from exc
        else:
            verbs = load_enrolment_verbs(conn)
        if not args.course:
            print(json.dumps(verbs.to_dict(), indent=None if args.json else 2))
            return 0
        course = _course(conn, args.course)
        if args.week is None and args.as_of is None:
            raise UserError("give --week K or --as-of DATE with --course")
        when = course.as_of_week(args.week) if args.week is not None else parse_as_of(args.as_of)
        status = enrolment_status(conn, course.id, when)
        from learnalytics_desktop.core.learners import actor_labels

        labels = actor_labels(conn) if len(status) else {}
    finally:
        conn.close()
    counts = status["status"].value_counts().to_dict()
    if args.json:
        rows: list[dict[str, Any]] = [
            {
                "student": labels.get(a, str(a)),
                "status": r.status,
                "withdrawn_on": str(r.withdrawn_on or "") or None,
            }
            for a, r in status.iterrows()
        ]
        print(json.dumps({"as_of": when.isoformat(), "counts": counts, "students": rows}, sort_keys=True))
        return 0
    print(
        f"{course.label} as of {when.isoformat()}: "
        + ", ".join(f"{counts.get(k, 0)} {k}" for k in ("active", "not started", "withdrawn"))
    )
    for a, r in status.iterrows():
        if r.status != "active":
            print(f"  {labels.get(a, a)}: {r.label}" + (f" ({r.withdrawn_by})" if r.withdrawn_by else ""))
    return 0


def register(sub: Any) -> None:
    """Add ``assessments`` and ``enrolment``."""
    p = sub.add_parser("assessments", help="import or list an offering's assessment calendar (due dates)")
    p.add_argument("--db", required=True, help="database file")
    p.add_argument("--course", required=True, help="the offering (id, IRI or part of its name)")
    p.add_argument("csv", metavar="CSV", nargs="?", help="calendar CSV to import (omit to list the calendar)")
    p.add_argument(
        "--preset", choices=("oulad",), help="column names of a known export (OULAD assessments.csv)"
    )
    p.add_argument("--id-column", metavar="C", help="column with the assessment id or activity IRI")
    p.add_argument("--title-column", metavar="C", help="column with the title")
    p.add_argument("--kind-column", metavar="C", help="column with the kind (assignment/TMA, quiz/CMA, exam)")
    p.add_argument(
        "--due-column", metavar="C", help="column with the due date (YYYY-MM-DD or days from the start)"
    )
    p.add_argument("--weight-column", metavar="C", help="column with the weight (percent of the final mark)")
    p.add_argument("--max-score-column", metavar="C", help="column with the maximum score")
    p.add_argument(
        "--iri-template",
        metavar="IRI",
        help="activity IRI of an id, with {id}: https://lms.example/assign/{id}",
    )
    p.add_argument(
        "--where", metavar="COL=VALUE", action="append", help="only the rows with this value; repeatable"
    )
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=lambda a: _run(cmd_assessments, a))

    p = sub.add_parser(
        "enrolment",
        help="students' enrolment status as of a week or date; the verbs that mean joining/leaving",
    )
    p.add_argument("--db", required=True, help="database file")
    p.add_argument("--course", help="the offering (without it: print the joining/leaving verbs)")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--week", type=_positive_week, metavar="K", help="as of the end of week K")
    when.add_argument("--as-of", metavar="DATE", help="as of a date (00:00 UTC) or date-time")
    p.add_argument("--join-verb", metavar="IRI", nargs="*", help="set the verbs that mean joining the course")
    p.add_argument(
        "--leave-verb", metavar="IRI", nargs="*", help="set the verbs that mean leaving the course"
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=lambda a: _run(cmd_enrolment, a))
