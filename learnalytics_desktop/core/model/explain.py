"""Why a student is at risk: per-student factors and the model's global importance.

**Per student (perturbation against the course median).** For each feature ``j``, the
contribution is ``logit p(x) - logit p(x with feature j set to the course median)``: how
much this student's actual value moves the model's prediction compared with a typical
student of the same course at the same week. Positive pushes the risk up. The difference is
taken on the log-odds scale (probabilities clipped to [0.001, 0.999]) because on the
probability scale every factor of a student at 99.9 % looks negligible (the curve is flat
there), which would leave the students most at risk without reasons. Demographic attributes (only
present when the user asked for them as features) are one unit each, set to the course's
most common value. This is a one-feature-at-a-time counterfactual, not a Shapley value:
contributions need not add up to the risk, and two related features (total events, active
days) can each look important. It is simple, model-agnostic, and honest about what it
says: "had this one thing been typical, the risk would be this much lower/higher".

Reasons shown: up to 3 factors that raise the risk and up to 2 that lower it, largest
first, each moving the log-odds by at least 0.1 (about 2.5 percentage points near a risk
of 50 %), phrased with the real values
by :mod:`core.model.phrases`, ending "(raises risk)" / "(lowers risk)".

**Reasons against a feature's known direction are withheld.** Many features have a
direction everyone agrees on (``core.features.catalog.RISK_DIRECTION``: more activity,
quiz score, completion or regularity means lower risk; more days without activity or late
submissions, higher). A contribution whose sign says otherwise (more forum posts than the
course median *raising* the risk, fewer lowering it) is not a fact about the student but
an artefact: collinear features (posts, events and active days move together) share one
effect between them, and a linear model can then give one of them the opposite sign to
correct the others. Shown to an advisor it reads as nonsense ("2 forum posts (raises
risk)") and undermines the reasons that are right. So such a factor is left out of
``reasons`` (the next factors take its place); its contribution stays in
``Explanation.contributions`` and its name in ``Explanation.withheld``, for the model page
and anyone auditing the model. The gradient boosting is constrained to the same
directions (``core.model.estimators``), so for it nothing is withheld; the logistic
regression is not constrained, and this is where the filter matters. Students with a
missing value (e.g. no quiz yet) or exactly the median have no direction to contradict.

**Global (permutation importance on validation data).** For each cross-validation fold,
the fold's model is scored on the students it did not see; each feature is shuffled 5
times and the drop in ROC AUC is recorded. The card shows the mean and standard deviation
over folds x repeats. Computed on held-out students so it reflects what generalises.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from learnalytics_desktop.core.features.catalog import RISK_DIRECTION
from learnalytics_desktop.core.model.phrases import WORD_KEY, describe

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from learnalytics_desktop.core.model.bundle import TrainedModel

TOP_UP = 3
TOP_DOWN = 2
MIN_EFFECT = 0.1  # log-odds
CLIP = 1e-3
PERM_REPEATS = 5


@dataclass
class Explanation:
    """Per-student contributions (rows = students, columns = units) and reason lists."""

    contributions: pd.DataFrame
    reasons: pd.Series  # list[str] per student
    reference: dict[str, Any]  # course medians / modal values used
    withheld: pd.Series | None = None  # list[str] per student: would-be reasons left out as against
    # their feature's known direction (see the module docstring)
    fallback: pd.Series | None = None  # list[str] per student: the strongest raising factor of
    # any size (below the 0.1 threshold too), for a high-risk student with no reason otherwise


def reference_values(model: TrainedModel, X: pd.DataFrame) -> dict[str, Any]:
    """Course median of each feature; modal value pattern of each attribute unit."""
    ref: dict[str, Any] = {}
    for f in model.features:
        ref[f] = float(X[f].median()) if X[f].notna().any() else float("nan")
    for unit, cols in model.units():
        if cols == [unit]:
            continue
        pattern = X[cols].astype(int).astype(str).agg("".join, axis=1)
        modal = pattern.mode().iloc[0] if len(pattern) else "0" * len(cols)
        for c, bit in zip(cols, modal, strict=True):
            ref[c] = float(bit)
    return ref


def contributions(
    model: TrainedModel, X: pd.DataFrame, reference: dict[str, Any], report: Any = None
) -> pd.DataFrame:
    """``logit p(x) - logit p(x with the unit set to its reference)`` per student and unit."""
    import numpy as np
    import pandas as pd

    def logit(p: np.ndarray) -> np.ndarray:
        p = np.clip(p, CLIP, 1 - CLIP)
        out: np.ndarray = np.log(p / (1 - p))
        return out

    base = logit(model.predict(X))
    out = {}
    units = model.units()
    for i, (unit, cols) in enumerate(units):
        if report is not None:
            report.check()
            report.progress(i / max(1, len(units)), f"explaining: {unit}")
        Xr = X.copy()
        for c in cols:
            Xr[c] = reference[c]
        out[unit] = base - logit(model.predict(Xr))
    return pd.DataFrame(out, index=X.index)


def against_direction(unit: str, contribution: float, value: Any, median: Any) -> bool:
    """True when ``contribution`` (positive: raises risk) contradicts the known direction of
    feature ``unit`` for a student at ``value`` against the course ``median`` (see the module
    docstring). Units of unknown direction, missing values and the median itself: False."""
    direction = RISK_DIRECTION.get(unit)
    if direction is None or contribution == 0:
        return False
    try:
        diff = float(value) - float(median)
    except (TypeError, ValueError):
        return False
    if math.isnan(diff) or diff == 0:
        return False
    expected = direction * diff  # > 0: this student's value should raise the risk
    return (contribution > 0) != (expected > 0)


def withheld_units(
    contrib: pd.Series, row: dict[str, Any], medians: dict[str, Any], min_effect: float = 0.0
) -> list[str]:
    """The units of one student whose contribution is against their known direction (and at
    least ``min_effect`` in size: with ``MIN_EFFECT``, those that would have been reasons)."""
    return [
        str(u)
        for u, c in contrib.items()
        if abs(float(c)) >= min_effect and against_direction(str(u), float(c), row.get(u), medians.get(u))
    ]


def reasons_for(
    contrib: pd.Series,
    row: dict[str, Any],
    medians: dict[str, Any],
    attributes: dict[str, Any] | None = None,
    *,
    top_up: int = TOP_UP,
    top_down: int = TOP_DOWN,
    min_effect: float = MIN_EFFECT,
) -> list[str]:
    """Plain-language reasons for one student from their contributions (factors against
    their feature's known direction are left out: :func:`withheld_units`)."""
    withheld = withheld_units(contrib, row, medians)
    if withheld:
        contrib = contrib.drop(withheld)
    ups = contrib[contrib >= min_effect].sort_values(ascending=False).head(top_up)
    downs = contrib[contrib <= -min_effect].sort_values().head(top_down)
    out = []
    for unit, direction in [(u, "raises risk") for u in ups.index] + [
        (u, "lowers risk") for u in downs.index
    ]:
        if unit.startswith("attr:"):
            key = unit[len("attr:") :]
            value = (attributes or {}).get(key)
            text = describe(unit, value, None, row)
        else:
            text = describe(unit, row.get(unit), medians.get(unit), row)
        out.append(f"{text} ({direction})")
    return out


def explain_students(
    model: TrainedModel,
    features: pd.DataFrame,
    attributes: pd.DataFrame | None = None,
    *,
    top_up: int = TOP_UP,
    top_down: int = TOP_DOWN,
    min_effect: float = MIN_EFFECT,
    report: Any = None,
) -> Explanation:
    """Contributions and reasons for every student of one offering at one as-of date.

    ``features`` is the offering's feature table (``compute_features``, index actor);
    medians are taken over these students, so the comparison is always "this course, this
    week". ``attributes`` (index actor, one column per key) is needed only when the model
    uses attributes as features.
    """
    import pandas as pd

    X = model.design(features, attributes)
    ref = reference_values(model, X)
    contrib = contributions(model, X, ref, report)
    wanted = set(model.features) | {"quiz_score_trend", "quiz_count", "total_events", "assessments_due"}
    raw = features.reindex(columns=[c for c in features.columns if c in wanted])
    rows = raw.to_dict(orient="index")
    word = features.attrs.get("assessment_word")  # what the calendar's items are called
    if word:
        for r in rows.values():
            r[WORD_KEY] = word
    attr_rows = (
        attributes.reindex(X.index).to_dict(orient="index")
        if attributes is not None and model.attributes
        else {}
    )
    reasons, withheld, fallback = _reason_lists(
        contrib, raw, rows, ref, attr_rows, top_up=top_up, top_down=top_down, min_effect=min_effect
    )
    return Explanation(
        contributions=contrib,
        reasons=pd.Series(reasons, index=X.index, dtype=object, name="reasons"),
        reference={k: ref[k] for k in model.features},
        withheld=pd.Series(withheld, index=X.index, dtype=object, name="withheld"),
        fallback=pd.Series(fallback, index=X.index, dtype=object, name="fallback"),
    )


def _against_matrix(contrib: pd.DataFrame, raw: pd.DataFrame, medians: dict[str, Any]) -> np.ndarray:
    """:func:`against_direction` for every student (row) and unit (column) at once."""
    import numpy as np
    import pandas as pd

    C = contrib.to_numpy(dtype=float)
    against = np.zeros(C.shape, dtype=bool)
    for j, unit in enumerate(contrib.columns):
        direction = RISK_DIRECTION.get(str(unit))
        if direction is None or unit not in raw.columns:
            continue  # no known direction, or no value to compare (row.get gives None): never against
        try:
            median = float(medians.get(unit))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        values = pd.to_numeric(raw[unit].reindex(contrib.index), errors="coerce").to_numpy(dtype=float)
        c = C[:, j]
        with np.errstate(invalid="ignore"):
            diff = values - median
            ok = (c != 0) & ~np.isnan(diff) & (diff != 0)
            against[:, j] = ok & ((c > 0) != (direction * diff > 0))
    return against


def _reason_lists(
    contrib: pd.DataFrame,
    raw: pd.DataFrame,
    rows: dict[Any, dict[str, Any]],
    medians: dict[str, Any],
    attr_rows: dict[Any, Any],
    *,
    top_up: int,
    top_down: int,
    min_effect: float,
) -> tuple[list[list[str]], list[list[str]], list[list[str]]]:
    """``(reasons, withheld, fallback)`` per student, as :func:`reasons_for` and :func:`withheld_units`
    give them one student at a time, with the selection done on the whole matrix (numpy) and
    only the phrasing left per student."""
    import numpy as np

    units = [str(u) for u in contrib.columns]
    C = contrib.to_numpy(dtype=float)
    against = _against_matrix(contrib, raw, medians)
    with np.errstate(invalid="ignore"):
        size = np.abs(C)
        left_out = against & (size >= 0.0)  # reasons_for: withheld_units with min_effect 0
        shown_withheld = against & (size >= min_effect)
        up = ~left_out & (min_effect <= C)
        down = ~left_out & (-min_effect >= C)
    # the strongest raising factor of any size: the reason of last resort (see ``fallback``)
    best = np.where(~left_out & (C > 0), C, -np.inf).argmax(axis=1)
    has_best = np.take_along_axis(np.where(~left_out & (C > 0), C, -np.inf), best[:, None], axis=1)[:, 0] > 0
    reasons: list[list[str]] = []
    withheld: list[list[str]] = []
    fallback: list[list[str]] = []
    for i, key in enumerate(contrib.index):
        row = rows.get(key, {})

        def text_of(j: int, key: Any = key, row: dict[str, Any] = row) -> str:
            unit = units[j]
            if unit.startswith("attr:"):
                return describe(unit, (attr_rows.get(key) or {}).get(unit[len("attr:") :]), None, row)
            return describe(unit, row.get(unit), medians.get(unit), row)

        # one fact, one direction: units phrased the same (e.g. "nothing scored yet" from the
        # count and from the missing average) are one fact whose effect is their sum
        facts: dict[str, float] = {}
        for j in np.flatnonzero(up[i] | down[i]):
            text = text_of(int(j))
            facts[text] = facts.get(text, 0.0) + float(C[i, j])
        ups = sorted(((c, t) for t, c in facts.items() if c >= min_effect), reverse=True)[: max(0, top_up)]
        downs = sorted((c, t) for t, c in facts.items() if c <= -min_effect)[: max(0, top_down)]
        reasons.append([f"{t} (raises risk)" for _, t in ups] + [f"{t} (lowers risk)" for _, t in downs])
        withheld.append([units[j] for j in np.flatnonzero(shown_withheld[i])])
        fallback.append([f"{text_of(int(best[i]))} (raises risk)"] if has_best[i] else [])
    return reasons, withheld, fallback


def fold_permutation_importance(
    estimator: Any, X_val: pd.DataFrame, y_val: np.ndarray, seed: int
) -> np.ndarray:
    """Drop in ROC AUC per design column (shape columns x repeats) on one held-out fold."""
    from sklearn.inspection import permutation_importance

    from learnalytics_desktop.core.model.estimators import single_thread

    with single_thread():
        result = permutation_importance(
            estimator, X_val, y_val, scoring="roc_auc", n_repeats=PERM_REPEATS, random_state=seed, n_jobs=1
        )
    importances: np.ndarray = result.importances
    return importances


def summarise_importance(
    columns: list[str], per_fold: list[np.ndarray], units: list[tuple[str, list[str]]]
) -> list[dict[str, Any]]:
    """Mean and sd of the AUC drop per unit (attribute one-hot columns summed), sorted."""
    import numpy as np

    stacked = np.concatenate(per_fold, axis=1)  # columns x (folds*repeats)
    pos = {c: i for i, c in enumerate(columns)}
    out: list[dict[str, Any]] = []
    for unit, cols in units:
        values = stacked[[pos[c] for c in cols]].sum(axis=0)
        out.append(
            {"feature": unit, "mean": round(float(values.mean()), 4), "sd": round(float(values.std()), 4)}
        )
    out.sort(key=lambda d: -d["mean"])
    return out


__all__ = [
    "Explanation",
    "against_direction",
    "contributions",
    "explain_students",
    "fold_permutation_importance",
    "reasons_for",
    "reference_values",
    "summarise_importance",
    "withheld_units",
]
