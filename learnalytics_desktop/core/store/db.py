"""Opening the SQLite database: pragmas, migrations with a backup first, settings, audit log.

One connection per thread: every worker calls :func:`open_db` itself. Connections are in
autocommit mode (``isolation_level=None``); writers wrap their work in :func:`transaction`
so a crash leaves either the whole chunk or none of it.
"""

from __future__ import annotations

import contextlib
import errno
import getpass
import json
import os
import sqlite3
import weakref
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from learnalytics_desktop.core.store import inuse
from learnalytics_desktop.core.store.schema import MIGRATIONS, SCHEMA_VERSION


class DatabaseError(Exception):
    """The database cannot be opened or used; the message says why in plain words."""


def utc_now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


NETWORK_FILESYSTEMS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "fuse.sshfs", "afs", "ncpfs", "davfs"}


def is_network_path(path: Path, mounts_text: str | None = None) -> bool:
    """True when ``path`` lives on a network filesystem.

    WAL needs a shared-memory index that network filesystems do not provide reliably, so such
    databases use a rollback journal instead (see :func:`_configure`). Windows: UNC paths;
    Linux: the longest matching mount point in ``/proc/self/mounts`` (``mounts_text`` lets
    tests supply their own table).
    """
    text = str(path)
    if text.startswith("\\\\") or text.startswith("//"):
        return True
    if mounts_text is None:
        mounts = Path("/proc/self/mounts")
        try:
            mounts_text = mounts.read_text()
        except OSError:
            return False
    real = os.path.realpath(path if path.is_dir() else path.parent)
    best, best_type = "", ""
    for line in mounts_text.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        mnt, fstype = parts[1].replace("\\040", " "), parts[2]
        if (real == mnt or real.startswith(mnt.rstrip("/") + "/")) and len(mnt) > len(best):
            best, best_type = mnt, fstype
    return best_type in NETWORK_FILESYSTEMS


def storage_warning(path: str | os.PathLike[str]) -> str | None:
    """A sentence for the user when the database's location needs care, else None."""
    if is_network_path(Path(path)):
        return (
            "This database is on a network share. Learnalytics uses a slower, safe journal mode "
            "there; for speed and reliability keep databases on this computer's own disk."
        )
    return None


def storage_problem(exc: sqlite3.Error, path: str | os.PathLike[str] | None) -> str | None:
    """A plain sentence when an SQLite error comes from the disk (full, I/O error, read-only
    or unreachable), else None (the error is something else and is left as it is)."""
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    name = str(path) if path else "the database"
    if code == sqlite3.SQLITE_FULL or "disk is full" in str(exc):
        return f"The disk holding {name} is full ({exc})"
    if code == sqlite3.SQLITE_IOERR:
        return (
            f"Reading or writing {name} failed with an I/O error ({exc}): the disk may be full, "
            "failing or disconnected"
        )
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN):
        return f"{name} cannot be written ({exc}): check that the file and its folder are writable"
    return None


def _configure(conn: sqlite3.Connection, path: Path | None) -> None:
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA secure_delete = ON")
    if path is None:
        return
    if is_network_path(path):
        # WAL's shared-memory index does not work over network filesystems: use a rollback
        # journal, which is slower but safe there.
        conn.execute("PRAGMA journal_mode = DELETE")
    else:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("PRAGMA synchronous = NORMAL")


def backup_file(path: Path, suffix: str) -> Path:
    """Copy a database (and a pending WAL, through the backup API) to ``<name>.<suffix>.bak``."""
    target = path.with_name(f"{path.name}.{suffix}.bak")
    copy_database(path, target)
    return target


def migrate(conn: sqlite3.Connection, path: Path | None) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise DatabaseError(
            f"This database was written by a newer Learnalytics (schema {version}, this "
            f"version knows up to {SCHEMA_VERSION}). Update the app to open it."
        )
    if version == SCHEMA_VERSION:
        return
    backup = None
    if version > 0 and path is not None:
        backup = backup_file(path, f"schema{version}")
    for target in range(version, SCHEMA_VERSION):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for stmt in _split_sql(MIGRATIONS[target]):
                conn.execute(stmt)
            conn.execute(f"PRAGMA user_version = {target + 1}")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            where = f"; a copy from before the upgrade is at {backup}" if backup else ""
            raise DatabaseError(
                f"Upgrading the database from schema {target} to {target + 1} failed ({exc}). "
                f"The database was left as it was{where}."
            ) from exc


def _split_sql(script: str) -> list[str]:
    """Split a schema script into statements (executescript would commit on its own)."""
    out, buf = [], []
    for line in script.splitlines():
        buf.append(line)
        candidate = "\n".join(buf)
        if sqlite3.complete_statement(candidate):
            out.append(candidate.strip())
            buf = []
    rest = "\n".join(buf).strip()
    if rest:
        out.append(rest)
    return [s for s in out if s and not s.startswith("--")]


