"""Statistics for a yes/no outcome: risk difference, odds ratio, Fisher's exact test, power.

Counts: treated ``a`` events of ``n1``, control ``c`` events of ``n2`` (``b = n1 - a``,
``d = n2 - c``). Methods:

* **Risk difference** ``a/n1 - c/n2`` with Newcombe's hybrid score interval (Newcombe 1998,
  method 10), built from the two Wilson score intervals without continuity correction. It
  behaves well with small counts and proportions near 0 or 1, where the Wald interval fails.
  Its p-value is Fisher's exact test's.
* **Odds ratio** ``(a·d)/(b·c)`` (the sample odds ratio, not the conditional MLE some
  packages print) with the Woolf log-scale CI ``exp(log OR ± z·sqrt(1/a+1/b+1/c+1/d))``;
  when any cell is 0, 0.5 is added to every cell (Haldane-Anscombe correction) for both the
  estimate and the CI, and the estimate says so.
* **Fisher's exact test**, two-sided (scipy: sums the probabilities of tables no more likely
  than the observed one).
* **Minimum detectable difference**: normal approximation on Cohen's h (arcsine scale),
  ``h = (z(1-α/2) + z(power))·sqrt(1/n1 + 1/n2)``, turned back into proportions around the
  control group's rate, both up and down.
"""

from __future__ import annotations

import math
from typing import Any

from learnalytics_desktop.core.impact.estimates import Estimate, ImpactError


def wilson(events: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval for a proportion (no continuity correction)."""
    from scipy import stats

    if n <= 0:
        raise ImpactError("A proportion needs at least one student.")
    z = float(stats.norm.ppf(1 - alpha / 2))
    p = events / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _counts(a: int, n1: int, c: int, n2: int) -> None:
    for name, events, n in (("treated", a, n1), ("control", c, n2)):
        if n < 1:
            raise ImpactError(f"The {name} group has no students with an outcome.")
        if not 0 <= events <= n:
            raise ImpactError(f"The {name} group has {events} events out of {n}.")


def fisher(a: int, n1: int, c: int, n2: int) -> float:
    """Two-sided p-value of Fisher's exact test for the 2x2 table."""
    from scipy import stats

    _counts(a, n1, c, n2)
    return float(stats.fisher_exact([[a, n1 - a], [c, n2 - c]], alternative="two-sided").pvalue)


def risk_difference(a: int, n1: int, c: int, n2: int, alpha: float = 0.05) -> Estimate:
    """Difference in proportions with Newcombe's hybrid score CI and Fisher's p-value."""
    _counts(a, n1, c, n2)
    p1, p2 = a / n1, c / n2
    l1, u1 = wilson(a, n1, alpha)
    l2, u2 = wilson(c, n2, alpha)
    diff = p1 - p2
    lo = diff - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    hi = diff + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return Estimate(
        "risk_difference",
        "Difference in proportions",
        diff,
        lo,
        hi,
        fisher(a, n1, c, n2),
        "Risk difference; 95% CI by Newcombe's hybrid score method (Wilson intervals); p from Fisher's exact test",
        {"p_treated": p1, "p_control": p2},
    )


def odds_ratio(a: int, n1: int, c: int, n2: int, alpha: float = 0.05) -> Estimate:
    """Sample odds ratio with the log (Woolf) CI; Haldane correction when a cell is 0."""
    from scipy import stats

    _counts(a, n1, c, n2)
    cells = [float(a), float(n1 - a), float(c), float(n2 - c)]
    corrected = any(x == 0 for x in cells)
    if corrected:
        cells = [x + 0.5 for x in cells]
    aa, bb, cc, dd = cells
    log_or = math.log(aa * dd / (bb * cc))
    se = math.sqrt(sum(1 / x for x in cells))
    z = float(stats.norm.ppf(1 - alpha / 2))
    method = "Sample odds ratio; 95% CI on the log scale (Woolf)"
    if corrected:
        method += "; 0.5 added to every cell because one was zero (Haldane-Anscombe)"
    return Estimate(
        "odds_ratio",
        "Odds ratio",
        math.exp(log_or),
        math.exp(log_or - z * se),
        math.exp(log_or + z * se),
        fisher(a, n1, c, n2),
        method,
        {"ratio": True, "haldane": corrected, "log_se": se},
    )


def minimum_detectable_difference(
    p_control: float, n1: int, n2: int, alpha: float = 0.05, power: float = 0.8
) -> dict[str, Any]:
    """Smallest rise and fall from ``p_control`` detectable with ``power`` (Cohen's h)."""
    from scipy import stats

    h = (stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) * math.sqrt(1 / n1 + 1 / n2)
    base = math.asin(math.sqrt(min(max(p_control, 0.0), 1.0)))
    up = math.sin(min(base + h / 2, math.pi / 2)) ** 2
    down = math.sin(max(base - h / 2, 0.0)) ** 2
    return {
        "cohens_h": float(h),
        "rise_to": up if base + h / 2 <= math.pi / 2 else None,
        "fall_to": down if base - h / 2 >= 0 else None,
        "method": "normal approximation on Cohen's h (arcsine), two-sided alpha .05, power .80",
    }


def describe_binary(x: Any) -> dict[str, Any]:
    """n, events and proportion (with Wilson CI) of one group's 0/1 outcome."""
    import numpy as np

    arr = np.asarray(x, dtype=float)
    n = int(len(arr))
    events = int(arr.sum())
    lo, hi = wilson(events, n) if n else (None, None)
    return {"n": n, "events": events, "proportion": events / n if n else None, "ci_low": lo, "ci_high": hi}


__all__ = [
    "describe_binary",
    "fisher",
    "minimum_detectable_difference",
    "odds_ratio",
    "risk_difference",
    "wilson",
]
