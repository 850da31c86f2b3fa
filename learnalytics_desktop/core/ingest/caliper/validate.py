"""Check a Caliper 1.2 event or entity against the specification (see ``vocab``).

Rules (the ``rule`` of a reject), each with the place in the record:

* ``caliper.context`` -- ``@context`` is not the Caliper 1.2 context (1.2 section 4.1, 5.1);
* ``caliper.required`` -- a required property is missing (events: ``@context``, ``id``,
  ``type``, ``actor``, ``action``, ``object``, ``eventTime``; entities: ``id``, ``type``);
* ``caliper.null`` -- a property is present with the value null;
* ``caliper.id`` -- an event id that is not a UUID URN (section 4.1) or an entity id that is
  not an IRI (section 5.1);
* ``caliper.unknown_type`` / ``caliper.action`` / ``caliper.profile`` -- a type, action or
  profile outside the 1.2 vocabulary, or an action the event type does not support
  (section 4.3);
* ``caliper.entity_type`` -- an entity of a type the property does not take;
* ``caliper.type`` -- a value of the wrong JSON type (a string for a number, a string for a
  list...); ``caliper.iri`` -- a string reference that is not an IRI;
* ``caliper.datetime`` / ``caliper.duration`` -- not an ISO 8601 date and time (with its
  offset) / duration; ``caliper.value`` -- a value outside a closed set (a Membership's
  status and roles, an AggregateMeasure's metric, an identifier type, an LTI message type);
* ``caliper.unknown_property`` -- a property the 1.2 vocabulary does not define for the type.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from learnalytics_desktop.core.ingest.caliper.vocab import (
    ACTIONS,
    CONTEXT,
    ENTITY_TYPES,
    ENUMS,
    EVENT_PROPS,
    EVENT_REQUIRED,
    EVENT_TYPES,
    NO_ID,
    PROFILES,
    REQUIRED,
    ROLES,
    is_subtype,
    props_of,
)
from learnalytics_desktop.core.ingest.convert import iso_utc
from learnalytics_desktop.core.ingest.xapi.formats import is_iri

__all__ = ["CaliperError", "check_context", "check_entity", "check_event"]

_DURATION = re.compile(
    r"P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?"
    r"(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?"
)
_UUID_URN = re.compile(
    r"urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_MAX_DEPTH = 12
_EVENT_KINDS = dict(item.split(":", 1) for item in EVENT_PROPS.split())
_EVENT_KEYS = frozenset({"@context", "id", "type", "profile", "action", "eventTime"})
_ENTITY_KEYS = frozenset({"@context", "id", "type"})


class CaliperError(Exception):
    """A record breaks a Caliper 1.2 rule."""

    def __init__(self, rule: str, reason: str, place: str | None = None) -> None:
        super().__init__(reason)
        self.rule = rule
        self.reason = reason
        self.place = place


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_context(ctx: Any, place: str = "@context") -> None:
    """``@context`` must be the 1.2 context, alone or in a list (1.2 section 4.1)."""
    if ctx is None:
        raise CaliperError("caliper.required", "@context is required (the Caliper 1.2 context)", place)
    if ctx != CONTEXT and (type(ctx) is not list or CONTEXT not in ctx):
        raise CaliperError("caliper.context", f"@context must be {CONTEXT}, not {_show(ctx)}", place)


def _kind_of(value: Any) -> str:
    return {
        list: "a list",
        dict: "an object",
        str: "a string",
        bool: "true or false",
        float: "a decimal",
    }.get(type(value), "an integer" if type(value) is int else "null")


def _int(v: Any) -> str | None:
    return None if type(v) is int and v >= 0 else f"must be a non-negative integer, not {_show(v)}"


def _num(v: Any) -> str | None:
    return (
        None if type(v) is float else f"must be a decimal number (such as 15.0), not {_kind_of(v)} {_show(v)}"
    )


def _simple(ok: Any, what: str) -> Any:
    return lambda v: None if ok(v) else f"must be {what}, not {_kind_of(v)}"


# kind -> (rule, check returning None or what is wrong)
_CHECKS: dict[str, tuple[str, Any]] = {
    "str": ("caliper.type", _simple(lambda v: type(v) is str, "a string")),
    "int": ("caliper.type", _int),
    "num": ("caliper.type", _num),
    "bool": ("caliper.type", _simple(lambda v: type(v) is bool, "true or false")),
    "obj": ("caliper.type", _simple(lambda v: type(v) is dict, "an object")),
    "strs": (
        "caliper.type",
        _simple(lambda v: type(v) is list and all(type(x) is str for x in v), "a list of strings"),
    ),
    "dt": (
        "caliper.datetime",
        lambda v: (
            None
            if iso_utc(v, naive_is_utc=False) is not None
            else f"must be an ISO 8601 date and time with its offset, not {_show(v)}"
        ),
    ),
    "dur": (
        "caliper.duration",
        lambda v: (
            None
            if type(v) is str and _DURATION.fullmatch(v) is not None
            else f"must be an ISO 8601 duration, not {_show(v)}"
        ),
    ),
    "iri": (
        "caliper.iri",
        lambda v: None if type(v) is str and is_iri(v) else f"must be an IRI, not {_show(v)}",
    ),
}


def check_value(value: Any, kind: str, place: str, depth: int = 0) -> None:
    """Check one property value of the given kind (see ``vocab``)."""
    if value is None:
        raise CaliperError("caliper.null", "a property that is present must not be null", place)
    if kind.startswith("E."):
        check_entity(value, tuple(kind[2:].split("|")), place, depth + 1)
    elif kind.startswith("L."):
        if type(value) is not list:
            raise CaliperError(
                "caliper.type", f"must be a list of {kind[2:]} entities, not {_kind_of(value)}", place
            )
        for i, item in enumerate(value):
            check_entity(item, tuple(kind[2:].split("|")), f"{place}[{i}]", depth + 1)
    else:
        rule, check = _CHECKS[kind]
        problem = check(value)
        if problem is not None:
            raise CaliperError(rule, problem, place)


def _check_values(value: dict[str, Any], etype: str, place: str) -> None:
    for prop, allowed in ENUMS.items():
        if prop in value and value[prop] not in allowed:
            raise CaliperError(
                "caliper.value", f"{_show(value[prop])} is not a Caliper 1.2 {prop}", f"{place}.{prop}"
            )
    roles = value.get("roles") if etype == "Membership" else None
    for i, role in enumerate(roles or ()):
        if role.partition("#")[0] not in ROLES:
            raise CaliperError(
                "caliper.value", f"{_show(role)} is not a Caliper 1.2 role", f"{place}.roles[{i}]"
            )
    for prop in REQUIRED.get(etype, ()):
        if value.get(prop) is None:
            raise CaliperError("caliper.required", f"a {etype} must have {prop}", f"{place}.{prop}")


def check_entity(value: Any, wanted: tuple[str, ...], place: str, depth: int = 0) -> str | None:
    """Check an entity (inline or an IRI reference) of one of the ``wanted`` types.

    Returns its type (None for a reference).  Entities that passed are remembered by their
    exact text (a log repeats the same course, application and resources on every event),
    so each distinct description is checked once per process.
    """
    if type(value) is dict:
        try:
            key = (wanted, orjson.dumps(value))
        except (TypeError, orjson.JSONEncodeError):  # nested too deeply to serialise
            key = None
        if key is not None and len(key[1]) <= _VALID_BYTES:
            known = _VALID.get(key)
            if known is not None:
                return known
            etype = _check_entity(value, wanted, place, depth)
            if len(_VALID) >= _VALID_MAX:
                _VALID.clear()
            _VALID[key] = etype  # type: ignore[assignment]
            return etype
    return _check_entity(value, wanted, place, depth)


_VALID: dict[tuple[tuple[str, ...], bytes], str] = {}
_VALID_MAX = 50_000
_VALID_BYTES = 4096  # larger descriptions are checked each time: the cache stays under ~200 MB


def _check_entity(value: Any, wanted: tuple[str, ...], place: str, depth: int) -> str | None:
    if depth > _MAX_DEPTH:
        raise CaliperError("caliper.depth", "entities are nested too deeply", place)
    if value is None:
        raise CaliperError("caliper.null", "a property that is present must not be null", place)
    if type(value) is str:
        if not is_iri(value):
            raise CaliperError("caliper.iri", f"must be an entity or its IRI, not {_show(value)}", place)
        return None
    if type(value) is not dict:
        raise CaliperError("caliper.type", f"must be an entity or its IRI, not {_kind_of(value)}", place)
    etype = value.get("type")
    if etype is None:
        rule = "caliper.null" if "type" in value else "caliper.required"
        raise CaliperError(rule, "an entity must have a type", f"{place}.type")
    if type(etype) is not str:
        raise CaliperError("caliper.type", "type must be a string", f"{place}.type")
    if etype not in ENTITY_TYPES:
        rule = "caliper.entity_type" if etype in EVENT_TYPES else "caliper.unknown_type"
        raise CaliperError(rule, f"{_show(etype)} is not a Caliper 1.2 entity type", f"{place}.type")
    if not any(is_subtype(etype, w) for w in wanted):
        raise CaliperError(
            "caliper.entity_type", f"must be {' or '.join(wanted)}, not a {etype}", f"{place}.type"
        )
    if "id" in value or etype not in NO_ID:
        ident = value.get("id")
        if ident is None:
            rule = "caliper.null" if "id" in value else "caliper.required"
            raise CaliperError(rule, f"a {etype} must have an id (an IRI)", f"{place}.id")
        if type(ident) is not str or not is_iri(ident):
            raise CaliperError(
                "caliper.id", f"an entity id must be an IRI, not {_show(ident)}", f"{place}.id"
            )
    props = props_of(etype)
    for prop, item in value.items():
        kind = props.get(prop)
        if kind is not None:
            check_value(item, kind, f"{place}.{prop}", depth)
        elif prop not in _ENTITY_KEYS:
            raise CaliperError(
                "caliper.unknown_property",
                f"{_show(prop)} is not a property of a Caliper 1.2 {etype} (extra data goes in extensions)",
                f"{place}.{prop}",
            )
    _check_values(value, etype, place)
    return etype


_KINDS_BY_EVENT: dict[str, dict[str, tuple[str, Any]]] = {}
_ACTIONS_BY_EVENT = {t: frozenset(spec[0].split()) for t, spec in EVENT_TYPES.items()}


def _actions_of(etype: str) -> frozenset[str]:
    return _ACTIONS_BY_EVENT[etype]


def _event_kinds(etype: str) -> dict[str, tuple[str, Any]]:
    """Property -> ("E", entity types) or ("V", value kind) for an event type (computed once)."""
    out = _KINDS_BY_EVENT.get(etype)
    if out is None:
        _a, objects, generated, target, referrer, actors = EVENT_TYPES[etype]
        narrowed = {
            "actor": actors,
            "object": objects,
            "generated": generated,
            "target": target or "DigitalResource",
            "referrer": referrer or "DigitalResource SoftwareApplication",
        }
        out = {}
        for prop, kind in _EVENT_KINDS.items():
            types = narrowed.get(prop)
            out[prop] = ("E", tuple(types.split())) if types else ("V", kind)
        _KINDS_BY_EVENT[etype] = out
    return out


def check_event(ev: dict[str, Any], *, top: bool = True) -> str:
    """Check an event (1.2 section 4); returns its type.  ``top``: not inside an envelope's
    data, where the envelope's context may stand for the event's."""
    if top or "@context" in ev:
        check_context(ev.get("@context"))
    etype: str = ev["type"]
    actions = EVENT_TYPES[etype][0]
    for prop in ("id", "actor", "action", "object", "eventTime", *EVENT_REQUIRED.get(etype, ())):
        if ev.get(prop) is None:
            rule = "caliper.null" if prop in ev else "caliper.required"
            raise CaliperError(rule, f"a {etype} must have {prop}", prop)
    ident = ev["id"]
    if type(ident) is not str or _UUID_URN.fullmatch(ident) is None:
        raise CaliperError(
            "caliper.id", f"an event id must be a UUID URN (urn:uuid:...), not {_show(ident)}", "id"
        )
    profile = ev.get("profile")
    if "profile" in ev and (type(profile) is not str or profile not in PROFILES):
        raise CaliperError("caliper.profile", f"{_show(profile)} is not a Caliper 1.2 profile", "profile")
    action = ev["action"]
    if type(action) is not str or action not in ACTIONS:
        raise CaliperError("caliper.action", f"{_show(action)} is not a Caliper 1.2 action", "action")
    if actions != "*" and action not in _actions_of(etype):
        raise CaliperError("caliper.action", f"a {etype} does not support the action {action}", "action")
    check_value(ev["eventTime"], "dt", "eventTime")
    kinds = _event_kinds(etype)
    for prop, item in ev.items():
        kind = kinds.get(prop)
        if kind is not None:
            if kind[0] == "E":  # the event type narrows the entity types this property takes
                check_entity(item, kind[1], prop)
            else:
                check_value(item, kind[1], prop)
        elif prop not in _EVENT_KEYS:
            raise CaliperError(
                "caliper.unknown_property",
                f"{_show(prop)} is not a property of a Caliper 1.2 event (extra data goes in extensions)",
                prop,
            )
    return etype
