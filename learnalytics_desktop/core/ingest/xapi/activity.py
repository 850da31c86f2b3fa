"""Validation of Verbs, Activities, Activity Definitions, interactions, Statement References,
language maps and extensions (xAPI Data 2.4.3, 2.4.4, 4.1, 4.2).

Extension *values* are never inspected (Data 4.1.s3.b2: an LRS must not reject a statement
for them), so arbitrarily deep extension values cost nothing and cannot overflow the stack.
"""

from __future__ import annotations

from typing import Any

from learnalytics_desktop.core.ingest.xapi.actors import unknown_property
from learnalytics_desktop.core.ingest.xapi.errors import describe, fail, type_error
from learnalytics_desktop.core.ingest.xapi.formats import (
    _IRI_CACHE,
    _LANG_CACHE,
    is_iri,
    is_language_tag,
    is_uuid,
)

__all__ = [
    "check_language_map",
    "check_extensions",
    "check_iri",
    "check_verb",
    "check_activity",
    "check_definition",
    "check_interaction",
    "check_statement_ref",
    "INTERACTION_TYPES",
    "COMPONENT_LISTS",
]

INTERACTION_TYPES = frozenset(
    (
        "true-false",
        "choice",
        "fill-in",
        "long-fill-in",
        "matching",
        "performance",
        "sequencing",
        "likert",
        "numeric",
        "other",
    )
)
# Which interaction component lists each interactionType supports (Data 2.4.4.1.s15.table2).
COMPONENT_LISTS: dict[str, frozenset[str]] = {
    "choice": frozenset(("choices",)),
    "sequencing": frozenset(("choices",)),
    "likert": frozenset(("scale",)),
    "matching": frozenset(("source", "target")),
    "performance": frozenset(("steps",)),
}
_ALL_LISTS = ("choices", "scale", "source", "target", "steps")
_INTERACTION_KEYS = frozenset(("interactionType", "correctResponsesPattern", *_ALL_LISTS))
_BASIC_DEF_KEYS = frozenset(("name", "description", "type", "moreInfo", "extensions"))
_DEF_KEYS = _BASIC_DEF_KEYS | _INTERACTION_KEYS
_ACTIVITY_KEYS = frozenset(("objectType", "id", "definition"))
_VERB_KEYS = frozenset(("id", "display"))
_REF_KEYS = frozenset(("objectType", "id"))
_COMPONENT_KEYS = frozenset(("id", "description"))
_EMPTY: frozenset[str] = frozenset()


def check_iri(value: Any, path: str, rule: str, section: str, what: str = "an IRI") -> None:
    """Raise unless ``value`` is an IRI string (the caller checked presence)."""
    if _IRI_CACHE.get(value) if type(value) is str else False:
        return
    if is_iri(value):
        return
    if type(value) is not str:
        type_error(rule, path, value, f"{what} string", section)
    if ":" not in value:
        fail(
            rule,
            path,
            f"{describe(value)} is not {what}: it has no scheme (such as https:)",
            f"{section}, 2.2.s4.b1.b8",
        )
    fail(
        rule,
        path,
        f"{describe(value)} is not {what} "
        "(a scheme then ':' and no spaces or characters such as < > \" { })",
        section,
    )


def check_language_map(d: Any, path: str) -> None:
    """A language map: RFC 5646 language tags mapped to strings (Data 4.2)."""
    if type(d) is not dict:
        type_error(
            "languagemap.type",
            path,
            d,
            "a language map (an object from language tags to strings)",
            "Data 4.2",
        )
    for tag, text in d.items():
        if not (_LANG_CACHE.get(tag) or is_language_tag(tag)):
            fail(
                "languagemap.tag",
                path,
                f"has the key {describe(tag)}, which is not an RFC 5646 language tag",
                "Data 4.2, 2.2.s4.b2",
            )
        if type(text) is not str:
            type_error("languagemap.value", f"{path}.{tag}", text, "a string", "Data 4.2")


def check_extensions(d: Any, path: str) -> None:
    """An extensions map: IRI keys; the values can be any JSON (Data 4.1)."""
    if type(d) is not dict:
        type_error("extensions.type", path, d, "an object whose keys are IRIs", "Data 4.1")
    get = _IRI_CACHE.get
    for key in d:
        if not (get(key) or is_iri(key)):
            fail(
                "extensions.key", path, f"has the key {describe(key)}, which is not an IRI", "Data 4.1.s3.b1"
            )


