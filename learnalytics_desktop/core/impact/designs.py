"""How each study design is analysed once the plain comparison exists.

Three designs, chosen by how the groups were formed (``selection``):

* **random** (a hold-out drawn by chance): analysed as randomised. The plain difference is
  the estimate. The balance table has no weighting columns; it states how many imbalances
  (|SMD| > 0.1) chance alone would produce with groups of this size: a covariate's SMD is
  then roughly normal with variance ``1/n1 + 1/n2``, so each exceeds 0.1 with probability
  ``2·Φ(-0.1 / sqrt(1/n1 + 1/n2))``. Covariate adjustment is only for precision, with a
  small set declared here in advance (:data:`PRECISION_COVARIATES`: the stored
  pre-intervention risk score) and only with at least :data:`MIN_PRECISION_PER_GROUP`
  students per group; it is shown beside the plain difference, never instead of it.
* **threshold** (everyone at or above a risk cut-off was treated): the regression
  discontinuity of :mod:`~learnalytics_desktop.core.impact.rd` is the estimate; weighting is
  not attempted, since treated and comparison students share no risk scores.
* **advisor** or unknown (not randomised): overlap diagnostics come first: the share of
  propensity scores outside [0.05, 0.95] and the effective sample size of each group under
  inverse-probability weights. The propensity model uses at most one covariate per
  :data:`EVENTS_PER_COVARIATE` students of the smaller group, the stored risk first and then
  the covariates that differ most between the groups (a 22-covariate model on 72 students
  only fits noise). Then:

  - a covariate that decides the groups by itself (sorted by it, the groups form at most
    three unbroken runs: a cut-off or a band of risk): the adjusted estimate is **withheld**
    (nobody to compare with);
  - good overlap (at most 10% extreme scores, each group keeps half its effective size): the
    doubly robust (AIPW) estimate for all students in the analysis;
  - poor overlap: the **overlap-weighted** estimate, for the students who could have been in
    either group; withheld when a group's effective size under overlap weights is below
    :data:`MIN_EFFECTIVE_N`.

  Sensitivity estimates (IPW, AIPW, regression) are kept, and flagged ``reliable: false``
  with the reason whenever overlap is not good, so a small p-value is never shown without it.

Every interval on the outcome's scale is kept within what the outcome allows (a difference
of proportions within ±1, a grade difference within ± the grade range); an interval that had
to be cut says so (``clamped``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from learnalytics_desktop.core.impact.estimates import Estimate
from learnalytics_desktop.core.impact.wording import variable_label
from learnalytics_desktop.core.text import plural

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

SMD_LIMIT = 0.1
MIN_ADJUST_PER_GROUP = 10
MIN_PRECISION_PER_GROUP = 20
PRECISION_COVARIATES = ("risk_score",)
EVENTS_PER_COVARIATE = 10
MIN_EFFECTIVE_N = 10.0
EXTREME_SHARE = 0.1
MAX_RUNS = 3
OUTCOME_SCALE_KEYS = {"naive", "adjusted", "rd", "ipw", "doubly_robust", "overlap", "regression"}
OUTCOME_SCALE_KEYS |= {"covariate_adjusted", "welch", "student", "mann_whitney", "risk_difference"}


@dataclass
class Work:
    """What a design adds to the analysis (filled by the functions below)."""

    y: Any
    t: Any
    X: Any
    names: list[str]
    n: dict[str, int]
    unit: str
    seed: int
    n_boot: int
    report: Any
    balance: list[dict[str, Any]]
    estimates: dict[str, Estimate]
    sensitivity: dict[str, Estimate] = field(default_factory=dict)
    diagnostics: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    headline: list[str] = field(default_factory=list)
    recommended: str = "naive"
    reason: str = ""
    design: str = ""
    confounded: bool | None = None
    confounded_reason: str = ""


def withheld(name: str, label: str, reason: str, unit: str) -> Estimate:
    """An estimate that was deliberately not made, carrying the reason."""
    return Estimate(name, label, None, None, None, None, "withheld", {"withheld": reason, "unit": unit})


def outcome_bounds(kind: str, outcome: str, y: np.ndarray) -> tuple[float, float]:
    """The range the outcome can take: 0-1 for yes/no; 0-100 for a grade, score or mark whose
    values all lie there (the app's grade scale); else the observed range."""
    if kind == "binary":
        return (0.0, 1.0)
    lo, hi = float(y.min()), float(y.max())
    if any(w in outcome for w in ("grade", "score", "mark", "percent")) and lo >= 0 and hi <= 100:
        return (0.0, 100.0)
    return (lo, hi)


def clamp(e: Estimate, width: float) -> Estimate:
    """``e`` with its interval (and estimate) kept within ``[-width, width]``; flags a cut."""
    vals = [e.estimate, e.ci_low, e.ci_high]
    cut = [None if v is None else min(max(v, -width), width) for v in vals]
    if cut != vals:
        e.estimate, e.ci_low, e.ci_high = cut
        e.extra["clamped"] = True
    return e


def imbalanced(balance: list[dict[str, Any]], key: str = "smd") -> list[str]:
    """Covariates with |SMD| above the limit."""
    return [r["covariate"] for r in balance if r.get(key) is not None and abs(r[key]) > SMD_LIMIT]


def _names(cols: list[str]) -> str:
    return ", ".join(variable_label(c) for c in cols)


# --- randomised ---------------------------------------------------------------------------------


def randomised(w: Work) -> None:
    """The plain difference; chance imbalance counted; precision-only adjustment."""
    from scipy import stats

    from learnalytics_desktop.core.impact.adjust import regression_adjusted

    w.design = "Randomised: the comparison group was held back by chance."
    w.recommended = "naive"
    w.reason = "The comparison group was chosen at random, so the plain difference is unbiased."
    w.confounded, w.confounded_reason = False, "the groups were formed by chance (randomised)."
    k = len(w.balance)
    if k:
        sd = math.sqrt(1 / w.n["treated"] + 1 / w.n["control"])
        p_one = float(2 * stats.norm.sf(SMD_LIMIT / sd))
        seen = imbalanced(w.balance)
        w.diagnostics["chance_imbalance"] = {
            "covariates": k,
            "imbalanced": len(seen),
            "expected": k * p_one,
            "probability_each": p_one,
        }
        text = (
            f"{len(seen)} of {k} pre-intervention measures differ by |SMD| > 0.1; with groups of "
            f"{w.n['treated']} and {w.n['control']} chance alone produces about {k * p_one:.1f} such differences."
        )
        excess = len(seen) - k * p_one > 2 * math.sqrt(k * p_one * (1 - p_one)) + 1
        if excess:
            text += " That is more than chance explains; check that the hold-out was really drawn at random."
        w.warnings.append(text)
    pre = [c for c in PRECISION_COVARIATES if c in w.names]
    if pre and min(w.n.values()) >= MIN_PRECISION_PER_GROUP:
        cols = [w.names.index(c) for c in pre]
        est = regression_adjusted(w.y, w.t, w.X[:, cols])
        est.name, est.label = (
            "covariate_adjusted",
            f"Difference adjusted for {_names(pre).lower()} (precision)",
        )
        est.method += "; pre-declared covariates, for precision only (the plain difference is the estimate)"
        est.extra["unit"] = w.unit
        w.sensitivity["covariate_adjusted"] = est


# --- threshold -----------------------------------------------------------------------------------


def threshold(w: Work, x: np.ndarray | None, cutoff: float, running: str) -> None:
    """Regression discontinuity at the cut-off; no weighting."""
    from learnalytics_desktop.core.impact.rd import regression_discontinuity

    label = variable_label(running).lower()
    w.design = (
        f"Assigned by a threshold: students with {label} at or above {cutoff:g} were contacted. "
        "A regression discontinuity compares students just either side of the cut-off."
    )
    w.confounded = True
    w.confounded_reason = f"the groups were chosen by {label}, which also predicts the outcome."
    if x is None:
        reason = f"There is no {label} for these students, so the cut-off cannot be used."
        w.estimates["rd"] = withheld(
            "rd", "Jump at the risk cut-off (regression discontinuity)", reason, w.unit
        )
        w.diagnostics["rd"] = {"cutoff": cutoff, "withheld": reason}
    else:
        import numpy as np

        known = ~np.isnan(x)
        est, diag = regression_discontinuity(w.y[known], x[known], w.t[known], cutoff, unit=w.unit)
        w.diagnostics["rd"] = diag
        if not known.all():
            diag["without_running"] = int((~known).sum())
            w.warnings.append(
                f"{plural(int((~known).sum()), 'student')} {'has' if int((~known).sum()) == 1 else 'have'} no {label} and are left out of the regression discontinuity."
            )
        w.estimates["rd"] = est or withheld(
            "rd", "Jump at the risk cut-off (regression discontinuity)", diag["withheld"], w.unit
        )
        if diag.get("density", {}).get("flagged"):
            w.headline.append(
                "The risk scores bunch on one side of the cut-off more than chance explains (density test "
                f"p = {diag['density']['p_value']:.3f}); the discontinuity may be biased."
            )
    w.recommended = "rd"
    if w.estimates["rd"].estimate is None:
        w.reason = (
            "Treatment followed a threshold, so only students near it are comparable, and the regression "
            "discontinuity could not be estimated: " + str(w.estimates["rd"].extra["withheld"])
        )
        w.headline.append("No trustworthy estimate: " + str(w.estimates["rd"].extra["withheld"]))
    else:
        w.reason = (
            "Treatment followed a threshold, so students just below it are the fair comparison for students just "
            "above it; the estimate is about students near the threshold only."
        )
    if imbalanced(w.balance):
        w.warnings.append(
            "As expected with a threshold, the groups differed before the intervention in: "
            + _names(imbalanced(w.balance))
            + ". The plain difference mixes the effect with those differences."
        )


# --- observational ------------------------------------------------------------------------------


def _separating(X: np.ndarray, names: list[str], t: np.ndarray) -> str | None:
    """A covariate that decides the groups by itself: sorted by it, the students fall into at
    most :data:`MAX_RUNS` unbroken runs of one group (a cut-off gives 2, a band 3), and no
    value is shared by both groups; chance or people choosing give hundreds of runs. The
    stored risk is checked first."""
    import numpy as np

    order = sorted(range(len(names)), key=lambda j: names[j] not in PRECISION_COVARIATES)
    for j in order:
        idx = np.lexsort((t, X[:, j]))
        xs, ts = X[idx, j], t[idx]
        switch = np.diff(ts) != 0
        if np.any(switch & (np.diff(xs) == 0)):
            continue  # a value both groups share: overlap on this covariate
        if 1 + int(np.count_nonzero(switch)) <= MAX_RUNS:
            return names[j]
    return None


def _propensity_columns(w: Work) -> list[int]:
    cap = max(1, min(w.n.values()) // EVENTS_PER_COVARIATE)
    smd = {r["covariate"]: abs(r["smd"]) for r in w.balance}
    order = [c for c in PRECISION_COVARIATES if c in w.names]
    order += sorted((c for c in w.names if c not in order), key=lambda c: -smd.get(c, 0.0))
    return [w.names.index(c) for c in order[:cap]]


def _unreliable(e: Estimate, why: str) -> Estimate:
    e.extra["reliable"] = False
    e.extra["flag"] = why
    return e


def observational(w: Work, selection: str | None) -> None:
    """Overlap diagnostics, then AIPW, overlap weights, or a withheld adjusted estimate."""
    from learnalytics_desktop.core.impact.adjust import (
        adjusted_estimates,
        balance_table,
        ipw_weights,
        overlap_weights,
    )

    if selection == "advisor":
        w.design = "Not randomised: advisors chose whom to contact (mostly the students at risk)."
        w.confounded, w.confounded_reason = True, "advisors chose whom to contact, mostly by risk."
    else:
        w.design = "Not randomised: the groups were not assigned by chance."
    gaps = imbalanced(w.balance)
    if gaps:
        w.warnings.append(
            "The groups differed before the intervention (|SMD| > 0.1) in: "
            + _names(gaps)
            + ". The plain comparison is confounded: it mixes the effect of the messages with the reasons "
            "students were chosen."
        )
    if selection != "advisor":
        if not w.balance:
            w.confounded = None
            w.confounded_reason = (
                "no pre-intervention measures were available to compare the groups (give intervention dates, "
                "or use the interventions log)."
            )
        elif gaps:
            w.confounded, w.confounded_reason = (
                True,
                "the groups differed before the intervention in: " + _names(gaps) + ".",
            )
        elif "risk_score" in w.names:
            w.confounded = False
            w.confounded_reason = (
                "the groups had the same stored risk and activity before the intervention (all |SMD| <= 0.1)."
            )
        else:
            w.confounded = None
            w.confounded_reason = "the measured activity was alike, but no stored risk score existed before the intervention to check."
    label = "Adjusted difference"
    if not w.names:
        w.recommended = "naive"
        w.reason = (
            "No pre-intervention covariates were available to adjust for, so only the plain difference exists; it is "
            "an association, not an effect of the messages."
        )
        w.warnings.append(
            "Without randomisation or pre-intervention covariates the difference cannot be read as an effect."
        )
        return
    if min(w.n.values()) < MIN_ADJUST_PER_GROUP:
        w.recommended = "naive"
        w.reason = (
            f"Pre-intervention covariates were available, but with fewer than {MIN_ADJUST_PER_GROUP} students in a "
            "group no adjusted estimate could be computed, so only the plain difference exists; it is an "
            "association, not an effect of the messages."
        )
        w.warnings.append(
            f"Adjusted estimates need at least {MIN_ADJUST_PER_GROUP} students per group; none computed."
        )
        w.warnings.append(
            "Without randomisation or an adjusted estimate the difference cannot be read as an effect."
        )
        return
    w.recommended = "adjusted"
    sep = _separating(w.X, w.names, w.t)
    if sep is not None:
        reason = (
            f"{variable_label(sep)} alone decided who was in which group (sorted by it, the groups form unbroken "
            "runs, as a cut-off or a band does), so treated and comparison students do not overlap at all and "
            "there is nobody to compare them with. If a risk threshold decided who was contacted, give the "
            "cut-off to estimate the effect at the threshold."
        )
        w.estimates["adjusted"] = withheld("adjusted", label, reason, w.unit)
        w.diagnostics["overlap"] = {"level": "none", "separating": sep}
        w.headline.append("No overlap: " + reason)
        w.reason = "The adjusted estimate is withheld: " + reason
        return
    cols = _propensity_columns(w)
    if w.report is not None:
        w.report.progress(0.3, "Bootstrapping the adjusted estimate")
    adj = adjusted_estimates(
        w.y, w.t, w.X[:, cols], [w.names[j] for j in cols], seed=w.seed, n_boot=w.n_boot, report=w.report
    )
    diag = adj["diagnostics"]
    total = w.n["treated"] + w.n["control"]
    ess = diag["effective_n"]
    small = {g: v for g, v in ess.items() if v < 0.5 * w.n[g]}
    level = "good" if diag["extreme"] <= EXTREME_SHARE * total and not small else "poor"
    diag["propensity_covariates"] = [w.names[j] for j in cols]
    diag["overlap"] = {"level": level, "extreme_share": diag["extreme"] / total}
    diag["poor_overlap"] = level == "poor"
    w.diagnostics.update(diag)
    ps = adj["ps"]
    aipw, ipw, ato, reg = adj["adjusted"], adj["ipw"], adj["overlap"], adj["regression"]
    aipw.name, aipw.label = "doubly_robust", "Doubly robust difference (AIPW)"
    for e in (aipw, ipw, ato, reg):
        e.extra["unit"] = w.unit
    weights, _ = ipw_weights(ps, w.t)
    if level == "good":
        w.estimates["adjusted"] = Estimate(
            "adjusted",
            "Adjusted difference (doubly robust)",
            aipw.estimate,
            aipw.ci_low,
            aipw.ci_high,
            aipw.p_value,
            aipw.method,
            {**aipw.extra, "population": "all students in the analysis"},
        )
        w.sensitivity = {"ipw": ipw, "overlap": ato, "regression": reg}
        w.reason = (
            "The groups were not formed by chance; the adjusted estimate accounts for the measured "
            "pre-intervention differences (risk and activity). Differences that were not measured remain."
        )
    else:
        parts = []
        if diag["extreme"]:
            parts.append(
                f"{diag['extreme']} of {total} students have a propensity score below 0.05 or above 0.95 (almost "
                "certain to be in one group)"
            )
        parts += [
            f"weighting leaves the {g} group worth {v:.0f} of its {w.n[g]} students" for g, v in small.items()
        ]
        why = "poor overlap: " + "; ".join(parts)
        w.headline.append(
            "Treated and comparison students overlap poorly ("
            + "; ".join(parts)
            + "). For many students the other "
            "group has nobody like them."
        )
        for e in (ipw, aipw):
            _unreliable(e, why + "; extreme weights")
        _unreliable(reg, why + "; the regression extrapolates between groups that do not overlap")
        w.sensitivity = {"ipw": ipw, "doubly_robust": aipw, "regression": reg}
        weights = overlap_weights(ps, w.t)
        ess_o = diag["effective_n_overlap"]
        if min(ess_o.values()) < MIN_EFFECTIVE_N:
            reason = (
                f"even on the students who overlap, a group counts as fewer than {MIN_EFFECTIVE_N:.0f} students "
                f"(treated {ess_o['treated']:.0f}, comparison {ess_o['control']:.0f})."
            )
            w.estimates["adjusted"] = withheld("adjusted", label, "Too little overlap: " + reason, w.unit)
            w.reason = "The adjusted estimate is withheld: too little overlap; " + reason
            w.headline.append("No adjusted estimate: too little overlap; " + reason)
        else:
            population = (
                "the students who could have been in either group (overlap weights: those with propensity "
                "scores near 0.5 count most), not all treated students"
            )
            w.estimates["adjusted"] = Estimate(
                "adjusted",
                "Adjusted difference (overlap weights)",
                ato.estimate,
                ato.ci_low,
                ato.ci_high,
                ato.p_value,
                ato.method,
                {**ato.extra, "population": population},
            )
            w.reason = (
                "The groups were not formed by chance and overlap poorly, so the estimate is restricted to the "
                "students comparable across groups: "
                + population
                + ". Differences that were not measured remain."
            )
    weighted = {r["covariate"]: r for r in balance_table(w.X, w.names, w.t, weights)}
    for row in w.balance:
        r = weighted[row["covariate"]]
        row.update({k: r[k] for k in ("mean_treated_weighted", "mean_control_weighted", "smd_weighted")})
    still = imbalanced(w.balance, "smd_weighted")
    if still and w.estimates["adjusted"].estimate is not None:
        w.warnings.append(
            "After weighting, these covariates are still imbalanced (|SMD| > 0.1): "
            + _names(still)
            + ". The adjusted estimate may still be biased."
        )


__all__ = [
    "MIN_ADJUST_PER_GROUP",
    "PRECISION_COVARIATES",
    "SMD_LIMIT",
    "Work",
    "clamp",
    "observational",
    "outcome_bounds",
    "randomised",
    "threshold",
    "withheld",
]
