"""Validation of Agents, Groups, accounts and authorities (xAPI Data 2.4.2, 2.4.9).

Every function takes the value and the JSON path it sits at and raises ``InvalidStatement``
on the first broken rule.  Nothing here recurses beyond one Group level: members must be
Agents, so deep nesting is rejected, never followed.
"""

from __future__ import annotations

from typing import Any

from learnalytics_desktop.core.ingest.xapi.errors import describe, fail, type_error
from learnalytics_desktop.core.ingest.xapi.formats import (
    is_iri,
    is_mailto,
    is_sha1_hex,
    is_uri,
)

__all__ = [
    "check_actor",
    "check_agent",
    "check_group",
    "check_authority",
    "check_account",
    "check_mbox",
    "check_mbox_sha1sum",
    "check_openid",
    "check_person",
    "unknown_property",
]

_AGENT_KEYS = frozenset(("objectType", "name", "mbox", "mbox_sha1sum", "openid", "account"))
_GROUP_KEYS = _AGENT_KEYS | {"member"}
_ACCOUNT_KEYS = frozenset(("homePage", "name"))
_PERSON_KEYS = frozenset(("objectType", "name", "mbox", "mbox_sha1sum", "openid", "account"))
_IFI_NAMES = ("mbox", "mbox_sha1sum", "openid", "account")


def unknown_property(
    d: dict[str, Any], allowed: frozenset[str], path: str, rule: str, what: str, section: str
) -> None:
    """Raise for the first key of ``d`` that is not in ``allowed`` (call when one exists)."""
    for key in d:
        if key not in allowed:
            hint = ""
            lowered = {a.lower(): a for a in allowed}
            if isinstance(key, str) and key.lower() in lowered:
                hint = f" (property names are case-sensitive: did you mean {lowered[key.lower()]!r}?)"
            fail(
                rule,
                f"{path}.{key}" if path else str(key),
                f"is not a property of {what}{hint}; allowed: {', '.join(sorted(allowed))}",
                section,
            )


def check_mbox(value: Any, path: str) -> None:
    """An mbox IFI: ``mailto:`` followed by an email address (Data 2.4.2.3)."""
    if is_mailto(value):
        return
    if type(value) is not str:
        type_error("actor.mbox", path, value, "a 'mailto:' IRI string", "Data 2.4.2.3")
    if not value.startswith("mailto:"):
        fail(
            "actor.mbox",
            path,
            f"{describe(value)} is not a mailto IRI; "
            "the required form is 'mailto:' followed by an email address",
            "Data 2.4.2.3",
        )
    fail(
        "actor.mbox",
        path,
        f"{describe(value)} is not 'mailto:' followed by a valid email address (local@domain, no spaces)",
        "Data 2.4.2.3",
    )


def check_mbox_sha1sum(value: Any, path: str) -> None:
    """An mbox_sha1sum IFI: the hex SHA-1 of a mailto IRI, 40 hex digits (Data 2.4.2.3)."""
    if is_sha1_hex(value):
        return
    if type(value) is not str:
        type_error("actor.mbox_sha1sum", path, value, "a string of 40 hex digits", "Data 2.4.2.3")
    fail(
        "actor.mbox_sha1sum",
        path,
        f"{describe(value)} is not a SHA-1 hex digest (40 hex digits)",
        "Data 2.4.2.3",
    )


def check_openid(value: Any, path: str) -> None:
    """An openid IFI: a URI, i.e. an ASCII-only IRI (Data 2.4.2.3)."""
    if is_uri(value):
        return
    if type(value) is not str:
        type_error("actor.openid", path, value, "a URI string", "Data 2.4.2.3")
    fail(
        "actor.openid",
        path,
        f"{describe(value)} is not a URI (scheme, ':', ASCII characters only, no spaces)",
        "Data 2.4.2.3",
    )


def check_account(value: Any, path: str) -> None:
    """An account IFI: ``{"homePage": IRL, "name": string}``, both required (Data 2.4.2.4)."""
    if type(value) is not dict:
        type_error("actor.account", path, value, "an account object with homePage and name", "Data 2.4.2.4")
    if not _ACCOUNT_KEYS.issuperset(value):
        unknown_property(value, _ACCOUNT_KEYS, path, "actor.account", "an account", "Data 2.4.2.4")
    home = value.get("homePage")
    if not is_iri(home):
        if "homePage" not in value:
            fail(
                "actor.account",
                path,
                "has no homePage; an account needs homePage and name",
                "Data 2.4.2.4.s2.table1.row1",
            )
        if type(home) is not str:
            type_error("actor.account", f"{path}.homePage", home, "an IRL string", "Data 2.4.2.4")
        fail(
            "actor.account",
            f"{path}.homePage",
            f"{describe(home)} is not an IRL (it needs a scheme such as https:)",
            "Data 2.4.2.4",
        )
    name = value.get("name")
    if type(name) is not str:
        if "name" not in value:
            fail(
                "actor.account",
                path,
                "has no name; an account needs homePage and name",
                "Data 2.4.2.4.s2.table1.row2",
            )
        type_error("actor.account", f"{path}.name", name, "a string", "Data 2.4.2.4")


