"""The importer: outcomes of every record, LRS semantics, typed columns, pseudonymisation."""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
import zipfile

import pytest
from test_importer_helpers import counts, sid, stmt, voiding, write_jsonl

from learnalytics_desktop.core.ingest.importer import import_paths, validate_paths
from learnalytics_desktop.core.ingest.pseudonym import create_key, load_key, pseudonymize_ifi
from learnalytics_desktop.core.store.db import set_setting


def _ids(db: sqlite3.Connection) -> set[str]:
    return {r[0] for r in db.execute("SELECT id FROM statements")}


def test_every_record_has_exactly_one_outcome(db, tmp_path):
    p = write_jsonl(
        tmp_path / "mixed.jsonl",
        [
            stmt(1),
            stmt(2),
            stmt(3),
            stmt(1),  # duplicate
            stmt(2, timestamp="2024-05-05T00:00:00Z"),  # conflict: same id, other content
            {k: v for k, v in stmt(4).items() if k != "actor"},  # invalid
            '{"id": "broken", ',  # malformed JSON
            "[1, 2]",  # not an object
        ],
    )
    with open(p, "a") as f:
        f.write(json.dumps(stmt(5))[:-5])  # truncated last line, no newline
    rep = import_paths(db, [p])
    assert counts(rep) == {
        "read": 9,
        "stored": 3,
        "duplicates": 1,
        "conflicts": 1,
        "rejected": 4,
        "voided": 0,
    }
    assert rep.rejects_by_rule == {
        "statement.required": 1,
        "json.malformed": 1,
        "record.not_object": 1,
        "json.truncated": 1,
    }
    assert rep.read == rep.stored + rep.duplicates + rep.conflicts + rep.rejected
    rows = db.execute("SELECT location, statement_id, rule, excerpt FROM rejects ORDER BY id").fetchall()
    assert [r[0] for r in rows] == ["line 6", "line 7", "line 8", "line 9"]
    assert rows[0][1] == sid(4) and rows[0][3].startswith("{")
    (conflict,) = db.execute("SELECT statement_id, location, kept_hash, new_hash FROM conflicts").fetchall()
    assert conflict[0] == sid(2) and conflict[1] == "line 5" and conflict[2] != conflict[3]
    stored_hash = db.execute("SELECT hash FROM statements WHERE id=?", (sid(2),)).fetchone()[0]
    assert stored_hash == conflict[2]  # the first one was kept
    imp = db.execute("SELECT status, read, stored, resume_at, sha256 FROM imports").fetchone()
    assert imp == ("done", 9, 3, 9, hashlib.sha256(p.read_bytes()).hexdigest())
    (audit_row,) = db.execute("SELECT detail FROM audit_log WHERE action='import'").fetchall()
    assert json.loads(audit_row[0])["read"] == 9


def test_statements_without_id_get_stable_ids_and_reimport_adds_nothing(db, tmp_path):
    items = [stmt(i, with_id=False) for i in range(20)]
    p = write_jsonl(tmp_path / "noid.jsonl", items)
    first = import_paths(db, [p])
    assert counts(first)["stored"] == 20
    ids = _ids(db)
    again = import_paths(db, [p])
    assert counts(again) == {
        "read": 20,
        "stored": 0,
        "duplicates": 20,
        "conflicts": 0,
        "rejected": 0,
        "voided": 0,
    }
    assert _ids(db) == ids
    # The same statements as another system would serialise them: still the same statements.
    other = []
    for s in items:
        t = json.loads(json.dumps(s))
        t["verb"]["display"] = {"de": "erlebt"}  # display is not compared
        t["object"]["definition"] = {"name": {"en": "renamed"}}  # nor activity definitions
        t["actor"]["mbox"] = t["actor"]["mbox"].replace("Example.ORG", "example.org")  # domain case
        t["timestamp"] = t["timestamp"].replace("T10:", "T12:").replace("Z", "+02:00")  # same instant
        t["stored"] = "2024-06-01T00:00:00Z"  # set by an LRS
        t["version"] = "1.0.3"
        other.append(dict(reversed(list(t.items()))))
    q = tmp_path / "other.json"
    q.write_text(json.dumps(other, indent=2))
    third = import_paths(db, [q])
    assert counts(third)["duplicates"] == 20 and counts(third)["stored"] == 0


