"""Gradient boosting that tolerates a feature column with no value at all.

scikit-learn's binning fails on a column that is missing for every training row ("window
shape cannot be larger than input array shape", issue 11: OULAD has no videos). Training
leaves such features out (``core.model.estimators.screen_features``), but a feature with a
handful of values can still be empty in one cross-validation or calibration fold; there the
column is set to 0 for that fit (a constant the trees never split on), so the fold trains
instead of crashing. Predictions are unchanged for every other column.

This module imports scikit-learn at import time: only training and loading a saved model
import it (saved models refer to the class by this module's name).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedGroupKFold


class GuardedHistGradientBoosting(HistGradientBoostingClassifier):  # type: ignore[misc]  # scikit-learn is untyped
    """``HistGradientBoostingClassifier`` whose ``fit`` sets all-missing columns to 0."""

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        if hasattr(X, "isna"):
            empty = X.columns[X.isna().all(axis=0).to_numpy()]
            if len(empty):
                X = X.copy()
                X[list(empty)] = 0.0
        else:
            X = np.array(X, dtype=float, copy=True)
            X[:, np.isnan(X).all(axis=0)] = 0.0
        return super().fit(X, y, sample_weight=sample_weight)


class GroupCalibrated(ClassifierMixin, BaseEstimator):  # type: ignore[misc]  # scikit-learn is untyped
    """A calibrated classifier whose calibration folds keep each group on one side.

    An any-week model has one row per student and week; an ungrouped calibration split
    would calibrate on predictions for students the boosted model was fitted on (their other
    weeks), which makes the probabilities overconfident. ``groups`` (one id per row) are
    used at ``fit`` only and not kept, so the saved model holds no learner id. The method
    (isotonic or sigmoid) follows ``core.model.estimators.calibration_method`` of the number
    of groups (students), not rows.
    """

    def __init__(self, base: Any = None, seed: int = 0, groups: Any = None) -> None:
        self.base = base
        self.seed = seed
        self.groups = groups

    def fit(self, X: Any, y: Any) -> GroupCalibrated:
        from learnalytics_desktop.core.model.estimators import CALIBRATION_FOLDS, calibration_method

        groups = np.asarray(self.groups)
        splitter = StratifiedGroupKFold(CALIBRATION_FOLDS, shuffle=True, random_state=self.seed)
        folds = list(splitter.split(X, y, groups))
        method = calibration_method(len(np.unique(groups)))
        self.model_ = CalibratedClassifierCV(self.base, method=method, cv=folds).fit(X, y)
        self.model_.cv = CALIBRATION_FOLDS  # the split is not kept in the saved model
        self.groups = None
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X: Any) -> Any:
        return self.model_.predict_proba(X)

    def predict(self, X: Any) -> Any:
        return self.model_.predict(X)

    @property
    def calibrated_classifiers_(self) -> Any:
        return self.model_.calibrated_classifiers_


class Recalibrated(ClassifierMixin, BaseEstimator):  # type: ignore[misc]  # scikit-learn is untyped
    """A fitted model whose probabilities go through a Platt map fitted on a later offering:
    ``p' = sigmoid(a * logit(p) + b)`` (increasing for ``a > 0``, so rankings, monotonic
    constraints and explanations keep their direction)."""

    def __init__(self, base: Any = None, a: float = 1.0, b: float = 0.0) -> None:
        self.base = base
        self.a = a
        self.b = b

    @property
    def classes_(self) -> Any:
        return np.array([0, 1])

    def fit(self, X: Any, y: Any) -> Recalibrated:  # the base model is fitted already
        return self

    def predict_proba(self, X: Any) -> Any:
        p = np.clip(self.base.predict_proba(X)[:, 1], 1e-6, 1 - 1e-6)
        q = 1.0 / (1.0 + np.exp(-(self.a * np.log(p / (1 - p)) + self.b)))
        return np.column_stack([1 - q, q])

    def predict(self, X: Any) -> Any:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


SCALE_FLOOR = 0.5
Z_CLIP = 4.0


class PerWeekStandardizer(TransformerMixin, BaseEstimator):  # type: ignore[misc]  # scikit-learn is untyped
    """The logistic baseline's input for a model of every week: each feature median-imputed
    and standardised **within its course week** (the week column read from ``week_column``),
    plus a missing-value indicator per feature that had gaps, plus the week itself.

    "3 submissions" means much at week 3 and little at week 10; one coefficient per feature
    fitted on all weeks pooled would be wrong at both ends. Standardised within the week, a
    feature says "how this student compares with the others at the same point of the course",
    which one coefficient can weigh for every week. A week the model did not see uses the
    statistics of the nearest trained week. Guards against a feature that barely varies in
    one training week (a first deadline not yet passed): its spread is taken as at least
    half its spread over all weeks (:data:`SCALE_FLOOR`), and standardised values are clipped
    to +-:data:`Z_CLIP`, so a new offering whose calendar differs cannot swamp the others.
    """

    def __init__(self, week_column: str = "course_week") -> None:
        self.week_column = week_column

    def fit(self, X: Any, y: Any = None) -> PerWeekStandardizer:
        import pandas as pd

        frame = pd.DataFrame(X)
        weeks = frame[self.week_column].to_numpy(dtype=float)
        values = frame.drop(columns=[self.week_column]).astype(float)
        self.columns_ = list(values.columns)
        self.weeks_ = np.unique(weeks)
        self.gaps_ = values.isna().any(axis=0).to_numpy()
        med, mean, scale = [], [], []
        pooled = values.fillna(values.median()).std(ddof=0).fillna(0.0).to_numpy()
        floor = np.where(pooled > 0, pooled * SCALE_FLOOR, 1.0)
        for w in self.weeks_:
            part = values[weeks == w]
            m = part.median().fillna(0.0).to_numpy()
            filled = part.fillna(pd.Series(m, index=part.columns))
            med.append(m)
            mean.append(filled.mean().to_numpy())
            sd = filled.std(ddof=0).to_numpy()
            scale.append(np.maximum(np.nan_to_num(sd), floor))
        self.median_, self.mean_, self.scale_ = np.array(med), np.array(mean), np.array(scale)
        self.week_mean_ = float(weeks.mean())
        self.week_scale_ = float(weeks.std()) or 1.0
        return self

    def transform(self, X: Any) -> Any:
        import pandas as pd

        frame = pd.DataFrame(X)
        weeks = frame[self.week_column].to_numpy(dtype=float)
        values = frame[self.columns_].to_numpy(dtype=float)
        nearest = np.abs(weeks[:, None] - self.weeks_[None, :]).argmin(axis=1)
        missing = np.isnan(values)
        filled = np.where(missing, self.median_[nearest], values)
        scaled = np.clip((filled - self.mean_[nearest]) / self.scale_[nearest], -Z_CLIP, Z_CLIP)
        week = ((weeks - self.week_mean_) / self.week_scale_)[:, None]
        return np.hstack([scaled, missing[:, self.gaps_].astype(float), week])


__all__ = ["GroupCalibrated", "GuardedHistGradientBoosting", "PerWeekStandardizer", "Recalibrated"]
