"""The coverage bench's machinery on a few datasets (the figures come from the full run)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import impact_coverage


def test_every_scenario_runs_and_is_summarised():
    rows = impact_coverage.run(datasets=2, students=160, n_boot=50)
    scenarios = {r["scenario"] for r in rows}
    assert scenarios == set(impact_coverage.SCENARIOS)
    recommended = {r["scenario"]: r["estimator"] for r in rows if r["recommended"]}
    assert recommended == {
        "randomised": "naive",
        "confounded, good overlap": "adjusted",
        "poor overlap": "adjusted",
        "threshold, effect": "rd",
        "threshold, no effect": "rd",
    }
    for r in rows:
        assert r["computed"] + r["withheld"] == r["offered"] <= r["datasets"] == 2
        if r["computed"]:
            assert 0.0 <= r["coverage"] <= 1.0 and r["width"] > 0
    text = impact_coverage.table(rows)
    assert text.startswith("| Scenario |") and "(recommended)" in text


def test_simulated_designs_are_what_they_say():
    frame, kwargs = impact_coverage.simulate("threshold, no effect", 1, 300)
    treated = frame["group"] == "treated"
    assert (frame.loc[treated, "risk_score"] >= 0.6).all() and (frame.loc[~treated, "risk_score"] < 0.6).all()
    assert kwargs["cutoff"] == 0.6
    frame, kwargs = impact_coverage.simulate("randomised", 1, 300)
    assert kwargs["randomised"] is True and (frame["group"] == "treated").sum() == 150
