"""Finding 19 of issue 15: an export never replaces a special file. ``--csv /dev/null`` once
replaced a machine's ``/dev/null`` with a regular file. A target that exists and is not a
regular file (a character device, a FIFO) is written in place, ``-`` means standard output,
and everything else that is not a file is refused; the target is never renamed over.

No test here touches the real ``/dev/null``: a pseudo-terminal's device (made without root by
``os.openpty``) stands for a character device, ``mkfifo`` makes a FIFO, and a symbolic link to
``/dev/null`` shows whether a writer replaced the path it was given.
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
from factories import make_demo_db

from learnalytics_desktop.cli import main
from learnalytics_desktop.core.export import ExportError, atomic_write_text

pytestmark = pytest.mark.skipif(os.name != "posix", reason="FIFOs and pseudo-terminals are POSIX")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_demo_db(tmp_path_factory.mktemp("demo") / "demo.db", students=20).path


def _commands(db: Path, target: str) -> dict[str, list[str]]:
    course = "2025"
    return {
        "audit": ["audit", "--db", str(db), "--csv", target],
        "rejects": ["rejects", "--db", str(db), "--csv", target],
        "features": ["features", "--db", str(db), "--course", course, "--week", "4", "--out", target],
        "backup": ["backup", "--db", str(db), "--out", target],
        "interventions": ["interventions", "export", "--db", str(db), "--course", course, "--csv", target],
    }


COMMANDS = ["audit", "rejects", "features", "backup", "interventions"]


def _read_all(fd: int, sink: list[bytes]) -> None:
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return
        if not chunk:
            return
        sink.append(chunk)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_link_to_dev_null_is_written_through_not_replaced(
    demo: Path, tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    link = tmp_path / "discard"
    link.symlink_to("/dev/null")
    assert main(_commands(demo, str(link))[command]) == 0, capsys.readouterr().err
    assert link.is_symlink() and os.readlink(link) == "/dev/null"
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["discard"]  # no temporary file left


@pytest.mark.parametrize("command", COMMANDS)
def test_a_fifo_with_a_reader_receives_the_data(demo: Path, tmp_path: Path, command: str) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []

    def reader() -> None:
        fd = os.open(fifo, os.O_RDONLY)
        try:
            _read_all(fd, got)
        finally:
            os.close(fd)

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    try:
        assert main(_commands(demo, str(fifo))[command]) == 0
    finally:
        if t.is_alive():  # unblock the reader if the command never opened the pipe
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        t.join(timeout=30)
    data = b"".join(got)
    assert (
        data.startswith(b"SQLite format 3\x00") if command == "backup" else data.startswith(b"\xef\xbb\xbf")
    )
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_fifo_nobody_reads_is_refused_without_waiting(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert main(_commands(demo, str(fifo))["audit"]) == 2
    assert "no program is reading it" in capsys.readouterr().err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_character_device_is_written_in_place(demo: Path) -> None:
    master, slave = os.openpty()
    try:
        import tty

        tty.setraw(slave)
        device = os.ttyname(slave)
        got: list[bytes] = []
        assert main(_commands(demo, device)["audit"]) == 0
        os.set_blocking(master, False)
        _read_all(master, got)
        assert b"".join(got).startswith(b"\xef\xbb\xbfid,at,user,action,detail")
        assert stat.S_ISCHR(os.stat(device).st_mode)
    finally:
        os.close(master)
        os.close(slave)


def test_dash_writes_the_data_to_stdout_and_messages_to_stderr(
    demo: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    assert main(_commands(demo, "-")["audit"]) == 0
    out, err = capfd.readouterr()
    assert out.startswith("\ufeffid,at,user,action,detail")
    assert "Wrote" in err and "Wrote" not in out
    assert not Path("-").exists()


def test_folders_and_sockets_are_refused(tmp_path: Path) -> None:
    import socket

    with pytest.raises(ExportError, match="is a folder"):
        atomic_write_text(tmp_path, "x")
    sock_path = tmp_path / "s.sock"
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(sock_path))
        with pytest.raises(ExportError, match="not a regular file"):
            atomic_write_text(sock_path, "x")
        assert stat.S_ISSOCK(os.lstat(sock_path).st_mode)
    finally:
        sock.close()


def test_a_link_to_a_file_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real.csv"
    real.write_text("old")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    atomic_write_text(link, "new")
    assert link.is_symlink() and real.read_text() == "new"
