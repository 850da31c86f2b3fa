"""``analyze_impact``: from one row per student to estimates, checks and a verdict.

Which estimate to believe (``recommended``) depends on how the groups were formed; the
rules live in :mod:`~learnalytics_desktop.core.impact.designs`: a randomised hold-out is
analysed as randomised (the plain difference), a risk threshold by a regression
discontinuity at the cut-off, anything else by an adjusted estimate chosen after the overlap
diagnostics (or withheld, with the reason). Without pre-intervention covariates a
non-randomised difference is reported as an association only.

Withdrawal: when the table has a ``withdrew`` column and students without the outcome
withdrew, the result says so first (``diagnostics["headline"]``) and suggests analysing
``withdrew`` and ``passed_not_withdrawn`` (a withdrawal counts as not passing) as outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from learnalytics_desktop.core.impact import binary, designs, numeric
from learnalytics_desktop.core.impact.adjust import balance_table
from learnalytics_desktop.core.impact.estimates import Estimate, ImpactError, clean
from learnalytics_desktop.core.impact.verdict import verdict_text
from learnalytics_desktop.core.impact.wording import outcome_unit, variable_label
from learnalytics_desktop.core.text import plural

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

TREATED = {"treated", "treatment", "intervention", "1", "true", "yes"}
CONTROL = {"control", "comparison", "holdout", "held_out", "untreated", "0", "false", "no"}


@dataclass
class ImpactResult:
    """Everything the impact wizard and ``learnalytics impact --json`` show."""

    outcome: str
    kind: str  # numeric | binary
    randomised: bool
    n: dict[str, int]
    descriptives: dict[str, dict[str, Any]]
    estimates: dict[str, Estimate]
    """``naive`` always; ``adjusted`` (observational designs) and ``rd`` (threshold designs)
    when they apply, possibly withheld (``estimate`` None, ``extra["withheld"]`` the reason)."""
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
    confounded: bool | None = None
    """True when the groups were chosen by risk or an advisor (or differ before the
    intervention); False only with evidence (randomised, or balanced on the stored risk);
    None when nothing could be checked. :attr:`confounded_reason` says which."""
    confounded_reason: str = ""
    selection: str | None = None
    """How the groups were formed: ``random``, ``threshold``, ``advisor`` or None (unknown)."""
    bounds: tuple[float, float] | None = None
    """The range the outcome can take (0-1 for yes/no); differences stay within its width."""
    unit: str = ""
    """The unit of differences in the outcome, in words."""

    def to_dict(self, *, include_values: bool = False) -> dict[str, Any]:
        """JSON-able dict; ``estimates`` holds ``naive`` and, when run, ``adjusted``/``rd``."""
        d = {
            "outcome": self.outcome,
            "kind": self.kind,
            "unit": self.unit,
            "bounds": list(self.bounds) if self.bounds else None,
            "randomised": self.randomised,
            "selection": self.selection,
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
            "confounded_reason": self.confounded_reason,
            "assumptions": self.assumptions,
            "power": self.power,
            "diagnostics": self.diagnostics,
            "warnings": self.warnings,
        }
        if include_values:
            d["values"] = self.values
        out: dict[str, Any] = clean(d)
        return out


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
                f"The covariate {c} is missing for {plural(missing, 'student')}; the median was used for them."
            )
            x = x.fillna(x.median())
        if x.std() == 0:
            continue  # constant: carries no information about who was treated
        names.append(c)
        cols.append(x.to_numpy())
    return (np.column_stack(cols) if cols else np.empty((len(frame), 0))), names


def _set_units(unit: str, naive: Estimate, tests: dict[str, Estimate], effects: dict[str, Estimate]) -> None:
    """Put the unit on every estimate: the outcome's for differences, their own for the rest."""
    for e in (naive, *tests.values()):
        e.extra.setdefault("unit", unit)
    for key, e in effects.items():
        own = "ratio of odds" if key == "odds_ratio" else "standard deviations"
        e.extra.setdefault("unit", unit if key == "risk_difference" else own)


