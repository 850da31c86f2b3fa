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
    assert any("5 student(s) have no final_grade" in w for w in r.warnings)


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


def test_deterministic_assignment_is_flagged_as_no_overlap():
    rng = np.random.default_rng(3)
    risk = rng.uniform(0, 1, 400)
    treated = risk >= 0.6  # everyone above the risk gate got a message
    grade = 85 - 40 * risk + TRUE_EFFECT * treated + rng.normal(0, 6, 400)
    df = pd.DataFrame(
        {"group": np.where(treated, "treated", "control"), "final_grade": grade, "risk_score": risk}
    )
    r = analyze_impact(df, outcome="final_grade", covariates=["risk_score"], n_boot=100)
    assert r.diagnostics["poor_overlap"] and r.diagnostics["clipped"] > 40
    assert any("barely overlap" in w for w in r.warnings)
    assert "treat this estimate as rough" in r.verdict


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


def _imbalanced_holdout(per_group: int, seed: int = 4) -> pd.DataFrame:
    """A hold-out whose groups differ in risk before the intervention (treated riskier)."""
    rng = np.random.default_rng(seed)
    risk = np.r_[np.linspace(0.5, 0.9, per_group), np.linspace(0.2, 0.6, per_group)]
    grade = 70 - 20 * risk + rng.normal(0, 5, 2 * per_group)
    return pd.DataFrame(
        {"group": ["treated"] * per_group + ["holdout"] * per_group, "final_grade": grade, "risk_score": risk}
    )


def test_text_says_what_was_computed_when_groups_are_too_small_to_adjust():
    small = analyze_impact(
        _imbalanced_holdout(7), outcome="final_grade", covariates=["risk_score"], randomised=True, n_boot=100
    )
    assert "adjusted" not in small.estimates and small.confounded
    text = " ".join(small.warnings)
    assert "shown as a check" not in text
    assert "no adjusted estimate could be computed" in text and "risk_score" in text
    assert "shown as a check" not in render_report_html(small)
    # with 10 per group the adjusted estimate exists, and then the text may point to it
    big = analyze_impact(
        _imbalanced_holdout(12), outcome="final_grade", covariates=["risk_score"], randomised=True, n_boot=100
    )
    assert "adjusted" in big.estimates and big.confounded
    assert any("The adjusted estimate is shown as a check." in w for w in big.warnings)
    # not randomised, covariates given but too few students: the reason does not claim there were no covariates
    plain = analyze_impact(
        _imbalanced_holdout(7), outcome="final_grade", covariates=["risk_score"], randomised=False, n_boot=100
    )
    assert plain.recommended == "naive" and "adjusted" not in plain.estimates
    assert "No pre-intervention covariates" not in plain.recommended_reason
    assert "fewer than 10 students" in plain.recommended_reason
