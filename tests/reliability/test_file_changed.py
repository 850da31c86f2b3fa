"""Finding 13 of issue 15: a file truncated or rewritten while it is imported gets a warning,
and no SHA-256 is recorded for it (the checksum would match no version of the file)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

import pytest

from learnalytics_desktop.core.ingest.importer import import_paths


def _write(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            st = {
                "id": str(uuid.uuid4()),
                "actor": {"mbox": f"mailto:s{i % 50}@example.org"},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
                "object": {"id": f"https://x.example/a/{i}"},
                "timestamp": "2026-01-05T10:00:00Z",
            }
            fh.write(json.dumps(st) + "\n")


class _Meddler:
    """A progress reporter that changes the file after the first committed chunk."""

    def __init__(self, path: Path, how: str) -> None:
        self.path, self.how, self.done = path, how, False

    def progress(self, fraction: float, message: str = "") -> None:
        if not self.done and fraction > 0:
            self.done = True
            if self.how == "truncate":
                with self.path.open("r+b") as fh:
                    fh.truncate(self.path.stat().st_size // 2)
            else:
                with self.path.open("ab") as fh:
                    fh.write(b'{"appended": true}\n')

    def check(self) -> None:
        pass


@pytest.mark.parametrize("how", ["truncate", "append"])
def test_a_file_changed_during_import_is_flagged(tmp_path: Path, how: str) -> None:
    src = tmp_path / "s.jsonl"
    _write(src, 4000)
    db = tmp_path / "x.db"
    result = import_paths(
        db,
        [src],
        workers=0,
        chunk_records=500,
        report=_Meddler(src, how),
        course_fallback="https://x.example/c",
    )
    fr = result.files[0]
    assert fr.sha256 is None
    assert any("changed while it was being read" in n for n in fr.notes)
    conn = sqlite3.connect(db)
    try:
        sha, message = conn.execute("SELECT sha256, message FROM imports").fetchone()
    finally:
        conn.close()
    assert sha is None and "changed while it was being read" in message


def test_an_unchanged_file_keeps_its_checksum(tmp_path: Path) -> None:
    import hashlib

    src = tmp_path / "s.jsonl"
    _write(src, 1200)
    result = import_paths(tmp_path / "x.db", [src], workers=0, chunk_records=500)
    assert result.files[0].sha256 == hashlib.sha256(src.read_bytes()).hexdigest()
    assert not any("changed" in n for n in result.files[0].notes)
