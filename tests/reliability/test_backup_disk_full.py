"""Finding 7 of issue 15: ``backup`` onto a full disk ends with one line naming the problem and
exit code 2, and leaves no ``*.part`` / ``*.part-journal`` file behind.

Two ways to fill the disk: a real 512 KiB tmpfs (root on Linux; skipped elsewhere) and a file
size limit (``RLIMIT_FSIZE``) on a child process, which works everywhere on POSIX.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from learnalytics_desktop.cli import main
from learnalytics_desktop.core.store.db import audit, open_db

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX resource limits and mounts")


@pytest.fixture
def big_db(tmp_path: Path) -> Path:
    path = tmp_path / "big.db"
    conn = open_db(path)
    conn.execute("BEGIN")
    for i in range(6000):
        audit(conn, "test", i=i, text="x" * 200)
    conn.execute("COMMIT")
    conn.close()
    assert path.stat().st_size > 1_000_000
    return path


def test_backup_onto_a_full_tmpfs(big_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if sys.platform != "linux" or os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("a tmpfs can only be mounted by root on Linux")
    disk = tmp_path / "disk"
    disk.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(disk)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("mounting a tmpfs is not permitted here")
    try:
        assert main(["backup", "--db", str(big_db), "--out", str(disk / "copy.db")]) == 2
        err = capsys.readouterr().err
        assert "full" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
        assert list(disk.iterdir()) == []
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_backup_beyond_the_file_size_limit(big_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    code = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))\n"
        "from learnalytics_desktop.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", code, "backup", "--db", str(big_db), "--out", str(out / "copy.db")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "copy.db" in done.stderr
    assert list(out.iterdir()) == []
