"""analyze_impact end to end: confounded simulation, randomised design, yes/no outcomes,
verdicts that never overclaim, the HTML report."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from learnalytics_desktop.core.impact import ImpactError, analyze_impact, render_report_html

TRUE_EFFECT = 5.0


def confounded(n=600, seed=11):
    """Treatment goes to the students most at risk; risk lowers the grade; true effect +5."""
    rng = np.random.default_rng(seed)
    risk = rng.uniform(0, 1, n)
    activity = rng.normal(0, 1, n)
    p_treat = 1 / (1 + np.exp(-(-3 + 6 * risk - 0.5 * activity)))
    treated = rng.uniform(size=n) < p_treat
    grade = 85 - 40 * risk + 3 * activity + TRUE_EFFECT * treated + rng.normal(0, 6, n)
    return pd.DataFrame(
        {
            "group": np.where(treated, "treated", "control"),
            "final_grade": grade,
            "risk_score": risk,
            "activity": activity,
        }
    )


def test_confounded_naive_is_wrong_and_adjusted_recovers_the_effect():
    df = confounded()
    r = analyze_impact(df, outcome="final_grade", covariates=["risk_score", "activity"], seed=0, n_boot=500)
    naive, adj = r.estimates["naive"], r.estimates["adjusted"]
    assert naive.estimate < 0  # the wrong sign: a helpful message looks harmful
    assert naive.ci_high < TRUE_EFFECT  # and its CI excludes the truth
    assert adj.ci_low <= TRUE_EFFECT <= adj.ci_high
    assert abs(adj.estimate - TRUE_EFFECT) < 1.5
    for key in ("ipw", "regression"):
        e = r.sensitivity[key]
        assert e.ci_low <= TRUE_EFFECT <= e.ci_high
    assert r.recommended == "adjusted" and not r.randomised and r.confounded
    smd = {b["covariate"]: b for b in r.balance}
    before, after = abs(smd["risk_score"]["smd"]), abs(smd["risk_score"]["smd_weighted"])
    assert before > 1.0 and after < before / 5
    assert any("confounded" in w for w in r.warnings)
    assert "appear to have raised final grades" in r.verdict and "not a randomised" in r.verdict


def test_bootstrap_is_reproducible_with_the_seed():
    df = confounded(n=200, seed=3)
    a = analyze_impact(df, outcome="final_grade", covariates=["risk_score"], seed=5, n_boot=200)
    b = analyze_impact(df, outcome="final_grade", covariates=["risk_score"], seed=5, n_boot=200)
    c = analyze_impact(df, outcome="final_grade", covariates=["risk_score"], seed=6, n_boot=200)
    assert a.estimates["adjusted"].to_dict() == b.estimates["adjusted"].to_dict()
    assert a.estimates["adjusted"].ci_low != c.estimates["adjusted"].ci_low


def test_naive_comparison_without_covariates_is_not_called_an_effect():
    df = confounded()
    r = analyze_impact(df, outcome="final_grade")
    assert r.recommended == "naive" and "adjusted" not in r.estimates
    assert "does not show what the messages did" in r.verdict
    assert "raised" not in r.verdict and "lowered" not in r.verdict
    assert any("cannot be read as an effect" in w for w in r.warnings)


def test_randomised_design_reports_the_naive_estimate():
    rng = np.random.default_rng(2)
    n = 400
    risk = rng.uniform(0, 1, n)
    treated = rng.permutation(np.r_[np.ones(n // 2), np.zeros(n // 2)]).astype(bool)
    grade = 80 - 30 * risk + TRUE_EFFECT * treated + rng.normal(0, 5, n)
    df = pd.DataFrame(
        {"group": np.where(treated, "treated", "holdout"), "final_grade": grade, "risk_score": risk}
    )
    r = analyze_impact(df, outcome="final_grade", covariates=["risk_score"], randomised=True, n_boot=200)
    assert r.recommended == "naive" and r.randomised
    e = r.estimates["naive"]
    assert e.ci_low <= TRUE_EFFECT <= e.ci_high and e.excludes_zero
    assert r.verdict.startswith("The messages raised final grades by about")
    assert "95% CI" in r.verdict
    assert set(r.tests) == {"welch", "student", "mann_whitney"}
    assert {"cohens_d", "hedges_g", "glass_delta"} <= set(r.effect_sizes)
    assert r.assumptions["normality"]["treated"]["test"] == "Shapiro-Wilk"
    assert r.power["min_detectable_difference"] > 0


def test_no_clear_effect_wording():
    base = np.random.default_rng(4).normal(70, 10, 30)
    df = pd.DataFrame({"group": ["treated"] * 30 + ["control"] * 30, "final_grade": np.r_[base + 0.5, base]})
    r = analyze_impact(df, outcome="final_grade", randomised=True)
    assert r.estimates["naive"].estimate == pytest.approx(0.5)
    assert not r.estimates["naive"].excludes_zero
    assert r.verdict.startswith("There is no clear effect of the messages on final grades")
    assert "a drop of" in r.verdict and "a rise of" in r.verdict and "would reliably show" in r.verdict


def test_binary_outcome():
    df = pd.DataFrame(
        {"group": ["treated"] * 70 + ["control"] * 80, "passed": [1] * 56 + [0] * 14 + [1] * 48 + [0] * 32}
    )
    r = analyze_impact(df, outcome="passed", randomised=True)
    assert r.kind == "binary"
    e = r.estimates["naive"]
    assert e.estimate == pytest.approx(0.2)
    assert (round(e.ci_low, 4), round(e.ci_high, 4)) == (0.0524, 0.3339)
    assert r.effect_sizes["odds_ratio"].estimate == pytest.approx((56 * 32) / (14 * 48))
    assert r.tests["fisher"].p_value == pytest.approx(e.p_value)
    assert "pass rate" in r.verdict and "percentage points" in r.verdict
    assert r.descriptives["treated"]["proportion"] == pytest.approx(0.8)


def test_missing_outcomes_are_counted_not_silently_dropped():
    df = confounded(n=100)
    df.loc[:4, "final_grade"] = np.nan
    r = analyze_impact(df, outcome="final_grade", randomised=True)
    assert r.n["treated"] + r.n["control"] == 95
    assert any("5 students have no final grade" in w for w in r.warnings)


def test_input_errors_are_clear():
    df = confounded(n=50)
    with pytest.raises(ImpactError, match="no column 'grade'"):
        analyze_impact(df, outcome="grade")
    bad = df.assign(group=["maybe"] + list(df["group"][1:]))
    with pytest.raises(ImpactError, match="neither treated nor control: \\['maybe'\\]"):
        analyze_impact(bad, outcome="final_grade")
    with pytest.raises(ImpactError, match="not numbers"):
        analyze_impact(df.assign(final_grade=["x"] * 50), outcome="final_grade")
    with pytest.raises(ImpactError, match="at least 2"):
        analyze_impact(df.assign(group="treated"), outcome="final_grade")
    with pytest.raises(ImpactError, match="not 0/1"):
        analyze_impact(df, outcome="final_grade", kind="binary")
    with pytest.raises(ImpactError, match="not numeric"):
        analyze_impact(df.assign(txt="a"), outcome="final_grade", covariates=["txt"])


def test_covariate_gaps_are_imputed_and_reported():
    df = confounded(n=120)
    df.loc[:9, "activity"] = np.nan
    r = analyze_impact(df, outcome="final_grade", covariates=["risk_score", "activity"], n_boot=100)
    assert any("activity is missing for 10" in w for w in r.warnings)
    assert "adjusted" in r.estimates


def test_every_estimate_has_a_unit():
    for kind, df in (
        ("numeric", confounded(n=200).assign(final_grade=lambda f: f.final_grade.clip(0, 100))),
        ("binary", None),
    ):
        if df is None:
            df = confounded(n=200)
            df["passed"] = (df["final_grade"] > 60).astype(int)
        outcome = "final_grade" if kind == "numeric" else "passed"
        d = analyze_impact(df, outcome=outcome, covariates=["risk_score"], n_boot=100).to_dict()
        for group in ("estimates", "sensitivity", "tests", "effect_sizes"):
            for key, e in d[group].items():
                if e["estimate"] is not None:
                    assert e["unit"], (group, key)
        assert d["unit"] == (
            "points on the 0-100 final grade"
            if kind == "numeric"
            else "percentage points of students passing"
        )


def test_to_dict_is_strict_json():
    r = analyze_impact(confounded(n=150), outcome="final_grade", covariates=["risk_score"], n_boot=100)
    d = r.to_dict()
    text = json.dumps(d, allow_nan=False)
    back = json.loads(text)
    for key in ("naive", "adjusted"):
        assert {"estimate", "ci_low", "ci_high", "p_value", "method"} <= set(back["estimates"][key])
    assert back["recommended"] == "adjusted" and "values" not in back
    assert len(r.to_dict(include_values=True)["values"]["treated"]) == r.n["treated"]


def test_html_report_is_self_contained_and_escaped():
    df = confounded(n=150)
    df = df.rename(columns={"activity": "<script>alert(1)</script>"})
    r = analyze_impact(
        df, outcome="final_grade", covariates=["risk_score", "<script>alert(1)</script>"], n_boot=100
    )
    page = render_report_html(r, title="Impact & <b>report</b>", context={"Course": "Stats <101>"})
    assert page.startswith("<!DOCTYPE html>")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "Stats &lt;101&gt;" in page and "Impact &amp; &lt;b&gt;report&lt;/b&gt;" in page
    for external in ("http://", "https://", "src=", "<link", "@import"):
        assert external not in page
    assert "(recommended)" in page and "SMD after weighting" in page


def threshold_data(n=400, seed=3, effect=TRUE_EFFECT, cutoff=0.6):
    rng = np.random.default_rng(seed)
    risk = rng.uniform(0, 1, n)
    treated = risk >= cutoff  # everyone above the risk gate got a message
    grade = 85 - 40 * risk + effect * treated + rng.normal(0, 6, n)
    return pd.DataFrame(
        {"group": np.where(treated, "treated", "control"), "final_grade": grade, "risk_score": risk}
    )


def test_deterministic_assignment_without_the_cutoff_withholds_the_adjusted_estimate():
    r = analyze_impact(threshold_data(), outcome="final_grade", covariates=["risk_score"], n_boot=100)
    adj = r.estimates["adjusted"]
    assert adj.estimate is None and "do not overlap at all" in adj.extra["withheld"]
    band = threshold_data()
    band["group"] = np.where(band["risk_score"].between(0.3, 0.7), "treated", "control")  # a band of risk
    r_band = analyze_impact(band, outcome="final_grade", covariates=["risk_score"], n_boot=100)
    assert (
        r_band.estimates["adjusted"].estimate is None
        and r_band.diagnostics["overlap"]["separating"] == "risk_score"
    )
    assert r.recommended == "adjusted" and r.diagnostics["overlap"]["level"] == "none"
    assert r.verdict.startswith("No trustworthy estimate of the effect")
    assert "does not show what the messages did" in r.verdict
    assert any(w.startswith("No overlap") for w in r.diagnostics["headline"])
    assert r.confounded is True


def test_threshold_design_estimates_the_jump_at_the_cutoff():
    r = analyze_impact(
        threshold_data(n=800, seed=5), outcome="final_grade", covariates=["risk_score"], cutoff=0.6
    )
    rd = r.estimates["rd"]
    assert r.recommended == "rd" and r.selection == "threshold" and r.confounded is True
    assert rd.ci_low <= TRUE_EFFECT <= rd.ci_high
    assert "robust bias-corrected" in rd.method and "near the cut-off" in rd.extra["population"]
    d = r.diagnostics["rd"]
    assert d["design"] == "sharp" and 0 < d["bandwidth"] < 0.6
    assert d["density"]["p_value"] is not None
    assert d["plot"]["bins_below"] and len(d["plot"]["fit_above"]) == 2
    assert r.verdict.startswith("For students near the risk cut-off (0.60)")
    assert "sensitivity" not in r.to_dict() or not r.sensitivity  # no weighting under a threshold
    assert json.loads(json.dumps(r.to_dict(), allow_nan=False))["estimates"]["rd"]["unit"]


def test_poor_overlap_reports_overlap_weights_and_flags_the_sensitivity_estimates():
    rng = np.random.default_rng(8)
    n = 500
    risk = rng.uniform(0, 1, n)
    treated = rng.uniform(size=n) < 1 / (1 + np.exp(-(-9 + 18 * risk)))
    passed = (rng.uniform(size=n) < 0.9 - 0.6 * risk).astype(int)
    df = pd.DataFrame(
        {"group": np.where(treated, "treated", "control"), "passed": passed, "risk_score": risk}
    )
    r = analyze_impact(df, outcome="passed", covariates=["risk_score"], n_boot=200)
    adj = r.estimates["adjusted"]
    assert r.diagnostics["overlap"]["level"] == "poor"
    assert "overlap weights" in adj.label and "either group" in adj.extra["population"]
    assert -1 <= adj.ci_low <= adj.ci_high <= 1 and adj.ci_low <= 0 <= adj.ci_high
    for key in ("ipw", "doubly_robust", "regression"):
        e = r.sensitivity[key]
        assert e.extra["reliable"] is False and "poor overlap" in e.extra["flag"]
        assert -1 <= e.ci_low <= e.ci_high <= 1
    assert any("overlap poorly" in w for w in r.diagnostics["headline"])
    assert "unreliable" in render_report_html(r)


def test_randomised_design_counts_chance_imbalances_and_does_not_weight():
    rng = np.random.default_rng(12)
    n1, n2, k = 57, 62, 22
    X = rng.normal(size=(n1 + n2, k))
    df = pd.DataFrame(X, columns=[f"m{j}" for j in range(k)])
    df["risk_score"] = rng.uniform(size=n1 + n2)
    df["group"] = ["treated"] * n1 + ["holdout"] * n2
    df["final_grade"] = 60 + 10 * rng.normal(size=n1 + n2)
    covs = [*(f"m{j}" for j in range(k)), "risk_score"]
    r = analyze_impact(df, outcome="final_grade", covariates=covs, randomised=True)
    chance = r.diagnostics["chance_imbalance"]
    assert chance["covariates"] == k + 1 and 10 < chance["expected"] < 16  # about 58% each at 57/62
    assert not any("smd_weighted" in row for row in r.balance)
    assert "adjusted" not in r.estimates and "ipw" not in r.sensitivity
    assert set(r.sensitivity) == {"covariate_adjusted"}  # risk only, for precision
    assert r.recommended == "naive" and r.confounded is False
    assert any("chance alone produces about" in w for w in r.warnings)
    assert "SMD after weighting" not in render_report_html(r)


def test_confounded_is_true_null_or_false_only_with_evidence():
    df = confounded(n=300)
    assert analyze_impact(df, outcome="final_grade", selection="advisor").confounded is True
    unknown = analyze_impact(df, outcome="final_grade")
    assert unknown.confounded is None and "no pre-intervention measures" in unknown.confounded_reason
    rng = np.random.default_rng(1)
    alike = pd.DataFrame(
        {
            "group": ["treated", "control"] * 150,
            "final_grade": rng.normal(60, 10, 300),
            "risk_score": np.repeat(rng.uniform(size=150), 2),
        }
    )
    r = analyze_impact(alike, outcome="final_grade", covariates=["risk_score"], n_boot=100)
    assert r.confounded is False and "same stored risk" in r.confounded_reason
    assert analyze_impact(df, outcome="final_grade", covariates=["risk_score"], n_boot=100).confounded is True


def test_withdrawals_that_empty_the_grade_are_said_first():
    df = confounded(n=200)
    df["withdrew"] = 0
    gone = df.index[:30]
    df.loc[gone, "final_grade"] = np.nan
    df.loc[gone, "withdrew"] = 1
    r = analyze_impact(df, outcome="final_grade", randomised=True)
    head = r.diagnostics["headline"]
    assert head and "withdrew" in head[0] and "passed_not_withdrawn" in head[0]
    assert r.warnings[0] == head[0]


def test_outcome_missing_mostly_in_one_group_is_flagged():
    df = confounded(n=200)
    treated_rows = df.index[df["group"] == "treated"][:20]
    df.loc[treated_rows, "final_grade"] = np.nan
    r = analyze_impact(df, outcome="final_grade", randomised=True)
    assert any("missing more often in one group" in w and "withdrew" in w for w in r.warnings)
    balanced = confounded(n=200)
    balanced.loc[:1, "final_grade"] = np.nan
    r = analyze_impact(balanced, outcome="final_grade", randomised=True)
    assert not any("more often" in w for w in r.warnings)


def test_bootstrap_reports_progress_and_can_be_cancelled():
    from learnalytics_desktop.core.jobs import Cancelled, CancelToken

    seen = []
    token = CancelToken(lambda f, m: seen.append((f, m)))
    analyze_impact(
        confounded(n=150), outcome="final_grade", covariates=["risk_score"], n_boot=200, report=token
    )
    assert any("Bootstrap" in m for _f, m in seen)

    def cancel_soon(f, m):
        if "Bootstrap 50" in m:
            stopper.cancel()

    stopper = CancelToken(cancel_soon)
    with pytest.raises(Cancelled):
        analyze_impact(
            confounded(n=150), outcome="final_grade", covariates=["risk_score"], n_boot=500, report=stopper
        )
