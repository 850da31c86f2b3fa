"""Fast path of the statement validator.

``fast_statement`` handles the shapes nearly all real statements have (an Agent actor, an
Activity or StatementRef object, simple definitions, context activities, extensions) with few
function calls and cached IRI / language-tag answers.  It returns the parsed times when it can
vouch that the statement is valid, and ``None`` whenever it is unsure or sees a problem --
then the full validator (``validate._check_statement``) checks the statement from the start,
in its fixed order, and explains the first problem.  So the fast path never raises, and the
error a statement gets does not depend on which path saw it first.  Rules it does not
shortcut (scores, authority, attachments, instructors) it asks the full checkers about.

Every object's properties are counted off as they are checked (``k``/``rest``), and the object
passes only when none is left over.  That is what catches unknown properties -- and nulls: a
property that is present but null reads like an absent one to ``dict.get``, but it stays
unaccounted for, so the statement goes the full way and is rejected there.

The contract that matters: this function never accepts a statement the full validator would
reject (tests/core/test_validate.py checks the two against each other on every corpus and on
mutated statements).
"""

from __future__ import annotations

from typing import Any

from learnalytics_desktop.core.ingest.xapi.activity import check_interaction
from learnalytics_desktop.core.ingest.xapi.actors import check_actor, check_authority
from learnalytics_desktop.core.ingest.xapi.attachments import check_attachments
from learnalytics_desktop.core.ingest.xapi.context import check_score
from learnalytics_desktop.core.ingest.xapi.errors import InvalidStatement
from learnalytics_desktop.core.ingest.xapi.formats import (
    _IRI_CACHE,
    _LANG_CACHE,
    _UUID,
    is_iri,
    is_language_tag,
    is_mailto,
    is_sha1_hex,
    is_uri,
)
from learnalytics_desktop.core.ingest.xapi.rules import VOIDED_VERB, StatementTimes, version_ok
from learnalytics_desktop.core.ingest.xapi.timestamps import (
    _EPOCH,
    _FROMISO,
    _MS,
    _TS_FAST,
    parse_duration,
    parse_timestamp,
)
from learnalytics_desktop.core.ingest.xapi.timestamps import (
    MAX_TS_MS as _MAX_TS,
)
from learnalytics_desktop.core.ingest.xapi.timestamps import (
    MIN_TS_MS as _MIN_TS,
)

__all__ = ["fast_statement"]

_iri = _IRI_CACHE.get
_lang = _LANG_CACHE.get
_uuid = _UUID.fullmatch
_ts_shape = _TS_FAST.fullmatch
_fromiso = _FROMISO
_CA_KEYS = frozenset(("parent", "grouping", "category", "other"))
_INTERACTION_KEYS = (
    "interactionType",
    "correctResponsesPattern",
    "choices",
    "scale",
    "source",
    "target",
    "steps",
)


def _langmap(d: Any) -> bool:
    if type(d) is not dict:
        return False
    for tag, text in d.items():
        if type(text) is not str or not (_lang(tag) or is_language_tag(tag)):
            return False
    return True


def _extensions(d: Any) -> bool:
    if type(d) is not dict:
        return False
    for key in d:  # noqa: SIM110 - a plain loop is faster than all()
        if not (_iri(key) or is_iri(key)):
            return False
    return True


def _agent(a: dict[str, Any]) -> bool:
    k = len(a)
    v = a.get("objectType")
    if v is not None:
        if v != "Agent":
            return False
        k -= 1
    v = a.get("name")
    if v is not None:
        if type(v) is not str:
            return False
        k -= 1
    if k != 1:
        return False
    v = a.get("account")
    if v is not None:
        if type(v) is not dict or len(v) != 2:
            return False
        home = v.get("homePage")
        return type(v.get("name")) is str and type(home) is str and bool(_iri(home) or is_iri(home))
    v = a.get("mbox")
    if v is not None:
        return is_mailto(v)
    v = a.get("mbox_sha1sum")
    if v is not None:
        return is_sha1_hex(v)
    v = a.get("openid")
    return v is not None and is_uri(v)


def _activity(o: Any) -> bool:
    if type(o) is not dict:
        return False
    v = o.get("id")
    if type(v) is not str or not (_iri(v) or is_iri(v)):
        return False
    k = len(o) - 1
    if k == 0:
        return True
    v = o.get("objectType")
    if v is not None:
        if v != "Activity":
            return False
        k -= 1
    if k == 0:
        return True
    d = o.get("definition")
    if k != 1 or type(d) is not dict:
        return False
    # The definition, inlined for speed: type, name, description, extensions, moreInfo.
    k = len(d)
    v = d.get("type")
    if v is not None:
        if type(v) is not str or not (_iri(v) or is_iri(v)):
            return False
        k -= 1
    if k:
        v = d.get("name")
        if v is not None:
            if type(v) is not dict:
                return False
            for tag, text in v.items():
                if type(text) is not str or not (_lang(tag) or is_language_tag(tag)):
                    return False
            k -= 1
    return k == 0 or _definition_rest(d, k)


def _definition_rest(d: dict[str, Any], k: int) -> bool:
    """The less common definition properties; ``k`` of them are still unaccounted for."""
    v = d.get("description")
    if v is not None:
        if not _langmap(v):
            return False
        k -= 1
    if k:
        v = d.get("extensions")
        if v is not None:
            if not _extensions(v):
                return False
            k -= 1
    if k:
        v = d.get("moreInfo")
        if v is not None:
            if type(v) is not str or not (_iri(v) or is_iri(v)):
                return False
            k -= 1
    if k:
        present = 0
        for key in _INTERACTION_KEYS:
            if key in d:
                present += 1
        if present:
            try:
                check_interaction(d, "")
            except InvalidStatement:
                return False
            k -= present
    return k == 0  # unknown keys: the full way names them


