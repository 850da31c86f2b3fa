"""Balance checks and adjusted estimates for non-randomised comparisons.

* **Standardised mean difference** of a covariate: ``(mean_t - mean_c) / sqrt((var_t + var_c) / 2)``
  (the unweighted variances in the denominator also after weighting, as Austin 2009 advises,
  so weighting cannot shrink the SMD by inflating the variance). ``|SMD| > 0.1`` is the
  usual sign of imbalance.
* **Propensity score**: logistic regression of treatment on the covariates (standardised
  once with the full sample's mean and SD), fitted by Newton-Raphson with a small ridge
  penalty (λ = 1e-3 times n on the slopes) so that separation cannot make it diverge. Own
  code, warm-started from the full-sample fit and run with one BLAS thread, so 1000
  bootstrap refits take about 1 s for 300 students and 3-4 s for 2000 students with 25
  covariates.
* **Weights**: scores are clipped to [0.01, 0.99] (reported as ``clipped``), then
  stabilised inverse-probability weights ``P(T=1)/e`` for treated and ``P(T=0)/(1-e)`` for
  control students; the estimand is the average effect over all students in the analysis
  (ATE). The effective sample size ``(Σw)²/Σw²`` per group shows how much the weighting
  costs.
* **IPW** estimate: difference of weighted (Hajek) means.
* **Overlap weights** (Li, Morgan & Zaslavsky 2018): treated students weigh ``1 - e``,
  comparison students ``e``. The estimand is the effect for the students who could have
  been in either group (those with scores near 0.5 count most); no weight is ever extreme.
  The estimate is augmented with the per-arm outcome regressions (Mao, Li & Greene 2019),
  because the ridge penalty keeps the weights from balancing the covariates exactly (in
  ``bench/impact_coverage.py`` the plain weighted difference was biased by about 1 point
  with poor overlap). It is the adjusted estimate we recommend when overlap is poor.
* **Regression adjustment**: OLS of the outcome on treatment and the centred covariates;
  CI from HC3 heteroskedasticity-robust standard errors with ``n - p`` df. For a 0/1
  outcome this is a linear probability model (a risk difference).
* **Doubly robust (AIPW)**: outcome regressions per arm plus the weighted residuals
  (Robins, Rotnitzky & Zhao 1994; the normalised form of Lunceford & Davidian 2004). It is
  consistent if either the propensity or the outcome model is right, which is why it is the
  ``adjusted`` estimate we recommend for non-randomised data.
* **Bootstrap** CIs for IPW and AIPW: ``n_boot`` resamples drawn within each group (so both
  stay present), refitting the propensity model each time, with a seeded
  ``numpy.random.default_rng``; percentile 95% CI; p-value from the normal approximation
  ``2·Φ(-|est/SE_boot|)``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from learnalytics_desktop.core.impact.estimates import Estimate, ImpactError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

CLIP = (0.01, 0.99)
EXTREME = (0.05, 0.95)
"""Propensity scores outside this range count as "near 0 or 1" in the overlap diagnostics."""
RIDGE = 1e-3


def smd(x: np.ndarray, t: np.ndarray, w: np.ndarray | None = None) -> float:
    """Standardised mean difference of ``x`` between t==1 and t==0 (optionally weighted)."""
    import numpy as np

    xt, xc = x[t == 1], x[t == 0]
    denom = math.sqrt((xt.var(ddof=1) + xc.var(ddof=1)) / 2) if len(xt) > 1 and len(xc) > 1 else 0.0
    if w is None:
        mt, mc = xt.mean(), xc.mean()
    else:
        mt = float(np.average(xt, weights=w[t == 1]))
        mc = float(np.average(xc, weights=w[t == 0]))
    if denom == 0:
        return 0.0 if mt == mc else math.inf
    return float((mt - mc) / denom)


def balance_table(
    X: np.ndarray, names: list[str], t: np.ndarray, w: np.ndarray | None = None
) -> list[dict[str, Any]]:
    """One row per covariate: means per group, SMD, and (with ``w``) weighted means and SMD."""
    import numpy as np

    rows = []
    for j, name in enumerate(names):
        x = X[:, j]
        row: dict[str, Any] = {
            "covariate": name,
            "mean_treated": float(x[t == 1].mean()),
            "mean_control": float(x[t == 0].mean()),
            "smd": smd(x, t),
        }
        if w is not None:
            row["mean_treated_weighted"] = float(np.average(x[t == 1], weights=w[t == 1]))
            row["mean_control_weighted"] = float(np.average(x[t == 0], weights=w[t == 0]))
            row["smd_weighted"] = smd(x, t, w)
        rows.append(row)
    return rows


def design_matrix(X: np.ndarray) -> np.ndarray:
    """Intercept plus the covariates standardised once with the full sample's mean and SD
    (an affine change that leaves the fitted values of models with an intercept unchanged,
    so bootstrap resamples reuse it)."""
    import numpy as np

    sd = X.std(axis=0)
    sd[sd == 0] = 1.0
    return np.column_stack([np.ones(len(X)), (X - X.mean(axis=0)) / sd])


def logistic(
    Z: np.ndarray, t: np.ndarray, beta0: np.ndarray | None = None, iters: int = 50
) -> tuple[np.ndarray, np.ndarray]:
    """(fitted probabilities, coefficients) of a ridge-penalised logistic regression of
    ``t`` on the design matrix ``Z`` by Newton-Raphson, optionally warm-started at ``beta0``."""
    import numpy as np

    beta = np.zeros(Z.shape[1]) if beta0 is None else beta0.copy()
    pen = np.full(Z.shape[1], RIDGE * len(t))
    pen[0] = 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-np.clip(Z @ beta, -30, 30)))
        grad = Z.T @ (t - p) - pen * beta
        hess = (Z * (p * (1 - p))[:, None]).T @ Z
        hess[np.diag_indices_from(hess)] += pen
        step = np.linalg.solve(hess, grad)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-8:
            break
    return 1 / (1 + np.exp(-np.clip(Z @ beta, -30, 30))), beta


def ipw_weights(ps: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, int]:
    """Stabilised IP weights from clipped scores; returns (weights, number clipped)."""
    import numpy as np

    clipped = int(((ps < CLIP[0]) | (ps > CLIP[1])).sum())
    e = np.clip(ps, *CLIP)
    share = t.mean()
    return np.where(t == 1, share / e, (1 - share) / (1 - e)), clipped


def overlap_weights(ps: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Overlap (ATO) weights: ``1 - e`` for treated, ``e`` for comparison students."""
    import numpy as np

    return np.where(t == 1, 1 - ps, ps)


