"""Backup and restore of a database with SQLite's online backup API.

A backup is a consistent copy even while the app is writing (the backup API copies pages under
the database's own locking). A restore first checks that the file is a sound Learnalytics
database of a version this app can read, then keeps the current database aside as
``<name>.before-restore.bak`` and replaces it atomically.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from learnalytics_desktop.core.store.db import DatabaseError, audit, copy_database, open_db
from learnalytics_desktop.core.store.schema import SCHEMA_VERSION


def backup_database(db_path: str | os.PathLike[str], dest: str | os.PathLike[str]) -> Path:
    """Write a consistent copy of ``db_path`` to ``dest`` (atomically) and log it."""
    src, dst = Path(db_path), Path(dest)
    if src.resolve() == dst.resolve():
        raise DatabaseError("The backup must go to another file than the database itself.")
    copy_database(src, dst)
    conn = open_db(src)
    try:
        audit(conn, "backup", dest=str(dst), bytes=dst.stat().st_size)
    finally:
        conn.close()
    return dst


def check_database_file(path: str | os.PathLike[str]) -> int:
    """Integrity and schema check of a database file; returns its schema version."""
    p = Path(path)
    if not p.is_file():
        raise DatabaseError(f"There is no file at {p}.")
    try:
        conn = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{p.name} is not a database file ({exc}).") from exc
    if result != "ok":
        raise DatabaseError(f"{p.name} is damaged: {result}")
    if "statements" not in tables or version < 1:
        raise DatabaseError(f"{p.name} is not a Learnalytics database.")
    if version > SCHEMA_VERSION:
        raise DatabaseError(f"{p.name} was written by a newer Learnalytics (schema {version}).")
    return version


def restore_database(backup: str | os.PathLike[str], db_path: str | os.PathLike[str]) -> Path:
    """Replace ``db_path`` with the backup; the current file is kept as ``*.before-restore.bak``.

    The caller must have closed its own connections to ``db_path``.
    """
    src, dst = Path(backup), Path(db_path)
    check_database_file(src)
    if dst.exists():
        copy_database(dst, dst.with_name(dst.name + ".before-restore.bak"))
    copy_database(src, dst)
    # stale WAL/SHM files of the old database must not be replayed onto the restored one
    for suffix in ("-wal", "-shm"):
        side = dst.with_name(dst.name + suffix)
        if side.exists():
            side.unlink()
    conn = open_db(dst)
    try:
        audit(conn, "restore", source=str(src))
    finally:
        conn.close()
    return dst