def _context(c: dict[str, Any], object_is_activity: bool) -> bool:  # noqa: C901 - hot path, one branch per property (measured)
    k = len(c)
    v = c.get("contextActivities")
    if v is not None:
        if type(v) is not dict:
            return False
        k -= 1
        for key, acts in v.items():
            if key not in _CA_KEYS:
                return False
            if type(acts) is list:
                for act in acts:
                    # most context activities are just {"id": IRI}
                    if type(act) is dict and len(act) == 1:
                        v = act.get("id")
                        if type(v) is str and _iri(v):
                            continue
                    if not _activity(act):
                        return False
            elif not _activity(acts):
                return False
    if k:
        v = c.get("extensions")
        if v is not None:
            if not _extensions(v):
                return False
            k -= 1
    if k:
        v = c.get("registration")
        if v is not None:
            if type(v) is not str or _uuid(v) is None:
                return False
            k -= 1
    if k:
        for key in ("platform", "revision"):
            v = c.get(key)
            if v is not None:
                if type(v) is not str or not object_is_activity:
                    return False
                k -= 1
    if k:
        v = c.get("language")
        if v is not None:
            if not (_lang(v) if type(v) is str else False) and not is_language_tag(v):
                return False
            k -= 1
    if k:
        v = c.get("instructor")
        if v is not None:
            try:
                check_actor(v, "context.instructor")
            except InvalidStatement:
                return False
            k -= 1
    return k == 0  # team, statement, contextAgents/Groups, unknown keys: the full way


def fast_statement(obj: dict[str, Any], v2: bool) -> StatementTimes | None:  # noqa: C901 - hot path, one branch per property (measured)
    """Validate a common-shaped statement quickly; ``None`` means "use the full validator"."""
    rest = len(obj) - 3  # properties left once actor, verb and object are counted
    v = obj.get("id")
    if v is not None:
        if type(v) is not str or _uuid(v) is None:
            return None
        rest -= 1
    a = obj.get("actor")
    if type(a) is not dict or not _agent(a):
        return None
    verb = obj.get("verb")
    if type(verb) is not dict:
        return None
    vid = verb.get("id")
    if type(vid) is not str or not (_iri(vid) or is_iri(vid)):
        return None
    v = verb.get("display")
    if v is None:
        if len(verb) != 1:
            return None
    elif len(verb) != 2 or not _langmap(v):
        return None
    o = obj.get("object")
    if type(o) is not dict:
        return None
    ot = o.get("objectType", "Activity")
    if ot == "Activity":
        if not _activity(o) or vid == VOIDED_VERB:
            return None
    elif ot == "StatementRef":
        if len(o) != 2 or type(o.get("id")) is not str or _uuid(o["id"]) is None:
            return None
    else:
        return None
    duration = ts = stored = None
    if rest <= 0:
        return StatementTimes(ts, stored, duration) if rest == 0 else None
    v = obj.get("timestamp")
    if v is not None:
        try:
            if type(v) is str and _ts_shape(v) is not None and v[-6:] != "-00:00":
                ts = (_fromiso(v) - _EPOCH) // _MS  # same as parse_timestamp's own fast path
                if not _MIN_TS <= ts < _MAX_TS:
                    return None  # out of range: the full validator names the rule
            else:
                ts = parse_timestamp(v)
        except ValueError:
            return None
        rest -= 1
    r = obj.get("result") if rest else None
    if r is not None:
        if type(r) is not dict:
            return None
        rest -= 1
        k = len(r)
        v = r.get("extensions")
        if v is not None:
            if type(v) is not dict:
                return None
            for key in v:
                if not (_iri(key) or is_iri(key)):
                    return None
            k -= 1
        if k:
            v = r.get("duration")
            if v is not None:
                try:
                    duration = parse_duration(v)
                except ValueError:
                    return None
                k -= 1
        if k:
            for key in ("success", "completion"):
                v = r.get(key)
                if v is not None:
                    if type(v) is not bool:
                        return None
                    k -= 1
        if k:
            v = r.get("score")
            if v is not None:
                try:
                    check_score(v, "result.score")
                except InvalidStatement:
                    return None
                k -= 1
        if k:
            v = r.get("response")
            if v is not None:
                if type(v) is not str:
                    return None
                k -= 1
        if k:
            return None
    c = obj.get("context") if rest else None
    if c is not None:
        if type(c) is not dict or not _context(c, ot == "Activity"):
            return None
        rest -= 1
    if rest:
        v = obj.get("attachments")
        if v is not None:
            try:
                check_attachments(v, "attachments")
            except InvalidStatement:
                return None
            rest -= 1
    if rest:
        v = obj.get("stored")
        if v is not None:
            try:
                stored = parse_timestamp(v)
            except ValueError:
                return None
            rest -= 1
    if rest:
        v = obj.get("authority")
        if v is not None:
            try:
                check_authority(v, "authority")
            except InvalidStatement:
                return None
            rest -= 1
    if rest:
        v = obj.get("version")
        if v is not None:
            if not version_ok(v, v2):
                return None
            rest -= 1
    if rest:
        return None  # unknown properties: the full validator names them
    return StatementTimes(ts, stored, duration)
