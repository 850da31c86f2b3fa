"""Finding 18 of issue 15: the command line keeps its exit-code contract whatever happens.

An unexpected error gives one line on stderr naming a log file that holds the traceback, and
exit code 2; a reader that stops reading (``| head``) ends the command quietly; ``keygen``
onto a dangling symbolic link says what is wrong."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from learnalytics_desktop.cli import main
from learnalytics_desktop.core.store.db import audit, open_db


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "x.db"
    conn = open_db(path)
    for i in range(2000):
        audit(conn, "test", i=i)
    conn.close()
    return path


def test_an_unexpected_error_is_one_line_and_a_log_file(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from learnalytics_desktop.core.privacy import backup

    monkeypatch.setenv("LEARNALYTICS_HOME", str(tmp_path / "home"))

    def broken(*_a: object, **_k: object) -> None:
        raise ZeroDivisionError("a bug deep inside\nsecond line")

    monkeypatch.setattr(backup, "backup_database", broken)
    assert main(["backup", "--db", str(db), "--out", str(tmp_path / "c.db")]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err
    assert "ZeroDivisionError: a bug deep inside" in lines[0]
    log = Path(lines[0].rsplit("details in ", 1)[1])
    assert log.parent == tmp_path / "home" / "logs"
    assert "Traceback" in log.read_text() and "broken" in log.read_text()
    if os.name == "posix":
        assert stat.S_IMODE(log.stat().st_mode) == 0o600


@pytest.mark.skipif(os.name != "posix", reason="pipes with a closed reader (EPIPE) are POSIX")
def test_a_closed_pipe_ends_quietly(db: Path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader (head) has already gone
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from learnalytics_desktop.cli import main; sys.exit(main())",
                "audit",
                "--db",
                str(db),
            ],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_keygen_onto_a_dangling_link_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    link = tmp_path / "k.key"
    link.symlink_to(tmp_path / "missing" / "target.key")
    assert main(["keygen", "--key-file", str(link)]) == 2
    err = capsys.readouterr().err
    assert "symbolic link" in err and "Traceback" not in err
    assert link.is_symlink() and not (tmp_path / "missing").exists()
