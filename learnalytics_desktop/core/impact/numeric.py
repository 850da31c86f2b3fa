"""Statistics for a numeric outcome: t-tests, Mann-Whitney, standardised effect sizes, power.

All differences are treated minus control. Conventions and CI methods:

* **Welch's t** (default): ``SE = sqrt(s1²/n1 + s2²/n2)``, Welch-Satterthwaite
  ``df = SE⁴ / ((s1²/n1)²/(n1-1) + (s2²/n2)²/(n2-1))``; CI ``diff ± t(0.975, df)·SE``.
* **Student's t**: pooled variance, ``df = n1 + n2 - 2``.
* **Mann-Whitney U** (scipy, two-sided, exact for small samples without ties, otherwise the
  normal approximation with tie and continuity correction). Its estimate is the
  Hodges-Lehmann shift (median of all pairwise differences) with the distribution-free CI
  of Bauer (1972) / Moses, using the normal approximation to the U quantile (no tie
  correction for the CI); skipped above 4 million pairs. ``U`` is reported for the treated group.
* **Cohen's d** uses the pooled SD. Its CI inverts the noncentral t distribution: the
  observed ``t = d / sqrt(1/n1 + 1/n2)`` is a noncentral t with ``df = n1 + n2 - 2``;
  the bounds are the noncentrality values for which the observed t sits at the 97.5th and
  2.5th percentiles, rescaled by ``sqrt(1/n1 + 1/n2)`` (Steiger & Fouladi 1997).
* **Hedges' g** = ``J·d`` with the exact small-sample factor
  ``J = Γ(df/2) / (sqrt(df/2)·Γ((df-1)/2))`` (Hedges 1981; ≈ ``1 - 3/(4df - 1)``); its CI is
  the d CI times J.
* **Glass's delta** divides by the control group's SD; this is what the seed design called
  "Cohen's d". CI by the large-sample variance ``(n1+n2)/(n1·n2) + Δ²/(2(n2-1))``
  (Hedges & Olkin 1985), labelled as such.
* **Minimum detectable effect**: the smallest |d| with 80% power for a two-sided Student
  t-test at α = .05 with these group sizes (noncentral t), also in outcome units.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from learnalytics_desktop.core.impact.estimates import Estimate, ImpactError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

HL_MAX_PAIRS = 4_000_000


def _arrays(treated: Any, control: Any) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    t = np.asarray(treated, dtype=float)
    c = np.asarray(control, dtype=float)
    if np.isnan(t).any() or np.isnan(c).any():
        raise ImpactError("The outcome has missing values; drop them before testing.")
    if len(t) < 2 or len(c) < 2:
        raise ImpactError(
            f"Each group needs at least 2 students with an outcome (treated {len(t)}, control {len(c)})."
        )
    return t, c


def welch_t(treated: Any, control: Any, alpha: float = 0.05) -> Estimate:
    """Difference in means with Welch's t-test and its Welch-Satterthwaite CI."""
    from scipy import stats

    t, c = _arrays(treated, control)
    n1, n2 = len(t), len(c)
    v1, v2 = t.var(ddof=1) / n1, c.var(ddof=1) / n2
    diff = float(t.mean() - c.mean())
    se = math.sqrt(v1 + v2)
    if se == 0:
        raise ImpactError("The outcome is the same for every student; there is nothing to compare.")
    df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
    stat = diff / se
    p = float(2 * stats.t.sf(abs(stat), df))
    q = float(stats.t.ppf(1 - alpha / 2, df))
    return Estimate(
        "welch",
        "Difference in means (Welch's t-test)",
        diff,
        diff - q * se,
        diff + q * se,
        p,
        "Welch's unequal-variance t-test; 95% CI with Welch-Satterthwaite df",
        {"t": stat, "df": df, "se": se},
    )


def student_t(treated: Any, control: Any, alpha: float = 0.05) -> Estimate:
    """Difference in means with Student's (pooled-variance) t-test and CI."""
    from scipy import stats

    t, c = _arrays(treated, control)
    n1, n2 = len(t), len(c)
    df = n1 + n2 - 2
    sp2 = ((n1 - 1) * t.var(ddof=1) + (n2 - 1) * c.var(ddof=1)) / df
    se = math.sqrt(sp2 * (1 / n1 + 1 / n2))
    if se == 0:
        raise ImpactError("The outcome is the same for every student; there is nothing to compare.")
    diff = float(t.mean() - c.mean())
    stat = diff / se
    p = float(2 * stats.t.sf(abs(stat), df))
    q = float(stats.t.ppf(1 - alpha / 2, df))
    return Estimate(
        "student",
        "Difference in means (Student's t-test)",
        diff,
        diff - q * se,
        diff + q * se,
        p,
        "Student's pooled-variance t-test; 95% CI with n1+n2-2 df",
        {"t": stat, "df": float(df), "se": se},
    )