def effective_n(w: np.ndarray, t: np.ndarray) -> dict[str, float]:
    """Kish effective sample size ``(Σw)²/Σw²`` per group."""
    return {
        g: float(w[t == v].sum() ** 2 / max(float((w[t == v] ** 2).sum()), 1e-300))
        for g, v in (("treated", 1), ("control", 0))
    }


def _ipw_est(y: np.ndarray, t: np.ndarray, w: np.ndarray) -> float:
    import numpy as np

    return float(np.average(y[t == 1], weights=w[t == 1]) - np.average(y[t == 0], weights=w[t == 0]))


def _ato_est(y: np.ndarray, t: np.ndarray, Z: np.ndarray, ps: np.ndarray) -> float:
    """Augmented overlap-weighted estimate (Mao, Li & Greene 2019): the overlap-weighted mean
    of the two outcome regressions' difference plus the overlap-weighted residuals per arm,
    so covariate imbalance left by a penalised propensity model does not bias it."""
    import numpy as np

    m1 = Z @ _ols_fit(Z[t == 1], y[t == 1])
    m0 = Z @ _ols_fit(Z[t == 0], y[t == 0])
    h = ps * (1 - ps)
    w1, w0 = t * (1 - ps), (1 - t) * ps
    return float(
        np.sum(h * (m1 - m0)) / np.sum(h)
        + np.sum(w1 * (y - m1)) / np.sum(w1)
        - np.sum(w0 * (y - m0)) / np.sum(w0)
    )


def _ols_fit(Z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least squares through the normal equations (a 1e-9 relative ridge keeps collinear
    covariates solvable); much faster than an SVD inside the bootstrap loop."""
    import numpy as np

    gram = Z.T @ Z
    gram[np.diag_indices_from(gram)] += 1e-9 * max(float(np.trace(gram)), 1.0) / len(gram)
    return np.linalg.solve(gram, Z.T @ y)


def _aipw_est(y: np.ndarray, t: np.ndarray, Z: np.ndarray, ps: np.ndarray) -> float:
    import numpy as np

    m1 = Z @ _ols_fit(Z[t == 1], y[t == 1])
    m0 = Z @ _ols_fit(Z[t == 0], y[t == 0])
    e = np.clip(ps, *CLIP)
    w1, w0 = t / e, (1 - t) / (1 - e)
    mu1 = m1.mean() + np.sum(w1 * (y - m1)) / np.sum(w1)
    mu0 = m0.mean() + np.sum(w0 * (y - m0)) / np.sum(w0)
    return float(mu1 - mu0)


def regression_adjusted(y: np.ndarray, t: np.ndarray, X: np.ndarray, alpha: float = 0.05) -> Estimate:
    """OLS of y on treatment and centred covariates; HC3 robust CI and p-value."""
    import numpy as np
    from scipy import stats

    base = design_matrix(X)
    Z = np.column_stack([base[:, :1], t, base[:, 1:]])
    n, k = Z.shape
    if n - k < 2:
        raise ImpactError(f"Too few students ({n}) for regression on {k - 2} covariates.")
    beta, *_ = np.linalg.lstsq(Z, y, rcond=None)
    resid = y - Z @ beta
    bread = np.linalg.pinv(Z.T @ Z)
    h = np.einsum("ij,jk,ik->i", Z, bread, Z)
    u = resid / np.clip(1 - h, 1e-8, None)
    meat = (Z * (u**2)[:, None]).T @ Z
    cov = bread @ meat @ bread
    se = float(math.sqrt(cov[1, 1]))
    est = float(beta[1])
    df = n - k
    q = float(stats.t.ppf(1 - alpha / 2, df))
    p = float(2 * stats.t.sf(abs(est / se), df)) if se > 0 else None
    return Estimate(
        "regression",
        "Regression-adjusted difference",
        est,
        est - q * se,
        est + q * se,
        p,
        "OLS on treatment + pre-intervention covariates; 95% CI from HC3 robust SE",
        {"se": se, "df": float(df)},
    )


def adjusted_estimates(
    y: np.ndarray,
    t: np.ndarray,
    X: np.ndarray,
    names: list[str],
    *,
    seed: int = 0,
    n_boot: int = 1000,
    alpha: float = 0.05,
    report: Any = None,
) -> dict[str, Any]:
    """IPW, AIPW (``adjusted``) and regression estimates, weights diagnostics and balance.

    ``report`` (optional Reporter) gets progress (0.3 to 0.9) and a ``check()`` every 50
    bootstrap replicates, so the user can cancel. Returns ``{"adjusted", "ipw", "regression": Estimate, "balance_weighted": [...],
    "diagnostics": {...}}``.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):  # small matrices: BLAS threads only add contention
        return _adjusted(y, t, X, names, seed=seed, n_boot=n_boot, alpha=alpha, report=report)


