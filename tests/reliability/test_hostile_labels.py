"""Finding 14 of issue 15: labels with NUL, CR, bidi overrides or leading spaces were stored raw,
so they could not be confirmed in the erase dialog, found by the command line, or shown on a
terminal safely. Labels are stored cleaned (``core.labels``); lookups clean what is typed the
same way; the identifier itself is kept exactly."""

from __future__ import annotations

import json
import sqlite3
import unicodedata
import uuid
from pathlib import Path

import pytest

from learnalytics_desktop.cli import main
from learnalytics_desktop.core.learners import find_learner
from learnalytics_desktop.core.store.db import open_db

HOME = "https://lms.example.org"
NAMES = {
    "\u0000ann": "ann",
    "  bob  ": "bob",
    "carol\r\nX-Evil: 1": "carol X-Evil: 1",
    "dave\u202egpj.exe": "davegpj.exe",
    "\u001b[2Jerin": "[2Jerin",
    "fr\u200bank": "frank",
}


def _import(tmp_path: Path) -> Path:
    src = tmp_path / "s.jsonl"
    lines = []
    for raw in NAMES:
        for day in (5, 6):
            lines.append(
                json.dumps(
                    {
                        "id": str(uuid.uuid4()),
                        "actor": {"account": {"homePage": HOME, "name": raw}, "name": raw},
                        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
                        "object": {"id": "https://x.example/a/1"},
                        "timestamp": f"2026-01-{day:02d}T10:00:00Z",
                    }
                )
            )
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "x.db"
    assert main(["import", "--db", str(db), "--course-fallback", "https://x.example/c", str(src)]) == 0
    return db


def test_labels_are_stored_clean_and_identifiers_exact(tmp_path: Path) -> None:
    db = _import(tmp_path)
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT ifi, label, name FROM actors").fetchall()
    finally:
        conn.close()
    assert sorted(label for _, label, _ in rows) == sorted(NAMES.values())
    for _ifi, label, name in rows:
        for text in (label, name):
            assert text == text.strip()
            assert not any(unicodedata.category(c) in ("Cc", "Cf") for c in text), repr(text)
    assert sorted(ifi for ifi, _, _ in rows) == sorted(f"account:{HOME}|{raw}" for raw in NAMES)


@pytest.mark.parametrize(("raw", "shown"), list(NAMES.items()))
def test_each_learner_is_found_by_label_and_by_what_was_typed(tmp_path: Path, raw: str, shown: str) -> None:
    db = _import(tmp_path)
    conn = open_db(db)
    try:
        by_label = find_learner(conn, shown)
        assert conn.execute("SELECT label FROM actors WHERE id = ?", (by_label,)).fetchone()[0] == shown
        if raw.strip() and "\u0000" not in raw:
            assert find_learner(conn, raw) == by_label
    finally:
        conn.close()
    out = tmp_path / "sar.json"
    assert main(["export-learner", "--db", str(db), "--student", shown, "--out", str(out)]) == 0
    assert main(["erase", "--db", str(db), "--student", shown, "--yes"]) == 0


def test_course_and_activity_names_are_stored_clean(tmp_path: Path) -> None:
    src = tmp_path / "s.jsonl"
    course = "https://x.example/course/evil"
    st = {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": "mailto:ann@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {
            "id": "https://x.example/a/1",
            "definition": {"name": {"en-US": "\u001b]0;pwned\u0007Quiz\u202e 1"}},
        },
        "context": {
            "contextActivities": {
                "grouping": [
                    {
                        "id": course,
                        "definition": {
                            "type": "http://adlnet.gov/expapi/activities/course",
                            "name": {"en-US": "  Intro\r\nto\u0000 stats  "},
                        },
                    }
                ]
            }
        },
        "timestamp": "2026-01-05T10:00:00Z",
    }
    src.write_text(json.dumps(st) + "\n", encoding="utf-8")
    db = tmp_path / "x.db"
    assert main(["import", "--db", str(db), str(src)]) == 0
    conn = sqlite3.connect(db)
    try:
        names = [n for (n,) in conn.execute("SELECT name FROM courses")]
        names += [n for (n,) in conn.execute("SELECT name FROM activities WHERE name IS NOT NULL")]
    finally:
        conn.close()
    assert "Intro to stats" in names
    for name in names:
        assert not any(unicodedata.category(c) in ("Cc", "Cf") for c in name), repr(name)