def test_voiding_in_both_orders_and_across_imports(db, tmp_path):
    target, late_target = sid(1), sid(2)
    a = write_jsonl(tmp_path / "a.jsonl", [stmt(1), voiding(100, target), voiding(101, late_target)])
    rep = import_paths(db, [a])
    assert rep.voided == 1
    b = write_jsonl(tmp_path / "b.jsonl", [stmt(2), stmt(3)])
    rep2 = import_paths(db, [b])
    assert rep2.voided == 1  # the target arrived after its voiding statement
    flags = dict(db.execute("SELECT id, voided FROM statements WHERE is_voiding=0"))
    assert flags == {target: 1, late_target: 1, sid(3): 0}
    assert {r[0] for r in db.execute("SELECT id FROM v_events")} == {sid(3)}
    assert dict(db.execute("SELECT target_id, voiding_id FROM voids")) == {
        target: sid(100),
        late_target: sid(101),
    }


def test_a_voiding_statement_cannot_be_voided(db, tmp_path):
    v1 = voiding(100, sid(1))
    v2 = voiding(101, sid(100))  # voids the voiding statement: stored, no effect
    p = write_jsonl(tmp_path / "v.jsonl", [v2, stmt(1), v1])
    rep = import_paths(db, [p])
    assert counts(rep)["stored"] == 3 and rep.voided == 1
    assert dict(db.execute("SELECT id, voided FROM statements")) == {sid(101): 0, sid(1): 1, sid(100): 0}
    assert any("cannot be voided" in n for n in rep.notes)
    q = write_jsonl(tmp_path / "w.jsonl", [voiding(102, sid(101))])  # later, the other order
    rep = import_paths(db, [q])
    assert rep.voided == 0 and any("cannot be voided" in n for n in rep.notes)


def test_typed_columns(db, tmp_path):
    full = stmt(
        1,
        result={
            "score": {"raw": 8, "min": 0, "max": 10, "scaled": 0.8},
            "success": True,
            "completion": False,
            "duration": "PT1M30S",
            "response": "choice-a",
            "extensions": {"https://example.org/ext/late": True},
        },
        context={
            "registration": "EC531277-B57B-4C15-8D91-D292C5B2B8F7",
            "contextActivities": {
                "parent": [
                    {
                        "id": "http://example.org/course/geo",
                        "definition": {
                            "type": "http://adlnet.gov/expapi/activities/course",
                            "name": {"en-GB": "Geology"},
                        },
                    }
                ]
            },
        },
    )
    full["timestamp"] = "2024-03-02T10:00:00.250+02:00"
    account = stmt(2, actor={"account": {"homePage": "https://lms.example.org", "name": "stu42"}})
    stored_only = stmt(3, stored="2024-03-09T00:00:00Z")
    del stored_only["timestamp"]
    p = write_jsonl(tmp_path / "t.jsonl", [full, account, stored_only])
    import_paths(db, [p], course_fallback="http://example.org/course/fallback")
    row = db.execute(
        "SELECT a.ifi, a.label, a.name, a.email, a.email_sha1, v.iri, v.display, o.iri, o.type_iri, o.name, "
        "c.iri, c.name, s.ts, s.duration, s.score_raw, s.score_min, s.score_max, s.score_scaled, s.success, "
        "s.completion, s.response, s.registration, s.late FROM statements s JOIN actors a ON a.id=s.actor "
        "JOIN verbs v ON v.id=s.verb JOIN activities o ON o.id=s.object JOIN courses c ON c.id=s.course "
        "WHERE s.id=?",
        (sid(1),),
    ).fetchone()
    email = "learner1@example.org"
    assert row == (
        "mbox:mailto:" + email,
        email,
        "Learner Name1",
        email,
        hashlib.sha1(f"mailto:{email}".encode()).hexdigest(),
        "http://adlnet.gov/expapi/verbs/experienced",
        "experienced",
        "http://example.org/act/1",
        "http://adlnet.gov/expapi/activities/lesson",
        "Lesson 1",
        "http://example.org/course/geo",
        "Geology",
        1709366400250,
        90.0,
        8,
        0,
        10,
        0.8,
        1,
        0,
        "choice-a",
        "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
        1,
    )
    acc = db.execute(
        "SELECT a.ifi, a.kind, a.label, c.iri FROM statements s JOIN actors a ON a.id=s.actor "
        "JOIN courses c ON c.id=s.course WHERE s.id=?",
        (sid(2),),
    ).fetchone()
    assert acc == (
        "account:https://lms.example.org|stu42",
        "account",
        "stu42",
        "http://example.org/course/fallback",
    )
    ts, stored_ts = db.execute("SELECT ts, stored_ts FROM statements WHERE id=?", (sid(3),)).fetchone()
    assert ts == stored_ts == 1709942400000


