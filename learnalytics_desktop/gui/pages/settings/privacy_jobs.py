"""Jobs of the Settings page's "Privacy & data" tab (plain functions, no Qt).

Functions taking ``conn`` are wrapped with :func:`~learnalytics_desktop.gui.workers.db_job`;
backup and restore take paths because they manage their own connections (a restore replaces
the database file, so nothing may hold it open: the task runner's single database thread
guarantees that no other job of this window runs meanwhile).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from learnalytics_desktop.core.learners import LearnerSummary, lookup_learner
from learnalytics_desktop.core.privacy.backup import backup_database
from learnalytics_desktop.core.store.audit_log import AUDIT_COLUMNS, export_audit_log

# These use cases are core functions, run as they are (the CLI calls the same ones):
find_learner = lookup_learner  # core.learners: exact, key-aware
backup = backup_database  # File ▸ Backup copy and `learnalytics backup` too: one audit text


def load_threshold(conn: sqlite3.Connection) -> int:
    """The small-cell threshold of this database (default 5)."""
    from learnalytics_desktop.core.privacy.suppress import small_cell_threshold

    return small_cell_threshold(conn)


def save_threshold(conn: sqlite3.Connection, value: int) -> int:
    """Validate and save the small-cell threshold (with an audit entry); returns it."""
    from learnalytics_desktop.core.privacy.suppress import set_small_cell_threshold

    set_small_cell_threshold(conn, value)
    return load_threshold(conn)


def export_learner(conn: sqlite3.Connection, actor_id: int, path: str | os.PathLike[str]) -> Path:
    """Subject access export of one learner to a JSON file (logged, without the identifier)."""
    from learnalytics_desktop.core.privacy.subject_access import export_learner as core_export

    return core_export(conn, int(actor_id), path)


def erase_learner(conn: sqlite3.Connection, actor_id: int) -> dict[str, int]:
    """Erase the learner everywhere and scrub the files; returns rows deleted per table."""
    from learnalytics_desktop.core.privacy.erase import erase_learner as core_erase

    return dict(core_erase(conn, int(actor_id)).rows_deleted)


def restore(backup_path: str | os.PathLike[str], db_path: str | os.PathLike[str]) -> Path:
    """Check the backup, keep the current file as ``*.before-restore.bak``, replace it."""
    from learnalytics_desktop.core.privacy.backup import restore_database
    from learnalytics_desktop.core.store.db import DatabaseError

    if Path(backup_path).resolve() == Path(db_path).resolve():
        raise DatabaseError("Choose a backup file: this is the open database itself.")
    return restore_database(backup_path, db_path)


def check_key_file(path: str | os.PathLike[str]) -> str:
    """A one-line description of a valid key file, or :class:`KeyFileError` saying what is wrong."""
    from learnalytics_desktop.core.ingest.pseudonym import load_key

    key = load_key(path)
    return f"Key file found: a {len(key) * 8}-bit key."


def create_key_file(path: str | os.PathLike[str]) -> Path:
    """Write a new random key (``core.ingest.pseudonym.create_key``; never overwrites)."""
    from learnalytics_desktop.core.ingest.pseudonym import create_key

    return create_key(path)


__all__ = [
    "AUDIT_COLUMNS",
    "LearnerSummary",
    "backup",
    "check_key_file",
    "create_key_file",
    "erase_learner",
    "export_audit_log",
    "export_learner",
    "find_learner",
    "load_threshold",
    "restore",
    "save_threshold",
]
