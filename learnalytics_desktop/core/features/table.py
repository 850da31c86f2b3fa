"""The feature table as ``learnalytics features`` and ``learnalytics lake features`` write it.

Columns: ``student`` (the label the data has), the features of ``catalog.FEATURE_COLUMNS``,
``engagement_score``, then the ``pct_`` percentiles; numbers rounded to 4 decimals. Both
engines build their file with :func:`feature_table`, so the files cannot differ in layout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def feature_table(
    features: pd.DataFrame, labels: Sequence[str], weights: Mapping[str, float] | None = None
) -> pd.DataFrame:
    """One row per student of ``features`` (a ``compute_features`` frame, rows aligned with
    ``labels``); ``weights`` are the engagement weights (``None``: the defaults)."""
    import pandas as pd

    from learnalytics_desktop.core.features.engagement import engagement_score

    score = engagement_score(features, weights)
    base = [c for c in features.columns if not c.startswith("pct_")]
    pct = [c for c in features.columns if c.startswith("pct_")]
    table = pd.concat([features[base], score, features[pct]], axis=1).round(4)
    table.insert(0, "student", list(labels))
    return table.reset_index(drop=True)