def test_course_fallback_setting_and_no_course(db, tmp_path):
    p = write_jsonl(tmp_path / "a.jsonl", [stmt(1)])
    import_paths(db, [p])
    assert db.execute("SELECT course FROM statements").fetchone() == (None,)
    set_setting(db, "course_fallback", "http://example.org/c/default")
    q = write_jsonl(tmp_path / "b.jsonl", [stmt(2)])
    import_paths(db, [q])
    assert db.execute("SELECT c.iri FROM statements s JOIN courses c ON c.id=s.course").fetchall() == [
        ("http://example.org/c/default",)
    ]


def test_pseudonymisation_keeps_no_names_or_emails_anywhere(tmp_path):
    key_file = create_key(tmp_path / "key.hex")
    assert (key_file.stat().st_mode & 0o777) == 0o600
    key = load_key(key_file)
    path = tmp_path / "p.db"
    items = [stmt(i) for i in range(30)] + [{**stmt(99), "actor": {"name": "Rejected Person", "mbox": "bad"}}]
    p = write_jsonl(tmp_path / "s.jsonl", items)
    rep = import_paths(path, [p], pseudonymize_key=key)
    assert rep.pseudonymized and rep.stored == 30 and rep.rejected == 1
    conn = sqlite3.connect(path)
    actors = conn.execute("SELECT ifi, kind, label, name, email, email_sha1 FROM actors").fetchall()
    assert len(actors) == 7
    for ifi, kind, label, name, email, sha in actors:
        assert ifi.startswith("pseudo:") and kind == "pseudo" and label == ifi[7:19]
        assert name is None and email is None and sha is None
    assert conn.execute("SELECT count(*) FROM rejects WHERE excerpt IS NOT NULL").fetchone() == (0,)
    expected = pseudonymize_ifi(key, "mbox:mailto:learner3@example.org")
    assert conn.execute("SELECT count(*) FROM actors WHERE ifi=?", (expected,)).fetchone() == (1,)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    blob = b"".join(f.read_bytes() for f in tmp_path.glob("p.db*"))
    for secret in (
        b"Learner Name",
        b"learner3@example.org",
        b"Learner3@Example",
        b"Rejected Person",
        hashlib.sha1(b"mailto:learner3@example.org").hexdigest().encode(),
    ):
        assert secret.lower() not in blob.lower()


def test_folder_zip_and_gzip_sources_and_skips(db, tmp_path):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    write_jsonl(folder / "a.jsonl", [stmt(1), stmt(2)])
    (folder / "sub" / "b.json.gz").write_bytes(gzip.compress(json.dumps([stmt(3)]).encode()))
    with zipfile.ZipFile(folder / "c.zip", "w") as z:
        z.writestr("x.json", json.dumps({"statements": [stmt(4), stmt(5)], "more": ""}))
        z.writestr("notes.txt", "hi")
    (folder / "readme.md").write_text("hello")
    rep = import_paths(db, [folder])
    assert counts(rep) == {
        "read": 5,
        "stored": 5,
        "duplicates": 0,
        "conflicts": 0,
        "rejected": 0,
        "voided": 0,
    }
    assert [f.stored for f in rep.files] == [2, 2, 1]
    assert any("notes.txt" in n for f in rep.files for n in f.notes)
    assert [p.rsplit("/", 1)[-1] for p, _ in rep.skipped_files] == ["readme.md"]
    assert db.execute("SELECT count(*) FROM imports WHERE status='done'").fetchone() == (3,)