def _create_private(path: Path) -> None:
    """Create a new database file owner-only (0600): it holds personal data. SQLite gives its
    journal, WAL and shared-memory files the database file's mode. An existing file keeps the
    mode it has (the owner may have shared it on purpose)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError:
        pass  # it exists, or cannot be created: SQLite's own error then says why


class _Connection(sqlite3.Connection):
    """A connection that holds its database's shared "in use" lock (``core.store.inuse``)
    until it is closed or garbage-collected."""

    _release: weakref.finalize[Any, Any] | None = None

    def close(self) -> None:
        super().close()
        if self._release is not None:
            self._release()


def open_db(path: str | os.PathLike[str] | None, *, create: bool = True) -> sqlite3.Connection:
    """Open (and create or migrate) a database. ``None`` opens a private in-memory one.

    The connection holds the database's shared "in use" lock while it is open, so a restore
    run elsewhere refuses instead of replacing the data under it (``core.store.inuse``)."""
    if path is None:
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        _configure(conn, None)
        migrate(conn, None)
        return conn
    p = Path(path)
    if not p.exists() and not create:
        raise DatabaseError(f"There is no database at {p}.")
    if not p.parent.exists():
        raise DatabaseError(f"The folder {p.parent} does not exist.")
    try:
        inuse.acquire_shared(p)
    except inuse.DatabaseInUse as exc:
        raise DatabaseError(str(exc)) from exc
    release = None
    try:
        _create_private(p)
        conn = sqlite3.connect(str(p), isolation_level=None, timeout=10.0, factory=_Connection)
        release = conn._release = weakref.finalize(conn, inuse.release_shared, p)
        _configure(conn, p)
        migrate(conn, p)
    except BaseException as exc:
        if release is not None:
            conn.close()
        else:
            inuse.release_shared(p)
        if not isinstance(exc, sqlite3.DatabaseError):
            raise
        problem = storage_problem(exc, p)
        if problem is not None:
            raise DatabaseError(f"{problem}. Nothing was changed.") from exc
        raise DatabaseError(f"{p} is not a Learnalytics database or is damaged: {exc}") from exc
    return conn


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection, immediate: bool = True) -> Iterator[sqlite3.Connection]:
    """``BEGIN`` … ``COMMIT``, rolled back on any exception (including disk full)."""
    conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        yield conn
    except BaseException:
        # SQLite rolls back on its own after some errors (SQLITE_FULL, SQLITE_IOERR): only
        # roll back what is still open, and keep the original error.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


# --- settings (per database: weights, thresholds, mapping, privacy) ------------------------


def get_setting(conn: sqlite3.Connection, key: str, default: Any = None) -> Any:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return default if row is None else json.loads(row[0])


def set_setting(conn: sqlite3.Connection, key: str, value: Any) -> None:
    conn.execute(
        "INSERT INTO settings(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, json.dumps(value, sort_keys=True)),
    )


def save_setting(conn: sqlite3.Connection, key: str, value: Any) -> None:
    """Store an already-validated setting and log the change, in one transaction."""
    with transaction(conn):
        set_setting(conn, key, value)
        audit(conn, "settings", key=key, value=value)


# --- audit log ---------------------------------------------------------------------------


def audit(conn: sqlite3.Connection, action: str, **detail: Any) -> None:
    """Append to the audit log. Callers never put a learner identifier in ``detail``."""
    conn.execute(
        "INSERT INTO audit_log(at, user, action, detail) VALUES (?, ?, ?, ?)",
        (utc_now_iso(), current_user(), action, json.dumps(detail, sort_keys=True, default=str)),
    )


def _online_backup(src: Path, dst: Path) -> None:
    s = sqlite3.connect(str(src))
    try:
        d = sqlite3.connect(str(dst))
        try:
            s.backup(d)
        finally:
            d.close()
    finally:
        s.close()


def _remove_copy(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            path.with_name(path.name + suffix).unlink()


def copy_database(src: Path, dst: Path) -> int:
    """Online backup of ``src`` to ``dst`` (safe while the app has it open); returns its size.

    The copy is written to ``<dst>.part`` and renamed over ``dst``; a new copy is owner-only
    (0600: it holds personal data), a replaced one keeps the mode it had. On any failure (a full
    disk, an I/O error) the partial copy and its journal are removed and :class:`DatabaseError`
    says why. A target that is a device, a FIFO or ``-`` (standard output) is written directly,
    never replaced (``core.export.special_target``).
    """
    from learnalytics_desktop.core.export import ExportError, special_target, write_special

    dst = Path(dst)
    try:
        kind = special_target(dst)
    except ExportError as exc:
        raise DatabaseError(str(exc)) from exc
    if kind is not None:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="learnalytics-copy-") as folder:  # 0700
            tmp = Path(folder) / "copy.db"
            try:
                _online_backup(src, tmp)
                size = tmp.stat().st_size
                with tmp.open("rb") as fh:
                    write_special(dst, kind, iter(lambda: fh.read(1 << 20), b""))
            except ExportError as exc:
                raise DatabaseError(str(exc)) from exc
            except (sqlite3.Error, OSError) as exc:
                raise DatabaseError(f"Could not copy the database to {dst}: {exc}.") from exc
        return size
    if dst.is_symlink():  # keep the link: replace the file it points to
        dst = Path(os.path.realpath(dst))
    tmp = dst.with_name(dst.name + ".part")
    _remove_copy(tmp)
    try:
        old_mode = os.stat(dst).st_mode & 0o7777
    except OSError:
        old_mode = None
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        _online_backup(src, tmp)
        if old_mode is not None and os.name == "posix":
            os.chmod(tmp, old_mode)
        os.replace(tmp, dst)
    except (sqlite3.Error, OSError) as exc:
        _remove_copy(tmp)
        if isinstance(exc, sqlite3.Error):
            why = storage_problem(exc, dst) or str(exc)
        elif exc.errno == errno.ENOSPC:
            why = f"the disk holding {dst} is full"
        else:
            why = exc.strerror or str(exc)
        raise DatabaseError(
            f"Could not write the copy {dst}: {why}. No partial file was left behind."
        ) from exc
    except BaseException:
        _remove_copy(tmp)
        raise
    return dst.stat().st_size


__all__ = [
    "DatabaseError",
    "audit",
    "backup_file",
    "copy_database",
    "current_user",
    "get_setting",
    "open_db",
    "save_setting",
    "set_setting",
    "storage_problem",
    "transaction",
    "utc_now_iso",
]