def check_verb(d: Any, path: str) -> None:
    """A Verb: ``id`` (IRI, required) and ``display`` (language map) (Data 2.4.3)."""
    if type(d) is not dict:
        type_error("verb.type", path, d, "a Verb object", "Data 2.4.3")
    if not _VERB_KEYS.issuperset(d):
        unknown_property(d, _VERB_KEYS, path, "verb.unknown_property", "a Verb", "Data 2.4.3")
    if "id" not in d:
        fail("verb.id", path, "has no id; a Verb's id (an IRI) is required", "Data 2.4.3.s3.table1.row1")
    check_iri(d["id"], f"{path}.id", "verb.id", "Data 2.4.3.s3.table1.row1")
    if "display" in d:
        check_language_map(d["display"], f"{path}.display")


def check_activity(d: Any, path: str) -> None:
    """An Activity: objectType absent or "Activity", ``id`` IRI, optional definition (Data 2.4.4.1)."""
    if type(d) is not dict:
        type_error("activity.type", path, d, "an Activity object", "Data 2.4.4.1")
    if not _ACTIVITY_KEYS.issuperset(d):
        unknown_property(d, _ACTIVITY_KEYS, path, "activity.unknown_property", "an Activity", "Data 2.4.4.1")
    if "objectType" in d and d["objectType"] != "Activity":
        ot = d["objectType"]
        if type(ot) is not str:
            type_error(
                "activity.object_type", f"{path}.objectType", ot, "the string 'Activity'", "Data 2.4.4.1"
            )
        fail(
            "activity.object_type",
            f"{path}.objectType",
            f"is {describe(ot)}; an Activity's objectType must be exactly 'Activity'",
            "Data 2.4.4.1, 2.2.s4.b1.b6",
        )
    if "id" not in d:
        fail(
            "activity.id",
            path,
            "has no id; an Activity's id (an IRI) is required",
            "Data 2.4.4.1.s1.table1.row2",
        )
    check_iri(d["id"], f"{path}.id", "activity.id", "Data 2.4.4.1.s1.table1.row2")
    if "definition" in d:
        check_definition(d["definition"], f"{path}.definition")


def check_definition(d: Any, path: str) -> None:
    """An Activity Definition, including the interaction properties (Data 2.4.4.1)."""
    if type(d) is not dict:
        type_error("definition.type", path, d, "an Activity Definition object", "Data 2.4.4.1.s2")
    if not _BASIC_DEF_KEYS.issuperset(d):
        if not _DEF_KEYS.issuperset(d):
            unknown_property(
                d, _DEF_KEYS, path, "definition.unknown_property", "an Activity Definition", "Data 2.4.4.1.s2"
            )
        check_interaction(d, path)
    if "name" in d:
        check_language_map(d["name"], f"{path}.name")
    if "description" in d:
        check_language_map(d["description"], f"{path}.description")
    if "type" in d:
        check_iri(d["type"], f"{path}.type", "definition.type_iri", "Data 2.4.4.1.s2.table1.row3")
    if "moreInfo" in d:
        check_iri(
            d["moreInfo"], f"{path}.moreInfo", "definition.more_info", "Data 2.4.4.1.s2.table1.row4", "an IRL"
        )
    if "extensions" in d:
        check_extensions(d["extensions"], f"{path}.extensions")


