"""Risk levels: low / moderate / high from a calibrated probability.

Two ways to turn probabilities into levels, both total (every probability in [0, 1] gets a
level, including exactly 0 and exactly 1; the seed's ``pd.cut(bins=[0, .3, .6, 1])`` left
0 without one):

* **Thresholds** (settings key ``"risk_thresholds"``, default ``{"moderate": 0.3,
  "high": 0.6}``): ``p < moderate`` is low, ``moderate <= p < high`` is moderate,
  ``p >= high`` is high. Valid thresholds satisfy ``0 < moderate < high <= 1``, so 0 is
  always low and 1.0 always high.
* **Advisor capacity** (``capacity=N``): the N highest-risk students are high, whatever
  their probability; everyone else keeps their threshold level except that "high" is
  lowered to "moderate" (they are still worth watching, but the advisor cannot take more).
  Ties at the N-th place are broken by input order, so the result always has exactly
  ``min(N, n)`` high students and is reproducible.

This module has no pandas/scikit-learn import; numpy is imported when levels are computed.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

from learnalytics_desktop.core.store.settings import Setting, register

LEVELS = ("low", "moderate", "high")
DEFAULT_THRESHOLDS: dict[str, float] = {"moderate": 0.3, "high": 0.6}
SETTING_KEY = "risk_thresholds"


class ThresholdError(ValueError):
    """Risk thresholds or probabilities that cannot give levels; the message says why."""


def validate_thresholds(thresholds: Mapping[str, Any]) -> dict[str, float]:
    """Return ``{"moderate": m, "high": h}`` as floats or raise :class:`ThresholdError`.

    Rules: exactly the keys ``moderate`` and ``high``; both finite numbers with
    ``0 < moderate < high <= 1``.
    """
    if not isinstance(thresholds, Mapping):
        raise ThresholdError(
            f"risk thresholds must be a mapping like {DEFAULT_THRESHOLDS}, got {type(thresholds).__name__}"
        )
    keys = set(thresholds)
    if keys != {"moderate", "high"}:
        missing = sorted({"moderate", "high"} - keys)
        extra = sorted(keys - {"moderate", "high"})
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if extra:
            parts.append(f"unknown {', '.join(map(str, extra))}")
        raise ThresholdError(f"risk thresholds need exactly 'moderate' and 'high' ({'; '.join(parts)})")
    out: dict[str, float] = {}
    for key in ("moderate", "high"):
        value = thresholds[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ThresholdError(f"risk threshold '{key}' must be a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise ThresholdError(f"risk threshold '{key}' must be a finite number, got {value!r}")
        out[key] = value
    if not 0.0 < out["moderate"] < out["high"] <= 1.0:
        raise ThresholdError(
            "risk thresholds must satisfy 0 < moderate < high <= 1 "
            f"(got moderate={out['moderate']}, high={out['high']})"
        )
    return out


def get_thresholds(conn: sqlite3.Connection) -> dict[str, float]:
    """The database's thresholds (validated), or the defaults when none are saved."""
    return dict(THRESHOLDS.read(conn))


def set_thresholds(conn: sqlite3.Connection, thresholds: Mapping[str, Any]) -> dict[str, float]:
    """Validate and save thresholds for this database; returns what was saved."""
    return dict(THRESHOLDS.write(conn, thresholds))


def _as_probabilities(probs: Iterable[float]) -> Any:
    import numpy as np

    arr = np.asarray(list(probs) if not hasattr(probs, "__array__") else probs, dtype=float)
    if arr.ndim != 1:
        raise ThresholdError(f"probabilities must be one-dimensional, got shape {arr.shape}")
    bad = ~np.isfinite(arr) | (arr < 0.0) | (arr > 1.0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ThresholdError(
            f"{int(bad.sum())} probabilities are not numbers in [0, 1] (first at position {i}: {arr[i]!r})"
        )
    return arr


def risk_level(probs: Iterable[float], thresholds: Mapping[str, Any] | None = None) -> list[str]:
    """Level of each probability under ``thresholds`` (defaults when ``None``).

    Accepts any 1-D sequence or array of probabilities in [0, 1]; a NaN or out-of-range
    value raises :class:`ThresholdError` naming its position.
    """
    import numpy as np

    th = validate_thresholds(DEFAULT_THRESHOLDS if thresholds is None else thresholds)
    arr = _as_probabilities(probs)
    idx = (arr >= th["moderate"]).astype(int) + (arr >= th["high"]).astype(int)
    names = np.array(LEVELS, dtype=object)
    return [str(v) for v in names[idx]]


def levels_by_capacity(
    probs: Iterable[float], capacity: int, thresholds: Mapping[str, Any] | None = None
) -> list[str]:
    """Levels when an advisor can follow up ``capacity`` students: the top N are high.

    The others keep their threshold level, with "high" lowered to "moderate". Ties are
    broken by input order (earlier first).
    """
    import numpy as np

    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0:
        raise ThresholdError(f"advisor capacity must be a whole number >= 0, got {capacity!r}")
    levels = risk_level(probs, thresholds)
    arr = _as_probabilities(probs)
    order = np.argsort(-arr, kind="stable")
    top = set(order[:capacity].tolist())
    return ["high" if i in top else ("moderate" if lv == "high" else lv) for i, lv in enumerate(levels)]


CAPACITY_KEY = "risk_capacity"
MAX_CAPACITY = 100_000


def check_capacity(value: Any) -> int | None:
    """``None`` (levels from the thresholds) or a whole number 1..MAX_CAPACITY, else ThresholdError."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ThresholdError(f"the advisor capacity must be a whole number of students, got {value!r}")
    if not 1 <= value <= MAX_CAPACITY:
        raise ThresholdError(
            f"the advisor capacity must be between 1 and {MAX_CAPACITY:,} students, got {value}"
        )
    return value


def get_capacity(conn: sqlite3.Connection) -> int | None:
    """The saved advisor capacity (settings ``risk_capacity``, set on the Settings page): the
    N highest-risk students are high. ``None`` (the default): levels come from the thresholds.
    ``core.model.scoring.score_course`` applies it whenever its caller passes no capacity."""
    return CAPACITY.read(conn)  # type: ignore[no-any-return]


THRESHOLDS = register(Setting(SETTING_KEY, dict(DEFAULT_THRESHOLDS), validate_thresholds))
CAPACITY = register(Setting(CAPACITY_KEY, None, check_capacity, doc="The N highest-risk students are high."))


__all__ = [
    "CAPACITY_KEY",
    "DEFAULT_THRESHOLDS",
    "LEVELS",
    "SETTING_KEY",
    "ThresholdError",
    "check_capacity",
    "get_capacity",
    "get_thresholds",
    "levels_by_capacity",
    "risk_level",
    "set_thresholds",
    "validate_thresholds",
]
