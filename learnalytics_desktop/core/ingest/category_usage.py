"""Content categories as the Settings page edits them: which verb and activity-type IRIs
this database's statements use (with counts and display names), the category each has by
default and by the user's choice, and the course fallback of the importer.

Settings keys: ``category_map`` (``core.ingest.categories``: ``load_mapping``/``save_mapping``)
and ``course_fallback`` (:data:`FALLBACK_KEY`, the course IRI the importer gives statements
whose context names no course). A verb's name is read from its stored language map with the
importer's own rule (``core.ingest.xapi.fields.pick_name``), so the page and the data agree.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from learnalytics_desktop.core.store.settings import Setting, register

FALLBACK_KEY = "course_fallback"
NOT_MAPPED = ""  # the category combo's "(not mapped)" choice


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
    fallback = course_fallback(conn)
    return CategoryState(rows, {"verbs": verbs_over, "types": types_over}, str(fallback))


def _display_name(display: Any) -> str:
    """A verb's ``display`` column: a language map as JSON (named by the importer's rule,
    ``pick_name``), a plain text, or nothing."""
    if not display:
        return ""
    import json

    from learnalytics_desktop.core.ingest.xapi.fields import pick_name

    try:
        value = json.loads(display)
    except (TypeError, ValueError):
        return str(display)
    if isinstance(value, dict):
        return pick_name(value) or ""
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


def _fallback_value(value: object) -> str | None:
    """The stored form: an absolute IRI, or None for "no fallback"."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"The course fallback must be an IRI, not {value!r}.")
    return check_fallback(value) or None


COURSE_FALLBACK = register(
    Setting(
        FALLBACK_KEY,
        None,
        _fallback_value,
        lenient=True,  # an unusable saved IRI means no fallback, never a failed import
        doc="The course IRI of statements whose context names no course.",
    )
)


def course_fallback(conn: sqlite3.Connection) -> str:
    """The saved course fallback IRI, "" when none (the importer and the Import page)."""
    return COURSE_FALLBACK.read(conn) or ""


def save_categories(
    conn: sqlite3.Connection, verbs: Mapping[str, str], types: Mapping[str, str], fallback: str
) -> CategoryState:
    """Store the overrides (replacing earlier ones) and the course fallback; returns the new state."""
    from learnalytics_desktop.core.ingest.categories import SETTING_KEY, save_mapping
    from learnalytics_desktop.core.store.db import audit, transaction

    clean_fallback = check_fallback(fallback)
    with transaction(conn):
        save_mapping(conn, verbs, types)  # validates every entry (raises ValueError)
        COURSE_FALLBACK.stage(conn, clean_fallback or None)
        audit(conn, "settings", key=SETTING_KEY, verbs=len(verbs), types=len(types))
        audit(conn, "settings", key=FALLBACK_KEY, value=clean_fallback or None)
    return load_categories(conn)


__all__ = [
    "FALLBACK_KEY",
    "NOT_MAPPED",
    "CategoryRow",
    "CategoryState",
    "COURSE_FALLBACK",
    "course_fallback",
    "check_fallback",
    "load_categories",
    "overrides_from",
    "save_categories",
]
