"""Exports and settings are written atomically: an export interrupted half-way (an exception
while the rows are produced, a failing flush or rename, a full disk) leaves the previous file
exactly as it was and no partial or temporary file; a settings change that fails half-way
leaves the previous settings."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from learnalytics_desktop.core import export
from learnalytics_desktop.core.export import (
    ExportError,
    atomic_write_bytes,
    atomic_write_text,
    write_csv_atomic,
)

OLD = b"student,score\r\nann,1\r\n"


def _leftovers(folder: Path, target: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p != target)


def _rows_then_crash(n: int):
    for i in range(n):
        yield {"student": f"s{i}", "score": i}
    raise RuntimeError("the database connection was lost while reading rows")


@pytest.fixture
def target(tmp_path) -> Path:
    path = tmp_path / "out" / "risk.csv"
    path.parent.mkdir()
    path.write_bytes(OLD)
    return path


def test_rows_failing_half_way_leave_the_previous_file(target):
    with pytest.raises(RuntimeError, match="connection was lost"):
        write_csv_atomic(target, _rows_then_crash(10_000))
    assert target.read_bytes() == OLD
    assert _leftovers(target.parent, target) == []


@pytest.mark.parametrize("where", ["write", "fsync", "replace"])
def test_failure_while_writing_leaves_the_previous_file(target, monkeypatch, where):
    """A full disk / I/O error at each step of the write: ExportError naming the file and the
    reason; the previous file untouched; the temporary file removed."""
    nospace = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    if where == "write":
        real_fdopen = os.fdopen

        class Failing:
            def __init__(self, fh) -> None:
                self.fh = fh

            def __enter__(self):
                return self

            def __exit__(self, *exc: object) -> None:
                self.fh.close()

            def write(self, data: bytes) -> int:
                self.fh.write(data[: len(data) // 2])  # half of it reached the disk
                raise nospace

        monkeypatch.setattr(export.os, "fdopen", lambda fd, mode: Failing(real_fdopen(fd, mode)))
    elif where == "fsync":
        monkeypatch.setattr(export.os, "fsync", lambda fd: (_ for _ in ()).throw(nospace))
    else:
        monkeypatch.setattr(export.os, "replace", lambda a, b: (_ for _ in ()).throw(nospace))
    with pytest.raises(ExportError) as info:
        write_csv_atomic(target, [{"student": f"s{i}", "score": i} for i in range(5_000)])
    assert str(target) in str(info.value) and "No space left on device" in str(info.value)
    assert target.read_bytes() == OLD
    assert _leftovers(target.parent, target) == []


def test_interrupt_while_writing_leaves_the_previous_file(target, monkeypatch):
    """Even a KeyboardInterrupt (Ctrl+C in the command line) mid-write removes the temp file."""
    monkeypatch.setattr(export.os, "fsync", lambda fd: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(target, "new text\n")
    assert target.read_bytes() == OLD
    assert _leftovers(target.parent, target) == []


def test_real_full_disk(tmp_path):
    """On a 1 MB filesystem, a 4 MB export fails with a clear message and changes nothing."""
    if sys.platform != "linux" or os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("a tmpfs can only be mounted by root on Linux")
    disk = tmp_path / "disk"
    disk.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here: {done.stderr.strip()}")
    try:
        target = disk / "export.csv"
        target.write_bytes(OLD)
        with pytest.raises(ExportError, match=r"Cannot write .*export\.csv: No space left on device"):
            atomic_write_bytes(target, b"x" * (4 * 1024 * 1024))
        assert target.read_bytes() == OLD
        assert _leftovers(disk, target) == []
        atomic_write_bytes(target, b"small enough\n")  # the disk is usable afterwards
        assert target.read_bytes() == b"small enough\n"
    finally:
        if subprocess.run(["umount", str(disk)], capture_output=True).returncode:
            subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_cli_export_to_a_missing_folder_writes_nothing(tmp_path, capsys):
    """A command-line export whose folder does not exist: one clear line, exit 2, no file."""
    from learnalytics_desktop.cli import main
    from learnalytics_desktop.core.store.db import open_db

    db = tmp_path / "x.db"
    open_db(db).close()
    out = tmp_path / "nowhere" / "rejects.csv"
    assert main(["rejects", "--db", str(db), "--csv", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not exist" in err and str(out.parent) in err
    assert not out.parent.exists()


def test_settings_change_failing_half_way_keeps_the_previous_settings(db, monkeypatch):
    """Per-database settings are saved in one transaction with their audit row: when the
    audit write fails (standing for a crash or a full disk), the old value stays."""
    from learnalytics_desktop.core.features.engagement import DEFAULT_WEIGHTS, load_weights, save_weights
    from learnalytics_desktop.core.store import db as dbmod

    save_weights(db, {**DEFAULT_WEIGHTS, next(iter(DEFAULT_WEIGHTS)): 5.0})
    first = load_weights(db)
    assert first != dict(DEFAULT_WEIGHTS)
    audits = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]

    def failing_audit(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(dbmod, "audit", failing_audit)
    with pytest.raises(OSError, match="No space"):
        save_weights(db, dict(DEFAULT_WEIGHTS))
    monkeypatch.undo()
    assert load_weights(db) == first
    assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == audits
    assert not db.in_transaction


def test_settings_on_a_full_disk_keep_the_previous_settings(db):
    """SQLITE_FULL while saving settings: rolled back, a clear error, the old value kept."""
    import sqlite3

    from learnalytics_desktop.core.privacy.suppress import set_small_cell_threshold, small_cell_threshold
    from learnalytics_desktop.core.store.db import set_setting, transaction

    set_small_cell_threshold(db, 7)
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages + 1}")
    with pytest.raises(sqlite3.OperationalError, match="full"), transaction(db):
        set_setting(db, "small_cell_threshold", 9)
        set_setting(db, "notes", "x" * 200_000)
    db.execute("PRAGMA max_page_count = 1073741823")
    assert small_cell_threshold(db) == 7
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_window_settings_file_is_written_atomically(tmp_path, qapp):
    """App-window state (geometry, recent files) is an INI file through QSettings; Qt writes
    it through a temporary file and a rename while atomic sync is on (its default), which the
    app's settings object keeps."""
    from PySide6.QtCore import QSettings

    from learnalytics_desktop.gui import qsettings

    assert qsettings.settings().isAtomicSyncRequired()
    path = tmp_path / "window.ini"
    path.write_text("[window]\npage=import\n")
    s = QSettings(str(path), QSettings.Format.IniFormat)
    assert s.isAtomicSyncRequired()
    s.setValue("window/page", "overview")
    s.sync()
    assert s.status() == QSettings.Status.NoError
    assert "page=overview" in path.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["window.ini"]  # no temporary file left