def test_worker_processes_give_the_same_result(tmp_path):
    items = [stmt(i) for i in range(3000)] + [stmt(5), {"actor": 1}, voiding(9000, sid(7))]
    p = write_jsonl(tmp_path / "s.jsonl", items)
    results = []
    for workers in (0, 1):
        path = tmp_path / f"w{workers}.db"
        rep = import_paths(path, [p], workers=workers, chunk_records=700)
        conn = sqlite3.connect(path)
        rows = conn.execute("SELECT id, hash, voided, ts FROM statements ORDER BY rowid").fetchall()
        conn.close()
        results.append((counts(rep), rep.rejects_by_rule, rows))
    assert results[0] == results[1]
    assert results[0][0]["voided"] == 1 and results[0][0]["duplicates"] == 1


def test_deeply_nested_and_huge_values_are_outcomes_not_crashes(db, tmp_path):
    deep = stmt(1, context={"extensions": {"http://x.org/e": json.loads("[" * 200 + "]" * 200)}})
    too_deep = '{{"id": "{}", "x": {}}}'.format(sid(2), "[" * 5000 + "]" * 5000)
    p = write_jsonl(tmp_path / "d.jsonl", [deep, too_deep, stmt(3)])
    rep = import_paths(db, [p])
    assert rep.read == 3 and rep.read == rep.stored + rep.rejected
    assert rep.stored >= 1 and "json.depth" in rep.rejects_by_rule


def test_validate_paths_reports_each_record(tmp_path):
    p = write_jsonl(tmp_path / "v.jsonl", [stmt(1), {"actor": {}}, "not json"])
    results = list(validate_paths([p]))
    assert [r.ok for r in results] == [True, False, False]
    assert results[0].statement_id == sid(1) and results[0].location == "line 1"
    assert results[1].rule and results[2].rule == "json.malformed"


def test_missing_path_raises(db, tmp_path):
    with pytest.raises(FileNotFoundError):
        import_paths(db, [tmp_path / "nope.json"])


def test_statement_ids_are_case_insensitive(db, tmp_path):
    a = stmt(1)
    b = dict(stmt(1), id=sid(1).upper())
    p = write_jsonl(tmp_path / "c.jsonl", [a, b, voiding(50, sid(1).upper())])
    rep = import_paths(db, [p])
    assert counts(rep)["duplicates"] == 1 and rep.voided == 1


def test_pipeline_survives_worker_death():
    import os
    import signal

    from learnalytics_desktop.core.ingest.importer import _batches
    from learnalytics_desktop.core.ingest.pipeline import Pipeline
    from learnalytics_desktop.core.ingest.xapi.fields import ExtractConfig

    items = [(i + 1, json.dumps(stmt(i)).encode(), None, None) for i in range(400)]
    config = ExtractConfig(now_ms=0)
    with Pipeline(config, 0) as local:
        want = [r for _b, r in local.map(_batches([items], 50))]
    got = []
    with Pipeline(config, 1) as pipe:
        for k, (_b, r) in enumerate(pipe.map(_batches([items], 50))):
            got.append(r)
            if k == 1:  # kill the worker while later batches are in flight
                for proc in list(pipe._pool._processes.values()):
                    os.kill(proc.pid, signal.SIGKILL)
        assert pipe.fallback and "stopped" in pipe.fallback
    assert [r[0] for r in got] == [r[0] for r in want]


def test_unreadable_file_is_a_reject_not_a_crash(db, tmp_path, monkeypatch):
    from learnalytics_desktop.core.ingest import importer

    p = write_jsonl(tmp_path / "gone.jsonl", [stmt(1)])
    real = importer.discover

    def discover_then_delete(paths):  # the file vanishes between discovery and reading
        found = real(paths)
        p.unlink()
        return found

    monkeypatch.setattr(importer, "discover", discover_then_delete)
    rep = import_paths(db, [p])
    assert counts(rep)["read"] == 1 and rep.rejects_by_rule == {"file.unreadable": 1}
    assert rep.files[0].status == "done"
