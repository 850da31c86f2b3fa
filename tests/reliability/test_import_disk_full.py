"""The disk fills up during an import: the import stops with a message that says the disk is
full, the database keeps its whole chunks (and nothing else), still opens and passes the
integrity check; after space is freed, running the same import again completes it with the
counts of an uninterrupted import. The command line exits 2 with one line; the Import page's
job (``gui.pages.import_jobs.run_import``, the function its worker runs) raises the same message.

Two ways to fill the disk: a real tiny filesystem (tmpfs with a ballast file; needs root, as in
CI containers; skipped where mounting is not permitted) and SQLite's ``max_page_count`` set on
every connection the importer opens (always available).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from learnalytics_desktop.cli import main
from learnalytics_desktop.core.ingest import importer
from learnalytics_desktop.core.ingest.importer import CHUNK_RECORDS, import_paths
from learnalytics_desktop.core.store.db import DatabaseError, open_db
from learnalytics_desktop.gui.pages.ingest.jobs import run_import
from reliability._corpus import COUNTS, check_whole_chunks, file_counts, table_counts

BUDGET = 2_500 * 1024  # bytes left on the tiny disk: two of the demo's four files fit


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """The demo's statement files (four files, about 11,000 records)."""
    from learnalytics_desktop.core.demo import generate

    return generate(tmp_path_factory.mktemp("corpus"), students=60).out_dir / "xapi"


class TinyDisk:
    """A disk that can be filled up (leaving ``BUDGET`` bytes) and freed again."""

    def __init__(self, folder: Path, mode: str, monkeypatch: pytest.MonkeyPatch, ref_pages: int) -> None:
        self.folder, self.mode = folder, mode
        self.limit: int | None = None
        self.ref_pages = ref_pages
        if mode == "tmpfs":
            if sys.platform != "linux" or os.geteuid() != 0 or not shutil.which("mount"):
                pytest.skip("a tmpfs can only be mounted by root on Linux")
            folder.mkdir()
            done = subprocess.run(
                ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(folder)],
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                pytest.skip(f"mounting a tmpfs is not permitted here: {done.stderr.strip()}")
        else:
            folder.mkdir()
            real = importer.open_db

            def limited(path, *args, **kwargs):
                conn = real(path, *args, **kwargs)
                if self.limit is not None:
                    conn.execute(f"PRAGMA max_page_count = {self.limit}")
                return conn

            monkeypatch.setattr(importer, "open_db", limited)

    def fill(self) -> None:
        if self.mode == "tmpfs":
            st = os.statvfs(self.folder)
            with open(self.folder / "ballast", "wb") as f:
                f.write(b"\0" * (st.f_bavail * st.f_frsize - BUDGET))
        else:
            self.limit = 40 + self.ref_pages * 5 // 10

    def free(self) -> None:
        if self.mode == "tmpfs":
            (self.folder / "ballast").unlink()
        else:
            self.limit = None

    def close(self) -> None:
        if (
            self.mode == "tmpfs"
            and subprocess.run(["umount", str(self.folder)], capture_output=True).returncode
        ):
            subprocess.run(["umount", "-l", str(self.folder)], capture_output=True)