def _ifis(d: dict[str, Any], path: str) -> int:
    """Validate the inverse functional identifiers present in ``d``; return how many there are."""
    n = ("mbox" in d) + ("mbox_sha1sum" in d) + ("openid" in d) + ("account" in d)
    if n == 1:
        if "mbox" in d:
            check_mbox(d["mbox"], f"{path}.mbox")
        elif "account" in d:
            check_account(d["account"], f"{path}.account")
        elif "mbox_sha1sum" in d:
            check_mbox_sha1sum(d["mbox_sha1sum"], f"{path}.mbox_sha1sum")
        else:
            check_openid(d["openid"], f"{path}.openid")
    elif n > 1:
        names = ", ".join(k for k in _IFI_NAMES if k in d)
        fail(
            "actor.ifi",
            path,
            f"has {n} inverse functional identifiers ({names}); exactly one is allowed",
            "Data 2.4.2.1, 2.4.2.2",
        )
    return n


def _check_name(d: dict[str, Any], path: str) -> None:
    name = d.get("name")
    if (name is not None or "name" in d) and type(name) is not str:
        type_error("actor.name", f"{path}.name", name, "a string", "Data 2.4.2.1.s2.table1.row2")


def check_agent(d: Any, path: str) -> None:
    """An Agent: objectType absent or "Agent", exactly one IFI, optional name (Data 2.4.2.1)."""
    if type(d) is not dict:
        type_error("actor.type", path, d, "an Agent object", "Data 2.4.2.1")
    if not _AGENT_KEYS.issuperset(d):
        if "member" in d and d.get("objectType") != "Group":
            fail(
                "actor.unknown_property",
                f"{path}.member",
                "is only allowed on a Group (set objectType to 'Group')",
                "Data 2.4.2.1",
            )
        unknown_property(d, _AGENT_KEYS, path, "actor.unknown_property", "an Agent", "Data 2.4.2.1")
    if "objectType" in d:
        ot = d["objectType"]
        if ot != "Agent":
            if ot == "Group":
                fail(
                    "group.nested",
                    path,
                    "is a Group, but only Agents are allowed here (Groups cannot contain Groups)",
                    "Data 2.4.2.2.s4.b2",
                )
            if type(ot) is not str:
                type_error(
                    "actor.object_type", f"{path}.objectType", ot, "the string 'Agent'", "Data 2.4.2.1"
                )
            fail(
                "actor.object_type",
                f"{path}.objectType",
                f"is {describe(ot)}; an Agent's objectType must be exactly 'Agent'",
                "Data 2.4.2.1, 2.2.s4.b1.b6",
            )
    if _ifis(d, path) == 0:
        fail(
            "actor.ifi",
            path,
            "has no inverse functional identifier; "
            "an Agent needs exactly one of mbox, mbox_sha1sum, openid, account",
            "Data 2.4.2.1.s2.b1",
        )
    _check_name(d, path)


