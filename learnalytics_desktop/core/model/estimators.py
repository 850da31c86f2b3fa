"""The two candidate models and the validation splits they are judged on.

Decisions (the model card repeats them, so every trained model says how it was made):

* **Gradient boosting**: ``HistGradientBoostingClassifier`` (100 rounds, learning rate
  0.05, 15 leaves, at least 20 students per leaf, L2 1.0, no early stopping so results do
  not depend on an internal random split), run on one thread under threadpoolctl. It
  handles missing values (e.g. no quiz taken yet) natively. **Monotonic constraints**
  (``monotonic_cst``) on every feature whose direction is known
  (``core.features.catalog.RISK_DIRECTION``): more activity, quiz score, completion or
  regularity can only lower the predicted risk, more days without activity or late
  submissions can only raise it, all else being equal. Without them the trees follow
  chance wrinkles of one offering (and collinear features such as events and active days
  take opposite signs), which then shows as explanations like "2 forum posts (raises
  risk)". Features of unknown direction and attribute columns are unconstrained. The
  calibration maps are increasing, so the calibrated model keeps the constraints.
* **Calibration**: ``CalibratedClassifierCV`` with 3 stratified folds (``ensemble=True``:
  three boosted models, each calibrated on the third it did not see). Method by data size:
  **isotonic** when every calibration fold has at least 1,000 students (isotonic regression
  is flexible and overfits small sets), **sigmoid** (Platt) below that.
* **Baseline**: median imputation with missing-value indicators, standardisation, then
  ``LogisticRegression`` (L2, C=1); for a model of every week the imputation and scaling are
  done within each course week (``core.model.hgb.PerWeekStandardizer``). **No class weighting**: re-weighting classes shifts the
  predicted probabilities away from the true rate, and the risk levels read the output as
  a probability; logistic regression fitted by likelihood is already close to calibrated.
* **Splits**: stratified K-fold, shuffled with a fixed seed (:data:`SEED`); grouped by
  student when a student appears in more than one training offering, so the same person is
  never on both sides. K = min(5, smallest class // 4). Fewer than
  :data:`MIN_PER_CLASS` students in either class is refused with a message saying how many
  there are, because no honest validation is possible on so few.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

SEED = 20240917
MIN_PER_CLASS = 10
MAX_FOLDS = 5
CALIBRATION_FOLDS = 3
ISOTONIC_MIN_PER_FOLD = 1000
KINDS = ("hgb", "logreg")

HGB_PARAMS: dict[str, Any] = {
    "max_iter": 100,
    "learning_rate": 0.05,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 20,
    "l2_regularization": 1.0,
    "early_stopping": False,
}
LOGREG_PARAMS: dict[str, Any] = {"C": 1.0, "max_iter": 5000}


def single_thread() -> Any:
    """A ``threadpool_limits(limits=1)`` context that really covers OpenMP and BLAS.

    threadpoolctl limits only the native thread pools already loaded when the context is
    entered; scikit-learn loads its OpenMP runtime when ``sklearn.ensemble`` is first
    imported. Imported lazily inside the context, the gradient boosting would run unlimited
    (measured: 10-100x slower on a busy 2-core machine from oversubscription). So the
    libraries are loaded first.
    """
    import numpy  # noqa: F401  (BLAS)
    import scipy.linalg  # noqa: F401  (BLAS/LAPACK)
    import sklearn.ensemble
    import sklearn.linear_model  # noqa: F401
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


class TrainingDataError(ValueError):
    """The training data cannot support a model; the message says what is missing."""


def calibration_method(n_train: int) -> str:
    """``"isotonic"`` when each calibration fold has >= 1,000 students, else ``"sigmoid"``."""
    return "isotonic" if n_train // CALIBRATION_FOLDS >= ISOTONIC_MIN_PER_FOLD else "sigmoid"


def monotonic_constraints(columns: Sequence[str] | None) -> dict[str, int]:
    """``{column: -1 | 1}`` for the design columns whose effect on risk has a known direction
    (``core.features.catalog.RISK_DIRECTION``); the others are absent (unconstrained)."""
    from learnalytics_desktop.core.features.catalog import RISK_DIRECTION

    return {str(c): RISK_DIRECTION[str(c)] for c in columns or () if str(c) in RISK_DIRECTION}


def screen_features(
    features: pd.DataFrame, columns: Sequence[str], exclude: Sequence[str] = ()
) -> tuple[list[str], list[dict[str, str]]]:
    """``(used, unused)``: the feature columns a model can learn from, and the others with why.

    A feature is left out when the user excluded it (``"excluded by the user"``), when no
    training student has a value (``"no data"``), or when every student has the same value
    (``"no data: every student has the same value, V"``: nothing to learn from). Excluding
    a name that is not a feature is a :class:`TrainingDataError` listing the features.
    """
    import numpy as np

    wanted = [str(c) for c in columns]
    unknown = sorted({str(e) for e in exclude} - set(wanted))
    if unknown:
        raise TrainingDataError(
            f"cannot exclude {', '.join(unknown)}: not a feature of this data (features: {', '.join(wanted)})"
        )
    excluded = {str(e) for e in exclude}
    used: list[str] = []
    unused: list[dict[str, str]] = []
    for col in wanted:
        if col in excluded:
            unused.append({"feature": col, "reason": "excluded by the user"})
            continue
        values = features[col].astype(float).replace([np.inf, -np.inf], np.nan).dropna()
        distinct = values.unique()
        if len(distinct) == 0:
            unused.append({"feature": col, "reason": "no data"})
        elif len(distinct) == 1:
            v = float(distinct[0])
            shown = f"{int(v)}" if v.is_integer() else f"{v:g}"
            unused.append({"feature": col, "reason": f"no data: every student has the same value, {shown}"})
        else:
            used.append(col)
    if not used:
        raise TrainingDataError(
            "no feature has data to learn from in the training rows"
            + (" after the exclusions" if excluded else "")
            + ": every feature is empty or the same for every student"
        )
    return used, unused


def make_estimator(
    kind: str,
    n_train: int,
    seed: int = SEED,
    columns: Sequence[str] | None = None,
    groups: Any = None,
) -> Any:
    """An unfitted candidate of ``kind`` sized for ``n_train`` training students.

    ``columns`` are the design columns it will be fitted on (a DataFrame with these names):
    the gradient boosting gets monotonic constraints for those of known direction. Without
    ``columns`` it is unconstrained (only benchmarks do that). ``groups`` (one id per
    training row, e.g. the student of each row of an any-week model) keeps a student's rows
    on one side of each calibration split, so the calibration never sees predictions for
    rows the boosted model was fitted on; the method rule then counts students, not rows.
    """
    if kind == "hgb":
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.model_selection import StratifiedKFold

        from learnalytics_desktop.core.model.hgb import GuardedHistGradientBoosting

        base = GuardedHistGradientBoosting(
            random_state=seed, monotonic_cst=monotonic_constraints(columns) or None, **HGB_PARAMS
        )
        if groups is not None and len(set(groups.tolist())) < len(groups):
            from learnalytics_desktop.core.model.hgb import GroupCalibrated

            return GroupCalibrated(base, seed, groups)
        return CalibratedClassifierCV(
            base,
            method=calibration_method(n_train),
            cv=StratifiedKFold(CALIBRATION_FOLDS, shuffle=True, random_state=seed),
        )
    if kind == "logreg":
        from sklearn.impute import SimpleImputer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        from learnalytics_desktop.core.model.bundle import WEEK_COLUMN

        if columns is not None and WEEK_COLUMN in columns:
            from learnalytics_desktop.core.model.hgb import PerWeekStandardizer

            return make_pipeline(
                PerWeekStandardizer(WEEK_COLUMN), LogisticRegression(random_state=seed, **LOGREG_PARAMS)
            )
        return make_pipeline(
            SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            StandardScaler(),
            LogisticRegression(random_state=seed, **LOGREG_PARAMS),
        )
    raise ValueError(f"unknown model kind {kind!r}; choose one of {', '.join(KINDS)}")


def check_class_counts(y: np.ndarray, where: str) -> tuple[int, int]:
    """``(at_risk, not_at_risk)`` counts, or :class:`TrainingDataError` when too few."""
    import numpy as np

    pos = int(np.sum(y == 1))
    neg = int(np.sum(y == 0))
    if min(pos, neg) < MIN_PER_CLASS:
        raise TrainingDataError(
            f"{where} has {pos} at-risk and {neg} not-at-risk students with outcomes; at least "
            f"{MIN_PER_CLASS} of each are needed to train and validate a model honestly "
            "(add another past offering, or import its outcomes)"
        )
    return pos, neg


def n_folds(y: np.ndarray) -> int:
    """Outer folds: min(5, smallest class // 4), so each held-out fold has >= 4 of each class."""
    import numpy as np

    smallest = int(min(np.sum(y == 1), np.sum(y == 0)))
    return max(2, min(MAX_FOLDS, smallest // 4))


def splits(y: np.ndarray, groups: np.ndarray, seed: int = SEED) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified (and, with repeated students, grouped) train/validation index pairs."""
    import numpy as np
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    k = n_folds(y)
    X_dummy = np.zeros((len(y), 1))
    if len(np.unique(groups)) < len(groups):
        splitter: Any = StratifiedGroupKFold(k, shuffle=True, random_state=seed)
        return list(splitter.split(X_dummy, y, groups))
    return list(StratifiedKFold(k, shuffle=True, random_state=seed).split(X_dummy, y))


def settings_summary(n_train: int, columns: Sequence[str] | None = None) -> dict[str, Any]:
    """The hyper-parameters and rules, for the model card (``columns``: the design columns,
    for the gradient boosting's monotonic constraints)."""
    return {
        "seed": SEED,
        "hgb": {**HGB_PARAMS, "monotonic_cst": monotonic_constraints(columns)},
        "logreg": {
            **LOGREG_PARAMS,
            "class_weight": None,
            "imputation": "median + missing indicators",
            "scaling": "standardised",
        },
        "calibration": {
            "method": calibration_method(n_train),
            "folds": CALIBRATION_FOLDS,
            "rule": f"isotonic when each of the {CALIBRATION_FOLDS} calibration folds has at least "
            f"{ISOTONIC_MIN_PER_FOLD} students, otherwise sigmoid",
        },
        "threads": 1,
    }


__all__ = [
    "KINDS",
    "MIN_PER_CLASS",
    "SEED",
    "TrainingDataError",
    "calibration_method",
    "check_class_counts",
    "make_estimator",
    "monotonic_constraints",
    "screen_features",
    "n_folds",
    "settings_summary",
    "single_thread",
    "splits",
]
