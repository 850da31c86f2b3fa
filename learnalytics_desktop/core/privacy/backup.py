"""Backup and restore of a database with SQLite's online backup API.

A backup is a consistent copy even while the app is writing (the backup API copies pages under
the database's own locking). A restore first checks that the file is a sound Learnalytics
database of a version this app can read, then keeps the current database aside as
``<name>.before-restore.bak`` and writes the backup into the live file with the backup API,
refusing while another program has the database open (see :func:`restore_database`).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from learnalytics_desktop.core.jobs import NullReporter, Reporter
from learnalytics_desktop.core.store.db import DatabaseError, audit, copy_database, open_db, storage_problem
from learnalytics_desktop.core.store.inuse import DatabaseInUse, exclusive
from learnalytics_desktop.core.store.schema import SCHEMA_VERSION


def backup_database(
    db_path: str | os.PathLike[str], dest: str | os.PathLike[str], *, report: Reporter | None = None
) -> Path:
    """Write a consistent copy of ``db_path`` to ``dest`` (atomically) and log it.

    The one backup use case: *File ▸ Backup copy*, the Privacy tab and ``learnalytics
    backup`` all call it, so the audit log reads ``backup dest=…, bytes=…`` whichever was used.
    """
    report = report or NullReporter()
    src, dst = Path(db_path), Path(dest)
    if str(dst) != "-":
        if src.resolve() == dst.resolve():
            raise DatabaseError("The backup must go to another file than the database itself.")
        if not dst.resolve().parent.is_dir():
            raise DatabaseError(f"The folder {dst.resolve().parent} does not exist.")
    report.progress(0.0, dst.name)
    size = copy_database(src, dst)
    conn = open_db(src)
    try:
        audit(conn, "backup", dest=str(dst), bytes=size)
    finally:
        conn.close()
    report.progress(1.0, dst.name)
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
            version: int = conn.execute("PRAGMA user_version").fetchone()[0]
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
    """Replace the contents of ``db_path`` with the backup; the current data is kept as
    ``*.before-restore.bak``.

    The restore takes the database's exclusive "in use" lock (``core.store.inuse``) and raises
    :class:`DatabaseError` saying so while another program has the database open. It then
    writes the backup *into* the live file with SQLite's backup API, as one write transaction:
    the file is never replaced or unlinked, so a crash at any moment leaves the old data or the
    new (never a stale WAL replayed onto a new file), and connections this process still holds
    read the restored data at their next query. Idle connections of the calling process are
    fine; it must not be in the middle of a transaction.
    """
    src, dst = Path(backup), Path(db_path)
    check_database_file(src)
    if dst.exists() and src.resolve() == dst.resolve():
        raise DatabaseError("Choose a backup file: this is the database itself.")
    try:
        with exclusive(dst):
            if dst.exists():
                copy_database(dst, dst.with_name(dst.name + ".before-restore.bak"))
            _backup_into(src, dst)
            conn = open_db(dst)  # migrates a backup of an older schema
            try:
                audit(conn, "restore", source=str(src))
            finally:
                conn.close()
    except DatabaseInUse as exc:
        raise DatabaseError(str(exc)) from exc
    return dst


def _backup_into(src: Path, dst: Path) -> None:
    """Copy ``src`` over the contents of the database ``dst`` in one transaction, in place."""
    s = sqlite3.connect(str(src))
    tmp: Path | None = None
    try:
        with contextlib.suppress(FileExistsError):  # a new database is owner-only, as open_db makes it
            os.close(os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        d = sqlite3.connect(str(dst), timeout=10.0)
        try:
            d.execute("PRAGMA busy_timeout = 10000")
            want = d.execute("PRAGMA page_size").fetchone()[0]
            if dst.exists() and s.execute("PRAGMA page_size").fetchone()[0] != want:
                # A database in WAL mode cannot change its page size: bring the backup to ours.
                s.close()
                tmp = dst.with_name(dst.name + ".restore-tmp")
                copy_database(src, tmp)
                s = sqlite3.connect(str(tmp), isolation_level=None)
                s.execute("PRAGMA journal_mode = DELETE")
                s.execute(f"PRAGMA page_size = {int(want)}")
                s.execute("VACUUM")
            s.backup(d)
            with contextlib.suppress(sqlite3.Error):
                d.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            problem = storage_problem(exc, dst)
            raise DatabaseError(
                f"Restoring {dst.name} failed ({problem or exc}); the database was left as it was."
            ) from exc
        finally:
            d.close()
    finally:
        s.close()
        if tmp is not None:
            for suffix in ("", "-journal", "-wal", "-shm"):
                with contextlib.suppress(OSError):
                    tmp.with_name(tmp.name + suffix).unlink()
