"""``learnalytics train`` and ``learnalytics score`` on a small demo database."""

from __future__ import annotations

import csv
import json

import pytest

from learnalytics_desktop.cli import main


@pytest.fixture
def demo_db(tmp_path):
    from factories import make_demo_db

    return make_demo_db(tmp_path / "demo.db", students=60)


def _csv(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_train_then_score_writes_safe_csv(demo_db, tmp_path, capsys):
    from learnalytics_desktop.core.model.levels import CAPACITY_KEY
    from learnalytics_desktop.core.store import open_db
    from learnalytics_desktop.core.store.db import set_setting

    db = str(demo_db.path)
    assert (
        main(["train", "--db", db, "--course", "2025-autumn", "--week", "4", "--kind", "logreg", "--json"])
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["model_id"].startswith("m") and out["kind"] == "logreg" and out["week"] == 4
    assert (
        out["validation"]["hgb"]["roc_auc"] is not None and out["validation"]["logreg"]["brier"] is not None
    )
    assert "calibration" not in out["validation"]["hgb"]  # curves stay in the card
    assert out["chosen"]["picked_by"] == "user"

    # a label that a spreadsheet would run as a formula
    conn = open_db(demo_db.path)
    current = demo_db.course_id(conn, "2026-autumn")
    victim = conn.execute("SELECT actor FROM enrolments WHERE course = ? LIMIT 1", (current,)).fetchone()[0]
    conn.execute("UPDATE actors SET label = '=HYPERLINK(1)' WHERE id = ?", (victim,))
    conn.close()

    target = tmp_path / "risk.csv"
    assert main(["score", "--db", db, "--course", "2026-autumn", "--week", "4", "--out", str(target)]) == 0
    text = capsys.readouterr().out
    assert f"with model {out['model_id']}" in text and str(target) in text
    rows = _csv(target)
    assert list(rows[0])[:5] == ["student", "risk_score", "risk_level", "status", "reasons"]
    assert {r["status"] for r in rows} <= {"active", "not started"}  # the demo has no withdrawals
    assert "actor" not in rows[0]
    assert all(0.0 <= float(r["risk_score"]) <= 1.0 for r in rows)
    assert {r["risk_level"] for r in rows} <= {"low", "moderate", "high"}
    assert any("; " in r["reasons"] for r in rows)
    assert any(r["student"] == "'=HYPERLINK(1)" for r in rows)
    assert not any(r["student"].startswith("=") for r in rows)
    conn = open_db(demo_db.path)
    assert conn.execute("SELECT count(*) FROM audit_log WHERE action = 'export'").fetchone()[0] == 1
    conn.close()

    # capacity: exactly N high
    assert (
        main(
            [
                "score",
                "--db",
                db,
                "--course",
                "2026-autumn",
                "--week",
                "4",
                "--capacity",
                "3",
                "--out",
                str(target),
                "--json",
            ]
        )
        == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["levels"]["high"] == 3 and summary["students"] == len(rows) and summary["capacity"] == 3
    # the capacity saved in Settings applies without --capacity, and --capacity overrides it
    conn = open_db(demo_db.path)
    set_setting(conn, CAPACITY_KEY, 5)
    conn.close()
    assert (
        main(["score", "--db", db, "--course", "2026-autumn", "--week", "4", "--out", str(target), "--json"])
        == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["levels"]["high"] == 5 and summary["capacity"] == 5
    assert (
        main(
            [
                "score",
                "--db",
                db,
                "--course",
                "2026-autumn",
                "--week",
                "4",
                "--capacity",
                "2",
                "--out",
                str(target),
                "--json",
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["levels"]["high"] == 2
    with pytest.raises(SystemExit):
        main(
            [
                "score",
                "--db",
                db,
                "--course",
                "2026-autumn",
                "--week",
                "4",
                "--capacity",
                "0",
                "--out",
                str(target),
            ]
        )
    assert "between 1 and" in capsys.readouterr().err

    # scoring at another week than the model's is refused with the reason
    assert main(["score", "--db", db, "--course", "2026-autumn", "--week", "5", "--out", str(target)]) == 2
    assert "trained on students as of week 4" in capsys.readouterr().err

    # a model file changed on disk is refused before it is unpickled; no CSV is written
    conn = open_db(demo_db.path)
    path = conn.execute("SELECT file FROM models WHERE id = ?", (out["model_id"],)).fetchone()[0]
    conn.close()
    with open(path, "ab") as fh:
        fh.write(b"\x00")
    fresh = tmp_path / "fresh.csv"
    assert main(["score", "--db", db, "--course", "2026-autumn", "--week", "4", "--out", str(fresh)]) == 2
    assert "changed after this installation wrote it" in capsys.readouterr().err
    assert not fresh.exists()


def test_clear_errors(demo_db, tmp_path, capsys):
    db = str(demo_db.path)
    target = str(tmp_path / "r.csv")
    assert main(["score", "--db", db, "--course", "2026-autumn", "--week", "4", "--out", target]) == 2
    assert "no at-risk model has been trained" in capsys.readouterr().err
    assert main(["train", "--db", db, "--course", "2026-autumn", "--week", "4"]) == 2
    assert "none of the students in the chosen offerings has an outcome" in capsys.readouterr().err
    assert main(["train", "--db", db, "--course", "no-such-course", "--week", "4"]) == 2
    assert "No course offering matches" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "--db", db, "--course", "2025", "--week", "0"])
    assert "at least 1" in capsys.readouterr().err
