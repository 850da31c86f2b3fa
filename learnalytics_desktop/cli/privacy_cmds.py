"""Data officer commands: erase, export-learner (subject access), audit, backup, restore."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from learnalytics_desktop.cli import UserError


def _open(path: str):
    from learnalytics_desktop.core.store import open_db

    p = Path(path)
    if not p.exists():
        raise UserError(f"there is no database at {p}")
    return open_db(p, create=False)


def _learner(conn, args: argparse.Namespace) -> int:
    """The one learner ``--student`` names (``core.learners.find_learner``: exact, key-aware;
    several matches are listed and nothing is done)."""
    from learnalytics_desktop.core.ingest.pseudonym import KeyFileError
    from learnalytics_desktop.core.learners import LearnerNotFound, find_learner

    try:
        return find_learner(
            conn, args.student, key_file=getattr(args, "key_file", None), home_pages=args.home_page or ()
        )
    except (LearnerNotFound, KeyFileError) as exc:
        raise UserError(str(exc)) from exc


def cmd_erase(args: argparse.Namespace) -> int:
    from learnalytics_desktop.core.privacy.erase import NOT_REACHED, erase_learner

    conn = _open(args.db)
    try:
        actor = _learner(conn, args)
        if not args.yes:
            if not sys.stdin.isatty():
                raise UserError("erasure cannot be undone: add --yes to confirm")
            answer = input(f"Erase {args.student} from {args.db}? This cannot be undone [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                print("Nothing erased.")
                return 1
        result = erase_learner(conn, actor)
    finally:
        conn.close()
    if args.json:
        print(json.dumps(result.to_dict()))
    else:
        print(
            f"Erased: {result.total} rows ({', '.join(f'{k} {v}' for k, v in sorted(result.rows_deleted.items()))})."
        )
        print(NOT_REACHED)
        for line in result.not_reached.lines():
            print(f"  {line}")
    return 0


def cmd_export_learner(args: argparse.Namespace) -> int:
    from learnalytics_desktop.core.privacy.subject_access import export_learner

    conn = _open(args.db)
    try:
        path = export_learner(conn, _learner(conn, args), args.out)
    finally:
        conn.close()
    print(f"Wrote {path}")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from learnalytics_desktop.core.store.audit_log import audit_entries, export_audit_log

    conn = _open(args.db)
    try:
        if args.csv:
            n = export_audit_log(conn, args.csv)  # recorded in the log, as from the Settings page
            print(f"Wrote {n} audit entries to {args.csv}")
            return 0
        entries = audit_entries(conn)
    finally:
        conn.close()
    if args.json:
        print(json.dumps(entries))
    else:
        for e in entries:
            print(f"{e['at']}  {e['user']:<12} {e['action']:<10} {e['detail']}")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from learnalytics_desktop.core.privacy.backup import backup_database

    if not Path(args.db).exists():
        raise UserError(f"there is no database at {args.db}")
    path = backup_database(args.db, args.out)
    print(f"Backed up to {path}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from learnalytics_desktop.core.privacy.backup import restore_database
    from learnalytics_desktop.core.store.lock import DatabaseLock, DatabaseLocked

    lock = DatabaseLock(args.db)
    try:
        lock.acquire()
    except DatabaseLocked as exc:
        raise UserError(str(exc)) from exc
    try:
        path = restore_database(args.backup, args.db)
    finally:
        lock.release()
    kept = path.with_name(path.name + ".before-restore.bak")
    aside = f" (the previous file is kept as {kept.name})" if kept.exists() else ""
    print(f"Restored {path} from {args.backup}{aside}")
    return 0


def _lookup_options(p) -> None:
    p.add_argument("--key-file", help="pseudonymisation key: find a pseudonymised learner by e-mail or id")
    p.add_argument(
        "--home-page",
        action="append",
        metavar="URL",
        help="account home page to try with a bare account name (repeatable)",
    )


def register(sub) -> None:
    p = sub.add_parser("erase", help="delete one learner everywhere (right to erasure)")
    p.add_argument("--db", required=True)
    p.add_argument("--student", required=True, help="label, e-mail, account name or identifier")
    _lookup_options(p)
    p.add_argument("--yes", action="store_true", help="confirm without asking")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_erase)

    p = sub.add_parser("export-learner", help="subject access: everything stored on one learner, as JSON")
    p.add_argument("--db", required=True)
    p.add_argument("--student", required=True, help="label, e-mail, account name or identifier")
    _lookup_options(p)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_export_learner)

    p = sub.add_parser("audit", help="the audit log of imports, exports, training and erasures")
    p.add_argument("--db", required=True)
    p.add_argument("--csv", help="write the log to this CSV file")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("backup", help="consistent copy of a database (safe while the app is open)")
    p.add_argument("--db", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="replace a database by a backup (the current one is kept aside)")
    p.add_argument("--db", required=True)
    p.add_argument("--backup", required=True)
    p.set_defaults(func=cmd_restore)
