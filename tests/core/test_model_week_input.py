"""The logistic regression of a model for every week standardises each feature within its week."""

from __future__ import annotations

import numpy as np
import pandas as pd

from learnalytics_desktop.core.model.data import training_weeks
from learnalytics_desktop.core.model.estimators import make_estimator
from learnalytics_desktop.core.model.hgb import PerWeekStandardizer


def test_training_weeks_every_week_then_every_other():
    assert training_weeks(5) == [1, 2, 3, 4, 5]
    assert training_weeks(13) == [*range(1, 13), 13]
    assert training_weeks(17) == [*range(1, 13), 14, 16, 17]
    assert training_weeks(0) == []


def test_per_week_standardizer_compares_students_of_the_same_week():
    X = pd.DataFrame(
        {
            "submitted": [1.0, 2.0, 3.0, 5.0, 6.0, 7.0],
            "score": [np.nan, 0.5, 0.7, 0.4, np.nan, 0.8],
            "course_week": [3, 3, 3, 10, 10, 10],
        }
    )
    t = PerWeekStandardizer("course_week").fit(X)
    out = t.transform(X)
    # the same relative place in its week gives the same value, whatever the week
    assert np.allclose(out[:3, 0], out[3:, 0])
    assert out.shape == (6, 2 + 1 + 1)  # two features, one missing indicator (score), the week
    assert out[0, 2] == 1.0 and out[1, 2] == 0.0
    # an unseen week uses the nearest trained week
    later = t.transform(X.assign(course_week=[12] * 6))
    assert np.allclose(later[:, 0], t.transform(X.assign(course_week=[10] * 6))[:, 0])


def test_logistic_regression_of_every_week_fits_and_predicts():
    rng = np.random.default_rng(0)
    n = 400
    week = rng.integers(1, 10, n).astype(float)
    ability = rng.normal(size=n)
    X = pd.DataFrame({"submitted": week * (1 + 0.3 * ability), "course_week": week})
    y = (ability + rng.normal(0, 0.5, n) < -0.3).astype(int)
    est = make_estimator("logreg", n, columns=list(X.columns)).fit(X, y)
    p = est.predict_proba(X)[:, 1]
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(y, p) > 0.8  # within-week standing predicts; raw counts alone would not
