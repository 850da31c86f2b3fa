"""Database jobs of the Settings page: read and write the per-database settings.

Plain functions ``fn(conn, ...)`` (no Qt): the page wraps them with
:func:`~learnalytics_desktop.gui.workers.db_job` so they run on the task runner's database
thread with their own connection. Every save validates with the core's own rules first
(the same messages the command line gives), writes in a transaction and adds an audit
entry (``action="settings"``, the key and the new value; never a learner identifier).

Settings keys written here and who reads them:

* ``engagement_weights``: :mod:`core.features.engagement` (``load_weights``).
* ``risk_thresholds``: :mod:`core.model.levels` (``get_thresholds``).
* ``risk_capacity``: ``null`` (levels from the thresholds) or a whole number N, "the N
  highest-risk students are high" (advisor capacity); ``core.model.levels.get_capacity``
  reads it, and scoring takes it as ``score_course(..., capacity=get_capacity(conn))``.
* ``at_risk_label``: :mod:`core.outcomes` (``at_risk_labels``).
* ``category_map`` and ``course_fallback``: read and saved by :mod:`core.ingest.category_usage`,
  which the Categories tab calls directly.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from learnalytics_desktop.core.model.levels import CAPACITY_KEY

# --- engagement weights ----------------------------------------------------------------------


def load_weights(conn: sqlite3.Connection) -> dict[str, float]:
    """The saved (renormalised) engagement weights, else the defaults."""
    from learnalytics_desktop.core.features import load_weights as core_load

    return dict(core_load(conn))


def save_weights(conn: sqlite3.Connection, weights: Mapping[str, float]) -> dict[str, float]:
    """Validate, renormalise and save; returns what is now stored (sums to 1)."""
    from learnalytics_desktop.core.features import save_weights as core_save

    return dict(core_save(conn, dict(weights)))


# --- risk levels and the at-risk label ----------------------------------------------------


@dataclass(frozen=True)
class RiskSettings:
    """Thresholds, advisor capacity (None = thresholds decide) and the at-risk label rule."""

    thresholds: dict[str, float]
    capacity: int | None
    at_risk_rule: str


def check_capacity(value: Any) -> int | None:
    """``None`` or a whole number of students (``core.model.levels.check_capacity``)."""
    from learnalytics_desktop.core.model.levels import check_capacity as core_check

    return core_check(value)


def get_capacity(conn: sqlite3.Connection) -> int | None:
    """The saved advisor capacity (``core.model.levels.get_capacity``)."""
    from learnalytics_desktop.core.model.levels import get_capacity as core_get

    return core_get(conn)


def load_risk(conn: sqlite3.Connection) -> RiskSettings:
    """Thresholds (``core.model.levels``), capacity and at-risk rule (``core.outcomes``)."""
    from learnalytics_desktop.core.model.levels import get_thresholds
    from learnalytics_desktop.core.outcomes import at_risk_rule

    return RiskSettings(get_thresholds(conn), get_capacity(conn), at_risk_rule(conn))


def risk_problems(thresholds: Mapping[str, Any], capacity: Any, rule: str) -> list[str]:
    """Every reason these values cannot be saved (empty list: they can)."""
    from learnalytics_desktop.core.model.levels import ThresholdError, validate_thresholds
    from learnalytics_desktop.core.outcomes import check_at_risk_rule

    out = []
    try:
        validate_thresholds(thresholds)
    except ThresholdError as exc:
        out.append(_sentence(str(exc)))
    try:
        check_capacity(capacity)
    except ValueError as exc:
        out.append(_sentence(str(exc)))
    try:
        check_at_risk_rule(rule)
    except ValueError as exc:
        out.append(_sentence(str(exc)))
    return out


def save_risk(
    conn: sqlite3.Connection, thresholds: Mapping[str, Any], capacity: int | None, rule: str
) -> RiskSettings:
    """Validate all three, then save them together (``core.store.settings.save_settings``)."""
    from learnalytics_desktop.core.model.levels import CAPACITY, THRESHOLDS
    from learnalytics_desktop.core.outcomes import AT_RISK_RULE
    from learnalytics_desktop.core.store.settings import save_settings

    problems = risk_problems(thresholds, capacity, rule)
    if problems:
        raise ValueError(" ".join(problems))
    saved, cap, clean_rule = save_settings(
        conn, [(THRESHOLDS, thresholds), (CAPACITY, capacity), (AT_RISK_RULE, rule)]
    )
    return RiskSettings(dict(saved), cap, clean_rule)


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


__all__ = [
    "CAPACITY_KEY",
    "RiskSettings",
    "check_capacity",
    "get_capacity",
    "load_risk",
    "load_weights",
    "risk_problems",
    "save_risk",
    "save_weights",
]
