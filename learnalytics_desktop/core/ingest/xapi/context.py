"""Validation of Result, Score and Context (xAPI Data 2.4.5, 2.4.6), and of the xAPI 2.0
context additions ``contextAgents`` and ``contextGroups``.
"""

from __future__ import annotations

import math
from typing import Any

from learnalytics_desktop.core.ingest.xapi.activity import (
    check_activity,
    check_extensions,
    check_iri,
    check_statement_ref,
)
from learnalytics_desktop.core.ingest.xapi.actors import (
    check_actor,
    check_agent,
    check_group,
    unknown_property,
)
from learnalytics_desktop.core.ingest.xapi.errors import describe, fail, type_error
from learnalytics_desktop.core.ingest.xapi.formats import (
    is_language_tag,
    is_uuid,
)
from learnalytics_desktop.core.ingest.xapi.timestamps import parse_duration

__all__ = [
    "check_result",
    "check_score",
    "check_context",
    "check_context_activities",
    "check_activity_list_or_obj",
    "check_context_agent",
    "check_context_group",
]

_RESULT_KEYS = frozenset(("score", "success", "completion", "response", "duration", "extensions"))
_SCORE_KEYS = frozenset(("scaled", "raw", "min", "max"))
_CONTEXT_KEYS_10 = frozenset(
    (
        "registration",
        "instructor",
        "team",
        "contextActivities",
        "revision",
        "platform",
        "language",
        "statement",
        "extensions",
    )
)
_CONTEXT_KEYS_20 = _CONTEXT_KEYS_10 | {"contextAgents", "contextGroups"}
_CA_KEYS = frozenset(("parent", "grouping", "category", "other"))
_CONTEXT_AGENT_KEYS = frozenset(("objectType", "agent", "relevantTypes"))
_CONTEXT_GROUP_KEYS = frozenset(("objectType", "group", "relevantTypes"))
_ATTACHMENT_KEYS = frozenset(
    ("usageType", "display", "description", "contentType", "length", "sha2", "fileUrl")
)
_ATTACHMENT_REQUIRED = ("usageType", "display", "contentType", "length", "sha2")


def _number(d: dict[str, Any], key: str, path: str) -> float:
    """The number at ``d[key]``: an int or a finite float (bool and strings are refused).

    Ints are returned as they are (Python compares ints and floats exactly, so even a
    400-digit integer needs no conversion).
    """
    v = d[key]
    t = type(v)
    if t is int:
        return v  # type: ignore[no-any-return]
    if t is float:
        if math.isfinite(v):
            return v  # type: ignore[no-any-return]
        fail(
            "score.number", f"{path}.{key}", f"is {describe(v)}; a finite number is required", "Data 2.4.5.1"
        )
    type_error(
        "score.number",
        f"{path}.{key}",
        v,
        "a number (strings are not accepted, even if they contain numbers)",
        "Data 2.4.5.1, 2.2.s4.b1.b2",
    )


def check_score(d: Any, path: str) -> None:
    """A Score: numbers; -1 <= scaled <= 1; min < max; min <= raw <= max (Data 2.4.5.1)."""
    if type(d) is not dict:
        type_error("score.type", path, d, "a Score object", "Data 2.4.5.1")
    if not _SCORE_KEYS.issuperset(d):
        unknown_property(d, _SCORE_KEYS, path, "score.unknown_property", "a Score", "Data 2.4.5.1")
    if "scaled" in d:
        scaled = _number(d, "scaled", path)
        if not -1.0 <= scaled <= 1.0:
            fail(
                "score.scaled",
                f"{path}.scaled",
                f"is {describe(d['scaled'])}; scaled must be between -1 and 1 inclusive",
                "Data 2.4.5.1.s2.table1.row1",
            )
    lo = _number(d, "min", path) if "min" in d else None
    hi = _number(d, "max", path) if "max" in d else None
    if lo is not None and hi is not None and not lo < hi:
        fail(
            "score.range",
            path,
            f"has min {describe(d['min'])} and max {describe(d['max'])}; min must be less than max",
            "Data 2.4.5.1.s2.table1.row3",
        )
    if "raw" in d:
        raw = _number(d, "raw", path)
        if lo is not None and raw < lo:
            fail(
                "score.raw",
                f"{path}.raw",
                f"is {describe(d['raw'])}, below min {describe(d['min'])}; raw must be between min and max",
                "Data 2.4.5.1.s2.table1.row2",
            )
        if hi is not None and raw > hi:
            fail(
                "score.raw",
                f"{path}.raw",
                f"is {describe(d['raw'])}, above max {describe(d['max'])}; raw must be between min and max",
                "Data 2.4.5.1.s2.table1.row2",
            )


