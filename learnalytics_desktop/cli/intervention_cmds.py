"""Commands ``learnalytics interventions ...`` (rules, draft, list, review, export, import) and
``learnalytics impact`` (did the interventions change the outcome?).

Nothing here sends a message: ``export`` writes files the advisor opens in their own mail
program.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from learnalytics_desktop.cli import UserError
from learnalytics_desktop.core.text import plural

IMPACT_EPILOG = """\
The groups CSV needs a `student` column (the label `score` shows; account names and
e-mails also match) and a `group` column (treated/control). Optional: `date` (ISO date of
the intervention; covariates are computed as of the start of that day) and `eligible`
(1/0: only eligible rows are analysed). Without --groups the interventions log is used:
--comparison holdout (randomised hold-out, intention to treat) or untreated.

Every run is recorded (the app's Impact page lists it; --list shows them here).
--json prints: estimates.naive, estimates.adjusted and/or estimates.rd (each with
estimate, ci_low, ci_high, p_value, method, unit; a withheld one has estimate null and
`withheld`: the reason), sensitivity (with `reliable`/`flag`), balance, confounded
(true/false/null with confounded_reason), diagnostics (overlap, rd, headline warnings),
warnings, and `recommended`: the estimate to report. Yes/no outcomes are proportions in
the JSON (0.05 = 5 percentage points).
"""


def _open(path: str) -> Any:
    from learnalytics_desktop.core.store import open_db

    p = Path(path)
    if not p.exists():
        raise UserError(f"there is no database at {p}")
    return open_db(p, create=False)


def _course(conn: Any, text: str) -> Any:
    from learnalytics_desktop.core.courses import find_course

    try:
        return find_course(conn, text)
    except (LookupError, ValueError) as exc:
        raise UserError(str(exc)) from exc


def _as_of(course: Any, args: argparse.Namespace) -> Any:
    from learnalytics_desktop.core.interventions.context import as_of_instant

    if args.week is not None and args.as_of:
        raise UserError("give either --week or --as-of, not both")
    if args.week is not None:
        return course.as_of_week(args.week)
    try:
        day = date.fromisoformat(args.as_of) if args.as_of else date.today()
    except ValueError:
        raise UserError(f"--as-of {args.as_of!r} is not a date like 2024-03-15") from None
    return as_of_instant(day)


def _ids(text: str) -> list[int]:
    try:
        return [int(x) for x in text.replace(",", " ").split()]
    except ValueError:
        raise UserError(f"ids must be whole numbers separated by commas, not {text!r}") from None


def _run(fn: Any, *a: Any, **kw: Any) -> Any:
    """Call a core function, turning its user-facing errors into UserError."""
    from learnalytics_desktop.core.export import ExportError
    from learnalytics_desktop.core.impact import ImpactError
    from learnalytics_desktop.core.interventions import InterventionError, RulesError, TemplateError

    try:
        return fn(*a, **kw)
    except (InterventionError, RulesError, TemplateError, ImpactError, ExportError) as exc:
        raise UserError(str(exc)) from exc


def _print_json(obj: Any) -> None:
    print(json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False, default=str))


# --- impact --------------------------------------------------------------------------------


def cmd_impact(args: argparse.Namespace) -> int:
    from learnalytics_desktop.core.impact import wording
    from learnalytics_desktop.core.impact.records import (
        list_analyses,
        new_analysis_id,
        record_analysis,
        report_html,
        write_html_report,
    )
    from learnalytics_desktop.core.impact.runs import AnalysisSpec, analyse
    from learnalytics_desktop.core.jobs import ConsoleReporter

    if args.bootstrap < 100:
        raise UserError("--bootstrap needs at least 100 resamples")
    conn = _open(args.db)
    try:
        course = _course(conn, args.course)
        if args.list:
            return _list_impact(list_analyses(conn, course.id), args.json)
        spec = AnalysisSpec(
            course_id=course.id,
            source="csv" if args.groups else args.comparison,
            outcome=args.outcome,
            groups_path=args.groups,
            randomised=True if args.randomised else None,
            test=args.test.replace("-", "_"),
            seed=args.seed,
            n_boot=args.bootstrap,
            cutoff=args.cutoff,
        )
        result = _run(analyse, conn, spec, report=ConsoleReporter(enabled=not args.json))
        analysis_id = _run(record_analysis, conn, spec, result, new_analysis_id())
        if args.report:
            page = report_html(result, spec, course_name=course.name or course.iri)
            _run(
                write_html_report,
                conn,
                args.report,
                page,
                analysis_id=analysis_id,
                students=result.n["treated"] + result.n["control"],
            )
    finally:
        conn.close()
    if args.json:
        _print_json({"analysis_id": analysis_id, **result.to_dict()})
        return 0
    head = wording.headline_warnings(result)
    for w in head:
        print(f"IMPORTANT: {w}")
    print(result.verdict)
    print()
    print(f"Design: {result.design}")
    print(f"Students: {result.n['treated']} treated, {result.n['control']} comparison.")
    print(f"Groups differed before the intervention? {wording.confounded_text(result)}")
    print(f"Differences are in {result.unit}.")
    for key, est in {**result.estimates, **result.sensitivity}.items():
        mark = "  <- recommended" if key == result.recommended else ""
        print(f"  {wording.estimate_line(key, est, result)}{mark}")
    print(f"Why: {result.recommended_reason}")
    rd = wording.rd_summary(result)
    if rd:
        print(rd)
    for row in result.balance:
        after = f", after weighting {row['smd_weighted']:+.2f}" if "smd_weighted" in row else ""
        print(f"  balance {wording.variable_label(row['covariate'])}: SMD {row['smd']:+.2f}{after}")
    for w in result.warnings:
        if w not in head:
            print(f"Warning: {w}")
    print(f"Recorded as analysis {analysis_id}.")
    if args.report:
        print(f"Wrote {args.report}")
    return 0


def _list_impact(rows: list[dict[str, Any]], as_json: bool) -> int:
    from learnalytics_desktop.core.impact import wording

    if as_json:
        _print_json(rows)
        return 0
    if not rows:
        print("No impact analyses recorded for this course yet.")
        return 0
    for a in rows:
        value = "withheld" if a.get("estimate") is None else f"{a['estimate']:.3g}"
        print(
            f"{a['at']}  {a['id']}  {wording.variable_label(str(a.get('outcome')))}  {a.get('comparison')}  "
            f"{a.get('label')}: {value}  reports: {len(a.get('reports', []))}"
        )
    return 0


# --- interventions -------------------------------------------------------------------------


def cmd_rules(args: argparse.Namespace) -> int:
    from learnalytics_desktop.core.interventions import RuleSet, default_rules, load_rules, save_rules

    conn = _open(args.db)
    try:
        if args.reset:
            _run(save_rules, conn, default_rules())
        elif args.set:
            try:
                data = json.loads(Path(args.set).read_text(encoding="utf-8-sig"))
            except (OSError, ValueError) as exc:
                raise UserError(f"cannot read rules from {args.set}: {exc}") from exc
            _run(save_rules, conn, _run(RuleSet.from_dict, data))
        rules = _run(load_rules, conn)
    finally:
        conn.close()
    if args.json or args.set or args.reset:
        _print_json(rules.to_dict())
    else:
        print(f"Risk gate: risk >= {rules.risk_threshold:g}; advisor: {rules.advisor or '(not set)'}")
        for r in rules.rules:
            print(f"  [{'on' if r.enabled else 'off'}] {r.key}: {r.describe()} -> {r.channel} ({r.label})")
    return 0


def cmd_draft(args: argparse.Namespace) -> int:
    from learnalytics_desktop.core.interventions import draft_interventions, suggest

    conn = _open(args.db)
    try:
        course = _course(conn, args.course)
        when = _as_of(course, args)
        if args.students:
            wanted = [s.strip() for s in args.students.split(",") if s.strip()]
            from learnalytics_desktop.core.learners import actors_by_label

            labels, unknown = actors_by_label(conn, wanted)
            if unknown:
                raise UserError(f"no student(s) {unknown[:10]}")
            actors = [labels[s] for s in wanted]
        else:
            table = _run(suggest, conn, course.id, as_of=when)
            gate = table["gate"].fillna(False).astype(bool) | bool(args.ignore_risk_gate)
            actors = [int(a) for a in table.loc[gate & (table["rules"].map(len) > 0), "actor"]]
            if not actors:
                raise UserError("no student passes the risk gate with a rule that applies; nothing to draft")
        batch = _run(
            draft_interventions,
            conn,
            course.id,
            actors,
            as_of=when,
            holdout_fraction=args.holdout,
            seed=args.seed,
            ignore_risk_gate=args.ignore_risk_gate,
        )
    finally:
        conn.close()
    if args.json:
        _print_json(batch.to_dict())
        return 0
    print(
        f"Batch {batch.batch}: {plural(len(batch.treated_ids), 'draft')} for {plural(len(batch.treated_actors), 'student')}; "
        f"{plural(len(batch.held_out_actors), 'student')} held out"
        + (f" (seed {batch.seed})" if batch.seed is not None else "")
    )
    for s in batch.skipped:
        print(f"  skipped {s['student']}: {s['reason']}")
    for w in batch.warnings:
        print(f"Warning: {w}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from learnalytics_desktop.core.interventions import list_interventions

    conn = _open(args.db)
    try:
        course = _course(conn, args.course)
        frame = list_interventions(conn, course.id, statuses=args.status.split(",") if args.status else None)
    finally:
        conn.close()
    if args.json:
        _print_json(json.loads(frame.drop(columns=["features"]).to_json(orient="records")))
        return 0
    for r in frame.itertuples(index=False):
        print(
            f"{r.id:>6}  {r.status:<10} {r.arm:<8} {r.date}  {r.student:<24} {r.rule:<22} {(r.subject or '')[:50]}"
        )
    print(plural(len(frame), "intervention"))
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from learnalytics_desktop.core.interventions import approve, dismiss, mark_done, restore

    actions = {"approve": approve, "dismiss": dismiss, "restore": restore, "done": mark_done}
    conn = _open(args.db)
    try:
        kwargs = {"reason": args.reason} if args.action == "dismiss" and args.reason else {}
        n = _run(actions[args.action], conn, _ids(args.ids), **kwargs)
    finally:
        conn.close()
    print(f"{args.action}: {plural(n, 'intervention')}")
    return 0


def cmd_fill(args: argparse.Namespace) -> int:
    from learnalytics_desktop.core.interventions import fill_placeholder, list_interventions

    conn = _open(args.db)
    try:
        course = _course(conn, args.course)
        ids = [int(i) for i in list_interventions(conn, course.id, statuses=["draft"])["id"]]
        n = _run(fill_placeholder, conn, ids, args.placeholder, args.value)
    finally:
        conn.close()
    print(f"filled {{{args.placeholder}}} in {plural(n, 'draft')}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from learnalytics_desktop.core.interventions import export_csv, export_eml

    if not args.eml and not args.csv:
        raise UserError("choose --eml FOLDER and/or --csv FILE")
    conn = _open(args.db)
    results = []
    try:
        course = _course(conn, args.course)
        ids = _ids(args.ids) if args.ids else None
        if args.csv:
            results.append(
                _run(
                    export_csv,
                    conn,
                    args.csv,
                    ids=ids,
                    course_id=None if ids else course.id,
                    statuses=args.status.split(",") if args.status else None,
                    mark_exported=args.mark_exported,
                )
            )
        if args.eml:
            results.append(_run(export_eml, conn, args.eml, ids=ids, course_id=None if ids else course.id))
    finally:
        conn.close()
    if args.json:
        _print_json([r.to_dict() for r in results])
        return 0
    for r in results:
        print(
            f"{r.what}: {plural(r.rows, 'row')} -> {r.path}"
            + (f" ({plural(len(r.files), 'file')})" if len(r.files) > 1 else "")
        )
        for w in r.warnings:
            print(f"Warning: {w}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from learnalytics_desktop.core.interventions import import_external

    conn = _open(args.db)
    try:
        course = _course(conn, args.course)
        rep = _run(import_external, conn, course.id, args.csv, dry_run=args.dry_run, skip_bad=args.skip_bad)
    finally:
        conn.close()
    if args.json:
        _print_json(rep.to_dict())
    else:
        print(
            f"Read {plural(rep.rows_read, 'row')}; matched by {rep.matched_by or 'nothing'}; groups {rep.groups or '-'}; "
            f"written {rep.written}" + (" (dry run)" if rep.dry_run else "")
        )
        for e in rep.errors:
            print(f"  row {e['row']}: {e['problem']}", file=sys.stderr)
        for w in rep.warnings:
            print(f"Warning: {w}")
        if rep.errors and not rep.written:
            print("Nothing was written; fix the rows above (or use --skip-bad).", file=sys.stderr)
    return 0 if rep.ok else 1


def register(sub: Any) -> None:
    """Add the ``impact`` and ``interventions`` commands to the CLI's subparsers."""
    from learnalytics_desktop.core.interventions.holdout import HOLDOUT_EXPLANATION

    p = sub.add_parser(
        "impact",
        help="did the interventions change an outcome? (statistics, verdict, report)",
        description="Compare an outcome between treated and comparison students.",
        epilog=IMPACT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--db", required=True, help="the database file")
    p.add_argument("--course", required=True, help="course id, IRI or name")
    p.add_argument(
        "--groups", help="CSV with student, group[, date, eligible]; default: the interventions log"
    )
    p.add_argument(
        "--comparison",
        choices=["holdout", "untreated"],
        default="holdout",
        help="without --groups: treated vs randomised hold-out (default) or vs everyone not treated",
    )
    p.add_argument(
        "--outcome", default="final_grade", help="final_grade (default), passed, withdrew or an attribute"
    )
    p.add_argument("--randomised", action="store_true", help="the groups CSV comes from a random assignment")
    p.add_argument(
        "--test",
        choices=["welch", "student", "mann-whitney"],
        default="welch",
        help="numeric test (default welch)",
    )
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples (default 1000)")
    p.add_argument(
        "--cutoff",
        type=float,
        help="the risk threshold (0-1) that decided who was treated: adds a regression discontinuity "
        "(default: the threshold the drafting log recorded, for --comparison untreated)",
    )
    p.add_argument("--list", action="store_true", help="list the recorded impact analyses of the course")
    p.add_argument("--report", help="also write the report as HTML to this file")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_impact)

    ip = sub.add_parser(
        "interventions",
        help="draft, review and export intervention messages (never sent)",
        description="Draft, review and export intervention messages. Nothing is ever sent.",
    )
    isub = ip.add_subparsers(dest="action", metavar="ACTION")

    def common(q: argparse.ArgumentParser, course: bool = True) -> None:
        q.add_argument("--db", required=True, help="the database file")
        if course:
            q.add_argument("--course", required=True, help="course id, IRI or name")
        q.add_argument("--json", action="store_true", help="machine-readable output")

    q = isub.add_parser("rules", help="show, replace (--set FILE.json) or --reset the rules")
    common(q, course=False)
    q.add_argument("--set", metavar="JSON", help="save the rules from a JSON file (validated)")
    q.add_argument("--reset", action="store_true", help="go back to the built-in rules")
    q.set_defaults(func=cmd_rules)

    q = isub.add_parser(
        "draft",
        help="draft messages for at-risk students, optionally holding some back",
        epilog=HOLDOUT_EXPLANATION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common(q)
    q.add_argument("--as-of", help="date the drafts are based on (default today)")
    q.add_argument("--week", type=int, help="as of the end of course week K instead of --as-of")
    q.add_argument("--students", help="comma-separated labels (default: everyone the rules select)")
    q.add_argument("--holdout", type=float, default=0.0, help="fraction held back at random, e.g. 0.2")
    q.add_argument("--seed", type=int, help="seed of the hold-out draw (default: a new random one, recorded)")
    q.add_argument("--ignore-risk-gate", action="store_true", help="draft even below the risk threshold")
    q.set_defaults(func=cmd_draft)

    q = isub.add_parser("list", help="list the interventions of a course")
    common(q)
    q.add_argument("--status", help="comma-separated statuses, e.g. draft,approved")
    q.set_defaults(func=cmd_list)

    for action, text in (
        ("approve", "approve drafts"),
        ("dismiss", "dismiss drafts"),
        ("restore", "put rows back to draft"),
        ("done", "mark exported messages as sent"),
    ):
        q = isub.add_parser(action, help=text)
        common(q, course=False)
        q.add_argument("ids", help="intervention ids, comma-separated")
        if action == "dismiss":
            q.add_argument("--reason", help="why (kept in the history)")
        q.set_defaults(func=cmd_review, action=action)

    q = isub.add_parser("fill", help="fill a placeholder left visible in the drafts, e.g. {advisor}")
    common(q)
    q.add_argument("--placeholder", required=True, help="the placeholder's name, e.g. advisor")
    q.add_argument("--value", required=True, help="the text to put in its place")
    q.set_defaults(func=cmd_fill)

    q = isub.add_parser("export", help="write approved drafts as .eml files and/or a safe CSV")
    common(q)
    q.add_argument("--eml", metavar="FOLDER", help="one unsent .eml draft per student (approved rows)")
    q.add_argument("--csv", metavar="FILE", help="CSV of the interventions (UTF-8, opens in Excel)")
    q.add_argument("--ids", help="only these intervention ids")
    q.add_argument("--status", help="CSV: only these statuses")
    q.add_argument("--mark-exported", action="store_true", help="CSV: mark the approved rows as exported")
    q.set_defaults(func=cmd_export)

    q = isub.add_parser(
        "import", help="log interventions done outside the app from a CSV (student, date, group)"
    )
    common(q)
    q.add_argument("csv", help="CSV with student, date, group[, channel, note]")
    q.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    q.add_argument("--skip-bad", action="store_true", help="write the good rows even if some are rejected")
    q.set_defaults(func=cmd_import)
    ip.set_defaults(func=lambda a: (ip.print_help(), 2)[1])
