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
* ``category_map``: :mod:`core.ingest.categories` (``load_mapping``).
* ``course_fallback`` (:data:`FALLBACK_KEY`): the course IRI the importer gives statements
  whose context names no course (``core.ingest.fields``, ``course_fallback=``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from learnalytics_desktop.core.model.levels import CAPACITY_KEY

FALLBACK_KEY = "course_fallback"
NOT_MAPPED = ""  # the category combo's "(not mapped)" choice


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
    from learnalytics_desktop.core.outcomes import AT_RISK_SETTING, DEFAULT_AT_RISK, check_at_risk_rule
    from learnalytics_desktop.core.store.db import get_setting

    rule = check_at_risk_rule(get_setting(conn, AT_RISK_SETTING, DEFAULT_AT_RISK))
    return RiskSettings(get_thresholds(conn), get_capacity(conn), rule)


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
    """Validate all three, then save them (thresholds through ``core.model.levels``)."""
    from learnalytics_desktop.core.model.levels import set_thresholds
    from learnalytics_desktop.core.outcomes import AT_RISK_SETTING, set_at_risk_rule
    from learnalytics_desktop.core.store.db import audit, set_setting, transaction

    problems = risk_problems(thresholds, capacity, rule)
    if problems:
        raise ValueError(" ".join(problems))
    saved = set_thresholds(conn, thresholds)
    with transaction(conn):
        set_setting(conn, CAPACITY_KEY, capacity)
        set_at_risk_rule(conn, rule)
        audit(conn, "settings", key=CAPACITY_KEY, value=capacity)
        audit(conn, "settings", key=AT_RISK_SETTING, value=rule)
    return RiskSettings(saved, capacity, rule)


# --- category mapping ----------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryRow:
    """One verb or activity-type IRI seen in this database."""

    kind: str  # "verb" | "type"
    iri: str
    name: str  # the verb's display name or "" (activity types have none)
    statements: int
    default: str | None  # built-in category, None when the IRI has no default
    override: str | None  # the user's saved choice, None when none

    @property
    def category(self) -> str:
        """The category in force ("" = not mapped: see :data:`NOT_MAPPED`)."""
        return self.override or self.default or NOT_MAPPED


@dataclass(frozen=True)
class CategoryState:
    """The IRIs of this database with their categories, the stored overrides, the fallback."""

    rows: list[CategoryRow]
    stored: dict[str, dict[str, str]] = field(default_factory=dict)  # {"verbs": {...}, "types": {...}}
    fallback: str = ""


def load_categories(conn: sqlite3.Connection) -> CategoryState:
    """Verbs and activity types used by this database's statements, most used first."""
    from learnalytics_desktop.core.ingest.categories import DEFAULT_TYPES, DEFAULT_VERBS, SETTING_KEY
    from learnalytics_desktop.core.store.db import get_setting

    stored = get_setting(conn, SETTING_KEY, None) or {}
    verbs_over = dict(stored.get("verbs") or {})
    types_over = dict(stored.get("types") or {})
    rows: list[CategoryRow] = []
    verb_counts = dict(conn.execute("SELECT verb, count(*) FROM statements GROUP BY verb").fetchall())
    for vid, iri, display in conn.execute("SELECT id, iri, display FROM verbs"):
        rows.append(
            CategoryRow(
                "verb",
                iri,
                _display_name(display),
                int(verb_counts.get(vid, 0)),
                DEFAULT_VERBS.get(iri),
                verbs_over.get(iri),
            )
        )
    type_counts = dict(
        conn.execute(
            "SELECT a.type_iri, count(*) FROM statements s JOIN activities a ON a.id = s.object "
            "WHERE a.type_iri IS NOT NULL GROUP BY a.type_iri"
        ).fetchall()
    )
    for (iri,) in conn.execute("SELECT DISTINCT type_iri FROM activities WHERE type_iri IS NOT NULL"):
        rows.append(
            CategoryRow(
                "type", iri, "", int(type_counts.get(iri, 0)), DEFAULT_TYPES.get(iri), types_over.get(iri)
            )
        )
    rows.sort(key=lambda r: (r.kind != "verb", -r.statements, r.iri))
    fallback = get_setting(conn, FALLBACK_KEY, None) or ""
    return CategoryState(rows, {"verbs": verbs_over, "types": types_over}, str(fallback))


def _display_name(display: Any) -> str:
    """A verb's ``display`` column: a language map as JSON, a plain text, or nothing."""
    if not display:
        return ""
    import json

    try:
        value = json.loads(display)
    except (TypeError, ValueError):
        return str(display)
    if isinstance(value, dict) and value:
        for lang in ("en-US", "en-GB", "en"):
            if lang in value:
                return str(value[lang])
        return str(next(iter(value.values())))
    return str(value)


def overrides_from(
    rows: list[CategoryRow], choices: Mapping[tuple[str, str], str], stored: Mapping[str, Mapping[str, str]]
) -> tuple[dict[str, str], dict[str, str]]:
    """The overrides to store: choices that differ from the default, plus stored overrides of
    IRIs this database does not use (another course's data may need them)."""
    seen = {(r.kind, r.iri) for r in rows}
    verbs = {iri: cat for iri, cat in (stored.get("verbs") or {}).items() if ("verb", iri) not in seen}
    types = {iri: cat for iri, cat in (stored.get("types") or {}).items() if ("type", iri) not in seen}
    for r in rows:
        choice = choices.get((r.kind, r.iri), r.category)
        if choice == NOT_MAPPED or choice == r.default:
            continue
        (verbs if r.kind == "verb" else types)[r.iri] = choice
    return verbs, types


def check_fallback(text: str) -> str:
    """An empty text or an absolute IRI (``scheme:rest`` without spaces), else ValueError."""
    t = text.strip()
    if not t:
        return ""
    scheme, sep, rest = t.partition(":")
    if (
        not sep
        or not rest
        or not scheme[:1].isalpha()
        or not all(c.isalnum() or c in "+-." for c in scheme)
        or any(c.isspace() for c in t)
    ):
        raise ValueError(
            f"The course fallback must be an IRI such as https://lms.example.edu/course/101, not {t!r}."
        )
    return t


def save_categories(
    conn: sqlite3.Connection, verbs: Mapping[str, str], types: Mapping[str, str], fallback: str
) -> CategoryState:
    """Store the overrides (replacing earlier ones) and the course fallback; returns the new state."""
    from learnalytics_desktop.core.ingest.categories import SETTING_KEY, save_mapping
    from learnalytics_desktop.core.store.db import audit, set_setting, transaction

    clean_fallback = check_fallback(fallback)
    with transaction(conn):
        save_mapping(conn, verbs, types)  # validates every entry (raises ValueError)
        set_setting(conn, FALLBACK_KEY, clean_fallback or None)
        audit(conn, "settings", key=SETTING_KEY, verbs=len(verbs), types=len(types))
        audit(conn, "settings", key=FALLBACK_KEY, value=clean_fallback or None)
    return load_categories(conn)


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


__all__ = [
    "CAPACITY_KEY",
    "FALLBACK_KEY",
    "NOT_MAPPED",
    "CategoryRow",
    "CategoryState",
    "RiskSettings",
    "check_capacity",
    "check_fallback",
    "get_capacity",
    "load_categories",
    "load_risk",
    "load_weights",
    "overrides_from",
    "risk_problems",
    "save_categories",
    "save_risk",
    "save_weights",
]
