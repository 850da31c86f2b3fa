"""xAPI statement validation, as strict as a conformant LRS (xAPI 1.0.3 and 2.0).

Public API::

    validate_statement(obj, version=None) -> StatementTimes   # raises InvalidStatement
    validate_fragment(obj, kind, version=None) -> None        # raises InvalidStatement
    InvalidStatement(ValueError): .rule, .reason, .path

``validate_statement`` returns the values it had to parse anyway, so the importer need not
parse them twice: ``StatementTimes(timestamp_ms, stored_ms, duration_s)``, a NamedTuple of the
statement's own ``timestamp`` and ``stored`` as UTC epoch milliseconds and its
``result.duration`` in seconds (each ``None`` when absent; a SubStatement's values are
validated but not returned).

Which rules (``version``):

* ``version=None`` (the default) decides from the statement: a ``"version"`` starting with
  ``"2."`` selects the xAPI 2.0 rules, anything else -- including no version, the normal case
  -- the 1.0.x rules.  Where 1.0.3 and 2.0 differ, absent information therefore means 1.0.x.
* ``"1.0.3"`` (or ``"1.0"``, ``"1.0.x"``) and ``"2.0"`` (or ``"2.0.0"``) force a rule set.
* Differences: the accepted ``version`` values (1.0.x only under 1.0.3, Data 2.4.10.s3;
  1.0.x and 2.0.x under 2.0) and ``context.contextAgents`` / ``context.contextGroups``
  (xAPI 2.0 only).  Timestamps need an offset under both (see ``timestamps``).

Decisions where xAPI leaves room (all documented at the rule):

* Unknown properties are rejected everywhere except inside extensions (Data 2.2.s4.b1.b7,
  2.2.s4.b8; the conformance suite expects it).  Keys are case-sensitive (2.2.s4.b1.b5).
* null is rejected everywhere except inside extension values (2.2.s4.b1.b1).  Empty objects
  are accepted (2.2.s2.b1 is only a SHOULD NOT).
* Score: min must be strictly less than max, as the spec's "less than max" says.
* Interactions: the component lists must match the interactionType, and true-false patterns
  must be "true" or "false" (2.4.4.1.s13.b3 lets an LRS validate these).
* An Anonymous Group needs a non-empty member list; Groups cannot be members.
* Future timestamps are accepted (2.4.7.s3.b6).

Rule codes (``InvalidStatement.rule``), stable for reports and tests:
``statement.type``, ``statement.required``, ``statement.unknown_property``, ``id.uuid``,
``version.format``, ``timestamp.format``, ``stored.format``, ``object.type``,
``object.object_type``,
``substatement.forbidden``, ``substatement.nested``, ``voiding.object``,
``context.object_not_activity``, ``actor.*`` (``type``, ``object_type``, ``ifi``, ``mbox``,
``mbox_sha1sum``, ``openid``, ``account``, ``name``, ``unknown_property``), ``group.*``
(``member``, ``nested``, ``identified``, ``anonymous``), ``authority.group``, ``verb.*``,
``activity.*``, ``definition.*``, ``interaction.*``, ``statementref.*``, ``result.*``
(``duration``, ``success``, ``completion``, ``response``), ``score.*``, ``context.*``,
``attachment.*``, ``extensions.*``, ``languagemap.*``, ``person.*``, ``about.*``,
``fragment.kind``, ``fragment.required``.
"""

from __future__ import annotations

from typing import Any

from learnalytics_desktop.core.ingest.xapi import fragments as v_fragments
from learnalytics_desktop.core.ingest.xapi.activity import (
    check_activity,
    check_statement_ref,
    check_verb,
)
from learnalytics_desktop.core.ingest.xapi.actors import (
    check_actor,
    check_agent,
    check_authority,
    check_group,
    unknown_property,
)
from learnalytics_desktop.core.ingest.xapi.attachments import check_attachments
from learnalytics_desktop.core.ingest.xapi.context import check_context, check_result
from learnalytics_desktop.core.ingest.xapi.errors import InvalidStatement, describe, fail, type_error
from learnalytics_desktop.core.ingest.xapi.fast import fast_statement
from learnalytics_desktop.core.ingest.xapi.formats import is_uuid
from learnalytics_desktop.core.ingest.xapi.rules import VOIDED_VERB, StatementTimes, rules_for, version_ok
from learnalytics_desktop.core.ingest.xapi.timestamps import TimestampOutOfRange, parse_timestamp

__all__ = ["InvalidStatement", "StatementTimes", "validate_statement", "validate_fragment", "FRAGMENT_KINDS"]

FRAGMENT_KINDS = v_fragments.FRAGMENT_KINDS

