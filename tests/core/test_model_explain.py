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
        (
            "quiz_avg_score",
            0.41,
            0.7,
            {"quiz_score_trend": -0.08},
            "average score 41%, falling (course median 70%)",
        ),
        (
            "quiz_avg_score",
            0.41,
            0.7,
            {"_assessment_word": "assignment"},
            "assignment average 41% (course median 70%)",
        ),
        ("quiz_avg_score", float("nan"), 0.7, {}, "nothing scored yet"),
        (
            "assessments_missing",
            2,
            0,
            {"assessments_due": 3, "_assessment_word": "assignment"},
            "missed 2 of the 3 assignments due so far",
        ),
        (
            "assessments_missing",
            0,
            0,
            {"assessments_due": 1, "_assessment_word": "quiz"},
            "missed none of the 1 quiz due so far",
        ),
        ("assessments_missing", 0, 0, {"assessments_due": 0}, "no assessment due yet"),
        ("assessments_late", 1, 0, {"_assessment_word": "assignment"}, "handed in 1 assignment late"),
        ("mean_days_late", 2.4, 0, {}, "hands work in 2 days late on average"),
        ("first_missed_weeks_ago", 3.2, 0, {}, "first missed deadline 3 weeks ago"),
        ("registration_day", 12, -30, {}, "registered 12 days after the start"),
        ("video_completion_rate", 0.2, 0.65, {}, "watched 20% of videos (course median 65%)"),
        ("total_time_minutes", 150, 600, {}, "2.5 hours of study time (course median 10.0 hours)"),
        ("forum_posts", 1, 4, {}, "1 forum post (course median 4)"),
        ("late_submissions", 3, 0, {}, "3 late submissions (course median 0)"),
        ("quiz_score_trend", -0.12, 0, {}, "scores falling (12 points per scored attempt)"),
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
    rep = fairness_report(
        np.array([0, 1]), np.array([0.2, 0.8]), np.array([False, True]), pd.DataFrame(index=[0, 1]), 5, "high"
    )
    assert rep["available"] is False


# -- known directions: constrained gradient boosting, withheld counter-intuitive reasons ------


def _collinear_logreg():
    """Forum posts are almost a copy of active days; only engagement (active days) drives the
    risk. The unconstrained logistic regression splits the effect between the two and gives
    forum posts the wrong sign (more posts -> higher risk): the case the Student page showed."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(5)
    n = 600
    z = rng.normal(size=n)
    active = np.round(np.clip(12 + 4 * z + rng.normal(0, 0.7, n), 0, None))
    posts = np.round(np.clip(0.5 * active + rng.normal(0, 0.5, n), 0, None))
    frame = pd.DataFrame(
        {"active_days": active, "forum_posts": posts}, index=pd.Index(np.arange(n), name="actor")
    )
    y = (rng.random(n) < 1 / (1 + np.exp(1.0 + 1.6 * z))).astype(int)
    est = LogisticRegression().fit(frame, y)
    return TrainedModel(kind="logreg", estimator=est, features=list(frame.columns), week=4), frame


def test_reasons_against_a_features_known_direction_are_withheld():
    model, frame = _collinear_logreg()
    coef = dict(zip(model.features, model.estimator.coef_[0], strict=True))
    assert coef["forum_posts"] > 0 > coef["active_days"]  # the counter-intuitive sign really is there
    expl = explain_students(model, frame)
    median = frame["forum_posts"].median()
    forum = expl.contributions["forum_posts"]
    # raw contributions are kept: many students with more posts than the median get "raises risk"
    more_raising = (frame["forum_posts"] > median) & (forum >= 0.1)
    assert more_raising.sum() > 50
    # ... but never as a reason, in either direction (fewer posts "lowering" risk is the same error)
    assert not any("forum" in r for reasons in expl.reasons for r in reasons)
    assert all("forum_posts" in expl.withheld.loc[i] for i in frame.index[more_raising])
    # the sensible factor is still explained, and takes the freed place
    assert any("active days" in r and "(raises risk)" in r for reasons in expl.reasons for r in reasons)
    assert all("forum_posts" not in w or abs(forum.loc[i]) >= 0.1 for i, w in expl.withheld.items())


def test_against_direction_rules():
    from learnalytics_desktop.core.model.explain import against_direction

    assert against_direction("forum_posts", 0.5, 4, 2)  # more posts raising risk
    assert against_direction("forum_posts", -0.5, 1, 2)  # fewer posts lowering risk
    assert not against_direction("forum_posts", 0.5, 1, 2)  # fewer posts raising risk: sensible
    assert not against_direction("days_since_last_activity", 0.8, 20, 3)
    assert against_direction("days_since_last_activity", 0.8, 1, 3)
    assert against_direction("late_submissions", -0.3, 3, 0)
    assert not against_direction("quiz_count", 0.5, 9, 2)  # unknown direction: never withheld
    assert not against_direction("quiz_avg_score", 0.5, float("nan"), 0.6)  # no quiz: no direction
    assert not against_direction("quiz_avg_score", 0.5, 0.6, 0.6)


def test_every_known_direction_names_a_catalog_feature():
    from learnalytics_desktop.core.features.catalog import FEATURES, RISK_DIRECTION

    assert set(RISK_DIRECTION) <= set(FEATURES)
    assert set(RISK_DIRECTION.values()) <= {-1, 1}
    assert RISK_DIRECTION["quiz_avg_score"] == -1 and RISK_DIRECTION["days_since_last_activity"] == 1


@pytest.fixture(scope="module")
def constrained_hgb():
    from learnalytics_desktop.core.model.data import select_features
    from learnalytics_desktop.core.model.estimators import make_estimator, single_thread
    from learnalytics_desktop.core.model.synthetic import synthetic_features

    frame, labels = synthetic_features(600, seed=11)
    cols, _ = select_features(frame)
    X = frame[cols].astype(float)
    with single_thread():
        est = make_estimator("hgb", len(X), columns=cols).fit(X, labels.to_numpy())
    return TrainedModel(kind="hgb", estimator=est, features=cols, week=6), frame


def test_gradient_boosting_respects_the_known_directions(constrained_hgb):
    model, frame = constrained_hgb
    base = model.estimator.calibrated_classifiers_[0].estimator
    assert base.monotonic_cst["quiz_avg_score"] == -1 and base.monotonic_cst["days_since_last_activity"] == 1
    assert "quiz_count" not in base.monotonic_cst
    rows = model.design(frame.iloc[:40])
    grid = np.linspace(0, 1, 21)
    for feature, values, sign in (
        ("quiz_avg_score", grid, -1),
        ("days_since_last_activity", grid * 40, 1),
        ("active_days", grid * 40, -1),
    ):
        X = rows.loc[rows.index.repeat(len(values))].copy()
        X[feature] = np.tile(values, len(rows))
        p = model.predict(X).reshape(len(rows), len(values))
        steps = sign * np.diff(p, axis=1)
        assert (steps >= -1e-12).all(), (feature, steps.min())
        assert (p[:, -1] != p[:, 0]).any(), feature  # the feature is used, not just flat
    # a constrained model never needs its reasons withheld
    expl = explain_students(model, frame.iloc[:200])
    assert expl.withheld.map(len).sum() == 0 and expl.reasons.map(len).sum() > 0
