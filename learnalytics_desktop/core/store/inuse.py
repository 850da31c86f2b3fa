"""Who has a database open: a shared lock every opener holds, an exclusive one for restore.

Every connection :func:`core.store.db.open_db` makes holds a *shared* lock on the sidecar file
``<db>.inuse`` (created 0600 and left in place, like SQLite's ``-shm``) for as long as the
connection lives. Restoring a backup needs the database to itself: it takes the *exclusive*
lock without waiting and, when another program (the app, an import, any command) holds the
shared one, refuses with :class:`DatabaseInUse` instead of pulling the data away from under it
(issue 15, finding 4). While a restore holds the exclusive lock, new openers wait for it (up to
:data:`OPEN_WAIT_S` seconds) and then say the database is being restored.

Within one process all connections to a database share one lock (a reference-counted file
descriptor), so the app can restore the database it has open itself: its own connections are
idle (the app refuses to restore while a task runs) and, since the restore writes into the live
file through SQLite's backup API, they see the restored data at their next read.

Decisions: the locks are ``flock`` locks (POSIX; also honoured on NFS by Linux). Where the
filesystem refuses locks (``ENOLCK``) or on Windows, where ``flock`` does not exist, nothing is
checked and the restore still goes through the backup API into the live file, so no connection
ever writes into an unlinked copy.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

OPEN_WAIT_S = 30.0

_LOCK = threading.RLock()
_HELD: dict[str, list[int]] = {}  # real path of the database -> [fd, connections]


class DatabaseInUse(Exception):
    """Another program has the database open, or it is being restored."""


def inuse_path(db_path: str | os.PathLike[str]) -> Path:
    """The sidecar lock file of a database."""
    p = Path(db_path)
    return p.with_name(p.name + ".inuse")


def _key(db_path: str | os.PathLike[str]) -> str:
    return os.path.realpath(db_path)


def _open_lockfile(db_path: str | os.PathLike[str]) -> int | None:
    try:
        return os.open(inuse_path(db_path), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return None  # a read-only folder: nothing to check against


def _flock(fd: int, mode: int) -> bool:
    """``flock`` without waiting; False when another process holds a conflicting lock."""
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:
        return True  # the filesystem has no locks: do not stand in the way
    return True


def acquire_shared(db_path: str | os.PathLike[str]) -> None:
    """Count one more connection of this process to ``db_path`` (the first takes the lock).

    Raises :class:`DatabaseInUse` when a restore has held the database for ``OPEN_WAIT_S``."""
    if fcntl is None:
        return
    key = _key(db_path)
    with _LOCK:
        held = _HELD.get(key)
        if held is not None:
            held[1] += 1
            return
        fd = _open_lockfile(db_path)
        if fd is None:
            return
        deadline = time.monotonic() + OPEN_WAIT_S
        while not _flock(fd, fcntl.LOCK_SH):
            if time.monotonic() > deadline:
                os.close(fd)
                raise DatabaseInUse(
                    f"{Path(db_path).name} is being restored from a backup by another program; "
                    "try again when it has finished."
                )
            time.sleep(0.05)
        _HELD[key] = [fd, 1]


def release_shared(db_path: str | os.PathLike[str]) -> None:
    """One connection of this process to ``db_path`` is gone (the last releases the lock)."""
    if fcntl is None:
        return
    key = _key(db_path)
    with _LOCK:
        held = _HELD.get(key)
        if held is None:
            return
        _drop(key, held)


@contextlib.contextmanager
def exclusive(db_path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold ``db_path`` alone, or raise :class:`DatabaseInUse` naming why (never waits)."""
    if fcntl is None:
        yield
        return
    key = _key(db_path)
    name = Path(db_path).name
    busy = DatabaseInUse(
        f"{name} is open in another program (Learnalytics or a command such as import). "
        "Close it there, then restore; nothing was changed."
    )
    with _LOCK:
        held = _HELD.get(key)
        if held is None:
            fd = _open_lockfile(db_path)
            if fd is None:
                held = None
            else:
                held = _HELD[key] = [fd, 0]
        if held is not None:
            own = held[1] > 0  # this process has connections open: convert their lock
            held[1] += 1  # the restore counts as one user, so its own connections reuse the lock
            if not _flock(held[0], fcntl.LOCK_EX):
                if own:  # the conversion may have dropped our shared lock: take it back
                    fcntl.flock(held[0], fcntl.LOCK_SH)
                _drop(key, held)
                raise busy
    try:
        yield
    finally:
        if held is not None:
            with _LOCK:
                fcntl.flock(held[0], fcntl.LOCK_SH)
                _drop(key, held)


def _drop(key: str, held: list[int]) -> None:
    held[1] -= 1
    if held[1] <= 0:
        _HELD.pop(key, None)
        os.close(held[0])  # closing the descriptor drops the flock


__all__ = ["DatabaseInUse", "acquire_shared", "exclusive", "inuse_path", "release_shared"]