_STATEMENT_KEYS = frozenset(
    (
        "id",
        "actor",
        "verb",
        "object",
        "result",
        "context",
        "timestamp",
        "stored",
        "authority",
        "version",
        "attachments",
    )
)
_SUB_KEYS = frozenset(
    ("objectType", "actor", "verb", "object", "result", "context", "timestamp", "attachments")
)
_SUB_FORBIDDEN = ("id", "stored", "version", "authority")
_ACTOR_HINTS = ("mbox", "mbox_sha1sum", "openid", "account", "member")


def _article(object_type: str) -> str:
    return f"an {object_type}" if object_type[:1] in "AEIOU" else f"a {object_type}"


def _time(obj: dict[str, Any], key: str, path: str) -> int:
    value = obj[key]
    if type(value) is not str:
        type_error(f"{key}.format", path, value, "an ISO 8601 timestamp string", "Data 2.4.7, 4.5")
    try:
        return parse_timestamp(value)
    except TimestampOutOfRange as exc:
        fail(f"{key}.range", path, str(exc).removeprefix("timestamp "), "Data 4.5")
    except ValueError as exc:
        fail(f"{key}.format", path, str(exc).removeprefix("timestamp "), "Data 4.5")


def _check_object(o: Any, path: str, v2: bool, sub: bool) -> str:
    """Validate a statement's object; return its objectType (Data 2.4.4)."""
    if type(o) is not dict:
        type_error(
            "object.type",
            path,
            o,
            "an object (Activity, Agent, Group, StatementRef or SubStatement)",
            "Data 2.4.4",
        )
    ot = o.get("objectType", "Activity")
    if ot == "Activity":
        if "objectType" not in o and "id" not in o and any(k in o for k in _ACTOR_HINTS):
            fail(
                "object.object_type",
                path,
                "looks like an Agent or Group but has no objectType; an Agent or Group used as "
                "the object must say objectType 'Agent' or 'Group' (without it, it is read as an Activity)",
                "Data 2.4.4.2.s1.b1",
            )
        check_activity(o, path)
    elif ot == "StatementRef":
        check_statement_ref(o, path)
    elif ot == "Agent":
        check_agent(o, path)
    elif ot == "Group":
        check_group(o, path)
    elif ot == "SubStatement":
        if sub:
            fail(
                "substatement.nested",
                path,
                "is a SubStatement inside a SubStatement; SubStatements cannot be nested",
                "Data 2.4.4.3.s8.b4",
            )
        _check_statement(o, v2, path)
    elif type(ot) is not str:
        type_error(
            "object.object_type",
            f"{path}.objectType",
            ot,
            "one of Activity, Agent, Group, StatementRef, SubStatement",
            "Data 2.4.4.s2",
        )
    else:
        fail(
            "object.object_type",
            f"{path}.objectType",
            f"is {describe(ot)}; it must be exactly Activity, Agent, Group, StatementRef or SubStatement",
            "Data 2.4.4.s2, 2.2.s4.b1.b6",
        )
    return ot  # type: ignore[no-any-return]


def _check_statement(obj: dict[str, Any], v2: bool, subpath: str | None = None) -> StatementTimes | None:
    """The shared body of Statements and SubStatements (``subpath`` set for a SubStatement)."""
    if subpath is None:
        p = ""
        if not _STATEMENT_KEYS.issuperset(obj):
            unknown_property(
                obj,
                _STATEMENT_KEYS,
                "",
                "statement.unknown_property",
                "a Statement",
                "Data 2.4.s1, 2.2.s4.b8",
            )
    else:
        p = subpath + "."
        if not _SUB_KEYS.issuperset(obj):
            for key in _SUB_FORBIDDEN:
                if key in obj:
                    fail(
                        "substatement.forbidden",
                        p + key,
                        "is not allowed in a SubStatement (no id, stored, version or authority)",
                        "Data 2.4.4.3.s8.b3",
                    )
            unknown_property(
                obj, _SUB_KEYS, subpath, "statement.unknown_property", "a SubStatement", "Data 2.4.4.3"
            )
    if subpath is None and "version" in obj and not version_ok(obj["version"], v2):
        # first, as the version decides how the rest is read
        ver = obj["version"]
        allowed = "1.0.x or 2.0.x (xAPI 2.0 rules)" if v2 else "1.0.x (xAPI 1.0.3 rules)"
        if type(ver) is not str:
            type_error("version.format", "version", ver, f"a version string, {allowed}", "Data 2.4.10")
        fail(
            "version.format",
            "version",
            f"{describe(ver)} is not accepted; it must be {allowed}",
            "Data 2.4.10.s3.b2",
        )
    if "actor" not in obj or "verb" not in obj or "object" not in obj:
        missing = ", ".join(k for k in ("actor", "verb", "object") if k not in obj)
        fail(
            "statement.required",
            subpath or "",
            f"lacks {missing}; actor, verb and object are required",
            "Data 2.2.s2.b3",
        )
    if subpath is None and "id" in obj and not is_uuid(obj["id"]):
        sid = obj["id"]
        if type(sid) is not str:
            type_error("id.uuid", "id", sid, "a UUID string", "Data 2.4.1")
        fail(
            "id.uuid",
            "id",
            f"{describe(sid)} is not a UUID in standard form (8-4-4-4-12 hex digits)",
            "Data 2.4.1, 4.4",
        )
    check_actor(obj["actor"], p + "actor")
    verb = obj["verb"]
    check_verb(verb, p + "verb")
    ot = _check_object(obj["object"], p + "object", v2, subpath is not None)
    if verb["id"] == VOIDED_VERB and ot != "StatementRef":
        fail(
            "voiding.object",
            p + "object",
            f"is {_article(ot)}, but a statement with the verb 'voided' "
            "must have a StatementRef as its object",
            "Data 2.3.2.s2.b1",
        )
    duration = check_result(obj["result"], p + "result") if "result" in obj else None
    if "context" in obj:
        ctx = obj["context"]
        check_context(ctx, p + "context", v2)
        if ot != "Activity" and ("revision" in ctx or "platform" in ctx):
            key = "revision" if "revision" in ctx else "platform"
            fail(
                "context.object_not_activity",
                f"{p}context.{key}",
                f"may only be used when the object is an Activity, not {_article(ot)}",
                "Data 2.4.6.s4.b1, 2.4.6.s4.b2",
            )
    ts = _time(obj, "timestamp", p + "timestamp") if "timestamp" in obj else None
    if "attachments" in obj:
        check_attachments(obj["attachments"], p + "attachments")
    if subpath is not None:
        return None
    stored = _time(obj, "stored", "stored") if "stored" in obj else None
    if "authority" in obj:
        check_authority(obj["authority"], "authority")
    return StatementTimes(ts, stored, duration)


