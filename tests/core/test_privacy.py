"""Erasure, subject access, small cells, locks, backup and restore."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from learnalytics_desktop.core.privacy import backup, erase, subject_access, suppress
from learnalytics_desktop.core.store import lock, open_db
from learnalytics_desktop.core.store.db import DatabaseError, transaction

SECRET_EMAIL = "zelda.quintanilla-secret@example.edu"
SECRET_NAME = "Zelda Quintanilla"


def _fill(conn, n_other: int = 30) -> int:
    """A small database: one learner we will erase and some others; returns her actor id."""
    with transaction(conn):
        conn.execute(
            "INSERT INTO imports(id, source, started_at, status) VALUES (1, 'f.json', '2026-01-01', 'done')"
        )
        conn.execute("INSERT INTO verbs(id, iri) VALUES (1, 'http://adlnet.gov/expapi/verbs/completed')")
        conn.execute(
            "INSERT INTO activities(id, iri, type_iri) VALUES (1, 'https://lms.example/q1', "
            "'http://adlnet.gov/expapi/activities/assessment')"
        )
        conn.execute("INSERT INTO courses(id, iri, name) VALUES (1, 'https://lms.example/c1', 'C1')")
        conn.execute(
            "INSERT INTO actors(id, ifi, kind, label, name, email) VALUES (1, ?, 'mbox', ?, ?, ?)",
            (f"mbox:mailto:{SECRET_EMAIL}", SECRET_EMAIL, SECRET_NAME, SECRET_EMAIL),
        )
        for i in range(2, n_other + 2):
            conn.execute(
                "INSERT INTO actors(id, ifi, kind, label) VALUES (?, ?, 'account', ?)",
                (i, f"account:https://lms.example|s{i:04d}", f"s{i:04d}"),
            )
        rows = []
        for a in range(1, n_other + 2):
            for k in range(20):
                rows.append(
                    (
                        f"00000000-0000-4000-8000-{a:06d}{k:06d}",
                        os.urandom(16),
                        a,
                        1,
                        1,
                        1,
                        1_700_000_000_000 + k * 3_600_000,
                        0.5,
                    )
                )
        conn.executemany(
            "INSERT INTO statements(id, hash, actor, verb, object, course, ts, score_scaled, import_id) "
            "VALUES (?,?,?,?,?,?,?,?,1)",
            rows,
        )
        conn.execute(
            "INSERT INTO rejects(import_id, source, location, rule, reason, excerpt) VALUES "
            "(1, 'f.json', 'line 3', 'timestamp.format', 'bad timestamp', ?)",
            (json.dumps({"actor": {"mbox": f"mailto:{SECRET_EMAIL}", "name": SECRET_NAME}}),),
        )
        conn.execute("INSERT INTO outcomes(course, actor, final_grade, result) VALUES (1, 1, 35, 'Fail')")
        conn.execute("INSERT INTO enrolments(course, actor, source) VALUES (1, 1, 'roster')")
        conn.execute(
            "INSERT INTO interventions(actor, course, created_at, date, rule, channel, arm, subject, body, "
            "status, user) VALUES (1, 1, '2026-10-01', '2026-10-01', 'inactive', 'email', 'treated', "
            "'Checking in', ?, 'draft', 'advisor')",
            (f"Dear {SECRET_NAME}, we miss you",),
        )
        conn.execute(
            "INSERT INTO audit_log(at, user, action, detail) VALUES ('2026-10-02', 'advisor', "
            "'intervention', ?)",
            (json.dumps({"ids": [1], "reason": f"{SECRET_NAME} asked us to stop"}),),
        )
        conn.execute(
            "INSERT INTO score_runs(id, model_id, course, week, as_of, created_at) "
            "VALUES (1, 'm1', 1, 5, '2026-10-01', '2026-10-01')"
        )
        conn.execute(
            "INSERT INTO scores(run_id, actor, risk, level, reasons) VALUES (1, 1, 0.8, 'high', '[]')"
        )
    return 1


def _db_bytes(path: Path) -> bytes:
    data = b""
    for suffix in ("", "-wal", "-shm", "-journal"):
        p = path.with_name(path.name + suffix)
        if p.exists():
            data += p.read_bytes()
    return data


def test_erasure_leaves_no_trace_in_database_files(tmp_path):
    path = tmp_path / "erase.db"
    conn = open_db(path)
    actor = _fill(conn)
    assert SECRET_EMAIL.encode() in _db_bytes(path)
    result = erase.erase_learner(conn, actor)
    assert result.rows_deleted["statements"] == 20
    assert result.rows_deleted["rejects"] == 1
    assert result.rows_deleted["interventions"] == 1
    assert result.rows_deleted["audit_log (redacted)"] == 1
    assert conn.execute("SELECT count(*) FROM statements").fetchone()[0] == 30 * 20
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    raw = _db_bytes(path)
    for needle in (SECRET_EMAIL, SECRET_NAME, "zelda", "Zelda"):
        assert needle.encode() not in raw, f"{needle!r} still in the database files"
    # the erasure itself is logged, without the identifier
    conn = open_db(path)
    detail = conn.execute("SELECT detail FROM audit_log WHERE action = 'erase'").fetchone()[0]
    assert "zelda" not in detail.lower() and json.loads(detail)["rows_deleted"]["statements"] == 20
    conn.close()


def test_find_learner_by_email_label_and_errors(db):
    _fill(db, n_other=3)
    assert erase.find_learner(db, SECRET_EMAIL.upper()) == 1
    assert erase.find_learner(db, "s0002") == 2
    with pytest.raises(erase.LearnerNotFound, match="No learner"):
        erase.find_learner(db, "nobody@example.edu")


def test_subject_access_has_every_table(db, tmp_path):
    _fill(db, n_other=2)
    doc = subject_access.learner_data(db, 1)
    assert doc["learner"]["email"] == SECRET_EMAIL
    assert len(doc["statements"]) == 20
    assert doc["outcomes"][0]["final_grade"] == 35
    assert doc["scores"][0]["level"] == "high"
    assert doc["interventions"][0]["subject"] == "Checking in"
    out = subject_access.export_learner(db, 1, tmp_path / "sar.json")
    assert json.loads(out.read_text(encoding="utf-8"))["learner"]["label"] == SECRET_EMAIL


def test_small_cells():
    assert suppress.suppress_count(3) == "<5"
    assert suppress.suppress_count(0) == 0
    assert suppress.suppress_count(5) == 5
    assert suppress.format_count(1234) == "1,234"
    assert suppress.suppress_count(9, threshold=10) == "<10"
    import pandas as pd

    frame = pd.DataFrame({"group": ["a", "b"], "n": [3, 40], "rate": [0.5, 0.25]})
    out = suppress.suppress_frame(frame, ["n"], rate_columns=["rate"])
    assert out.loc[0, "n"] == "<5" and out.loc[0, "rate"] is None
    assert out.loc[1, "n"] == 40 and out.loc[1, "rate"] == 0.25


def test_threshold_setting_validated(db):
    assert suppress.small_cell_threshold(db) == 5
    suppress.set_small_cell_threshold(db, 10)
    assert suppress.small_cell_threshold(db) == 10
    detail = db.execute("SELECT detail FROM audit_log WHERE action = 'settings'").fetchone()[0]
    assert json.loads(detail) == {"key": "small_cell_threshold", "value": 10}
    with pytest.raises(ValueError, match="whole number"):
        suppress.set_small_cell_threshold(db, 0)


def test_lock_single_instance_and_stale_recovery(tmp_path):
    dbp = tmp_path / "a.db"
    first = lock.DatabaseLock(dbp)
    first.acquire()
    with pytest.raises(lock.DatabaseLocked, match="already open"):
        lock.DatabaseLock(dbp).acquire()
    first.release()
    assert not first.path.exists()
    # a lock left by a process that died (SIGKILL: no clean-up) is recovered
    code = (
        "import os, sys\n"
        "from learnalytics_desktop.core.store.lock import DatabaseLock\n"
        f"DatabaseLock({str(dbp)!r}).acquire()\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert first.path.exists()
    again = lock.DatabaseLock(dbp)
    again.acquire()
    assert again.recovered_stale
    again.release()


def test_lock_held_by_live_process_names_owner(tmp_path):
    dbp = tmp_path / "b.db"
    code = (
        "import sys, time\n"
        "from learnalytics_desktop.core.store.lock import DatabaseLock\n"
        f"l = DatabaseLock({str(dbp)!r}); l.acquire(); print('ok', flush=True); sys.stdin.read()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "ok"
        with pytest.raises(lock.DatabaseLocked, match=f"process {proc.pid}"):
            lock.DatabaseLock(dbp).acquire()
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)


def test_backup_and_restore_round_trip(tmp_path):
    path = tmp_path / "live.db"
    conn = open_db(path)
    _fill(conn, n_other=5)
    backup.backup_database(path, tmp_path / "copy.db")
    conn.execute("DELETE FROM statements")
    conn.close()
    backup.restore_database(tmp_path / "copy.db", path)
    conn = open_db(path)
    assert conn.execute("SELECT count(*) FROM statements").fetchone()[0] == 6 * 20
    assert conn.execute("SELECT count(*) FROM audit_log WHERE action = 'restore'").fetchone()[0] == 1
    conn.close()
    assert (tmp_path / "live.db.before-restore.bak").exists()


def test_restore_refuses_non_database(tmp_path):
    bogus = tmp_path / "notes.db"
    bogus.write_text("hello, not a database")
    with pytest.raises(DatabaseError, match="not a database"):
        backup.restore_database(bogus, tmp_path / "live.db")
    plain = tmp_path / "plain.db"
    import sqlite3

    sqlite3.connect(plain).execute("CREATE TABLE t(x)").connection.commit()
    with pytest.raises(DatabaseError, match="not a Learnalytics database"):
        backup.check_database_file(plain)


def test_erasure_flags_models_trained_on_the_learner(db):
    _fill(db, n_other=3)
    with transaction(db):
        for mid, actors in (("m-with", (1, 2)), ("m-without", (2, 3))):
            db.execute(
                "INSERT INTO models(id, created_at, kind, week, courses, card, file) "
                "VALUES (?, '2026-10-01', 'hgb', 5, '[]', '{\"kind\": \"hgb\"}', 'x.joblib')",
                (mid,),
            )
            db.executemany(
                "INSERT INTO training_rows(model_id, actor, label) VALUES (?, ?, 0)",
                [(mid, a) for a in actors],
            )
    erase.erase_learner(db, 1)
    cards = {r[0]: json.loads(r[1]) for r in db.execute("SELECT id, card FROM models")}
    assert cards["m-with"]["erased_since_training"] == 1
    assert "erased_since_training" not in cards["m-without"]
    assert db.execute("SELECT count(*) FROM training_rows WHERE actor = 1").fetchone()[0] == 0
