"""SIGKILL at random moments of a ~100,000-record multi-file import (JSON Lines, a JSON array,
LRS pages, a zip, a gzip re-send): after every kill the database is intact and holds whole
chunks only; running the import again finishes with exactly the counts and content of an
uninterrupted import into a fresh database (see ``_corpus`` for the promise checked)."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from learnalytics_desktop.core.ingest.importer import import_paths
from reliability._corpus import COUNTS, check_whole_chunks, content, demo_corpus, file_counts, table_counts

ROOT = Path(__file__).resolve().parents[2]
CHUNK = 2_000
KILLS = 20
CHILD = """
import json, sys
from learnalytics_desktop.core.ingest.importer import import_paths
print("started", flush=True)
rep = import_paths(sys.argv[1], [sys.argv[2]], workers=0, chunk_records=int(sys.argv[3]))
print(json.dumps({k: getattr(rep, k) for k in ("read", "stored", "duplicates", "conflicts", "rejected", "voided")}))
"""


def _start(db: Path, src: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), str(src), str(CHUNK)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # the interpreter and the importer's modules are loaded
    assert line.strip() == "started", proc.stderr.read() if proc.stderr else line
    return proc


def _kill(proc: subprocess.Popen) -> bool:
    """SIGKILL the child's whole process group; False when it had already finished."""
    if proc.poll() is not None:
        return False
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    return True


@pytest.mark.slow
def test_sigkill_at_random_points_then_rerun_equals_uninterrupted(tmp_path):
    src = demo_corpus(tmp_path / "in", students=500)
    t0 = time.perf_counter()
    ref = import_paths(tmp_path / "ref.db", [src], workers=0, chunk_records=CHUNK)
    rate = ref.read / (time.perf_counter() - t0)  # records/s here, to spread the kills over the import
    assert ref.read > 90_000 and ref.conflicts and ref.voided and ref.rejected and ref.duplicates
    names = {Path(f.source).name for f in ref.files}
    assert any(n.endswith(".zip") for n in names) and any(n.endswith("-video.json") for n in names)
    ref_files = file_counts(tmp_path / "ref.db")
    ref_rows = content(tmp_path / "ref.db")
    ref_hashes = {r[0]: r[1] for r in ref_rows}

    path = tmp_path / "killed.db"
    rng = random.Random(20261126)
    kills, states, final, committed = 0, set(), None, 0
    for attempt in range(KILLS):
        left = (ref.read - committed) / rate  # seconds of import work left
        # A few kills right after start-up (creating the database, opening the run); the
        # others at random, spread so that the kills cover the whole import.
        # (each restart re-reads the chunk the kill interrupted: about 0.1 s of work)
        delay = (
            rng.uniform(0, 0.05) if attempt % 7 == 0 else rng.uniform(0, 2 * (left / (KILLS - attempt) + 0.1))
        )
        proc = _start(path, src)
        time.sleep(delay)
        if not _kill(proc):
            out, err = proc.communicate()
            assert proc.returncode == 0, err
            final = json.loads(out.strip().splitlines()[-1])
            break
        kills += 1
        committed = check_whole_chunks(path, ref_files, CHUNK, ref_hashes) if path.exists() else 0
        states.add(committed)
    assert kills >= 15, f"only {kills} kills landed before the import finished"
    assert len(states) >= 8, f"the kills hit too few distinct points of the import: {sorted(states)}"

    if final is None:  # the run after the last kill, uninterrupted
        rest = import_paths(path, [src], workers=0, chunk_records=CHUNK)
        assert rest.resumed and not rest.cancelled
        final = {k: getattr(rest, k) for k in COUNTS}
    assert final == {k: getattr(ref, k) for k in COUNTS}
    check_whole_chunks(path, ref_files, CHUNK, ref_hashes, statuses=("done",))
    assert file_counts(path) == ref_files
    assert table_counts(path) == table_counts(tmp_path / "ref.db")
    assert content(path) == ref_rows
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT count(*) FROM audit_log WHERE action = 'import'").fetchone()[0] == 1
        assert (
            conn.execute("SELECT count(*) FROM imports WHERE batch NOT LIKE '%@%'").fetchone()[0] == 0
        )  # run closed
    finally:
        conn.close()


def test_crash_after_the_last_file_before_the_run_closes(tmp_path, monkeypatch):
    """The narrowest window: every file is done but the run's closing transaction (audit row,
    run key closed) never committed. The rerun must finish that run, not start a new one in
    which everything would count as a duplicate."""
    from learnalytics_desktop.core.ingest import importer

    src = tmp_path / "a.jsonl"
    src.write_text(
        "\n".join(
            json.dumps(
                {
                    "id": f"00000000-0000-4000-8000-{i:012d}",
                    "actor": {"mbox": f"mailto:s{i % 7}@x.example"},
                    "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
                    "object": {"id": f"https://x.example/a/{i % 5}"},
                    "timestamp": "2026-03-02T10:00:00Z",
                }
            )
            for i in range(50)
        )
        + "\n"
    )
    ref = import_paths(tmp_path / "ref.db", [src], workers=0)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # stands for the process dying here

    monkeypatch.setattr(importer, "audit", crash)
    with pytest.raises(KeyboardInterrupt):
        import_paths(tmp_path / "k.db", [src], workers=0)
    monkeypatch.undo()
    rest = import_paths(tmp_path / "k.db", [src], workers=0)
    assert rest.resumed and {k: getattr(rest, k) for k in COUNTS} == {k: getattr(ref, k) for k in COUNTS}
    assert table_counts(tmp_path / "k.db") == table_counts(tmp_path / "ref.db")
    again = import_paths(tmp_path / "k.db", [src], workers=0)  # the run is closed now: a new run
    assert not again.resumed and again.stored == 0 and again.duplicates == 50