def check_result(d: Any, path: str) -> float | None:
    """A Result; returns its duration in seconds, or None without one (Data 2.4.5)."""
    if type(d) is not dict:
        type_error("result.type", path, d, "a Result object", "Data 2.4.5")
    if not _RESULT_KEYS.issuperset(d):
        unknown_property(d, _RESULT_KEYS, path, "result.unknown_property", "a Result", "Data 2.4.5")
    for key in ("success", "completion"):
        if key in d and type(d[key]) is not bool:
            type_error(
                f"result.{key}",
                f"{path}.{key}",
                d[key],
                "true or false (strings are not accepted, even 'true')",
                "Data 2.4.5.s2, 2.2.s4.b1.b3",
            )
    if "response" in d and type(d["response"]) is not str:
        type_error(
            "result.response", f"{path}.response", d["response"], "a string", "Data 2.4.5.s2.table1.row4"
        )
    if "score" in d:
        check_score(d["score"], f"{path}.score")
    if "extensions" in d:
        check_extensions(d["extensions"], f"{path}.extensions")
    if "duration" in d:
        dur = d["duration"]
        if type(dur) is not str:
            type_error(
                "result.duration",
                f"{path}.duration",
                dur,
                "an ISO 8601 duration string such as PT4M12.5S",
                "Data 2.4.5.s2.table1.row5, 4.6",
            )
        try:
            return parse_duration(dur)
        except ValueError as exc:
            fail("result.duration", f"{path}.duration", str(exc).removeprefix("duration "), "Data 4.6")
    return None


def check_activity_list_or_obj(value: Any, path: str) -> None:
    """A contextActivities value: one Activity or an array of Activities (Data 2.4.6.2.s4.b2)."""
    if type(value) is list:
        for i, act in enumerate(value):
            check_activity(act, f"{path}[{i}]")
    elif type(value) is dict:
        check_activity(value, path)
    else:
        type_error(
            "context.activities",
            path,
            value,
            "an Activity object or an array of Activity objects",
            "Data 2.4.6.2.s4.b2",
        )


def check_context_activities(d: Any, path: str) -> None:
    """contextActivities: keys parent/grouping/category/other, values Activities (Data 2.4.6.2)."""
    if type(d) is not dict:
        type_error("context.activities", path, d, "a contextActivities object", "Data 2.4.6.2")
    if not _CA_KEYS.issuperset(d):
        unknown_property(d, _CA_KEYS, path, "context.activities", "contextActivities", "Data 2.4.6.2.s4.b1")
    for key, value in d.items():
        check_activity_list_or_obj(value, f"{path}.{key}")


def _relevant_types(d: dict[str, Any], path: str, rule: str) -> None:
    types = d["relevantTypes"]
    if type(types) is not list:
        type_error(rule, f"{path}.relevantTypes", types, "a non-empty array of IRIs", "2.0 Context")
    if not types:
        fail(
            rule,
            f"{path}.relevantTypes",
            "is empty; when present it must list at least one IRI",
            "2.0 Context",
        )
    for i, t in enumerate(types):
        check_iri(t, f"{path}.relevantTypes[{i}]", rule, "2.0 Context")


def check_context_agent(d: Any, path: str) -> None:
    """An xAPI 2.0 contextAgent: objectType "contextAgent", an Agent, optional relevantTypes."""
    if type(d) is not dict:
        type_error("context.context_agent", path, d, "a contextAgent object", "2.0 Context")
    if not _CONTEXT_AGENT_KEYS.issuperset(d):
        unknown_property(
            d, _CONTEXT_AGENT_KEYS, path, "context.context_agent", "a contextAgent", "2.0 Context"
        )
    if d.get("objectType") != "contextAgent":
        if "objectType" not in d:
            fail(
                "context.context_agent",
                path,
                "has no objectType; it must say objectType 'contextAgent'",
                "2.0 Context",
            )
        fail(
            "context.context_agent",
            f"{path}.objectType",
            f"is {describe(d.get('objectType'))}; it must be exactly 'contextAgent'",
            "2.0 Context",
        )
    if "agent" not in d:
        fail("context.context_agent", path, "has no agent; a contextAgent needs one", "2.0 Context")
    check_agent(d["agent"], f"{path}.agent")
    if "relevantTypes" in d:
        _relevant_types(d, path, "context.context_agent")


