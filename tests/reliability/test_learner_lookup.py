"""Finding 2 of issue 15: ``erase --student ann_lee`` erased ``ann.lee`` and ``'b%'`` erased
bob.stone (SQL LIKE patterns). One exact, key-aware lookup (``core.learners``) now serves the
CLI's erase and export-learner and the Settings page; several matches are listed and nothing
is done. Each test here fails on the code before it."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

import pytest

from learnalytics_desktop.cli import main

COURSE = "https://x.example/courses/c1"
LMS, OTHER = "https://lms.example.org", "https://other.example.org"


def _st(actor: dict) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": "https://x.example/a/1"},
        "timestamp": "2026-01-05T10:00:00Z",
    }


PEOPLE = [
    {"account": {"homePage": LMS, "name": "ann.lee"}},
    {"account": {"homePage": LMS, "name": "bob.stone"}},
    {"account": {"homePage": LMS, "name": "sam"}},
    {"account": {"homePage": OTHER, "name": "sam"}},
    {"mbox": "mailto:cy.park@example.org", "name": "Cy Park"},
]


def _db(tmp_path: Path, *extra: str) -> Path:
    src = tmp_path / "s.jsonl"
    src.write_text("\n".join(json.dumps(_st(p)) for p in PEOPLE for _ in range(3)) + "\n", encoding="utf-8")
    db = tmp_path / "p.db"
    assert main(["import", "--db", str(db), *extra, "--course-fallback", COURSE, str(src)]) == 0
    return db


def _actors(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT count(*) FROM actors").fetchone()[0])
    finally:
        conn.close()


@pytest.mark.parametrize("typed", ["ann_lee", "b%", "%", "ann.le_", "_"])
def test_patterns_are_plain_text_and_erase_nothing(tmp_path, capsys, typed):
    db = _db(tmp_path)
    assert main(["erase", "--db", str(db), "--student", typed, "--yes"]) != 0
    assert "No learner matches" in capsys.readouterr().err
    assert _actors(db) == len(PEOPLE)


def test_exact_name_still_erases_that_one_learner(tmp_path, capsys):
    db = _db(tmp_path)
    capsys.readouterr()
    assert main(["erase", "--db", str(db), "--student", "ann.lee", "--yes", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rows_deleted"]["statements"] == 3
    assert _actors(db) == len(PEOPLE) - 1


def test_several_matches_are_listed_and_nothing_is_done(tmp_path, capsys):
    db = _db(tmp_path)
    out = tmp_path / "sar.json"
    assert main(["export-learner", "--db", str(db), "--student", "sam", "--out", str(out)]) != 0
    err = capsys.readouterr().err
    assert f"account:{LMS}|sam" in err and f"account:{OTHER}|sam" in err and "Nothing was done" in err
    assert not out.exists()
    assert main(["erase", "--db", str(db), "--student", "sam", "--yes"]) != 0
    assert _actors(db) == len(PEOPLE)
    # the full identifier picks one
    assert main(["erase", "--db", str(db), "--student", f"{OTHER}|sam", "--yes"]) == 0
    assert _actors(db) == len(PEOPLE) - 1


def test_the_settings_page_lookup_finds_a_pseudonymised_learner_with_the_key(tmp_path):
    """Before, only the CLI took the key; the page's lookup is now the same core function."""
    from learnalytics_desktop.core.learners import LearnerNotFound, lookup_learner
    from learnalytics_desktop.core.store import open_db

    key = tmp_path / "k.key"
    assert main(["keygen", "--key-file", str(key)]) == 0
    db = _db(tmp_path, "--pseudonymize", "--key-file", str(key))
    conn = open_db(db, create=False)
    try:
        with pytest.raises(LearnerNotFound, match="pseudonymised: give the key file"):
            lookup_learner(conn, "cy.park@example.org")
        found = lookup_learner(conn, "CY.PARK@example.org", key_file=key)
        assert found.statements == 3 and found.label != "cy.park@example.org"
        assert lookup_learner(conn, f"{LMS}|bob.stone", key_file=key).statements == 3
        with pytest.raises(LearnerNotFound, match="No learner"):
            lookup_learner(conn, "b%", key_file=key)
    finally:
        conn.close()