def _adjusted(
    y: np.ndarray,
    t: np.ndarray,
    X: np.ndarray,
    names: list[str],
    *,
    seed: int,
    n_boot: int,
    alpha: float,
    report: Any,
) -> dict[str, Any]:
    import numpy as np
    from scipy import stats

    Z = design_matrix(X)
    ps, beta = logistic(Z, t)
    w, clipped = ipw_weights(ps, t)
    ipw = _ipw_est(y, t, w)
    aipw = _aipw_est(y, t, Z, ps)
    rng = np.random.default_rng(seed)
    idx_t, idx_c = np.flatnonzero(t == 1), np.flatnonzero(t == 0)
    ato = _ato_est(y, t, Z, ps)
    boots = np.empty((n_boot, 3))
    for b in range(n_boot):
        if report is not None and b % 50 == 0:
            report.check()
            report.progress(0.3 + 0.6 * b / n_boot, f"Bootstrap {b} of {n_boot}")
        idx = np.concatenate([rng.choice(idx_t, len(idx_t)), rng.choice(idx_c, len(idx_c))])
        yb, tb, Zb = y[idx], t[idx], Z[idx]
        psb, _ = logistic(Zb, tb, beta)
        wb, _ = ipw_weights(psb, tb)
        boots[b] = (
            _ipw_est(yb, tb, wb),
            _aipw_est(yb, tb, Zb, psb),
            _ato_est(yb, tb, Zb, psb),
        )
    out: dict[str, Any] = {}
    for col, key, est, label, method in (
        (
            0,
            "ipw",
            ipw,
            "Inverse-probability-weighted difference",
            "Propensity score (logistic regression) with stabilised, clipped IP weights; "
            f"95% percentile bootstrap CI ({n_boot} resamples)",
        ),
        (
            1,
            "adjusted",
            aipw,
            "Adjusted difference (doubly robust)",
            "Augmented IPW (propensity score + outcome regression); "
            f"95% percentile bootstrap CI ({n_boot} resamples)",
        ),
        (
            2,
            "overlap",
            ato,
            "Adjusted difference (overlap weights)",
            "Overlap weights (treated 1-e, comparison e) augmented with outcome regressions; "
            f"95% percentile bootstrap CI ({n_boot} resamples)",
        ),
    ):
        draws = boots[:, col]
        se = float(draws.std(ddof=1))
        lo, hi = np.percentile(draws, [100 * alpha / 2, 100 * (1 - alpha / 2)])
        p = float(2 * stats.norm.sf(abs(est / se))) if se > 0 else None
        out[key] = Estimate(
            key, label, est, float(lo), float(hi), p, method, {"se_bootstrap": se, "seed": seed}
        )
    out["regression"] = regression_adjusted(y, t, X, alpha)
    out["ps"] = ps
    ess = effective_n(w, t)
    wo = overlap_weights(ps, t)
    out["balance_weighted"] = balance_table(X, names, t, w)
    out["balance_overlap"] = balance_table(X, names, t, wo)
    out["diagnostics"] = {
        "propensity_treated": {"min": float(ps[t == 1].min()), "max": float(ps[t == 1].max())},
        "propensity_control": {"min": float(ps[t == 0].min()), "max": float(ps[t == 0].max())},
        "clipped": clipped,
        "clip_range": list(CLIP),
        "max_weight": float(w.max()),
        "effective_n": ess,
        "effective_n_overlap": effective_n(wo, t),
        "extreme": int(((ps < EXTREME[0]) | (ps > EXTREME[1])).sum()),
        "extreme_range": list(EXTREME),
    }
    return out


__all__ = [
    "CLIP",
    "adjusted_estimates",
    "balance_table",
    "design_matrix",
    "ipw_weights",
    "effective_n",
    "logistic",
    "overlap_weights",
    "regression_adjusted",
    "smd",
]
