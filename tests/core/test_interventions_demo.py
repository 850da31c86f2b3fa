"""The interventions and impact code on the demo course with the real feature computation
(no stand-ins): drafting from live features, and an impact table whose covariates are
recomputed as of the intervention day."""

from __future__ import annotations

import pytest
from factories import make_demo_db

from learnalytics_desktop.core.courses import get_course
from learnalytics_desktop.core.impact import analyze_impact, impact_frame
from learnalytics_desktop.core.interventions import draft_interventions, list_interventions, suggest
from learnalytics_desktop.core.store import open_db


@pytest.fixture
def demo(tmp_path):
    d = make_demo_db(tmp_path / "demo.db", students=40)
    conn = open_db(d.path)
    yield d, conn
    conn.close()


def test_drafting_on_live_features(demo):
    d, conn = demo
    cid = d.course_id(conn, "2026-autumn")
    as_of = get_course(conn, cid).as_of_week(6)
    table = suggest(conn, cid, as_of=as_of)
    assert len(table) >= 40 and table["gate"].isna().all()  # nothing scored yet: the gate is unknown
    firing = [int(a) for a, r in zip(table["actor"], table["rules"], strict=True) if r]
    assert firing, "the demo has inactive students"
    batch = draft_interventions(
        conn, cid, firing, as_of=as_of, ignore_risk_gate=True, holdout_fraction=0.25, seed=1
    )
    assert len(batch.treated_actors) + len(batch.held_out_actors) == len(firing)
    rows = list_interventions(conn, cid)
    assert set(rows["status"]) <= {"draft", "held_out"} and rows["features"].notna().all()


def test_impact_table_recomputes_features_before_the_intervention_day(demo):
    d, conn = demo
    cid = d.course_id(conn, "2025-autumn")
    week6 = get_course(conn, cid).as_of_week(6)
    from learnalytics_desktop.core.features import compute_features

    feats = compute_features(conn, cid, week6)
    labels = dict(conn.execute("SELECT id, label FROM actors").fetchall())
    inactive = feats["days_since_last_activity"] > feats["days_since_last_activity"].median()
    import pandas as pd

    groups = pd.DataFrame(
        {
            "student": [labels[a] for a in feats.index],
            "group": ["treated" if x else "control" for x in inactive],
            "date": week6.date().isoformat(),
        }
    )
    frame, meta = impact_frame(conn, cid, groups, "final_grade")
    assert "days_since_last_activity" in meta["covariates"]
    assert not any(c.startswith("pct_") for c in meta["covariates"])
    # features as of the start of the intervention day equal those computed for that instant
    got = frame.set_index("actor")["days_since_last_activity"]
    assert got.loc[feats.index].to_numpy() == pytest.approx(
        feats["days_since_last_activity"].to_numpy(), nan_ok=True
    )
    result = analyze_impact(frame, outcome="final_grade", covariates=meta["covariates"], n_boot=100)
    assert result.confounded and result.recommended == "adjusted"
    assert result.balance and all("smd" in r for r in result.balance)
