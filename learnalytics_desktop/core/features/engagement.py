"""The composite engagement score (0-1): the seed's weighted sum, normalisation written down.

Components, each brought to 0-1 (1 = more engaged) before weighting:

==============================  ==========================================================
``regularity_score``            as computed (0-1); 0 when missing
``video_completion_rate``       as computed (0-1); 0 when no video was started
``quiz_avg_score``              as computed (0-1); 0 when no quiz was scored
``forum_posts_normalized``      ``min(forum_posts, 20) / 20``
``total_time_normalized``       ``min(total_time_minutes / max(P95, 1), 1)`` where P95 is the
                                95th percentile of total time among the students in the same
                                table (so it is relative to the offering as of the same date)
``days_since_last_normalized``  ``1 - min(days_since_last_activity, 14) / 14``; 0 when missing
==============================  ==========================================================

Default weights are the seed's (0.20, 0.15, 0.20, 0.10, 0.15, 0.20, summing to 1). Users
can change them (settings key ``engagement_weights``): weights must be non-negative numbers
for known components (unknown names are rejected, missing ones are 0) and are renormalised
to sum to 1, so the score stays in 0-1.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from learnalytics_desktop.core.store.settings import Setting, register

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

SETTING_KEY = "engagement_weights"
DEFAULT_WEIGHTS: dict[str, float] = {
    "regularity_score": 0.20,
    "video_completion_rate": 0.15,
    "quiz_avg_score": 0.20,
    "forum_posts_normalized": 0.10,
    "total_time_normalized": 0.15,
    "days_since_last_normalized": 0.20,
}
FORUM_POSTS_CAP = 20
DAYS_SINCE_CAP = 14
TIME_PERCENTILE = 0.95


class WeightsError(ValueError):
    """Engagement weights that cannot be used; the message names the bad entry."""


def validate_weights(weights: Mapping[str, Any]) -> dict[str, float]:
    """Checked and renormalised weights (sum 1) for every component (missing ones are 0)."""
    if not isinstance(weights, Mapping):
        raise WeightsError("engagement weights must map component names to numbers")
    unknown = sorted(set(weights) - set(DEFAULT_WEIGHTS))
    if unknown:
        raise WeightsError(
            f"unknown engagement component(s) {', '.join(map(repr, unknown))}; "
            f"the components are {', '.join(DEFAULT_WEIGHTS)}"
        )
    clean: dict[str, float] = {}
    for name in DEFAULT_WEIGHTS:
        value = weights.get(name, 0.0)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise WeightsError(f"the weight of {name} must be a number, got {value!r}")
        if value < 0:
            raise WeightsError(f"the weight of {name} must not be negative, got {value}")
        clean[name] = float(value)
    total = sum(clean.values())
    if total <= 0:
        raise WeightsError("at least one engagement weight must be above 0")
    return {k: v / total for k, v in clean.items()}


def components(features: pd.DataFrame) -> pd.DataFrame:
    """The six 0-1 components of the score for each row of a feature table."""
    import numpy as np
    import pandas as pd

    def col(name: str) -> pd.Series:
        if name not in features.columns:
            raise WeightsError(f"the feature table has no column {name!r} needed for the engagement score")
        return features[name].astype("float64")

    total = col("total_time_minutes")
    known = total.dropna().to_numpy()
    p95 = float(np.percentile(known, TIME_PERCENTILE * 100)) if len(known) else 0.0
    return pd.DataFrame(
        {
            "regularity_score": col("regularity_score").clip(0, 1).fillna(0.0),
            "video_completion_rate": col("video_completion_rate").clip(0, 1).fillna(0.0),
            "quiz_avg_score": col("quiz_avg_score").clip(0, 1).fillna(0.0),
            "forum_posts_normalized": col("forum_posts").clip(0, FORUM_POSTS_CAP).fillna(0.0)
            / FORUM_POSTS_CAP,
            "total_time_normalized": (total / max(p95, 1.0)).clip(0, 1).fillna(0.0),
            "days_since_last_normalized": (
                1 - col("days_since_last_activity").clip(0, DAYS_SINCE_CAP) / DAYS_SINCE_CAP
            ).fillna(0.0),
        },
        index=features.index,
    )


def engagement_score(features: pd.DataFrame, weights: Mapping[str, float] | None = None) -> pd.Series:
    """The engagement score (0-1, rounded to 3 decimals) of each row of a feature table."""
    w = validate_weights(weights if weights is not None else DEFAULT_WEIGHTS)
    comp = components(features)
    score = sum(comp[name] * weight for name, weight in w.items())
    return score.clip(0, 1).round(3).rename("engagement_score")


def load_weights(conn: sqlite3.Connection) -> dict[str, float]:
    """The saved weights (validated), else the defaults."""
    return dict(WEIGHTS.read(conn))


def save_weights(conn: sqlite3.Connection, weights: Mapping[str, float]) -> dict[str, float]:
    """Validate, renormalise and save weights; returns what was saved."""
    return dict(WEIGHTS.write(conn, weights))


WEIGHTS = register(
    Setting(SETTING_KEY, dict(DEFAULT_WEIGHTS), validate_weights, doc="Engagement score weights.")
)