def mann_whitney(treated: Any, control: Any, alpha: float = 0.05) -> Estimate:
    """Mann-Whitney U test; estimate = Hodges-Lehmann shift with its distribution-free CI."""
    import numpy as np
    from scipy import stats

    t, c = _arrays(treated, control)
    n1, n2 = len(t), len(c)
    res = stats.mannwhitneyu(t, c, alternative="two-sided", method="auto")
    u = float(res.statistic)
    extra: dict[str, Any] = {"U": u, "rank_biserial": 2 * u / (n1 * n2) - 1}
    est = lo = hi = None
    if n1 * n2 <= HL_MAX_PAIRS:
        d = np.sort(np.subtract.outer(t, c).ravel())
        est = float(np.median(d))
        z = float(stats.norm.ppf(1 - alpha / 2))
        k = int(math.floor(n1 * n2 / 2 - z * math.sqrt(n1 * n2 * (n1 + n2 + 1) / 12)))
        if k >= 1:
            lo, hi = float(d[k - 1]), float(d[n1 * n2 - k])
    else:
        extra["note"] = "Hodges-Lehmann shift not computed for more than 4 million pairs"
    return Estimate(
        "mann_whitney",
        "Shift in location (Mann-Whitney U)",
        est,
        lo,
        hi,
        float(res.pvalue),
        "Mann-Whitney U test (two-sided); Hodges-Lehmann shift with Moses distribution-free 95% CI",
        extra,
    )


def pooled_sd(t: np.ndarray, c: np.ndarray) -> float:
    """The pooled standard deviation of two samples."""
    n1, n2 = len(t), len(c)
    return math.sqrt(((n1 - 1) * t.var(ddof=1) + (n2 - 1) * c.var(ddof=1)) / (n1 + n2 - 2))


def hedges_j(df: float) -> float:
    """Hedges' exact small-sample correction factor J(df)."""
    from scipy.special import gammaln

    return math.exp(gammaln(df / 2) - 0.5 * math.log(df / 2) - gammaln((df - 1) / 2))


def nct_cdf(x: float, df: float, ncp: float) -> float:
    """Noncentral t CDF; where scipy returns NaN (far tails), the normal approximation
    ``Φ((x(1 - 1/(4df)) - ncp) / sqrt(1 + x²/(2df)))`` (Johnson, Kotz & Balakrishnan) is used."""
    from scipy import stats

    value = float(stats.nct.cdf(x, df, ncp))
    if math.isnan(value):
        value = float(stats.norm.cdf((x * (1 - 1 / (4 * df)) - ncp) / math.sqrt(1 + x * x / (2 * df))))
    return value


def _nct_ci(t_obs: float, df: float, alpha: float) -> tuple[float, float]:
    """Noncentrality bounds (lo, hi) with P(T <= t_obs | lo) = 1 - a/2 and P(T <= t_obs | hi) = a/2."""
    from scipy import optimize

    def f(ncp: float, target: float) -> float:
        return nct_cdf(t_obs, df, ncp) - target

    def root(target: float, direction: float) -> float:
        # the cdf falls as ncp grows: walk from t_obs in ``direction`` until the sign flips
        near, step = t_obs, 1.0
        far = t_obs + direction * step
        while f(far, target) * direction > 0:
            near, step = far, step * 2
            far = t_obs + direction * step
            if step > 1e4:
                raise ImpactError("The effect-size CI could not be computed for this data.")
        a, b = sorted((near, far))
        return float(optimize.brentq(f, a, b, args=(target,), xtol=1e-10))

    lo = root(1 - alpha / 2, -1.0)
    hi = root(alpha / 2, 1.0)
    return lo, hi


def cohens_d(treated: Any, control: Any, alpha: float = 0.05) -> Estimate:
    """Cohen's d (pooled SD) with a noncentral-t CI."""
    t, c = _arrays(treated, control)
    n1, n2 = len(t), len(c)
    sd = pooled_sd(t, c)
    if sd == 0:
        raise ImpactError("The outcome does not vary within the groups; standardised effects are undefined.")
    d = float((t.mean() - c.mean()) / sd)
    scale = math.sqrt(1 / n1 + 1 / n2)
    lo, hi = _nct_ci(d / scale, n1 + n2 - 2, alpha)
    return Estimate(
        "cohens_d",
        "Cohen's d (pooled SD)",
        d,
        lo * scale,
        hi * scale,
        None,
        "Mean difference / pooled SD; 95% CI by inverting the noncentral t distribution",
        {"pooled_sd": sd},
    )


