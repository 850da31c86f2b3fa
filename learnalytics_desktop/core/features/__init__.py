"""As-of features, weekly series and the engagement score (pandas/numpy imported lazily).

Public API::

    compute_features(conn, course_id, as_of) -> DataFrame      # index actor, see catalog
    weekly_series(conn, course_id, as_of) -> DataFrame         # actor, week, events, minutes, quiz_avg
    student_events(conn, actor_id, course_id, as_of, limit=200) -> DataFrame
    engagement_score(features, weights=None) -> Series         # 0-1
    load_weights(conn) / save_weights(conn, weights)           # settings "engagement_weights"
    FEATURES, FEATURE_COLUMNS, describe(column)                # what each column means
"""

from __future__ import annotations

from learnalytics_desktop.core.features.catalog import FEATURE_COLUMNS, FEATURES, describe
from learnalytics_desktop.core.features.compute import compute_features
from learnalytics_desktop.core.features.engagement import (
    DEFAULT_WEIGHTS,
    WeightsError,
    engagement_score,
    load_weights,
    save_weights,
    validate_weights,
)
from learnalytics_desktop.core.features.weekly import student_events, weekly_series

__all__ = [
    "DEFAULT_WEIGHTS",
    "FEATURES",
    "FEATURE_COLUMNS",
    "WeightsError",
    "compute_features",
    "describe",
    "engagement_score",
    "load_weights",
    "save_weights",
    "student_events",
    "validate_weights",
    "weekly_series",
]
