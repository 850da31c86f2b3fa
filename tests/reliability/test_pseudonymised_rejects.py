"""Finding 3 of issue 15: a pseudonymised database promises no names or e-mail addresses, so
the reasons of its rejected records name the rule and the field, never the offending value."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

import pytest

from learnalytics_desktop.cli import main

COURSE = "https://x.example/courses/c1"
SECRETS = ("mona.badmbox@example.org", "Mona Secret", "ann.lee-4711", "bob.private")


def _st(actor: object, **extra: object) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": "https://x.example/a/1"},
        "timestamp": "2026-01-05T10:00:00Z",
        **extra,
    }


def _records() -> list[dict]:
    return [
        _st({"mbox": "mailto:ok@example.org"}),
        _st({"mbox": "mona.badmbox@example.org", "name": "Mona Secret"}),  # not a mailto IRI
        _st({"account": {"homePage": "not an iri", "name": "ann.lee-4711"}}),
        _st({"mbox": "mailto:bob.private@example.org", "openid": "bob.private"}),  # two IFIs
        _st({"mbox": "mailto:x@example.org"}, timestamp="bob.private"),
    ]


def _dump(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return "\n".join(repr(row) for t in tables for row in conn.execute(f"SELECT * FROM {t}"))
    finally:
        conn.close()


@pytest.mark.parametrize("workers", ["0", "1"])
def test_pseudonymised_rejects_never_quote_the_value(tmp_path: Path, workers: str) -> None:
    src = tmp_path / "s.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in _records()) + "\n", encoding="utf-8")
    key, db = tmp_path / "k.key", tmp_path / "p.db"
    assert main(["keygen", "--key-file", str(key)]) == 0
    args = ["import", "--db", str(db), "--pseudonymize", "--key-file", str(key)]
    assert main([*args, "--course-fallback", COURSE, "--workers", workers, str(src)]) == 0
    conn = sqlite3.connect(db)
    rejects = conn.execute("SELECT rule, reason FROM rejects ORDER BY id").fetchall()
    conn.close()
    assert len(rejects) == 4
    for rule, reason in rejects:
        assert rule in reason and "not shown" in reason
    assert [r for r, _ in rejects][0].startswith("actor")
    text = _dump(db)
    for secret in SECRETS:
        assert secret not in text


def test_plain_imports_still_quote_the_value(tmp_path: Path) -> None:
    src = tmp_path / "s.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in _records()) + "\n", encoding="utf-8")
    db = tmp_path / "p.db"
    assert main(["import", "--db", str(db), "--course-fallback", COURSE, str(src)]) == 0
    conn = sqlite3.connect(db)
    reasons = [r for (r,) in conn.execute("SELECT reason FROM rejects ORDER BY id")]
    conn.close()
    assert any("mona.badmbox@example.org" in r for r in reasons)  # the data officer sees why