def validate_statement(obj: object, version: str | None = None) -> StatementTimes:
    """Validate one xAPI statement; return its parsed timestamp, stored and duration.

    Raises ``InvalidStatement`` (a ``ValueError``) with ``rule``, ``reason`` and ``path`` on
    the first broken rule.  ``version`` selects the rule set (see the module docstring):
    ``None`` decides from ``obj["version"]`` (1.0.x rules unless it starts with "2."),
    ``"1.0.3"`` or ``"2.0"`` force one.  Never raises anything else for JSON input (dicts,
    lists, strings, numbers, booleans, None), however deep.
    """
    if type(obj) is not dict:
        type_error("statement.type", "", obj, "a JSON object", "Data 2.4")
    if version is None:
        ver = obj.get("version")
        v2 = type(ver) is str and ver.startswith("2.")
    else:
        v2 = rules_for(version)
    result = fast_statement(obj, v2)
    if result is None:
        result = _check_statement(obj, v2)
        assert result is not None
    return result


def validate_fragment(obj: object, kind: str, version: str | None = None) -> None:
    """Validate a part of a statement (or an xAPI resource object) as ``kind``.

    Kinds (``FRAGMENT_KINDS``) follow the object types of the xAPI spec and the folders of
    the TinCanValidator test data: statement, substatement, actor, agent, group,
    anonymousgroup, identifiedgroup, authority, account, mbox, mbox_sha1sum, openid, person,
    verb, object, activity, activityid, activity_definition, interactionactivity(_choices,
    _none, _scale, _sourcetarget, _steps), context, contextactivities, activity_list_or_obj,
    contextagent, contextgroup, result, score, attachment, attachments, languagemap,
    statementref, extensions, about.  Paths in errors start with the kind's name.  ``version``
    as for ``validate_statement``; ``None`` means the 1.0.x rules except for kind "statement",
    which reads the statement's own version.  An unknown kind raises ``ValueError``.
    """
    if kind == "statement":
        validate_statement(obj, version)
        return
    check = v_fragments.FRAGMENT_CHECKS.get(kind)
    if check is None:
        raise ValueError(f"unknown fragment kind {kind!r}; known kinds: {', '.join(sorted(FRAGMENT_KINDS))}")
    v2 = False if version is None else rules_for(version)
    if kind == "substatement":
        if type(obj) is not dict:
            type_error("statement.type", kind, obj, "a SubStatement object", "Data 2.4.4.3")
        if obj.get("objectType") != "SubStatement":
            if "objectType" not in obj:
                fail(
                    "object.object_type",
                    kind,
                    "has no objectType; a SubStatement must say objectType 'SubStatement'",
                    "Data 2.4.4.3.s8.b1",
                )
            fail(
                "object.object_type",
                f"{kind}.objectType",
                f"is {describe(obj.get('objectType'))}; a SubStatement must say objectType 'SubStatement'",
                "Data 2.4.4.3.s8.b1",
            )
        _check_statement(obj, v2, kind)
        return
    check(obj, kind, v2)
