"""Helpers for the import reliability tests: a realistic multi-file corpus, and the checks of
what the importer promises about a database after any interruption.

The promise (``core.ingest.writer`` and ``core.ingest.report``): every chunk is one
transaction holding the statements, entities, voiding, rejects, conflicts *and* the import
row's counts and ``resume_at``; so at any moment, for every ``imports`` row,

* ``read = stored + duplicates + conflicts + rejected`` and ``resume_at = read``;
* ``stored`` / ``rejected`` / ``conflicts`` equal the rows in ``statements`` / ``rejects`` /
  ``conflicts`` carrying that import's id;
* ``resume_at`` is a whole number of chunks, or the file's last record (whole chunks only);
* the ``voided`` counts add up to the statements marked voided;

and re-running the same import finishes with the counts of an uninterrupted import.
"""

from __future__ import annotations

import gzip
import json
import random
import sqlite3
import uuid
from pathlib import Path
from typing import Any

COUNTS = ("read", "stored", "duplicates", "conflicts", "rejected", "voided")
TABLES = ("statements", "actors", "verbs", "activities", "courses", "voids", "rejects", "conflicts")


def demo_corpus(folder: Path, students: int, seed: int = 11) -> Path:
    """The demo course's xAPI files (JSON Lines, a JSON array, LRS pages, a zip) plus a late
    re-send as gzip JSON Lines (exact duplicates, conflicting copies, voiding statements and
    broken lines). Returns the folder to import."""
    from learnalytics_desktop.core.demo import generate

    files = generate(folder / "demo", students=students, seed=seed)
    lms = next(p for p in files.xapi_files if p.name.endswith("-lms.jsonl"))
    rng = random.Random(seed)
    good: list[tuple[str, dict[str, Any]]] = []
    for line in lms.read_text(encoding="utf-8").splitlines():
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if (
            isinstance(obj, dict)
            and isinstance(obj.get("id"), str)
            and obj.get("verb", {})
            .get("id", "")
            .endswith(("passed", "failed", "posted", "replied", "experienced", "played", "completed"))
        ):
            good.append((line, obj))
    picked = rng.sample(good, min(len(good), 1200))
    extra: list[str] = [line for line, _ in picked[:600]]  # re-sent unchanged: duplicates
    for _, obj in picked[600:750]:  # re-sent with another timestamp: conflicts (the first is kept)
        changed = dict(obj, timestamp="2026-12-01T09:00:00Z")
        extra.append(json.dumps(changed))
    for _, obj in picked[750:790]:  # voided late
        extra.append(
            json.dumps(
                {
                    "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "actor": {"objectType": "Agent", "mbox": "mailto:registrar@uni.example.edu"},
                    "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
                    "object": {"objectType": "StatementRef", "id": obj["id"]},
                    "timestamp": "2026-12-02T09:00:00Z",
                }
            )
        )
    extra += [line[: rng.randrange(5, 60)] for line, _ in picked[790:800]]  # cut off
    rng.shuffle(extra)
    xapi = folder / "demo" / "xapi"
    with gzip.open(xapi / "zz-late-resend.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write("\n".join(extra) + "\n")
    return xapi


def table_counts(path: Path) -> dict[str, int]:
    """Rows per table, and the statements marked voided."""
    conn = sqlite3.connect(path)
    try:
        out = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
        out["voided statements"] = conn.execute(
            "SELECT count(*) FROM statements WHERE voided = 1"
        ).fetchone()[0]
    finally:
        conn.close()
    return out


def content(path: Path) -> list[tuple[Any, ...]]:
    """Every stored statement as (id, hash, voided, is_voiding, actor ifi, course iri), by id."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT s.id, s.hash, s.voided, s.is_voiding, a.ifi, c.iri FROM statements s JOIN actors a ON a.id = s.actor "
            "LEFT JOIN courses c ON c.id = s.course ORDER BY s.id"
        ).fetchall()
    finally:
        conn.close()


def file_counts(path: Path) -> dict[str, dict[str, int]]:
    """The counts of each file (by source) of the database's import rows."""
    conn = sqlite3.connect(path)
    try:
        return {
            r[0]: dict(zip(COUNTS, r[1:], strict=True))
            for r in conn.execute(f"SELECT source, {', '.join(COUNTS)} FROM imports ORDER BY id")
        }
    finally:
        conn.close()


def check_whole_chunks(
    path: Path,
    ref_files: dict[str, dict[str, int]],
    chunk: int,
    ref_hashes: dict[str, bytes] | None = None,
    statuses: tuple[str, ...] = ("pending", "running", "done"),
) -> int:
    """Assert the database at ``path`` keeps the importer's promise (module docstring) against an
    uninterrupted import's per-file counts ``ref_files``; returns the records committed."""
    conn = sqlite3.connect(path, timeout=30)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        if conn.execute("PRAGMA user_version").fetchone()[0] == 0:  # killed while creating it:
            assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0  # nothing yet
            return 0
        per = {
            name: dict(conn.execute(f"SELECT import_id, count(*) FROM {name} GROUP BY import_id").fetchall())
            for name in ("statements", "rejects", "conflicts")
        }
        committed = 0
        rows = conn.execute(
            f"SELECT id, source, status, resume_at, {', '.join(COUNTS)} FROM imports"
        ).fetchall()
        for imp, source, status, resume_at, *values in rows:
            c = dict(zip(COUNTS, values, strict=True))
            where = f"import {imp} ({Path(source).name}, {status}, resume_at {resume_at})"
            assert status in statuses, where
            assert c["read"] == c["stored"] + c["duplicates"] + c["conflicts"] + c["rejected"] == resume_at, (
                where
            )
            assert per["statements"].get(imp, 0) == c["stored"], where
            assert per["rejects"].get(imp, 0) == c["rejected"], where
            assert per["conflicts"].get(imp, 0) == c["conflicts"], where
            total = ref_files[source]["read"]
            assert resume_at <= total and (resume_at % chunk == 0 or resume_at == total), (
                f"{where}: not whole chunks"
            )
            if status == "done":
                assert c == ref_files[source], where
            committed += resume_at
        voided = conn.execute("SELECT count(*) FROM statements WHERE voided = 1").fetchone()[0]
        assert voided == sum(r[4 + COUNTS.index("voided")] for r in rows)
        if ref_hashes is not None:
            for sid, digest in conn.execute("SELECT id, hash FROM statements"):
                assert ref_hashes.get(sid) == digest, f"statement {sid} is not in the uninterrupted import"
    finally:
        conn.close()
    return committed
