"""One running app per database: a lock file beside it, recovered when its owner has died.

The lock is ``<db>.lock``, created with ``O_CREAT | O_EXCL`` (atomic on local filesystems and
on SMB/NFS shares) and holding JSON with the owner's host, pid and start time. A lock whose
owner runs on this host but whose process no longer exists is stale (the app crashed or the
laptop lost power) and is taken over. A lock held by another host cannot be checked; it is
reported with its owner and age so the user can decide (``force=True`` takes it over).
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any


class DatabaseLocked(Exception):
    """Another running Learnalytics has this database open."""


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if os.name == "nt":  # pragma: no cover - exercised on Windows builds only
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined,unused-ignore]  # Windows only
        handle = kernel32.OpenProcess(0x1000, False, pid)
        if not handle:
            return False
        kernel32.CloseHandle(handle)
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class DatabaseLock:
    """Context manager / explicit ``acquire()``/``release()`` lock for one database path."""

    def __init__(self, db_path: str | os.PathLike[str]) -> None:
        self.db_path = Path(db_path)
        self.path = self.db_path.with_name(self.db_path.name + ".lock")
        self._held = False
        self.recovered_stale = False

    def _owner(self) -> dict[str, Any] | None:
        try:
            owner: dict[str, Any] | None = json.loads(self.path.read_text(encoding="utf-8"))
            return owner
        except (OSError, ValueError):
            return None

    def _is_stale(self, owner: dict[str, Any] | None) -> bool:
        if owner is None:
            # Unreadable or half-written: the writer died between create and write.
            try:
                return time.time() - self.path.stat().st_mtime > 5
            except OSError:
                return True
        if owner.get("host") != platform.node():
            return False
        return not _pid_alive(int(owner.get("pid", -1)))

    def acquire(self, *, force: bool = False) -> None:
        payload = json.dumps({"host": platform.node(), "pid": os.getpid(), "since": time.time()}).encode()
        for _attempt in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            except FileExistsError:
                owner = self._owner()
                if force or self._is_stale(owner):
                    self.recovered_stale = not force
                    try:
                        self.path.unlink()
                    except FileNotFoundError:
                        pass
                    continue
                if owner and owner.get("pid") == os.getpid() and owner.get("host") == platform.node():
                    raise DatabaseLocked(f"{self.db_path.name} is already open in this window.") from None
                raise DatabaseLocked(self.describe(owner)) from None
            try:
                os.write(fd, payload)
                os.fsync(fd)
            finally:
                os.close(fd)
            self._held = True
            return
        raise DatabaseLocked(f"Could not take the lock on {self.db_path.name}; try again.")

    def describe(self, owner: dict[str, Any] | None) -> str:
        if not owner:
            return f"{self.db_path.name} is being opened by another Learnalytics right now."
        minutes = max(0, int((time.time() - float(owner.get("since", time.time()))) // 60))
        return (
            f"{self.db_path.name} is open in another Learnalytics (computer {owner.get('host')}, "
            f"process {owner.get('pid')}, for {minutes} min). Close it there first; if that "
            "computer crashed, you can take over the lock."
        )

    def release(self) -> None:
        if not self._held:
            return
        owner = self._owner()
        if owner and owner.get("pid") == os.getpid() and owner.get("host") == platform.node():
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass
        self._held = False

    @property
    def held(self) -> bool:
        return self._held

    def __enter__(self) -> DatabaseLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