def check_context_group(d: Any, path: str) -> None:
    """An xAPI 2.0 contextGroup: objectType "contextGroup", a Group, optional relevantTypes."""
    if type(d) is not dict:
        type_error("context.context_group", path, d, "a contextGroup object", "2.0 Context")
    if not _CONTEXT_GROUP_KEYS.issuperset(d):
        unknown_property(
            d, _CONTEXT_GROUP_KEYS, path, "context.context_group", "a contextGroup", "2.0 Context"
        )
    if d.get("objectType") != "contextGroup":
        if "objectType" not in d:
            fail(
                "context.context_group",
                path,
                "has no objectType; it must say objectType 'contextGroup'",
                "2.0 Context",
            )
        fail(
            "context.context_group",
            f"{path}.objectType",
            f"is {describe(d.get('objectType'))}; it must be exactly 'contextGroup'",
            "2.0 Context",
        )
    if "group" not in d:
        fail("context.context_group", path, "has no group; a contextGroup needs one", "2.0 Context")
    check_group(d["group"], f"{path}.group")
    if "relevantTypes" in d:
        _relevant_types(d, path, "context.context_group")


def _check_array(d: dict[str, Any], key: str, path: str, check: Any, what: str) -> None:
    items = d[key]
    if type(items) is not list:
        type_error(f"context.{key}", f"{path}.{key}", items, f"an array of {what} objects", "2.0 Context")
    for i, item in enumerate(items):
        check(item, f"{path}.{key}[{i}]")


def check_context(d: Any, path: str, v2: bool = False) -> None:
    """A Context (Data 2.4.6); ``v2`` also allows contextAgents/contextGroups (xAPI 2.0).

    The rule that revision and platform need an Activity as the statement's object is checked
    by the statement, which knows the object.
    """
    if type(d) is not dict:
        type_error("context.type", path, d, "a Context object", "Data 2.4.6")
    allowed = _CONTEXT_KEYS_20 if v2 else _CONTEXT_KEYS_10
    if not allowed.issuperset(d):
        if not v2 and ("contextAgents" in d or "contextGroups" in d):
            key = "contextAgents" if "contextAgents" in d else "contextGroups"
            fail(
                "context.unknown_property",
                f"{path}.{key}",
                'exists only in xAPI 2.0, but this statement is validated as 1.0.x (set "version": "2.0.0")',
                "Data 2.4.6",
            )
        unknown_property(d, allowed, path, "context.unknown_property", "a Context", "Data 2.4.6")
    if "registration" in d and not is_uuid(d["registration"]):
        reg = d["registration"]
        if type(reg) is not str:
            type_error(
                "context.registration",
                f"{path}.registration",
                reg,
                "a UUID string",
                "Data 2.4.6.s3.table1.row1",
            )
        fail(
            "context.registration",
            f"{path}.registration",
            f"{describe(reg)} is not a UUID (8-4-4-4-12 hex digits)",
            "Data 2.4.6.s3.table1.row1, 4.4",
        )
    if "contextActivities" in d:
        check_context_activities(d["contextActivities"], f"{path}.contextActivities")
    if "extensions" in d:
        check_extensions(d["extensions"], f"{path}.extensions")
    if "instructor" in d:
        check_actor(d["instructor"], f"{path}.instructor")
    if "team" in d:
        team = d["team"]
        if type(team) is dict and team.get("objectType") != "Group":
            fail(
                "context.team",
                f"{path}.team",
                "must be a Group (objectType 'Group')",
                "Data 2.4.6.s3.table1.row3",
            )
        check_group(team, f"{path}.team")
    for key in ("revision", "platform"):
        if key in d and type(d[key]) is not str:
            type_error(f"context.{key}", f"{path}.{key}", d[key], "a string", "Data 2.4.6.s3")
    if "language" in d and not is_language_tag(d["language"]):
        lang = d["language"]
        if type(lang) is not str:
            type_error(
                "context.language",
                f"{path}.language",
                lang,
                "an RFC 5646 language tag string",
                "Data 2.4.6.s3.table1.row7",
            )
        fail(
            "context.language",
            f"{path}.language",
            f"{describe(lang)} is not an RFC 5646 language tag",
            "Data 2.4.6.s3.table1.row7",
        )
    if "statement" in d:
        check_statement_ref(d["statement"], f"{path}.statement")
    if v2:
        if "contextAgents" in d:
            _check_array(d, "contextAgents", path, check_context_agent, "contextAgent")
        if "contextGroups" in d:
            _check_array(d, "contextGroups", path, check_context_group, "contextGroup")
