"""The canonical form of a statement: what two copies must share to be "the same statement".

An LRS that receives a statement id it already has compares the two (xAPI 1.0.3 Data 2.3.1
"Statement Comparison Requirements"; xAPI 2.0 keeps the rule): differences that the
exceptions to statement immutability could have caused MUST be ignored, any other difference
MUST NOT.  We compare SHA-256 hashes of a canonical serialisation built as follows.

Left out (exceptions of Data 2.3.1):

* ``id``, ``authority``, ``stored`` and ``version`` (assigned or changed by an LRS, b1);
* every Activity ``definition`` (object, context activities, sub-statement object: b2);
* the Verb ``display`` (b3);
* ``attachments`` (b6).

Normalised:

* ``timestamp`` becomes the instant in UTC milliseconds (b4: serialisation and time zone are
  not part of the statement; an LRS may keep milliseconds only).  A statement *without* a
  timestamp keeps none: we cannot know which time an LRS would have filled in, so it differs
  from one that has one.
* Group ``member`` lists are sorted (b5: unordered).
* Case-insensitive parts (b7) are lower-cased: the ``mailto:`` scheme and the domain of every
  ``mbox``, ``mbox_sha1sum`` hex, UUIDs (registration, StatementRef ids), ``context.language``.
* Defaults an LRS fills in: ``objectType`` of an object (``Activity``) and of an actor
  (``Agent``); a single context activity becomes a one-element list (1.0.3 Data 4.1.6.2).
* JSON object member order and white space (serialisation of JSON itself).

Kept exactly: everything else, including ``result.duration`` as a string (b8 says so),
numbers as parsed (``1`` and ``1.0`` differ), extensions, agent names.

The serialisation is compact JSON with sorted keys (orjson; the standard library for values
nested deeper than orjson serialises, which depends on the content alone, so equal content
always takes the same path).  A statement without an ``id`` gets a UUID derived from these
bytes (version 5 of RFC 4122 under our own namespace), so importing the same file twice
gives the same ids and adds nothing.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import orjson

__all__ = ["canonical_bytes", "content_hash", "derived_id", "ID_NAMESPACE"]

ID_NAMESPACE = uuid.UUID("6d0f5d1e-3b0a-5c55-9a51-4c6561726e61")  # fixed forever: ids depend on it
_DROP = ("id", "authority", "stored", "version", "attachments")


def _agent(a: Any) -> Any:
    if type(a) is not dict:
        return a
    if "mbox" not in a and "mbox_sha1sum" not in a and "member" not in a:
        return a  # nothing to normalise (the common account actor)
    out = dict(a)
    mbox = out.get("mbox")
    if type(mbox) is str:
        out["mbox"] = _mbox(mbox)
    sha = out.get("mbox_sha1sum")
    if type(sha) is str:
        out["mbox_sha1sum"] = sha.lower()
    members = out.get("member")
    if type(members) is list:
        canon = [_agent(m) for m in members]
        out["member"] = sorted(canon, key=_dump)
    return out


def _actor(a: Any) -> Any:
    a = _agent(a)
    if type(a) is dict and "objectType" not in a:
        a = {**a, "objectType": "Agent"}
    return a


def _mbox(mbox: str) -> str:
    if mbox[:7].lower() == "mailto:":
        mbox = "mailto:" + mbox[7:]
    at = mbox.rfind("@")
    return mbox if at < 0 else mbox[:at] + mbox[at:].lower()


def _activity_ref(a: Any) -> Any:
    if type(a) is not dict:
        return a
    return {"objectType": "Activity", "id": a.get("id")}


def _object(o: Any) -> Any:
    if type(o) is not dict:
        return o
    kind = o.get("objectType", "Activity")
    if kind == "Activity":
        return {"objectType": "Activity", "id": o.get("id")}
    if kind in ("Agent", "Group"):
        return _agent(o)
    if kind == "StatementRef":
        ref = o.get("id")
        return {"objectType": "StatementRef", "id": ref.lower() if type(ref) is str else ref}
    if kind == "SubStatement":
        return _statement(o, None, sub=True)
    return o


def _context(c: Any) -> Any:
    if type(c) is not dict:
        return c
    out = dict(c)
    reg = out.get("registration")
    if type(reg) is str:
        out["registration"] = reg.lower()
    lang = out.get("language")
    if type(lang) is str:
        out["language"] = lang.lower()
    if "instructor" in out:
        out["instructor"] = _agent(out["instructor"])
    if "team" in out:
        out["team"] = _agent(out["team"])
    st = out.get("statement")
    if type(st) is dict:
        out["statement"] = _object(st)
    ca = out.get("contextActivities")
    if type(ca) is dict:
        norm = {}
        for key, acts in ca.items():
            if type(acts) is list:
                norm[key] = [
                    {"objectType": "Activity", "id": a.get("id")} if type(a) is dict else a for a in acts
                ]
            elif type(acts) is dict:
                norm[key] = [{"objectType": "Activity", "id": acts.get("id")}]
            else:
                norm[key] = acts
        out["contextActivities"] = norm
    if "contextAgents" in out or "contextGroups" in out:  # xAPI 2.0
        for key, inner in (("contextAgents", "agent"), ("contextGroups", "group")):
            entries = out.get(key)
            if type(entries) is list:
                out[key] = [
                    {**e, inner: _agent(e[inner])} if type(e) is dict and inner in e else e for e in entries
                ]
    return out


def _statement(s: dict[str, Any], ts_ms: int | None, *, sub: bool = False) -> dict[str, Any]:
    out = s.copy()
    pop = out.pop
    for key in _DROP:
        pop(key, None)
    if "timestamp" in out:
        if ts_ms is None and type(out["timestamp"]) is str:
            from learnalytics_desktop.core.ingest.xapi.timestamps import parse_timestamp

            try:
                ts_ms = parse_timestamp(out["timestamp"])
            except ValueError:
                ts_ms = None
        if ts_ms is not None:
            out["timestamp"] = ts_ms
    if "actor" in out:
        out["actor"] = _actor(out["actor"])
    verb = out.get("verb")
    if type(verb) is dict:
        out["verb"] = {"id": verb.get("id")}
    if "object" in out:
        out["object"] = _object(out["object"])
    if "context" in out:
        out["context"] = _context(out["context"])
    if sub and "objectType" not in out:
        out["objectType"] = "SubStatement"
    return out


def _dump(value: Any) -> bytes:
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        ).encode("utf-8", "surrogatepass")


def canonical_bytes(statement: dict[str, Any], ts_ms: int | None = None) -> bytes:
    """The canonical serialisation of a (validated) statement; see the module docstring.

    ``ts_ms`` is the statement's timestamp in UTC milliseconds when the caller already has
    it (it saves parsing it again).
    """
    return _dump(_statement(statement, ts_ms))


def content_hash(canonical: bytes) -> bytes:
    """The 16-byte content hash stored in ``statements.hash`` (first half of SHA-256)."""
    return hashlib.sha256(canonical).digest()[:16]


def derived_id(canonical: bytes) -> str:
    """A UUID for a statement that has none: name-based (RFC 4122 version 5) on its content."""
    digest = hashlib.sha1(ID_NAMESPACE.bytes + canonical, usedforsecurity=False).digest()
    return str(uuid.UUID(bytes=digest[:16], version=5))