def _missing_outcomes(frame: pd.DataFrame, outcome: str, warnings: list[str]) -> list[str]:
    """Count students without the outcome; return the prominent warnings (withdrawals)."""
    headline: list[str] = []
    dropped = frame[frame["_y"].isna()]
    if not len(dropped):
        return headline
    nt = int(dropped["_t"].sum())
    warnings.append(
        f"{plural(len(dropped), 'student')} {'has' if len(dropped) == 1 else 'have'} no {variable_label(outcome).lower()} and were left out "
        f"({nt} treated, {len(dropped) - nt} control)."
    )
    miss_t = nt / max(int((frame["_t"] == 1).sum()), 1)
    miss_c = (len(dropped) - nt) / max(int((frame["_t"] == 0).sum()), 1)
    if "withdrew" in frame.columns and outcome != "withdrew":
        gone = dropped[dropped["withdrew"].astype(float) == 1]
        if len(gone):
            gt = int(gone["_t"].sum())
            headline.append(
                f"{len(gone)} of the {len(dropped)} students without a {variable_label(outcome).lower()} withdrew "
                f"({gt} treated, {len(gone) - gt} comparison): this comparison leaves them out. If the messages "
                "changed who withdrew, it is biased; analyse 'withdrew' and 'passed_not_withdrawn' (a withdrawal "
                "counts as not passing) as outcomes too."
            )
            return headline
    if len(dropped) >= 5 and abs(miss_t - miss_c) > 0.05:
        headline.append(
            f"The outcome is missing more often in one group ({miss_t:.0%} of treated, {miss_c:.0%} of control). "
            "Students without an outcome (for example those who withdrew) are left out, which can bias the "
            "comparison; analyse 'withdrew' as well."
        )
    return headline


def analyze_impact(
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
    selection: str | None = None,
    cutoff: float | None = None,
    running: str = "risk_score",
) -> ImpactResult:
    """Compare the outcome between treated and control students (one row per student).

    ``group_col`` holds treated/control (also 1/0, holdout, intervention/comparison).
    ``covariates`` are numeric pre-intervention columns (risk score, features) used for the
    balance table and the adjusted estimates. ``randomised=None`` means "not known to be
    randomised" and is treated as False. ``test`` picks the naive numeric estimate
    (``welch``, ``student`` or ``mann_whitney``). Rows without an outcome are left out and
    counted in the warnings. ``report`` (a Reporter) gets progress and can cancel during
    the bootstrap.

    ``selection`` says how the groups were formed when not randomised: ``advisor`` (chosen
    by people, so confounded), ``threshold`` (``cutoff`` on the ``running`` column, default
    the stored risk score: a regression discontinuity) or None (unknown). See
    :mod:`~learnalytics_desktop.core.impact.designs` for what each design computes.
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
    headline = _missing_outcomes(frame, outcome, warnings)
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
    bounds = designs.outcome_bounds(kind, outcome, y)
    # "points on the 0-100 final grade" for the app's grade scale; "points of <outcome>" otherwise
    unit = outcome_unit(outcome, kind, bounds if kind == "numeric" and bounds == (0.0, 100.0) else None)
    _set_units(unit, naive, tests, effects)
    if randomised:
        selection = "random"
    elif cutoff is not None:
        selection = "threshold"
    work = designs.Work(y, t, X, names, n, unit, seed, n_boot, report, balance, estimates, diagnostics={})
    if selection == "random":
        designs.randomised(work)
    elif selection == "threshold":
        assert cutoff is not None
        x = None
        if running in frame.columns and frame[running].notna().any():
            x = pd.to_numeric(frame[running], errors="coerce").to_numpy(dtype=float)
        designs.threshold(work, x, float(cutoff), running)
    else:
        designs.observational(work, selection)
    width = bounds[1] - bounds[0]
    for group in (estimates, work.sensitivity, tests):
        for key, e in group.items():
            if key in designs.OUTCOME_SCALE_KEYS:
                designs.clamp(e, width)
    diagnostics = work.diagnostics
    diagnostics["headline"] = headline + work.headline
    result = ImpactResult(
        outcome=outcome,
        kind=kind,
        randomised=selection == "random",
        n=n,
        descriptives=desc,
        estimates=estimates,
        tests=tests,
        effect_sizes=effects,
        sensitivity=work.sensitivity,
        balance=balance,
        assumptions=assumptions,
        power=power,
        recommended=work.recommended,
        recommended_reason=work.reason,
        verdict="",
        warnings=headline + work.headline + warnings + work.warnings,
        design=work.design,
        diagnostics=diagnostics,
        values={"treated": yt.tolist(), "control": yc.tolist()},
        confounded=work.confounded,
        confounded_reason=work.confounded_reason,
        selection=selection,
        bounds=bounds,
        unit=unit,
    )
    result.verdict = verdict_text(result)
    return result


__all__ = ["ImpactResult", "analyze_impact"]