def check_interaction(
    d: dict[str, Any], path: str, allowed_types: frozenset[str] = INTERACTION_TYPES
) -> None:
    """The interaction properties of an Activity Definition (Data 2.4.4.1.s8-s16).

    A valid, exactly spelled interactionType is required once any interaction property is used;
    correctResponsesPattern is an array of strings ("true"/"false" for true-false); only the
    component lists the type supports may appear; each component has a string id, unique in
    its list, and an optional language-map description.  Other keys of ``d`` are not looked at.
    """
    if "interactionType" not in d:
        present = [k for k in ("correctResponsesPattern", *_ALL_LISTS) if k in d]
        detail = f"uses {', '.join(present)} but has" if present else "has"
        fail(
            "interaction.type",
            path,
            f"{detail} no interactionType; interaction activities must have one",
            "Data 2.4.4.1.s13.b1",
        )
    itype = d["interactionType"]
    if type(itype) is not str:
        type_error(
            "interaction.type",
            f"{path}.interactionType",
            itype,
            "an interaction type string",
            "Data 2.4.4.1.s8",
        )
    if itype not in allowed_types:
        choices = ", ".join(sorted(allowed_types))
        if itype.lower() in allowed_types or itype in INTERACTION_TYPES:
            how = (
                "is spelled with the wrong case" if itype not in INTERACTION_TYPES else "is not allowed here"
            )
            fail(
                "interaction.type",
                f"{path}.interactionType",
                f"{describe(itype)} {how}; expected one of {choices}",
                "Data 2.4.4.1.s8, 2.2.s4.b1.b6",
            )
        fail(
            "interaction.type",
            f"{path}.interactionType",
            f"{describe(itype)} is not an interaction type; expected one of {choices}",
            "Data 2.4.4.1.s8.table1.row1",
        )
    if "correctResponsesPattern" in d:
        crp = d["correctResponsesPattern"]
        if type(crp) is not list:
            type_error(
                "interaction.pattern",
                f"{path}.correctResponsesPattern",
                crp,
                "an array of strings",
                "Data 2.4.4.1.s8.table1.row2",
            )
        for i, p in enumerate(crp):
            if type(p) is not str:
                type_error(
                    "interaction.pattern",
                    f"{path}.correctResponsesPattern[{i}]",
                    p,
                    "a string",
                    "Data 2.4.4.1.s8.table1.row2",
                )
            if itype == "true-false" and p != "true" and p != "false":
                fail(
                    "interaction.pattern",
                    f"{path}.correctResponsesPattern[{i}]",
                    f"is {describe(p)}; a true-false pattern is either 'true' or 'false'",
                    "Data 2.4.4.1.s10.table1.row1",
                )
    supported = COMPONENT_LISTS.get(itype, _EMPTY)
    for key in _ALL_LISTS:
        if key in d:
            if key not in supported:
                can = f"only {' and '.join(sorted(supported))}" if supported else "no component lists"
                fail(
                    "interaction.components",
                    f"{path}.{key}",
                    f"is not supported for interactionType {itype!r}, which takes {can}",
                    "Data 2.4.4.1.s15.table2",
                )
            _check_components(d[key], f"{path}.{key}")


def _check_components(items: Any, path: str) -> None:
    if type(items) is not list:
        type_error(
            "interaction.components", path, items, "an array of interaction components", "Data 2.4.4.1.s15"
        )
    seen: set[str] = set()
    for i, c in enumerate(items):
        where = f"{path}[{i}]"
        if type(c) is not dict:
            type_error(
                "interaction.components", where, c, "an interaction component object", "Data 2.4.4.1.s15"
            )
        if not _COMPONENT_KEYS.issuperset(c):
            unknown_property(
                c,
                _COMPONENT_KEYS,
                where,
                "interaction.components",
                "an interaction component",
                "Data 2.4.4.1.s15",
            )
        cid = c.get("id")
        if type(cid) is not str:
            if "id" not in c:
                fail(
                    "interaction.components",
                    where,
                    "has no id; every interaction component needs one",
                    "Data 2.4.4.1.s15.table1.row1",
                )
            type_error(
                "interaction.components", f"{where}.id", cid, "a string", "Data 2.4.4.1.s15.table1.row1"
            )
        if cid in seen:
            fail(
                "interaction.components",
                f"{where}.id",
                f"{describe(cid)} is used twice in this list; ids must be distinct",
                "Data 2.4.4.1.s16.b1",
            )
        seen.add(cid)
        if "description" in c:
            check_language_map(c["description"], f"{where}.description")


def check_statement_ref(d: Any, path: str) -> None:
    """A Statement Reference: objectType "StatementRef" and a UUID ``id`` (Data 2.4.4.3)."""
    if type(d) is not dict:
        type_error("statementref.type", path, d, "a StatementRef object", "Data 2.4.4.3")
    if not _REF_KEYS.issuperset(d):
        unknown_property(
            d, _REF_KEYS, path, "statementref.unknown_property", "a StatementRef", "Data 2.4.4.3"
        )
    ot = d.get("objectType")
    if ot != "StatementRef":
        if "objectType" not in d:
            fail(
                "statementref.object_type",
                path,
                "has no objectType; a Statement Reference must say objectType 'StatementRef'",
                "Data 2.4.4.3.s4.b1",
            )
        fail(
            "statementref.object_type",
            f"{path}.objectType",
            f"is {describe(ot)}; it must be exactly 'StatementRef'",
            "Data 2.4.4.3.s4.b1",
        )
    if "id" not in d:
        fail(
            "statementref.id",
            path,
            "has no id; a Statement Reference needs the UUID of a statement",
            "Data 2.4.4.3.s4.b2",
        )
    sid = d["id"]
    if not is_uuid(sid):
        if type(sid) is not str:
            type_error("statementref.id", f"{path}.id", sid, "a UUID string", "Data 2.4.4.3.s4.b2")
        fail(
            "statementref.id",
            f"{path}.id",
            f"{describe(sid)} is not a UUID (8-4-4-4-12 hex digits)",
            "Data 2.4.4.3.s4.b2, 4.4",
        )