@pytest.mark.parametrize("mode", ["tmpfs", "page_limit"])
def test_disk_full_during_import_cli_and_gui(tmp_path, corpus, mode, monkeypatch, capsys):
    ref = import_paths(tmp_path / "ref.db", [corpus], workers=0)
    ref_files = file_counts(tmp_path / "ref.db")
    conn = sqlite3.connect(tmp_path / "ref.db")
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.close()
    disk = TinyDisk(tmp_path / "disk", mode, monkeypatch, pages)
    try:
        db = disk.folder / "term.db"
        disk.fill()
        # The command line: exit 2, one line on stderr saying the disk is full.
        assert main(["import", "--db", str(db), str(corpus), "--workers", "0"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("learnalytics import: The disk holding ")
        assert "is full" in err and "run the same import again" in err
        message = err.strip().removeprefix("learnalytics import: ")

        # Rolled back to the last whole chunk; the database opens and is intact.
        statuses = ("pending", "running", "done", "failed")
        committed = check_whole_chunks(db, ref_files, CHUNK_RECORDS, statuses=statuses)
        assert 0 < committed < ref.read  # it stopped part-way, keeping what it had committed
        conn = open_db(db)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()

        # The Import page's job, while the disk is still full: the same message reaches the page.
        with pytest.raises(DatabaseError) as info:
            run_import(db, [corpus])
        assert str(info.value) == message
        assert check_whole_chunks(db, ref_files, CHUNK_RECORDS, statuses=statuses) == committed

        # Space freed: the same import continues where it stopped and completes.
        disk.free()
        assert main(["import", "--db", str(db), str(corpus), "--workers", "0", "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["resumed"] and {k: out[k] for k in COUNTS} == {k: getattr(ref, k) for k in COUNTS}
        check_whole_chunks(db, ref_files, CHUNK_RECORDS, statuses=("done",))
        assert table_counts(db) == table_counts(tmp_path / "ref.db")
    finally:
        disk.close()


def test_disk_full_with_a_connection_keeps_it_usable(tmp_path, corpus):
    """``import_paths`` given an open connection (as the demo builder does): after the disk
    fills, the same connection is still usable and the rerun on it completes."""
    ref = import_paths(tmp_path / "ref.db", [corpus], workers=0, chunk_records=1_000)
    ref_files = file_counts(tmp_path / "ref.db")
    conn = open_db(tmp_path / "c.db")
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 300}")
    with pytest.raises(DatabaseError, match=r"The disk holding .*c\.db is full"):
        import_paths(conn, [corpus], workers=0, chunk_records=1_000)
    assert not conn.in_transaction
    assert (
        check_whole_chunks(
            tmp_path / "c.db", ref_files, 1_000, statuses=("pending", "running", "done", "failed")
        )
        > 0
    )
    conn.execute("PRAGMA max_page_count = 1073741823")
    rest = import_paths(conn, [corpus], workers=0, chunk_records=1_000)
    conn.close()
    assert rest.resumed and {k: getattr(rest, k) for k in COUNTS} == {k: getattr(ref, k) for k in COUNTS}
    assert table_counts(tmp_path / "c.db") == table_counts(tmp_path / "ref.db")


def test_full_disk_when_opening_is_not_called_damage(tmp_path, monkeypatch):
    """A disk-full error while opening says so (it used to read "not a Learnalytics database or
    is damaged", which sends a user looking for a backup instead of freeing space)."""
    from learnalytics_desktop.core.store import db as dbmod

    def full(conn, path):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(dbmod, "_configure", full)
    with pytest.raises(DatabaseError, match=r"The disk holding .*x\.db is full .*Nothing was changed"):
        open_db(tmp_path / "x.db")


def test_io_error_during_an_import(tmp_path, corpus, monkeypatch, capsys):
    """An I/O error half-way through writing a chunk (injected where SQLite would report
    SQLITE_IOERR_WRITE, after part of the chunk went in): the chunk is rolled back, the command
    line says "I/O error" in one line, and the rerun completes the import."""
    from learnalytics_desktop.core.ingest.writer import Writer

    ref = import_paths(tmp_path / "ref.db", [corpus], workers=0)
    ref_files = file_counts(tmp_path / "ref.db")
    real = Writer._apply_voiding
    calls = [0]

    def failing(self, *args, **kwargs):
        calls[0] += 1
        out = real(self, *args, **kwargs)  # the statements of the chunk are written...
        if calls[0] == 2:  # ...and then the disk fails, in the second chunk
            exc = sqlite3.OperationalError("disk I/O error")
            exc.sqlite_errorcode, exc.sqlite_errorname = 778, "SQLITE_IOERR_WRITE"
            raise exc
        return out

    monkeypatch.setattr(Writer, "_apply_voiding", failing)
    db = tmp_path / "io.db"
    assert main(["import", "--db", str(db), str(corpus), "--workers", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "failed with an I/O error" in err and str(db) in err
    committed = check_whole_chunks(db, ref_files, CHUNK_RECORDS, statuses=("pending", "done", "failed"))
    conn = sqlite3.connect(db)
    try:
        assert (
            conn.execute(
                "SELECT count(*) FROM imports WHERE status = 'failed' AND message LIKE '%I/O error%'"
            ).fetchone()[0]
            == 1
        )
    finally:
        conn.close()
    assert committed == next(iter(ref_files.values()))["read"]  # the first file's chunk only
    monkeypatch.undo()
    assert main(["import", "--db", str(db), str(corpus), "--workers", "0", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["resumed"] and {k: out[k] for k in COUNTS} == {k: getattr(ref, k) for k in COUNTS}
    assert table_counts(db) == table_counts(tmp_path / "ref.db")
