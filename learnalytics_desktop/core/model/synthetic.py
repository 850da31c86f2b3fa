"""Synthetic feature tables with a known truth, for tests and ``bench/train.py``.

Each student has a hidden engagement level ``z ~ N(0, 1)``; the chance of ending at risk is
``sigmoid(-1.5 - 1.3 z + 2 * stopped)`` where ``stopped`` marks students who went quiet
(their last activity is long ago). Features are noisy views of ``z`` in the units of
``core.features`` (minutes, fractions 0-1, days), so a model can learn them but not
perfectly. The columns are those of ``core.features.catalog`` (22 features); ``pct_*`` and
a non-numeric column are added to check they are not used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def true_risk(n: int, seed: int = 0, *, week: int = 6) -> pd.Series:
    """The true chance of ending at risk of each student of ``synthetic_features(n, seed)``
    (same draws): the latent-risk ceiling a model is measured against."""
    _, _, p = _draw(n, seed, week=week, first_actor=1)
    return p


def synthetic_features(
    n: int, seed: int = 0, *, week: int = 6, first_actor: int = 1
) -> tuple[pd.DataFrame, pd.Series]:
    """``(features, labels)`` for ``n`` students at the end of week ``week``; index ``actor``."""
    frame, labels, _ = _draw(n, seed, week=week, first_actor=first_actor)
    return frame, labels


def _draw(n: int, seed: int, *, week: int, first_actor: int) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    stopped = rng.random(n) < 0.15
    days_active_span = week * 7
    last_gap = np.where(
        stopped, rng.uniform(10, days_active_span, n), rng.exponential(2.0 / (1 + np.exp(z)), n)
    )
    share = np.clip(1 - last_gap / days_active_span, 0.05, 1)
    active_days = np.clip(
        np.round((6 + 3 * z + rng.normal(0, 1.5, n)) * week / 2 * share), 0, days_active_span
    )
    events = np.round(active_days * np.exp(2.5 + 0.3 * z + rng.normal(0, 0.3, n)))
    minutes = events * np.exp(rng.normal(0.7, 0.3, n))
    quiz_count = np.round(np.clip(week * share * (0.8 + 0.2 * z) + rng.normal(0, 0.5, n), 0, week))
    quiz_avg = np.where(quiz_count > 0, np.clip(0.65 + 0.12 * z + rng.normal(0, 0.1, n), 0, 1), np.nan)
    trend = np.where(
        quiz_count > 1, np.clip(0.02 * z + rng.normal(0, 0.03, n) - 0.05 * stopped, -0.5, 0.5), np.nan
    )
    video_rate = np.clip(0.55 + 0.2 * z + rng.normal(0, 0.12, n), 0, 1) * share
    frame = pd.DataFrame(
        {
            "total_events": events,
            "active_days": active_days,
            "total_time_minutes": minutes,
            "video_time_minutes": minutes * np.clip(rng.normal(0.4, 0.1, n), 0, 1),
            "avg_session_minutes": np.where(
                active_days > 0, minutes / np.maximum(active_days, 1) / 1.5, np.nan
            ),
            "video_completion_rate": video_rate,
            "quiz_count": quiz_count,
            "quiz_avg_score": quiz_avg,
            "quiz_score_trend": trend,
            "forum_posts": rng.poisson(np.exp(0.5 + 0.6 * z) * share),
            "late_submissions": rng.poisson(np.exp(-0.8 - 0.5 * z)),
            "days_since_last_activity": np.round(last_gap, 1),
            "regularity_score": np.clip(0.5 + 0.15 * z + rng.normal(0, 0.1, n), 0, 1) * share,
            "group_hint": np.where(rng.random(n) < 0.5, "a", "b"),
        },
        index=pd.Index(np.arange(first_actor, first_actor + n, dtype="int64"), name="actor"),
    )
    sessions = np.round(active_days * rng.uniform(1.0, 1.4, n))
    frame.insert(4, "sessions", sessions)
    frame.insert(
        11, "assignments_submitted", np.round(np.clip(week / 3 * share + rng.normal(0, 0.3, n), 0, week // 3))
    )
    recent = np.where(last_gap < 7, events / max(1, week) * rng.uniform(0.5, 1.5, n), 0.0)
    frame["events_last_7_days"] = np.round(recent)
    shares = rng.dirichlet([6, 3, 1, 2, 1.5, 4], n)
    for i, cat in enumerate(("video", "assessment", "assignment", "reading", "forum", "navigation")):
        frame[f"events_{cat}"] = np.round(events * shares[:, i])
    frame["events_other"] = 0.0
    for col in ("total_events", "active_days", "days_since_last_activity"):
        frame[f"pct_{col}"] = frame[col].rank(pct=True)
    logit = -1.5 - 1.3 * z + 2.0 * stopped
    prob = 1 / (1 + np.exp(-logit))
    labels = pd.Series((rng.random(n) < prob).astype(int), index=frame.index, name="at_risk")
    return frame, labels, pd.Series(prob, index=frame.index, name="true_risk")


__all__ = ["synthetic_features", "true_risk"]
