"""Finding 12 of issue 15: importing the same file again does not add its rejected records to
the quarantine again (30 runs once gave 100 rows instead of 10). A record already quarantined
under the same rule counts as a duplicate, so read = stored + duplicates + conflicts +
rejected + skipped still holds and every import's ``rejected`` equals its rows in ``rejects``."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

from learnalytics_desktop.cli import main


def _file(path: Path) -> Path:
    good = [
        json.dumps(
            {
                "id": str(uuid.uuid4()),
                "actor": {"mbox": f"mailto:s{i}@example.org"},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
                "object": {"id": "https://x.example/a/1"},
                "timestamp": "2026-01-05T10:00:00Z",
            }
        )
        for i in range(20)
    ]
    bad = [f'{{"broken": {i}' for i in range(6)] + ['{"id": "not-a-uuid"}'] * 2 + ["[1, 2]", "null"]
    path.write_text("\n".join(good + bad) + "\n", encoding="utf-8")
    return path


def test_reimporting_a_file_does_not_grow_the_quarantine(tmp_path: Path) -> None:
    src, db = _file(tmp_path / "s.jsonl"), tmp_path / "x.db"
    for _ in range(5):
        assert main(["import", "--db", str(db), "--course-fallback", "https://x.example/c", str(src)]) == 0
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT count(*) FROM rejects").fetchone()[0] == 9  # two lines are identical
        rows = conn.execute(
            "SELECT id, read, stored, duplicates, conflicts, rejected, skipped FROM imports ORDER BY id"
        ).fetchall()
        for import_id, read, stored, dup, conf, rej, skipped in rows:
            assert read == stored + dup + conf + rej + skipped == 30
            assert (
                rej
                == conn.execute("SELECT count(*) FROM rejects WHERE import_id = ?", (import_id,)).fetchone()[
                    0
                ]
            )
        assert [r[5] for r in rows] == [9, 0, 0, 0, 0]
        assert [r[3] for r in rows] == [1, 30, 30, 30, 30]
    finally:
        conn.close()
