"""The impact statistics against published values and hand formulas.

Sources of the reference numbers:
* R's ``sleep`` data (Cushny & Peebles 1905, as in R's datasets package), whose analysis
  appears in R's ``t.test`` documentation: ``t.test(extra ~ group, data = sleep)`` gives
  t = -1.8608, df = 17.776, p = 0.07939, 95% CI -3.3654832 to 0.2054832;
  ``var.equal = TRUE`` gives df = 18, p = 0.07919, CI -3.363874 to 0.203874;
  ``wilcox.test(extra ~ group, data = sleep, exact = FALSE)`` gives W = 25.5, p = 0.06933.
  The effectsize package reports for the same data Cohen's d = -0.83, 95% CI [-1.74, 0.10]
  and Hedges' g = -0.80, 95% CI [-1.67, 0.09].
* Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10 (score interval
  for the difference of independent proportions, no continuity correction).
* Fisher's tea-tasting table (Fisher 1935; R's ``fisher.test(TeaTasting)``): one-sided
  p = 0.2429, two-sided p = 0.4857.
* Cohen (1988), Table 2.4.1: 64 students per group detect d = 0.5 with power .80 at
  two-sided alpha .05.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from learnalytics_desktop.core.impact import binary, numeric
from learnalytics_desktop.core.impact.estimates import ImpactError

SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def test_welch_matches_r_and_the_hand_formulas():
    e = numeric.welch_t(SLEEP_1, SLEEP_2)
    assert e.estimate == pytest.approx(-1.58)
    assert e.extra["t"] == pytest.approx(-1.8608, abs=1e-4)
    assert e.extra["df"] == pytest.approx(17.776, abs=1e-3)
    assert e.p_value == pytest.approx(0.07939, abs=1e-5)
    assert (e.ci_low, e.ci_high) == (pytest.approx(-3.3654832, abs=1e-6), pytest.approx(0.2054832, abs=1e-6))
    # by hand
    a, b = np.array(SLEEP_1), np.array(SLEEP_2)
    va, vb = a.var(ddof=1) / 10, b.var(ddof=1) / 10
    assert e.extra["se"] == pytest.approx(math.sqrt(va + vb))
    assert e.extra["df"] == pytest.approx((va + vb) ** 2 / (va**2 / 9 + vb**2 / 9))


def test_student_matches_r():
    e = numeric.student_t(SLEEP_1, SLEEP_2)
    assert e.extra["df"] == 18
    assert e.p_value == pytest.approx(0.07919, abs=1e-5)
    assert (e.ci_low, e.ci_high) == (pytest.approx(-3.363874, abs=1e-6), pytest.approx(0.203874, abs=1e-6))


def test_mann_whitney_matches_r():
    e = numeric.mann_whitney(SLEEP_1, SLEEP_2)
    assert e.extra["U"] == 25.5
    assert e.p_value == pytest.approx(0.06933, abs=1e-5)
    diffs = np.subtract.outer(SLEEP_1, SLEEP_2).ravel()
    assert e.estimate == pytest.approx(np.median(diffs))  # Hodges-Lehmann
    assert e.ci_low < e.estimate < e.ci_high
    assert e.extra["rank_biserial"] == pytest.approx(2 * 25.5 / 100 - 1)


def test_cohens_d_and_hedges_g_match_published_values():
    d = numeric.cohens_d(SLEEP_1, SLEEP_2)
    g = numeric.hedges_g(SLEEP_1, SLEEP_2)
    assert round(d.estimate, 2) == -0.83 and round(d.ci_low, 2) == -1.74 and round(d.ci_high, 2) == 0.10
    assert round(g.estimate, 2) == -0.80 and round(g.ci_low, 2) == -1.67 and round(g.ci_high, 2) == 0.09


def test_cohens_d_ci_inverts_the_noncentral_t():
    d = numeric.cohens_d(SLEEP_1, SLEEP_2)
    scale = math.sqrt(1 / 10 + 1 / 10)
    t_obs = d.estimate / scale
    assert stats.nct.cdf(t_obs, 18, d.ci_low / scale) == pytest.approx(0.975, abs=1e-7)
    assert stats.nct.cdf(t_obs, 18, d.ci_high / scale) == pytest.approx(0.025, abs=1e-7)


@pytest.mark.parametrize("df", [4, 10, 18, 50, 200])
def test_hedges_j_against_the_formula(df):
    exact = math.gamma(df / 2) / (math.sqrt(df / 2) * math.gamma((df - 1) / 2))
    assert numeric.hedges_j(df) == pytest.approx(exact, rel=1e-12)
    # the usual approximation is good to O(1/df²)
    assert numeric.hedges_j(df) == pytest.approx(1 - 3 / (4 * df - 1), abs=0.05 / df**2)


def test_glass_delta_uses_the_control_sd():
    e = numeric.glass_delta(SLEEP_1, SLEEP_2)
    assert e.estimate == pytest.approx(-1.58 / np.std(SLEEP_2, ddof=1))
    assert "seed" in e.label  # labelled as what the seed called Cohen's d


def test_minimum_detectable_effect_matches_cohens_table():
    assert numeric.minimum_detectable_d(64, 64) == pytest.approx(0.5, abs=0.003)
    assert numeric.power_t(0.5, 64, 64) == pytest.approx(0.80, abs=0.005)
    assert numeric.minimum_detectable_d(400, 400) < numeric.minimum_detectable_d(64, 64)
    assert numeric.power_t(0.8, 5000, 5000) == pytest.approx(1.0)  # scipy's far tail gives NaN; handled


def test_numeric_input_errors():
    with pytest.raises(ImpactError, match="at least 2"):
        numeric.welch_t([1.0], [1.0, 2.0])
    with pytest.raises(ImpactError, match="same for every student"):
        numeric.welch_t([3.0, 3.0], [3.0, 3.0])


@pytest.mark.parametrize(
    "counts, lo, hi",
    [
        ((56, 70, 48, 80), 0.0524, 0.3339),
        ((9, 10, 3, 10), 0.1705, 0.8090),
        ((6, 7, 2, 7), 0.0582, 0.8062),
        ((5, 56, 0, 29), -0.0381, 0.1926),
        ((0, 10, 0, 20), -0.1611, 0.2775),
        ((10, 10, 0, 20), 0.6791, 1.0000),
    ],
)
def test_newcombe_table_ii_method_10(counts, lo, hi):
    e = binary.risk_difference(*counts)
    assert round(e.ci_low, 4) == lo and round(e.ci_high, 4) == hi


def test_wilson_interval_by_hand():
    lo, hi = binary.wilson(81, 263)
    z = stats.norm.ppf(0.975)
    p, n = 81 / 263, 263
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    assert (lo, hi) == (pytest.approx(centre - half), pytest.approx(centre + half))
    assert (round(lo, 4), round(hi, 4)) == (0.2553, 0.3662)


def test_fisher_tea_tasting():
    assert binary.fisher(3, 4, 1, 4) == pytest.approx(0.4857, abs=1e-4)
    one_sided = stats.fisher_exact([[3, 1], [1, 3]], alternative="greater").pvalue
    assert one_sided == pytest.approx(0.2429, abs=1e-4)


def test_odds_ratio_log_ci_and_haldane():
    e = binary.odds_ratio(3, 4, 1, 4)
    assert e.estimate == pytest.approx(9.0)
    se = math.sqrt(1 / 3 + 1 + 1 + 1 / 3)
    assert e.ci_low == pytest.approx(math.exp(math.log(9) - 1.959964 * se), rel=1e-5)
    assert not e.extra["haldane"]
    z = binary.odds_ratio(5, 56, 0, 29)
    assert z.extra["haldane"] and "Haldane" in z.method
    assert z.estimate == pytest.approx((5.5 * 29.5) / (51.5 * 0.5))


def test_binary_minimum_detectable_difference():
    m = binary.minimum_detectable_difference(0.5, 100, 100)
    h = (stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * math.sqrt(2 / 100)
    assert m["cohens_h"] == pytest.approx(h)
    assert 2 * math.asin(math.sqrt(m["rise_to"])) - 2 * math.asin(math.sqrt(0.5)) == pytest.approx(h)
    assert m["rise_to"] - 0.5 == pytest.approx(0.5 - m["fall_to"])
