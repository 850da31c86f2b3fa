"""Findings 4 and 6 of issue 15: restore never pulls a database away from a program that has it
open, and never leaves a file that a stale WAL can break.

Restore refuses (one clear line, exit 2, nothing changed) while another process has the
database open; connections of the restoring process itself read the restored data afterwards
and write into the same file. A restore killed at any moment leaves the old data or the new,
and an intact database."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from learnalytics_desktop.cli import main
from learnalytics_desktop.core.privacy.backup import restore_database
from learnalytics_desktop.core.store.db import DatabaseError, audit, open_db

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the in-use check uses flock (POSIX)")


def _db(path: Path, marker: str, rows: int = 3) -> Path:
    conn = open_db(path)
    for i in range(rows):
        audit(conn, "test", marker=marker, i=i)
    conn.close()
    return path


def _markers(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {
            m
            for (m,) in conn.execute(
                "SELECT json_extract(detail, '$.marker') FROM audit_log WHERE action='test'"
            )
        }
    finally:
        conn.close()


def _holder(db: Path) -> subprocess.Popen[str]:
    code = textwrap.dedent(
        f"""
        import sys, time
        from learnalytics_desktop.core.store.db import audit, open_db
        conn = open_db({str(db)!r})
        conn.execute("PRAGMA wal_autocheckpoint = 0")  # a writer with a hot WAL
        for i in range(50):
            audit(conn, "test", marker="live", i=i)
        print("ready", flush=True)
        sys.stdin.readline()
        for i in range(50):
            audit(conn, "test", marker="live", i=i)
        conn.close()
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def test_restore_refuses_while_another_process_has_the_database_open(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    live, backup = _db(tmp_path / "live.db", "live"), _db(tmp_path / "backup.db", "backup")
    proc = _holder(live)
    try:
        assert main(["restore", "--db", str(live), "--backup", str(backup)]) == 2
        err = capsys.readouterr().err
        assert "open in another program" in err and "Traceback" not in err
        with pytest.raises(DatabaseError, match="open in another program"):
            restore_database(backup, live)
        assert _markers(live) == {"live"}
        assert not (tmp_path / "live.db.before-restore.bak").exists()
    finally:
        assert proc.stdin is not None
        proc.stdin.write("\n")
        proc.stdin.close()
        proc.wait(timeout=30)
    assert main(["restore", "--db", str(live), "--backup", str(backup)]) == 0
    assert _markers(live) == {"backup"}
    assert _markers(tmp_path / "live.db.before-restore.bak") == {"live"}


def test_own_open_connections_see_the_restored_data_in_the_same_file(tmp_path: Path) -> None:
    live, backup = _db(tmp_path / "live.db", "live"), _db(tmp_path / "backup.db", "backup", rows=5)
    inode = live.stat().st_ino
    conn = open_db(live)  # the app's idle connection
    assert conn.execute("SELECT count(*) FROM audit_log WHERE action='test'").fetchone()[0] == 3
    restore_database(backup, live)
    assert conn.execute("SELECT count(*) FROM audit_log WHERE action='test'").fetchone()[0] == 5
    audit(conn, "test", marker="after")
    conn.close()
    assert live.stat().st_ino == inode  # written in place: nobody holds an unlinked file
    assert _markers(live) == {"backup", "after"}


def test_opening_waits_for_a_restore_then_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from learnalytics_desktop.core.store import inuse

    live = _db(tmp_path / "live.db", "live")
    monkeypatch.setattr(inuse, "OPEN_WAIT_S", 0.2)
    code = f"import fcntl, os, sys; fd = os.open({str(inuse.inuse_path(live))!r}, os.O_RDWR); fcntl.flock(fd, fcntl.LOCK_EX); print('ready', flush=True); sys.stdin.readline()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        with pytest.raises(DatabaseError, match="being restored"):
            open_db(live)
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=30)
    open_db(live).close()


_KILL_AFTER_REPLACE = """
import os, sys
from learnalytics_desktop.core.privacy.backup import restore_database
real = os.replace
calls = 0
def replace(a, b, *rest, **kw):
    global calls
    real(a, b, *rest, **kw)
    calls += 1
    if calls == int(sys.argv[3]):
        os._exit(9)  # as if killed right after this step
os.replace = replace
restore_database(sys.argv[1], sys.argv[2])
"""


@pytest.mark.parametrize("step", [1, 2, 3])
def test_a_restore_killed_between_its_steps_leaves_a_sound_database(tmp_path: Path, step: int) -> None:
    live = _db(tmp_path / "live.db", "live", rows=200)
    backup = _db(tmp_path / "backup.db", "backup", rows=50)
    # a writer killed with its WAL not yet checkpointed (a "hot" WAL beside the file)
    code = (
        "import os; from learnalytics_desktop.core.store.db import open_db, audit\n"
        f"c = open_db({str(live)!r}); c.execute('PRAGMA wal_autocheckpoint = 0')\n"
        "[audit(c, 'test', marker='live', i=i) for i in range(300)]\n"
        "os.kill(os.getpid(), 9)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=False)
    assert Path(f"{live}-wal").exists()
    subprocess.run(
        [sys.executable, "-c", _KILL_AFTER_REPLACE, str(backup), str(live), str(step)], check=False
    )
    assert _markers(live) in ({"live"}, {"backup"})
    conn = open_db(live)
    conn.close()
    restore_database(backup, live)  # the rerun completes
    assert _markers(live) == {"backup"}


def test_random_kills_during_restore_leave_old_or_new(tmp_path: Path) -> None:
    import random

    live = _db(tmp_path / "live.db", "live", rows=3000)
    backup = _db(tmp_path / "backup.db", "backup", rows=3000)
    rng = random.Random(15)
    code = "import sys; from learnalytics_desktop.core.privacy.backup import restore_database; restore_database(sys.argv[1], sys.argv[2])"
    for _ in range(6):
        proc = subprocess.Popen([sys.executable, "-c", code, str(backup), str(live)])
        try:
            proc.wait(timeout=rng.uniform(0.05, 1.0))
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        assert _markers(live) in ({"live"}, {"backup"})
