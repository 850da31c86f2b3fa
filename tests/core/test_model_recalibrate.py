"""Recalibration on the latest finished offering (issue 11): a new model with the same ranking,
re-mapped probabilities, honest before/after figures, refusals in one line."""

from __future__ import annotations

import json

import numpy as np
import pytest

from learnalytics_desktop.cli import main
from learnalytics_desktop.core.store import open_db


@pytest.fixture
def demo(tmp_path):
    from factories import make_demo_db

    return make_demo_db(tmp_path / "demo.db", students=60)


def _finish_current(demo, conn):
    """Give the offering in progress final outcomes from the generator's truth (who never
    started or faded out ends at risk)."""
    current = demo.course_id(conn, "2026-autumn")
    rows = []
    for st in demo.files.students_of("2026-autumn"):
        actor = demo.actor_id(conn, st)
        if actor is None:
            continue
        result = "Withdrawn" if st.never_started else "Fail" if st.fade_week is not None else "Pass"
        rows.append((current, actor, result, int(result == "Pass"), int(result == "Withdrawn")))
    conn.executemany(
        "INSERT OR REPLACE INTO outcomes(course, actor, result, passed, withdrew) VALUES (?,?,?,?,?)", rows
    )
    return current


def test_recalibrate_on_the_latest_finished_offering(demo, capsys):
    from learnalytics_desktop.core.model import get_card, load_model
    from learnalytics_desktop.core.model.registry import active_model_id

    db = str(demo.path)
    assert (
        main(["train", "--db", db, "--course", "2025-autumn", "--week", "4", "--kind", "logreg", "--json"])
        == 0
    )
    old = json.loads(capsys.readouterr().out)["model_id"]
    # nothing finished that the model has not seen: one line, exit 2
    assert main(["recalibrate", "--db", db]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no finished offering" in err
    # the same offering it learned from is refused too
    assert main(["recalibrate", "--db", db, "--course", "2025-autumn"]) == 2
    assert "was trained on" in capsys.readouterr().err

    conn = open_db(demo.path)
    current = _finish_current(demo, conn)
    conn.close()
    assert main(["recalibrate", "--db", db, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["from_model"] == old and out["model_id"] != old
    assert out["course"].endswith("2026-autumn") and out["students"] > 20
    assert out["before"]["calibration_error"] is not None and out["after"]["calibration_error"] is not None

    conn = open_db(demo.path)
    try:
        card = get_card(conn, out["model_id"])
        assert card["recalibration"]["from_model"] == old and card["recalibration"]["slope"] > 0
        assert active_model_id(conn) == out["model_id"]  # the latest trained model scores
        # erasure reaches the students of both offerings
        learned = {
            r[0]
            for r in conn.execute("SELECT actor FROM training_rows WHERE model_id = ?", (out["model_id"],))
        }
        before = {r[0] for r in conn.execute("SELECT actor FROM training_rows WHERE model_id = ?", (old,))}
        in_current = {r[0] for r in conn.execute("SELECT actor FROM outcomes WHERE course = ?", (current,))}
        assert before <= learned and learned & in_current
        # same ranking, new probabilities
        from learnalytics_desktop.core.features import compute_features

        new_model, old_model = load_model(conn, out["model_id"]), load_model(conn, old)
        feats = compute_features(
            conn,
            current,
            new_model.card
            and __import__("learnalytics_desktop.core.courses", fromlist=["get_course"])
            .get_course(conn, current)
            .as_of_week(4),
        )
        p_old = old_model.predict(old_model.design(feats))
        p_new = new_model.predict(new_model.design(feats))
        assert np.array_equal(np.argsort(p_old, kind="stable"), np.argsort(p_new, kind="stable"))
        assert not np.allclose(p_old, p_new)
        audit = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'recalibrate'").fetchone()[0]
        assert audit == 1
    finally:
        conn.close()
    # the human summary
    assert main(["recalibrate", "--db", db, "--model", old]) == 0
    assert "Calibration error" in capsys.readouterr().out
