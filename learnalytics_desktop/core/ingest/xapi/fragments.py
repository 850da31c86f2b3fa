"""Fragment kinds for ``validate_fragment``: each validates one part of a statement (or an
xAPI resource object) on its own.

The interaction kinds (``interactionactivity`` and its ``_choices``, ``_none``, ``_scale``,
``_sourcetarget`` and ``_steps`` families) check only the interaction properties of an
Activity Definition -- interactionType (within the family), correctResponsesPattern and the
component lists -- and leave any other keys to the definition that holds them.  The single
property kinds (``mbox``, ``mbox_sha1sum``, ``openid``, ``account``, ``activityid``) take
either the bare value or an object holding that property (other keys are not looked at).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from learnalytics_desktop.core.ingest.xapi.activity import (
    INTERACTION_TYPES,
    check_activity,
    check_definition,
    check_extensions,
    check_interaction,
    check_iri,
    check_language_map,
    check_statement_ref,
    check_verb,
)
from learnalytics_desktop.core.ingest.xapi.actors import (
    check_account,
    check_actor,
    check_agent,
    check_authority,
    check_group,
    check_mbox,
    check_mbox_sha1sum,
    check_openid,
    check_person,
    unknown_property,
)
from learnalytics_desktop.core.ingest.xapi.attachments import check_attachment, check_attachments
from learnalytics_desktop.core.ingest.xapi.context import (
    check_activity_list_or_obj,
    check_context,
    check_context_activities,
    check_context_agent,
    check_context_group,
    check_result,
    check_score,
)
from learnalytics_desktop.core.ingest.xapi.errors import describe, fail, type_error

__all__ = ["FRAGMENT_CHECKS", "FRAGMENT_KINDS"]

Check = Callable[[Any, str, bool], None]

_ABOUT_KEYS = frozenset(("version", "extensions"))
_ABOUT_VERSION = re.compile(r"(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))?", re.ASCII)
_FAMILIES = {
    "interactionactivity": INTERACTION_TYPES,
    "interactionactivity_choices": frozenset(("choice", "sequencing")),
    "interactionactivity_none": frozenset(("true-false", "fill-in", "long-fill-in", "numeric", "other")),
    "interactionactivity_scale": frozenset(("likert",)),
    "interactionactivity_sourcetarget": frozenset(("matching",)),
    "interactionactivity_steps": frozenset(("performance",)),
}


def _single(key: str, check: Callable[[Any, str], None]) -> Check:
    """A kind for one property: the bare value, or an object that has the property."""

    def run(obj: Any, path: str, v2: bool) -> None:
        if type(obj) is dict:
            if key not in obj:
                fail("fragment.required", path, f"has no {key}", "Data 2.4.2.3")
            check(obj[key], f"{path}.{key}")
        else:
            check(obj, path)

    return run


def _account(obj: Any, path: str, v2: bool) -> None:
    if type(obj) is dict and "account" in obj:
        check_account(obj["account"], f"{path}.account")
    else:
        check_account(obj, path)


def _activity_id(value: Any, path: str) -> None:
    check_iri(value, path, "activity.id", "Data 2.4.4.1.s1.table1.row2")


def _interaction(kind: str) -> Check:
    family = _FAMILIES[kind]

    def run(obj: Any, path: str, v2: bool) -> None:
        if type(obj) is not dict:
            type_error(
                "interaction.type", path, obj, "an object with interaction properties", "Data 2.4.4.1.s8"
            )
        check_interaction(obj, path, family)

    return run


def _about(obj: Any, path: str, v2: bool) -> None:
    """The About resource: ``version`` (string or array of versions), ``extensions``."""
    if type(obj) is not dict:
        type_error("about.type", path, obj, "an About object", "Communication 2.8")
    if not _ABOUT_KEYS.issuperset(obj):
        unknown_property(
            obj, _ABOUT_KEYS, path, "about.unknown_property", "the About object", "Communication 2.8"
        )
    if "version" not in obj:
        fail("about.version", path, "has no version", "Communication 2.8")
    versions = obj["version"]
    items = versions if type(versions) is list else [versions]
    for v in items:
        if type(v) is not str or _ABOUT_VERSION.fullmatch(v) is None:
            fail(
                "about.version",
                f"{path}.version",
                f"contains {describe(v)}, which is not a version such as 1.0.3",
                "Communication 2.8",
            )
    if "extensions" in obj:
        check_extensions(obj["extensions"], f"{path}.extensions")


def _plain(check: Callable[[Any, str], None]) -> Check:
    def run(obj: Any, path: str, v2: bool) -> None:
        check(obj, path)

    return run


def _object(obj: Any, path: str, v2: bool) -> None:
    """A statement object of any kind except SubStatement (those need the statement checks)."""
    if type(obj) is not dict:
        type_error("object.type", path, obj, "an object", "Data 2.4.4")
    ot = obj.get("objectType", "Activity")
    checks = {
        "Activity": check_activity,
        "Agent": check_agent,
        "Group": check_group,
        "StatementRef": check_statement_ref,
    }
    if type(ot) is str and ot in checks:
        checks[ot](obj, path)
    elif ot == "SubStatement":
        fail("fragment.kind", path, "is a SubStatement; validate it with kind 'substatement'", "Data 2.4.4.3")
    else:
        fail(
            "object.object_type",
            f"{path}.objectType",
            f"is {describe(ot)}; expected Activity, Agent, Group or StatementRef",
            "Data 2.4.4.s2",
        )


def _substatement_placeholder(obj: Any, path: str, v2: bool) -> None:  # pragma: no cover
    raise AssertionError("validate_fragment handles 'substatement' itself")


FRAGMENT_CHECKS: dict[str, Check] = {
    "substatement": _substatement_placeholder,
    "actor": _plain(check_actor),
    "agent": _plain(check_agent),
    "group": _plain(check_group),
    "anonymousgroup": lambda o, p, v2: check_group(o, p, identified=False),
    "identifiedgroup": lambda o, p, v2: check_group(o, p, identified=True),
    "authority": _plain(check_authority),
    "account": _account,
    "mbox": _single("mbox", check_mbox),
    "mbox_sha1sum": _single("mbox_sha1sum", check_mbox_sha1sum),
    "openid": _single("openid", check_openid),
    "person": _plain(check_person),
    "verb": _plain(check_verb),
    "object": _object,
    "activity": _plain(check_activity),
    "activityid": _single("activityId", _activity_id),
    "activity_definition": _plain(check_definition),
    "context": lambda o, p, v2: check_context(o, p, v2),
    "contextactivities": _plain(check_context_activities),
    "activity_list_or_obj": _plain(check_activity_list_or_obj),
    "contextagent": _plain(check_context_agent),
    "contextgroup": _plain(check_context_group),
    "result": lambda o, p, v2: None if check_result(o, p) is None else None,
    "score": _plain(check_score),
    "attachment": _plain(check_attachment),
    "attachments": _plain(check_attachments),
    "languagemap": _plain(check_language_map),
    "statementref": _plain(check_statement_ref),
    "extensions": _plain(check_extensions),
    "about": _about,
}
for _kind in _FAMILIES:
    FRAGMENT_CHECKS[_kind] = _interaction(_kind)

FRAGMENT_KINDS = frozenset((*FRAGMENT_CHECKS, "statement"))
