"""Privacy end to end through the real importer and the command line."""

from __future__ import annotations

import json
import uuid

import pytest

from learnalytics_desktop.cli import main as cli
from learnalytics_desktop.core.store import open_db

EMAIL = "Ines.Okonkwo-Private@Example.EDU"
OTHERS = [f"student{i:03d}@example.edu" for i in range(12)]


def _statement(email: str, i: int, name: str | None = None) -> dict:
    actor = {"mbox": f"mailto:{email}", "objectType": "Agent"}
    if name:
        actor["name"] = name
    return {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
        "object": {
            "id": f"https://lms.example.edu/quiz/{i % 4}",
            "definition": {"type": "http://adlnet.gov/expapi/activities/assessment"},
        },
        "result": {"score": {"scaled": 0.5 + (i % 5) / 10}, "completion": True},
        "context": {
            "contextActivities": {
                "grouping": [
                    {
                        "id": "https://lms.example.edu/course/stat101",
                        "definition": {
                            "type": "http://adlnet.gov/expapi/activities/course",
                            "name": {"en": "Stat 101"},
                        },
                    }
                ]
            }
        },
        "timestamp": f"2026-10-{1 + i % 20:02d}T10:{i % 60:02d}:00+02:00",
    }


@pytest.fixture
def xapi_file(tmp_path):
    path = tmp_path / "statements.jsonl"
    rows = [_statement(EMAIL, i, name="Ines Okonkwo") for i in range(15)]
    rows += [_statement(e, i) for e in OTHERS for i in range(10)]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def _raw(path):
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*") if p.is_file())


def test_erase_through_cli_after_real_import(tmp_path, xapi_file, capsys):
    db = tmp_path / "course.db"
    assert cli(["import", "--db", str(db), str(xapi_file), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["stored"] == 15 + 10 * len(OTHERS)
    assert EMAIL.lower().encode() in _raw(db)
    assert cli(["erase", "--db", str(db), "--student", EMAIL, "--yes", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["rows_deleted"]["statements"] == 15
    raw = _raw(db).lower()
    assert EMAIL.lower().encode() not in raw and b"okonkwo" not in raw
    conn = open_db(db)
    assert conn.execute("SELECT count(*) FROM statements").fetchone()[0] == 10 * len(OTHERS)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_pseudonymised_learner_found_only_with_key(tmp_path, xapi_file, capsys):
    db, key = tmp_path / "pseudo.db", tmp_path / "officer.key"
    assert cli(["keygen", "--key-file", str(key)]) == 0
    assert (
        cli(["import", "--db", str(db), str(xapi_file), "--pseudonymize", "--key-file", str(key), "--json"])
        == 0
    )
    capsys.readouterr()
    raw = _raw(db).lower()
    assert EMAIL.lower().encode() not in raw and b"okonkwo" not in raw
    # without the key the e-mail cannot be looked up, and the message says why
    assert (
        cli(["export-learner", "--db", str(db), "--student", EMAIL, "--out", str(tmp_path / "x.json")]) == 2
    )
    assert "pseudonymised" in capsys.readouterr().err
    out = tmp_path / "sar.json"
    assert (
        cli(
            ["export-learner", "--db", str(db), "--student", EMAIL, "--key-file", str(key), "--out", str(out)]
        )
        == 0
    )
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["learner"]["kind"] == "pseudo" and len(doc["statements"]) == 15
    assert doc["learner"]["email"] is None and doc["learner"]["name"] is None
    assert cli(["erase", "--db", str(db), "--student", EMAIL, "--key-file", str(key), "--yes"]) == 0
    conn = open_db(db)
    assert conn.execute("SELECT count(*) FROM statements").fetchone()[0] == 10 * len(OTHERS)
    conn.close()


def test_pseudonymised_import_keeps_no_free_text_response(tmp_path):
    from learnalytics_desktop.core.ingest.importer import import_paths
    from learnalytics_desktop.core.ingest.pseudonym import create_key, load_key

    st = _statement(EMAIL, 1, name="Ines Okonkwo")
    st["result"]["response"] = "My name is Ines Okonkwo and I think the answer is 42"
    path = tmp_path / "one.json"
    path.write_text(json.dumps(st), encoding="utf-8")
    key = load_key(create_key(tmp_path / "k.key"))
    db = tmp_path / "p.db"
    assert import_paths(db, [path], pseudonymize_key=key).stored == 1
    conn = open_db(db)
    assert conn.execute("SELECT response FROM statements").fetchone()[0] is None
    conn.close()
    assert b"okonkwo" not in _raw(db).lower()
    identified = tmp_path / "i.db"
    import_paths(identified, [path])
    conn = open_db(identified)
    assert "answer is 42" in conn.execute("SELECT response FROM statements").fetchone()[0]
    conn.close()


def test_mixing_identified_and_pseudonymised_imports_is_refused(tmp_path, xapi_file, capsys):
    db, key = tmp_path / "mixed.db", tmp_path / "officer.key"
    assert cli(["keygen", "--key-file", str(key)]) == 0
    assert cli(["import", "--db", str(db), str(xapi_file), "--pseudonymize", "--key-file", str(key)]) == 0
    capsys.readouterr()
    assert cli(["import", "--db", str(db), str(xapi_file)]) == 2
    assert "holds pseudonymised learners" in capsys.readouterr().err
    conn = open_db(db)
    assert conn.execute("SELECT count(*) FROM actors WHERE kind != 'pseudo'").fetchone()[0] == 0
    conn.close()
    other = tmp_path / "clear.db"
    assert cli(["import", "--db", str(other), str(xapi_file)]) == 0
    capsys.readouterr()
    assert cli(["import", "--db", str(other), str(xapi_file), "--pseudonymize", "--key-file", str(key)]) == 2
    assert "real identifiers" in capsys.readouterr().err
