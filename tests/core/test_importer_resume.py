"""Interrupted imports: cancel and SIGKILL leave a consistent database; a rerun completes it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_importer_helpers import counts, sid, stmt, voiding, write_jsonl

from learnalytics_desktop.core.ingest.importer import import_paths
from learnalytics_desktop.core.jobs import Cancelled
from learnalytics_desktop.core.store.db import open_db


def _corpus(tmp_path: Path, n: int) -> Path:
    items: list = []
    for i in range(n):
        items.append(stmt(i, who=i % 97))
        if i % 1000 == 500:
            items += [
                stmt(i - 3),
                "{oops",
                voiding(10**6 + i, sid(i - 10)),
                stmt(i - 4, timestamp="2020-01-01T00:00:00Z"),
            ]
    items.append(voiding(2 * 10**6, sid(n - 1)))  # voids a statement of the first part... later
    return write_jsonl(tmp_path / "big.jsonl", items)


def _state(path: Path) -> tuple:
    conn = sqlite3.connect(path)
    try:
        stmts = conn.execute(
            "SELECT s.id, s.hash, s.voided, s.is_voiding, a.ifi FROM statements s "
            "JOIN actors a ON a.id = s.actor ORDER BY s.id"
        ).fetchall()
        rejects = conn.execute("SELECT location, rule FROM rejects ORDER BY location").fetchall()
        conflicts = conn.execute("SELECT statement_id, location FROM conflicts ORDER BY location").fetchall()
        voids = conn.execute("SELECT * FROM voids ORDER BY target_id").fetchall()
    finally:
        conn.close()
    return stmts, rejects, conflicts, voids


class _CancelAfter:
    def __init__(self, checks: int) -> None:
        self.left = checks

    def progress(self, fraction: float, message: str = "") -> None:
        pass

    def check(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise Cancelled("test")


def test_cancel_keeps_committed_chunks_and_rerun_completes(tmp_path):
    src = _corpus(tmp_path, 6000)
    ref = import_paths(tmp_path / "ref.db", [src], workers=0, chunk_records=1000)
    path = tmp_path / "c.db"
    part = import_paths(path, [src], workers=0, chunk_records=1000, report=_CancelAfter(3))
    assert part.cancelled and part.files[0].status == "cancelled"
    conn = sqlite3.connect(path)
    status, read, stored, resume_at = conn.execute(
        "SELECT status, read, stored, resume_at FROM imports"
    ).fetchone()
    assert status == "cancelled" and read == resume_at == 4000  # 4 batches committed, then cancelled
    assert conn.execute("SELECT count(*) FROM statements").fetchone()[0] == stored
    conn.close()
    rest = import_paths(path, [src], workers=0, chunk_records=1000)
    assert rest.resumed and not rest.cancelled and rest.files[0].resumed_records == 4000
    assert counts(rest) == counts(ref)
    assert rest.rejects_by_rule == ref.rejects_by_rule
    assert _state(path) == _state(tmp_path / "ref.db")
    again = import_paths(path, [src], workers=0)  # a finished run is not resumed: all duplicates
    assert not again.resumed and again.stored == 0 and again.rejected == 0
    # records already quarantined are duplicates too (issue 15, finding 12)
    assert again.duplicates == ref.stored + ref.duplicates + ref.rejected


def test_cancelled_folder_run_resumes_file_by_file(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for k in range(3):
        write_jsonl(folder / f"f{k}.jsonl", [stmt(1000 * k + i) for i in range(1500)])
    ref = import_paths(tmp_path / "ref.db", [folder], workers=0, chunk_records=500)
    path = tmp_path / "c.db"
    part = import_paths(path, [folder], workers=0, chunk_records=500, report=_CancelAfter(2))
    assert part.cancelled and [f.status for f in part.files] == ["done", "cancelled", "pending"]
    rest = import_paths(path, [folder], workers=0, chunk_records=500)
    assert counts(rest) == counts(ref) and [f.status for f in rest.files] == ["done"] * 3
    assert _state(path) == _state(tmp_path / "ref.db")


_SCRIPT = """
import sys
from learnalytics_desktop.core.ingest.importer import import_paths
import_paths(sys.argv[1], [sys.argv[2]], workers=0, chunk_records=500)
print("finished")
"""


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", [1000, 6000, 11000])
def test_sigkill_mid_import_then_rerun_equals_uninterrupted(tmp_path, kill_at):
    src = _corpus(tmp_path, 14000)
    ref = import_paths(tmp_path / "ref.db", [src], workers=0, chunk_records=500)
    path = tmp_path / "k.db"
    open_db(path).close()  # the watcher below needs the file before the child writes to it
    proc = subprocess.Popen(
        [sys.executable, "-c", _SCRIPT, str(path), str(src)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
    )
    deadline = time.monotonic() + 60
    killed = False
    watch = sqlite3.connect(path, timeout=10)
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            row = watch.execute("SELECT max(resume_at) FROM imports WHERE source = ?", (str(src),)).fetchone()
            if row[0] is not None and row[0] >= kill_at:
                proc.send_signal(signal.SIGKILL)
                killed = True
                break
            time.sleep(0.002)
    finally:
        watch.close()
    proc.wait(timeout=30)
    assert killed, "the import finished before it could be killed"
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    status, stored, rejected, resume_at, read = conn.execute(
        "SELECT status, stored, rejected, resume_at, read FROM imports WHERE source=?", (str(src),)
    ).fetchone()
    assert status == "running" and resume_at == read and 0 < read < ref.read
    # Whatever was committed is complete: the counts match the rows.
    n_stmts = conn.execute(
        "SELECT count(*) FROM statements WHERE import_id = (SELECT id FROM imports WHERE source=?)",
        (str(src),),
    ).fetchone()[0]
    assert n_stmts == stored
    assert conn.execute("SELECT count(*) FROM rejects WHERE source=?", (str(src),)).fetchone()[0] == rejected
    conn.close()
    rest = import_paths(path, [src], workers=0, chunk_records=500)
    assert rest.resumed and counts(rest) == counts(ref) and rest.rejects_by_rule == ref.rejects_by_rule
    assert _state(path) == _state(tmp_path / "ref.db")
