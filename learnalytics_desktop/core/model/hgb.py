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
from sklearn.ensemble import HistGradientBoostingClassifier


class GuardedHistGradientBoosting(HistGradientBoostingClassifier):
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


__all__ = ["GuardedHistGradientBoosting"]