def hedges_g(treated: Any, control: Any, alpha: float = 0.05) -> Estimate:
    """Hedges' g (small-sample corrected d) with its CI (the d CI times J)."""
    d = cohens_d(treated, control, alpha)
    n = len(treated) + len(control)
    j = hedges_j(n - 2)
    assert d.estimate is not None and d.ci_low is not None and d.ci_high is not None
    return Estimate(
        "hedges_g",
        "Hedges' g (small-sample corrected)",
        j * d.estimate,
        j * d.ci_low,
        j * d.ci_high,
        None,
        "J·d with Hedges' exact J; 95% CI = noncentral-t CI of d times J",
        {"J": j},
    )


def glass_delta(treated: Any, control: Any, alpha: float = 0.05) -> Estimate:
    """Glass's delta (difference / control SD), large-sample CI. The seed's "Cohen's d"."""
    from scipy import stats

    t, c = _arrays(treated, control)
    n1, n2 = len(t), len(c)
    sd_c = float(c.std(ddof=1))
    if sd_c == 0:
        raise ImpactError("The control group's outcome does not vary; Glass's delta is undefined.")
    delta = float((t.mean() - c.mean()) / sd_c)
    se = math.sqrt((n1 + n2) / (n1 * n2) + delta**2 / (2 * (n2 - 1)))
    z = float(stats.norm.ppf(1 - alpha / 2))
    return Estimate(
        "glass_delta",
        "Glass's delta (control SD; the seed's \"Cohen's d\")",
        delta,
        delta - z * se,
        delta + z * se,
        None,
        "Mean difference / control-group SD; 95% CI from the large-sample variance (Hedges & Olkin)",
        {"control_sd": sd_c},
    )


def power_t(d: float, n1: int, n2: int, alpha: float = 0.05) -> float:
    """Power of the two-sided Student t-test to detect a standardised difference ``d``."""
    from scipy import stats

    df = n1 + n2 - 2
    ncp = d * math.sqrt(n1 * n2 / (n1 + n2))
    q = stats.t.ppf(1 - alpha / 2, df)
    return float(1 - nct_cdf(q, df, ncp) + nct_cdf(-q, df, ncp))


def minimum_detectable_d(n1: int, n2: int, alpha: float = 0.05, power: float = 0.8) -> float:
    """The smallest |d| detected with ``power`` by a two-sided t-test with these group sizes."""
    from scipy import optimize

    if n1 < 2 or n2 < 2:
        return math.inf
    upper = 1.0
    while power_t(upper, n1, n2, alpha) < power:
        upper *= 2
        if upper > 1e4:
            return math.inf
    return float(optimize.brentq(lambda d: power_t(d, n1, n2, alpha) - power, 0.0, upper, xtol=1e-8))


def assumption_checks(treated: Any, control: Any) -> dict[str, Any]:
    """Shapiro-Wilk per group (3 <= n <= 5000) and Levene's test (median-centred)."""
    from scipy import stats

    t, c = _arrays(treated, control)
    out: dict[str, Any] = {"normality": {}, "equal_variances": None, "notes": []}
    for name, x in (("treated", t), ("control", c)):
        if 3 <= len(x) <= 5000 and x.std() > 0:
            w, p = stats.shapiro(x)
            out["normality"][name] = {"test": "Shapiro-Wilk", "W": float(w), "p_value": float(p), "n": len(x)}
        else:
            out["normality"][name] = {
                "test": "Shapiro-Wilk",
                "W": None,
                "p_value": None,
                "n": len(x),
                "note": "not run (needs 3 to 5000 varying values)",
            }
    if t.std() > 0 or c.std() > 0:
        stat, p = stats.levene(t, c, center="median")
        out["equal_variances"] = {
            "test": "Levene (Brown-Forsythe, median-centred)",
            "W": float(stat),
            "p_value": float(p),
        }
    out["notes"].append(
        "With large groups these tests flag even harmless departures; the t-tests rely on the group "
        "means being roughly normal, which holds for moderate and large groups. Welch's test does not "
        "assume equal variances."
    )
    return out


def describe(x: Any) -> dict[str, Any]:
    """n, mean, SD, median, quartiles, min and max of one group."""
    import numpy as np

    a = np.asarray(x, dtype=float)
    if len(a) == 0:
        return {"n": 0}
    q1, med, q3 = np.percentile(a, [25, 50, 75])
    return {
        "n": int(len(a)),
        "mean": float(a.mean()),
        "sd": float(a.std(ddof=1)) if len(a) > 1 else None,
        "median": float(med),
        "q1": float(q1),
        "q3": float(q3),
        "min": float(a.min()),
        "max": float(a.max()),
    }


__all__ = [
    "assumption_checks",
    "cohens_d",
    "describe",
    "glass_delta",
    "hedges_g",
    "hedges_j",
    "mann_whitney",
    "minimum_detectable_d",
    "pooled_sd",
    "power_t",
    "student_t",
    "welch_t",
]
