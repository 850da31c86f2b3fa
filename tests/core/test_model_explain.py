"""Per-student explanations, phrases, metrics and the fairness report on controlled data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from learnalytics_desktop.core.model.bundle import TrainedModel
from learnalytics_desktop.core.model.explain import explain_students
from learnalytics_desktop.core.model.fairness import fairness_report
from learnalytics_desktop.core.model.metrics import binary_metrics
from learnalytics_desktop.core.model.phrases import describe


def _inactivity_model():
    """A logistic model where only days since last activity matters (the truth)."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame(
        {
            "days_since_last_activity": rng.exponential(4, n),
            "forum_posts": rng.poisson(2, n).astype(float),
        },
        index=pd.Index(np.arange(n), name="actor"),
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-(frame["days_since_last_activity"] - 6) / 2))).astype(int)
    est = LogisticRegression().fit(frame, y)
    return TrainedModel(kind="logreg", estimator=est, features=list(frame.columns), week=5), frame


def test_inactivity_is_the_reason_with_real_values():
    model, frame = _inactivity_model()
    frame = frame.copy()
    frame.loc[0, "days_since_last_activity"] = 22.0
    frame.loc[1, "days_since_last_activity"] = 0.5
    expl = explain_students(model, frame)
    med = frame["days_since_last_activity"].median()
    assert expl.reference["days_since_last_activity"] == pytest.approx(med)
    assert expl.reasons.loc[0][0] == "no activity for 22 days (raises risk)"
    assert "active in the last day (lowers risk)" in expl.reasons.loc[1]
    # the contribution is logit p(x) - logit p(x with the feature at the course median)
    Xr = frame.loc[[0]].copy()
    Xr["days_since_last_activity"] = med

    def logit(p):
        p = np.clip(p, 1e-3, 1 - 1e-3)
        return np.log(p / (1 - p))

    expected = logit(model.predict(frame.loc[[0]]))[0] - logit(model.predict(Xr))[0]
    assert expl.contributions.loc[0, "days_since_last_activity"] == pytest.approx(expected)
    # a student at the median has no reason from that feature
    frame.loc[2, "days_since_last_activity"] = med
    assert not any("activ" in r for r in explain_students(model, frame).reasons.loc[2])


@pytest.mark.parametrize(
    "feature, value, median, row, text",
    [
        ("days_since_last_activity", 12, 2, {}, "no activity for 12 days"),
        ("days_since_last_activity", float("nan"), 2, {}, "no activity recorded yet"),
        ("quiz_avg_score", 0.41, 0.7, {"quiz_score_trend": -0.08}, "quiz average 41%, falling (course median 70%)"),
        ("quiz_avg_score", float("nan"), 0.7, {}, "no quiz taken yet"),
        ("video_completion_rate", 0.2, 0.65, {}, "watched 20% of videos (course median 65%)"),
        ("total_time_minutes", 150, 600, {}, "2.5 hours of study time (course median 10.0 hours)"),
        ("forum_posts", 1, 4, {}, "1 forum post (course median 4)"),
        ("late_submissions", 3, 0, {}, "3 late submissions (course median 0)"),
        ("quiz_score_trend", -0.12, 0, {}, "quiz scores falling (12 points per quiz)"),
        ("reading_events", 7, 12.5, {}, "reading events: 7 (course median 12.5)"),
    ],
)
def test_phrases(feature, value, median, row, text):
    assert describe(feature, value, median, row) == text


def test_metrics_on_known_predictions():
    y = np.array([0, 0, 1, 1])
    m = binary_metrics(y, np.array([0.1, 0.2, 0.8, 0.9]))
    assert m["roc_auc"] == 1.0 and m["pr_auc"] == 1.0
    assert m["brier"] == pytest.approx((0.01 + 0.04 + 0.04 + 0.01) / 4)
    assert m["brier_reference"] == 0.25 and m["brier_skill"] == pytest.approx(1 - 0.025 / 0.25)
    constant = binary_metrics(y, np.full(4, 0.5))
    assert constant["roc_auc"] == 0.5 and constant["brier"] == pytest.approx(0.25)


def _fair_inputs(sizes, seed=0):
    rng = np.random.default_rng(seed)
    n = sum(sizes.values())
    groups = np.concatenate([[g] * k for g, k in sizes.items()])
    y = (rng.random(n) < 0.3).astype(int)
    p = np.clip(0.3 + 0.4 * (y - 0.3) + rng.normal(0, 0.15, n), 0, 1)
    return y, p, p >= 0.6, pd.DataFrame({"gender": groups})


def test_fairness_small_cells_hidden_with_secondary_suppression():
    y, p, flagged, attrs = _fair_inputs({"f": 120, "m": 110, "x": 3, "y": 40})
    rep = fairness_report(y, p, flagged, attrs, 5, "high")
    groups = {g["group"]: g for g in rep["attributes"]["gender"]["groups"]}
    assert groups["x"] == {"group": "x", "n": "<5", "suppressed": "small cell"}
    assert groups["y"]["n"] == "suppressed"  # the next smallest: total minus the rest would reveal x
    assert groups["f"]["n"] == 120 and groups["f"]["roc_auc"] is not None
    for key in ("base_rate", "mean_predicted", "observed", "flag_rate", "fpr", "fnr"):
        assert groups["f"][key] is not None
    # two small groups protect each other: no secondary suppression
    y, p, flagged, attrs = _fair_inputs({"f": 120, "m": 110, "x": 3, "z": 4})
    rep = fairness_report(y, p, flagged, attrs, 5, "high")
    ns = [g["n"] for g in rep["attributes"]["gender"]["groups"]]
    assert ns.count("<5") == 2 and "suppressed" not in ns


def test_fairness_threshold_setting_and_missing_values():
    y, p, flagged, attrs = _fair_inputs({"f": 8, "m": 200})
    attrs.loc[attrs.index[-20:], "gender"] = None
    rep = fairness_report(y, p, flagged, attrs, 10, "high")
    groups = {g["group"]: g for g in rep["attributes"]["gender"]["groups"]}
    assert groups["f"]["n"] == "<10"
    assert "(not recorded)" in groups


def test_fairness_warns_on_marked_differences():
    rng = np.random.default_rng(1)
    n = 400
    y = (rng.random(n) < 0.3).astype(int)
    good = np.clip(0.2 + 0.5 * y + rng.normal(0, 0.1, n), 0, 1)
    noise = rng.random(n)
    attrs = pd.DataFrame({"campus": ["north"] * 200 + ["south"] * 200})
    p = np.where(attrs["campus"] == "north", good, noise)  # useless for the south campus
    rep = fairness_report(y, p, p >= 0.6, attrs, 5, "high")
    text = " ".join(rep["warnings"])
    assert "ROC AUC differs markedly" in text and "south" in text
    # same quality everywhere: no warning
    p2 = good
    rep2 = fairness_report(y, p2, p2 >= 0.6, attrs, 5, "high")
    assert not [w for w in rep2["warnings"] if "ROC AUC" in w]


def test_fairness_without_attributes():
    rep = fairness_report(np.array([0, 1]), np.array([0.2, 0.8]), np.array([False, True]), pd.DataFrame(index=[0, 1]), 5, "high")
    assert rep["available"] is False
