"""``analyze_impact``: from one row per student to estimates, checks and a verdict.

Which estimate to believe (``recommended``):

* **Randomised** (a hold-out drawn by chance): the naive comparison is unbiased, so it is
  the one to report (``naive``); adjusted estimates are shown as a check when they could be
  computed (covariates and at least :data:`MIN_ADJUST_PER_GROUP` students per group), and
  chance imbalance (|SMD| > 0.1) is mentioned. Every sentence about the adjusted estimate
  matches what was computed: with smaller groups the text says no check was possible.
* **Not randomised, with pre-intervention covariates**: the groups were chosen differently,
  so the naive difference mixes the effect with the selection. The doubly robust
  ``adjusted`` estimate is recommended; it is only as good as the covariates (unmeasured
  differences are not removed), and the verdict says so.
* **Not randomised, no covariates**: nothing can be adjusted; ``naive`` is reported as an
  association only, and the verdict never speaks of an effect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from learnalytics_desktop.core.impact import binary, numeric
from learnalytics_desktop.core.impact.adjust import adjusted_estimates, balance_table
from learnalytics_desktop.core.impact.estimates import Estimate, ImpactError, clean
from learnalytics_desktop.core.impact.verdict import verdict_text

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

TREATED = {"treated", "treatment", "intervention", "1", "true", "yes"}
CONTROL = {"control", "comparison", "holdout", "held_out", "untreated", "0", "false", "no"}
SMD_LIMIT = 0.1
MIN_ADJUST_PER_GROUP = 10


@dataclass
class ImpactResult:
    """Everything the impact wizard and ``learnalytics impact --json`` show."""

    outcome: str
    kind: str  # numeric | binary
    randomised: bool
    n: dict[str, int]
    descriptives: dict[str, dict[str, Any]]
    estimates: dict[str, Estimate]
    """``naive`` always; ``adjusted`` when covariates allowed it."""
    tests: dict[str, Estimate]
    effect_sizes: dict[str, Estimate]
    sensitivity: dict[str, Estimate]
    balance: list[dict[str, Any]]
    assumptions: dict[str, Any]
    power: dict[str, Any]
    recommended: str
    recommended_reason: str
    verdict: str
    warnings: list[str] = field(default_factory=list)
    design: str = ""
    diagnostics: dict[str, Any] = field(default_factory=dict)
    values: dict[str, list[float]] = field(default_factory=dict)
    """Outcome values per group, for plots; left out of :meth:`to_dict` unless asked."""

    @property
    def confounded(self) -> bool:
        """True when the groups differed before the intervention (|SMD| > 0.1 somewhere)."""
        return any(abs(r["smd"]) > SMD_LIMIT for r in self.balance if r.get("smd") is not None)

    def to_dict(self, *, include_values: bool = False) -> dict[str, Any]:
        """JSON-able dict; ``estimates`` holds ``naive`` and (when run) ``adjusted``."""
        d = {
            "outcome": self.outcome,
            "kind": self.kind,
            "randomised": self.randomised,
            "design": self.design,
            "n": self.n,
            "descriptives": self.descriptives,
            "estimates": {k: v.to_dict() for k, v in self.estimates.items()},
            "recommended": self.recommended,
            "recommended_reason": self.recommended_reason,
            "verdict": self.verdict,
            "tests": {k: v.to_dict() for k, v in self.tests.items()},
            "effect_sizes": {k: v.to_dict() for k, v in self.effect_sizes.items()},
            "sensitivity": {k: v.to_dict() for k, v in self.sensitivity.items()},
            "balance": self.balance,
            "confounded": self.confounded,
            "assumptions": self.assumptions,
            "power": self.power,
            "diagnostics": self.diagnostics,
            "warnings": self.warnings,
        }
        if include_values:
            d["values"] = self.values
        return clean(d)


def _group_codes(series: pd.Series, col: str) -> Any:
    import numpy as np

    text = series.map(lambda v: str(v).strip().lower() if v is not None and v == v else "")
    text = text.replace({"1.0": "1", "0.0": "0"})
    bad = sorted(set(text) - TREATED - CONTROL)
    if bad:
        raise ImpactError(f"The {col!r} column has values that are neither treated nor control: {bad[:10]}.")
    return np.where(text.isin(TREATED), 1, 0)


def _outcome_kind(y: pd.Series, kind: str, outcome: str) -> str:
    values = set(y.dropna().unique().tolist())
    if kind == "auto":
        return "binary" if values <= {0, 1} else "numeric"
    if kind == "binary" and not values <= {0, 1}:
        raise ImpactError(f"The outcome {outcome!r} is not 0/1, so it cannot be analysed as yes/no.")
    if kind not in {"numeric", "binary"}:
        raise ImpactError(f"kind must be auto, numeric or binary, not {kind!r}.")
    return kind


def _covariates(frame: pd.DataFrame, covariates: list[str], warnings: list[str]) -> tuple[Any, list[str]]:
    import numpy as np
    import pandas as pd

    names, cols = [], []
    for c in covariates:
        if c not in frame.columns:
            raise ImpactError(f"There is no covariate column {c!r}.")
        x = frame[c]
        if x.dtype == bool:
            x = x.astype(float)
        if not pd.api.types.is_numeric_dtype(x):
            raise ImpactError(f"The covariate {c!r} is not numeric.")
        x = x.astype(float)
        missing = int(x.isna().sum())
        if missing == len(x):
            warnings.append(f"The covariate {c} has no values and was left out.")
            continue
        if missing:
            warnings.append(
                f"The covariate {c} is missing for {missing} student(s); the median was used for them."
            )
            x = x.fillna(x.median())
        if x.std() == 0:
            continue  # constant: carries no information about who was treated
        names.append(c)
        cols.append(x.to_numpy())
    return (np.column_stack(cols) if cols else np.empty((len(frame), 0))), names


def analyze_impact(  # noqa: C901 - to be split with the impact rework
    df: pd.DataFrame,
    *,
    outcome: str,
    group_col: str = "group",
    covariates: list[str] | None = None,
    randomised: bool | None = None,
    kind: str = "auto",
    seed: int = 0,
    test: str = "welch",
    n_boot: int = 1000,
    report: Any = None,
) -> ImpactResult:
    """Compare the outcome between treated and control students (one row per student).

    ``group_col`` holds treated/control (also 1/0, holdout, intervention/comparison).
    ``covariates`` are numeric pre-intervention columns (risk score, features) used for the
    balance table and the adjusted estimates. ``randomised=None`` means "not known to be
    randomised" and is treated as False. ``test`` picks the naive numeric estimate
    (``welch``, ``student`` or ``mann_whitney``). Rows without an outcome are left out and
    counted in the warnings. ``report`` (a Reporter) gets progress and can cancel during
    the bootstrap.
    """
    import pandas as pd

    warnings: list[str] = []
    for col in (outcome, group_col):
        if col not in df.columns:
            raise ImpactError(f"The table has no column {col!r} (columns: {list(df.columns)[:20]}).")
    if test not in {"welch", "student", "mann_whitney"}:
        raise ImpactError(f"test must be welch, student or mann_whitney, not {test!r}.")
    frame = df.copy()
    frame["_t"] = _group_codes(frame[group_col], group_col)
    y_raw = frame[outcome]
    if y_raw.dtype == bool:
        y_raw = y_raw.astype(float)
    y_num = pd.to_numeric(y_raw, errors="coerce")
    bad = int((y_num.isna() & y_raw.notna()).sum())
    if bad:
        raise ImpactError(f"The outcome {outcome!r} has {bad} value(s) that are not numbers.")
    frame["_y"] = y_num
    dropped = frame[frame["_y"].isna()]
    if len(dropped):
        nt = int(dropped["_t"].sum())
        warnings.append(
            f"{len(dropped)} student(s) have no {outcome} and were left out ({nt} treated, {len(dropped) - nt} control)."
        )
        miss_t = nt / max(int((frame["_t"] == 1).sum()), 1)
        miss_c = (len(dropped) - nt) / max(int((frame["_t"] == 0).sum()), 1)
        if len(dropped) >= 5 and abs(miss_t - miss_c) > 0.05:
            warnings.append(
                f"The outcome is missing more often in one group ({miss_t:.0%} of treated, {miss_c:.0%} of control). "
                "Students without an outcome (for example those who withdrew) are left out, which can bias the "
                "comparison; analyse 'withdrew' as well."
            )
    frame = frame[frame["_y"].notna()].reset_index(drop=True)
    kind = _outcome_kind(frame["_y"], kind, outcome)
    t = frame["_t"].to_numpy()
    y = frame["_y"].to_numpy(dtype=float)
    yt, yc = y[t == 1], y[t == 0]
    n = {"treated": int(len(yt)), "control": int(len(yc))}
    if min(n.values()) < 2:
        raise ImpactError(
            f"Each group needs at least 2 students with an outcome (treated {n['treated']}, control {n['control']})."
        )
    randomised = bool(randomised)
    X, names = _covariates(frame, list(covariates or []), warnings)
    balance = balance_table(X, names, t) if names else []
    tests: dict[str, Estimate] = {}
    effects: dict[str, Estimate] = {}
    if kind == "numeric":
        desc = {"treated": numeric.describe(yt), "control": numeric.describe(yc)}
        tests = {
            "welch": numeric.welch_t(yt, yc),
            "student": numeric.student_t(yt, yc),
            "mann_whitney": numeric.mann_whitney(yt, yc),
        }
        if numeric.pooled_sd(yt, yc) > 0:
            effects = {"cohens_d": numeric.cohens_d(yt, yc), "hedges_g": numeric.hedges_g(yt, yc)}
            if yc.std() > 0:
                effects["glass_delta"] = numeric.glass_delta(yt, yc)
        naive = tests[test]
        assumptions = numeric.assumption_checks(yt, yc)
        mde_d = numeric.minimum_detectable_d(n["treated"], n["control"])
        sd = numeric.pooled_sd(yt, yc)
        power = {
            "alpha": 0.05,
            "power": 0.8,
            "min_detectable_d": mde_d,
            "min_detectable_difference": mde_d * sd,
            "method": "two-sided Student t-test, noncentral t; difference = d x pooled SD",
        }
    else:
        a, c = int(yt.sum()), int(yc.sum())
        desc = {"treated": binary.describe_binary(yt), "control": binary.describe_binary(yc)}
        naive = binary.risk_difference(a, n["treated"], c, n["control"])
        tests = {
            "fisher": Estimate(
                "fisher",
                "Fisher's exact test",
                None,
                None,
                None,
                naive.p_value,
                "two-sided Fisher's exact test",
            )
        }
        effects = {
            "risk_difference": naive,
            "odds_ratio": binary.odds_ratio(a, n["treated"], c, n["control"]),
        }
        assumptions = {
            "notes": ["Fisher's exact test and the score intervals need no large-sample assumption."]
        }
        power = {
            "alpha": 0.05,
            "power": 0.8,
            **binary.minimum_detectable_difference(c / n["control"], n["treated"], n["control"]),
        }
    naive = Estimate(
        "naive",
        naive.label,
        naive.estimate,
        naive.ci_low,
        naive.ci_high,
        naive.p_value,
        naive.method,
        {**naive.extra, "test": naive.name},
    )
    estimates = {"naive": naive}
    sensitivity: dict[str, Estimate] = {}
    diagnostics: dict[str, Any] = {}
    imbalanced = [r["covariate"] for r in balance if abs(r["smd"]) > SMD_LIMIT]
    later: list[str] = []  # warnings about the adjustment, shown after the design warnings
    can_adjust = bool(names) and min(n.values()) >= MIN_ADJUST_PER_GROUP
    if names and not can_adjust:
        warnings.append(
            f"Adjusted estimates need at least {MIN_ADJUST_PER_GROUP} students per group; none computed."
        )
    if can_adjust:
        if report is not None:
            report.progress(0.3, "Bootstrapping the adjusted estimate")
        adj = adjusted_estimates(y, t, X, names, seed=seed, n_boot=n_boot, report=report)
        estimates["adjusted"] = adj["adjusted"]
        sensitivity = {"ipw": adj["ipw"], "regression": adj["regression"]}
        diagnostics = adj["diagnostics"]
        weighted = {r["covariate"]: r for r in adj["balance_weighted"]}
        for row in balance:
            w = weighted[row["covariate"]]
            row.update({k: w[k] for k in ("mean_treated_weighted", "mean_control_weighted", "smd_weighted")})
        still = [r["covariate"] for r in balance if abs(r["smd_weighted"]) > SMD_LIMIT]
        if still and not randomised:
            later.append(
                "After weighting, these covariates are still imbalanced (|SMD| > 0.1): "
                + ", ".join(still)
                + ". The adjusted estimate may still be biased."
            )
        if diagnostics["clipped"]:
            later.append(
                f"{diagnostics['clipped']} student(s) had a propensity score outside {diagnostics['clip_range']} "
                "(almost certain to be treated or not); their weights were capped."
            )
        total = n["treated"] + n["control"]
        diagnostics["poor_overlap"] = bool(diagnostics["clipped"] > 0.1 * total)
        if diagnostics["poor_overlap"] and not randomised:
            later.append(
                "Treated and comparison students barely overlap (for example, everyone above a risk "
                "threshold got a message): for many students the other group has nobody like them. The "
                "adjusted estimate then rests on extrapolating the outcome model; treat it as rough, and "
                "use a randomised hold-out next time."
            )
        small = {g: v for g, v in diagnostics["effective_n"].items() if v < 0.5 * n[g]}
        if small and not randomised:
            later.append(
                "The groups overlap poorly: after weighting, "
                + "; ".join(
                    f"the {g} group counts as {v:.0f} of its {n[g]} students" for g, v in small.items()
                )
                + ". Treat the adjusted estimate as rough."
            )
    if randomised:
        design = "Randomised: the comparison group was held back by chance."
        recommended, reason = (
            "naive",
            "The comparison group was chosen at random, so the plain difference is unbiased.",
        )
        if imbalanced:
            check = (
                "The adjusted estimate is shown as a check."
                if "adjusted" in estimates
                else f"With fewer than {MIN_ADJUST_PER_GROUP} students in a group no adjusted estimate could be "
                "computed to check for it, so keep this difference in mind when reading the result."
            )
            warnings.append(
                "By chance the groups differ somewhat before the intervention in: "
                + ", ".join(imbalanced)
                + ". "
                + check
            )
    else:
        design = "Not randomised: the groups were not assigned by chance."
        if imbalanced:
            warnings.append(
                "The groups differed before the intervention (|SMD| > 0.1) in: "
                + ", ".join(imbalanced)
                + ". The naive comparison is confounded: it mixes the effect of the messages with the "
                "reasons students were chosen."
            )
        if "adjusted" in estimates:
            recommended = "adjusted"
            reason = (
                "The groups were not formed by chance; the adjusted estimate accounts for the measured "
                "pre-intervention differences (risk and activity). Differences that were not measured remain."
            )
        elif names:  # covariates, but groups too small to adjust
            recommended = "naive"
            reason = (
                f"Pre-intervention covariates were available, but with fewer than {MIN_ADJUST_PER_GROUP} "
                "students in a group no adjusted estimate could be computed, so only the naive difference "
                "exists; it is an association, not an effect of the messages."
            )
            warnings.append(
                "Without randomisation or an adjusted estimate the difference cannot be read as an effect."
            )
        else:
            recommended = "naive"
            reason = (
                "No pre-intervention covariates were available to adjust for, so only the naive difference "
                "exists; it is an association, not an effect of the messages."
            )
            warnings.append(
                "Without randomisation or pre-intervention covariates the difference cannot be read as an effect."
            )
    warnings.extend(later)
    result = ImpactResult(
        outcome=outcome,
        kind=kind,
        randomised=randomised,
        n=n,
        descriptives=desc,
        estimates=estimates,
        tests=tests,
        effect_sizes=effects,
        sensitivity=sensitivity,
        balance=balance,
        assumptions=assumptions,
        power=power,
        recommended=recommended,
        recommended_reason=reason,
        verdict="",
        warnings=warnings,
        design=design,
        diagnostics=diagnostics,
        values={"treated": yt.tolist(), "control": yc.tolist()},
    )
    result.verdict = verdict_text(result)
    return result


__all__ = ["ImpactResult", "analyze_impact"]