def check_group(d: Any, path: str, *, identified: bool | None = None) -> None:
    """A Group (objectType "Group"): identified (one IFI) or anonymous (members required).

    ``identified`` forces one kind: True requires an IFI, False forbids one.
    """
    if type(d) is not dict:
        type_error("actor.type", path, d, "a Group object", "Data 2.4.2.2")
    if not _GROUP_KEYS.issuperset(d):
        unknown_property(d, _GROUP_KEYS, path, "actor.unknown_property", "a Group", "Data 2.4.2.2")
    ot = d.get("objectType")
    if ot != "Group":
        if "objectType" not in d:
            fail(
                "actor.object_type",
                path,
                "has no objectType; a Group must say objectType 'Group'",
                "Data 2.4.2.2.s2.table1.row1",
            )
        if type(ot) is not str:
            type_error("actor.object_type", f"{path}.objectType", ot, "the string 'Group'", "Data 2.4.2.2")
        fail(
            "actor.object_type",
            f"{path}.objectType",
            f"is {describe(ot)}; a Group's objectType must be exactly 'Group'",
            "Data 2.4.2.2, 2.2.s4.b1.b6",
        )
    n = _ifis(d, path)
    if identified is True and n == 0:
        fail(
            "group.identified",
            path,
            "has no inverse functional identifier; an Identified Group needs exactly one",
            "Data 2.4.2.2.s5.b1",
        )
    if identified is False and n:
        fail(
            "group.anonymous",
            path,
            "has an inverse functional identifier, but an Anonymous Group is required here",
            "Data 2.4.2.2",
        )
    _check_name(d, path)
    if "member" in d:
        members = d["member"]
        if type(members) is not list:
            type_error(
                "group.member",
                f"{path}.member",
                members,
                "an array of Agent objects",
                "Data 2.4.2.2.s2.table1.row3",
            )
        for i, m in enumerate(members):
            check_agent(m, f"{path}.member[{i}]")
        if n == 0 and not members:
            fail(
                "group.member",
                f"{path}.member",
                "is empty; an Anonymous Group must list its member Agents",
                "Data 2.4.2.2.s4.b1",
            )
    elif n == 0:
        fail(
            "group.member",
            path,
            "is an Anonymous Group (no inverse functional identifier) without a member list; "
            "it must list its member Agents",
            "Data 2.4.2.2.s4.b1",
        )


def check_actor(d: Any, path: str) -> None:
    """An Agent or a Group, told apart by objectType (absent means Agent; Data 2.4.2)."""
    if type(d) is not dict:
        type_error("actor.type", path, d, "an Agent or Group object", "Data 2.4.2")
    ot = d.get("objectType")
    if ot is None and "objectType" not in d or ot == "Agent":
        check_agent(d, path)
    elif ot == "Group":
        check_group(d, path)
    elif type(ot) is not str:
        type_error("actor.object_type", f"{path}.objectType", ot, "'Agent' or 'Group'", "Data 2.4.2")
    else:
        fail(
            "actor.object_type",
            f"{path}.objectType",
            f"is {describe(ot)}; it must be exactly 'Agent' or 'Group'",
            "Data 2.4.2, 2.2.s4.b1.b6",
        )


def check_authority(d: Any, path: str) -> None:
    """An authority: an Agent, or an anonymous Group of exactly two Agents (Data 2.4.9.s3.b1)."""
    check_actor(d, path)
    if d.get("objectType") == "Group":
        if any(k in d for k in _IFI_NAMES):
            fail(
                "authority.group",
                path,
                "is an Identified Group; an authority Group must be anonymous "
                "with two Agents (OAuth consumer and user)",
                "Data 2.4.9.s3.b1",
            )
        count = len(d.get("member") or ())
        if count != 2:
            members = "member" if count == 1 else "members"
            fail(
                "authority.group",
                path,
                f"is a Group with {count} {members}; "
                "an authority Group must have exactly 2 (OAuth consumer and user)",
                "Data 2.4.9.s3.b1",
            )


def _check_list_of(d: dict[str, Any], key: str, path: str, check: Any, what: str) -> None:
    value = d[key]
    if type(value) is not list:
        type_error("person.type", f"{path}.{key}", value, f"an array of {what}", "Communication 2.4")
    for i, item in enumerate(value):
        check(item, f"{path}.{key}[{i}]")


def _check_str(value: Any, path: str) -> None:
    if type(value) is not str:
        type_error("person.name", path, value, "a string", "Communication 2.4")


def check_person(d: Any, path: str) -> None:
    """A Person object of the Agents resource: arrays of names and identifiers (Communication 2.4)."""
    if type(d) is not dict:
        type_error("person.type", path, d, "a Person object", "Communication 2.4")
    if not _PERSON_KEYS.issuperset(d):
        unknown_property(d, _PERSON_KEYS, path, "person.unknown_property", "a Person", "Communication 2.4")
    if d.get("objectType") != "Person":
        if "objectType" not in d:
            fail(
                "person.object_type",
                path,
                "has no objectType; a Person must say objectType 'Person'",
                "Communication 2.4",
            )
        fail(
            "person.object_type",
            f"{path}.objectType",
            f"is {describe(d['objectType'])}; a Person's objectType must be 'Person'",
            "Communication 2.4",
        )
    checks = (
        ("name", _check_str, "strings"),
        ("mbox", check_mbox, "mailto IRIs"),
        ("mbox_sha1sum", check_mbox_sha1sum, "SHA-1 hex digests"),
        ("openid", check_openid, "URIs"),
        ("account", check_account, "account objects"),
    )
    for key, check, what in checks:
        if key in d:
            _check_list_of(d, key, path, check, what)
