"""Reasons (issue 11): one fact, one direction; every high-risk student has a reason."""

from __future__ import annotations

import numpy as np
import pandas as pd

from learnalytics_desktop.core.model import explain
from learnalytics_desktop.core.model.explain import Explanation
from learnalytics_desktop.core.model.scoring import NO_SINGLE_FACTOR, with_high_reasons


def _reasons(monkeypatch, contributions: dict[str, float]):
    """Reasons of one student whose units "a" and "b" are phrased as the same fact."""
    words = {"a": "nothing scored yet", "b": "nothing scored yet", "c": "no activity for 12 days"}
    monkeypatch.setattr(explain, "describe", lambda unit, value, median, row: words[unit])
    contrib = pd.DataFrame([contributions], index=pd.Index([7], name="actor"))
    raw = pd.DataFrame(index=contrib.index)
    reasons, _, fallback = explain._reason_lists(
        contrib, raw, {7: {}}, {}, {}, top_up=3, top_down=2, min_effect=0.1
    )
    return reasons[0], fallback[0]


def test_one_fact_is_told_in_one_direction(monkeypatch):
    reasons, _ = _reasons(monkeypatch, {"a": 0.5, "b": -0.3, "c": 0.2})
    assert reasons == ["nothing scored yet (raises risk)", "no activity for 12 days (raises risk)"]
    reasons, _ = _reasons(monkeypatch, {"a": 0.2, "b": -0.6, "c": 0.0})
    assert reasons == ["nothing scored yet (lowers risk)"]
    # the two halves cancel out: the fact is no reason either way
    reasons, fallback = _reasons(monkeypatch, {"a": 0.15, "b": -0.12, "c": 0.05})
    assert reasons == [] and fallback == ["nothing scored yet (raises risk)"]


def test_every_high_student_has_a_reason():
    index = pd.Index([1, 2, 3, 4], name="actor")
    expl = Explanation(
        contributions=pd.DataFrame(index=index),
        reasons=pd.Series([["x (raises risk)"], [], [], []], index=index, dtype=object),
        reference={},
        fallback=pd.Series([["x (raises risk)"], ["y (raises risk)"], [], []], index=index, dtype=object),
    )
    out = with_high_reasons(expl, index, np.array(["high", "high", "high", "low"], dtype=object))
    assert out == [["x (raises risk)"], ["y (raises risk)"], [NO_SINGLE_FACTOR], []]
