"""Which kind of learning a statement is: verb and activity-type IRIs mapped to categories.

Analytics count events per category: ``video``, ``assessment``, ``assignment``, ``reading``,
``forum``, ``navigation`` (moving around a course: launching, entering, leaving) and
``other``.  An IRI is only ever matched whole: the last path segment is never an identity
(``…/video/verbs/completed`` and ``…/expapi/verbs/completed`` are different verbs, and
``…/activitytype/school-assignment`` is an assignment although it does not end in
"assignment").

Rules (decisions):

* The **activity type wins** over the verb when both are mapped: the type says what the
  learner worked on (a quiz, a video), while most verbs (``completed``, ``experienced``) are
  used for every kind of activity.  The verb decides when the type is unknown or missing.
* Generic verbs that say nothing about the kind (``completed``, ``progressed``,
  ``interacted``...) are deliberately not mapped; without a mapped type they are ``other``.
* The defaults cover ADL verbs and activity types, the xAPI Video Profile, cmi5, the TinCan
  registry (id.tincanapi.com), activitystrea.ms, ACRossX and Moodle's logstore_xapi plugin
  (which uses ADL ``assessment`` for quizzes and assignments alike).  Users override or add
  entries in the settings key ``category_map`` (``{"verbs": {iri: category}, "types":
  {iri: category}}``); an override wins over a default.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from learnalytics_desktop.core.store.db import get_setting, set_setting

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["CATEGORIES", "DEFAULT_TYPES", "DEFAULT_VERBS", "Mapping", "load_mapping", "save_mapping"]

CATEGORIES: tuple[str, ...] = ("video", "assessment", "assignment", "reading", "forum", "navigation", "other")
SETTING_KEY = "category_map"

_ADL_V = "http://adlnet.gov/expapi/verbs/"
_ADL_A = "http://adlnet.gov/expapi/activities/"
_VIDEO = "https://w3id.org/xapi/video/"
_TC_V = "http://id.tincanapi.com/verb/"
_TC_A = "http://id.tincanapi.com/activitytype/"
_AS = "http://activitystrea.ms/schema/1.0/"
_AX = "https://w3id.org/xapi/acrossx/"

DEFAULT_VERBS: dict[str, str] = {
    # ADL verbs
    _ADL_V + "answered": "assessment",
    _ADL_V + "attempted": "assessment",
    _ADL_V + "passed": "assessment",
    _ADL_V + "failed": "assessment",
    _ADL_V + "scored": "assessment",
    _ADL_V + "mastered": "assessment",
    _ADL_V + "responded": "assessment",
    _ADL_V + "commented": "forum",
    _ADL_V + "asked": "forum",
    _ADL_V + "shared": "forum",
    _ADL_V + "experienced": "reading",
    _ADL_V + "launched": "navigation",
    _ADL_V + "initialized": "navigation",
    _ADL_V + "terminated": "navigation",
    _ADL_V + "exited": "navigation",
    _ADL_V + "suspended": "navigation",
    _ADL_V + "resumed": "navigation",
    _ADL_V + "registered": "navigation",
    _ADL_V + "logged-in": "navigation",
    _ADL_V + "logged-out": "navigation",
    "https://w3id.org/xapi/adl/verbs/logged-in": "navigation",
    "https://w3id.org/xapi/adl/verbs/logged-out": "navigation",
    "https://w3id.org/xapi/adl/verbs/abandoned": "navigation",  # cmi5
    # xAPI Video Profile
    _VIDEO + "verbs/played": "video",
    _VIDEO + "verbs/paused": "video",
    _VIDEO + "verbs/seeked": "video",
    # TinCan registry
    _TC_V + "viewed": "reading",
    _TC_V + "read": "reading",
    _TC_V + "downloaded": "reading",
    _TC_V + "replied": "forum",
    _TC_V + "liked": "forum",
    _TC_V + "tweeted": "forum",
    _TC_V + "submitted": "assignment",
    _TC_V + "watched": "video",
    # activitystrea.ms (also the short forms some tools emit)
    _AS + "watch": "video",
    _AS + "read": "reading",
    _AS + "post": "forum",
    _AS + "reply": "forum",
    _AS + "submit": "assignment",
    _AS + "access": "navigation",
    _AS + "start": "navigation",
    _AS + "join": "navigation",
    "http://activitystrea.ms/submit": "assignment",
    "http://activitystrea.ms/start": "navigation",
    # ACRossX
    _AX + "verbs/posted": "forum",
    _AX + "verbs/searched": "navigation",
    "https://w3id.org/xapi/netc/verbs/accessed": "navigation",
    "https://w3id.org/xapi/dod-isd/verbs/navigated": "navigation",  # Open edX / Caliper navigation
}

DEFAULT_TYPES: dict[str, str] = {
    # ADL activity types
    _ADL_A + "assessment": "assessment",
    _ADL_A + "question": "assessment",
    _ADL_A + "interaction": "assessment",
    _ADL_A + "cmi.interaction": "assessment",
    _ADL_A + "objective": "assessment",
    _ADL_A + "performance": "assessment",
    _ADL_A + "attempt": "assessment",
    _ADL_A + "media": "video",
    _ADL_A + "lesson": "reading",
    _ADL_A + "link": "reading",
    _ADL_A + "file": "reading",
    _ADL_A + "course": "navigation",
    _ADL_A + "module": "navigation",
    # xAPI Video Profile
    _VIDEO + "activity-type/video": "video",
    # cmi5
    "https://w3id.org/xapi/cmi5/activitytype/course": "navigation",
    "https://w3id.org/xapi/cmi5/activitytype/block": "navigation",
    # TinCan registry (Moodle's logstore_xapi uses several of these)
    _TC_A + "school-assignment": "assignment",
    _TC_A + "blog": "forum",
    _TC_A + "chat-channel": "forum",
    _TC_A + "chat-message": "forum",
    _TC_A + "discussion": "forum",
    _TC_A + "forum-reply": "forum",
    _TC_A + "forum-topic": "forum",
    _TC_A + "tweet": "forum",
    _TC_A + "book": "reading",
    _TC_A + "chapter": "reading",
    _TC_A + "document": "reading",
    _TC_A + "page": "reading",
    _TC_A + "resource": "reading",
    _TC_A + "slide": "reading",
    _TC_A + "slide-deck": "reading",
    _TC_A + "webinar": "video",
    _TC_A + "survey": "assessment",
    _TC_A + "lms": "navigation",
    _TC_A + "lms/course": "navigation",
    _TC_A + "lms/module": "navigation",
    # activitystrea.ms
    _AS + "article": "reading",
    _AS + "page": "reading",
    _AS + "file": "reading",
    _AS + "image": "reading",
    _AS + "video": "video",
    _AS + "audio": "video",
    _AS + "comment": "forum",
    _AS + "review": "forum",
    _AS + "question": "assessment",
    # ACRossX
    _AX + "activities/webpage": "reading",
    _AX + "activities/page": "reading",
    _AX + "activities/e-book": "reading",
    _AX + "activities/video": "video",
    _AX + "activities/message": "forum",
    _AX + "activities/course": "navigation",
}


@dataclass(frozen=True)
class Mapping:
    """Verb and activity-type IRIs to categories (defaults merged with the user's overrides)."""

    verbs: MappingABC[str, str]
    types: MappingABC[str, str]

    def category(self, verb_iri: str | None, type_iri: str | None) -> str:
        """The category of one statement: its type's if mapped, else its verb's, else other."""
        if type_iri is not None:
            cat = self.types.get(type_iri)
            if cat is not None:
                return cat
        if verb_iri is not None:
            cat = self.verbs.get(verb_iri)
            if cat is not None:
                return cat
        return "other"

    def categorize(self, verb_iris: pd.Series, type_iris: pd.Series) -> pd.Series:
        """The same rule over two aligned Series; a categorical Series of ``CATEGORIES``."""
        import pandas as pd

        by_type = type_iris.map(dict(self.types))
        by_verb = verb_iris.map(dict(self.verbs))
        merged = by_type.where(by_type.notna(), by_verb).fillna("other")
        return pd.Series(pd.Categorical(merged, categories=list(CATEGORIES)), index=type_iris.index)


def _check(kind: str, entries: Any) -> dict[str, str]:
    if entries is None:
        return {}
    if not isinstance(entries, MappingABC):
        raise ValueError(f"the {kind} mapping must map IRIs to categories")
    out: dict[str, str] = {}
    for iri, cat in entries.items():
        if not isinstance(iri, str) or ":" not in iri:
            raise ValueError(f"{kind} key {iri!r} is not an IRI")
        if cat not in CATEGORIES:
            raise ValueError(f"{kind} {iri}: unknown category {cat!r}; use one of {', '.join(CATEGORIES)}")
        out[iri] = cat
    return out


def load_mapping(conn: sqlite3.Connection | None = None) -> Mapping:
    """The defaults merged with the overrides stored in the database (if a connection is given)."""
    verbs, types = dict(DEFAULT_VERBS), dict(DEFAULT_TYPES)
    if conn is not None:
        stored = get_setting(conn, SETTING_KEY, None) or {}
        verbs.update(_check("verb", stored.get("verbs")))
        types.update(_check("type", stored.get("types")))
    return Mapping(verbs, types)


def save_mapping(conn: sqlite3.Connection, verbs: MappingABC[str, str], types: MappingABC[str, str]) -> None:
    """Store the user's overrides (replacing earlier ones); raises ValueError for a bad entry."""
    clean = {"verbs": _check("verb", verbs), "types": _check("type", types)}
    set_setting(conn, SETTING_KEY, clean)
