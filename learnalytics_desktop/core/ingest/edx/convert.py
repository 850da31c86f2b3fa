"""One Open edX tracking-log event -> an xAPI statement, a Skip or a Reject.

Decisions (the mapping of event types is in ``mapping``):

* **Who.**  The learner is an account on the LMS: ``homePage`` is the ``home_page`` option
  (``--home-page``; default :data:`DEFAULT_HOME`, a placeholder that marks "one unnamed Open
  edX site"), ``name`` is the numeric ``context.user_id`` (stable across renames and present in
  every authenticated event; enrolment events name the enrolled learner in ``event.user_id``,
  since the request may come from staff), else ``username``.  ``username`` is kept as the
  agent's name (not in pseudonymised imports).  An event with neither is skipped: it cannot
  be attributed to a learner.
* **When.**  ``time``; a time without an offset is UTC (Open edX writes UTC).
* **What.**  Activities are ``<home>/xblock/<usage key>`` (problem ``problem_id``, video
  ``id``, sequence ``id``, ORA ``context.module.usage_key``), the course is
  ``<home>/courses/<course_id>`` and goes into ``context.contextActivities.parent``.
  ``event`` may be an object or a JSON string (browser events); both are read.
* **Id.**  UUID 5 of the event's canonical content (tracking logs carry no event id), so the
  same log imported twice adds nothing.
* Free text (ORA answers, forum bodies, hint texts, search queries) is never copied.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from learnalytics_desktop.core.ingest.convert import Reject, Skip, content_key, derived_uuid, iso_utc
from learnalytics_desktop.core.ingest.edx.mapping import COURSE, EVENTS, SKIP_PREFIXES

__all__ = ["DEFAULT_HOME", "looks_like", "make"]

DEFAULT_HOME = "https://openedx.invalid"
_VIDEO_EXT = "https://w3id.org/xapi/video/extensions/"


def looks_like(obj: dict[str, Any]) -> bool:
    """Whether a parsed JSON record is an Open edX tracking-log event."""
    return type(obj.get("event_type")) is str and ("context" in obj or "event_source" in obj)


def make(options: dict[str, Any]) -> Any:
    """The converter for the options given (``home_page``)."""
    home = str(options.get("home_page") or DEFAULT_HOME).rstrip("/")
    return _Converter(home).convert


def _skip_reason(event_type: str) -> str:
    if event_type.startswith("/"):
        return "Open edX web-server request line (a URL, not a learner action)"
    for prefix, why in SKIP_PREFIXES:
        if event_type.startswith(prefix):
            family = prefix + "*" if prefix.endswith(".") else prefix
            return f"Open edX {family} event: {why}"
    name = event_type if len(event_type) <= 80 and event_type.isprintable() else "(unreadable type)"
    return f"Open edX event {name}: not a learner action this app reads"


def _num(v: Any) -> float | None:
    return float(v) if type(v) in (int, float) else None


class _Converter:
    def __init__(self, home: str) -> None:
        self.home = home

    def convert(self, rec: Any) -> dict[str, Any] | Skip | Reject:
        if type(rec) is not dict:
            return Reject("edx.not_event", "a tracking-log event must be a JSON object")
        etype = rec.get("event_type")
        if type(etype) is not str or not etype:
            return Reject("edx.required", "the event has no event_type", "event_type")
        ctx = rec.get("context")
        if ctx is None:
            ctx = {}
        elif type(ctx) is not dict:
            return Reject("edx.type", "context must be an object", "context")
        known = EVENTS.get(etype)
        if known is None:
            return Skip(_skip_reason(etype))
        source = rec.get("event_source")
        if etype == "problem_check" and source != "server":
            return Skip(
                "Open edX browser problem_check: an echo of the server's problem_check, which is stored"
            )
        when = iso_utc(rec.get("time"))
        if when is None:
            return Reject(
                "edx.time", f"time must be an ISO 8601 date and time, not {rec.get('time')!r}", "time"
            )
        event = rec.get("event")
        if type(event) is str:
            try:
                event = orjson.loads(event) if event.strip() else {}
            except orjson.JSONDecodeError:
                event = None
            if type(event) is not dict:
                return Reject("edx.event", "event is a string that does not hold a JSON object", "event")
        elif event is None:
            event = {}
        elif type(event) is not dict:
            return Reject("edx.event", "event must be an object or a JSON string holding one", "event")
        kind, verb, atype = known
        actor = self._actor(rec, ctx, event, kind)
        if actor is None:
            return Skip("Open edX event without a user (anonymous): not attributable to a learner")
        if type(actor) is Reject:
            return actor
        course_id = ctx.get("course_id") or event.get("course_id")
        if course_id is not None and type(course_id) is not str:
            return Reject("edx.type", "context.course_id must be a string", "context.course_id")
        obj = self._object(kind, event, ctx, course_id, atype)
        if type(obj) is Reject:
            return obj
        stmt: dict[str, Any] = {
            "id": derived_uuid("edx", content_key(rec)),
            "actor": actor,
            "verb": {"id": verb, "display": {"en": verb.rsplit("/", 1)[-1]}},
            "object": obj,
            "timestamp": when,
        }
        if course_id:
            stmt["context"] = {
                "contextActivities": {
                    "parent": [
                        {
                            "id": self._course_iri(course_id),
                            "objectType": "Activity",
                            "definition": {"type": COURSE, "name": {"en": course_id}},
                        }
                    ]
                },
                "platform": "Open edX",
            }
        result = self._result(kind, etype, event)
        if result:
            stmt["result"] = result
        return stmt

    def _actor(self, rec: dict[str, Any], ctx: dict[str, Any], event: dict[str, Any], kind: str) -> Any:
        uid = event.get("user_id") if kind == "enrollment" else ctx.get("user_id")
        username = rec.get("username")
        if type(uid) is str and uid.strip().isdigit():
            uid = int(uid)
        if type(uid) is int and not isinstance(uid, bool):
            name = str(uid)
        elif uid not in (None, ""):
            return Reject("edx.type", "the user id must be a number", "context.user_id")
        elif type(username) is str and username.strip():
            name = username.strip()
        else:
            return None
        actor: dict[str, Any] = {"objectType": "Agent", "account": {"homePage": self.home, "name": name}}
        if kind != "enrollment" and type(username) is str and username.strip() and username.strip() != name:
            actor["name"] = username.strip()
        return actor

    def _course_iri(self, course_id: str) -> str:
        return f"{self.home}/courses/{_safe(course_id)}"

    def _block(self, key: Any, place: str) -> str | Reject:
        if type(key) is not str or not key.strip():
            return Reject(
                "edx.required", f"the event has no {place.rsplit('.', 1)[-1]} naming its block", place
            )
        return f"{self.home}/xblock/{_safe(key.strip())}"

    def _object(
        self, kind: str, event: dict[str, Any], ctx: dict[str, Any], course_id: str | None, atype: str
    ) -> dict[str, Any] | Reject:
        module: dict[str, Any] = ctx["module"] if type(ctx.get("module")) is dict else {}
        name = module.get("display_name")
        if kind == "problem":
            iri = self._block(
                event.get("problem_id") or event.get("module_id") or module.get("usage_key"),
                "event.problem_id",
            )
        elif kind == "video":
            vid = event.get("id")
            if type(vid) is str and "@" not in vid and course_id and course_id.startswith("course-v1:"):
                vid = f"block-v1:{course_id[10:]}+type@video+block@{vid}"
            iri = self._block(vid or module.get("usage_key"), "event.id")
        elif kind == "sequence":
            iri = self._block(event.get("id") or event.get("target_id"), "event.id")
        elif kind == "link":
            iri = self._block(event.get("target_url") or event.get("target_name"), "event.target_url")
        elif kind == "forum":
            iri = self._block(event.get("id") or event.get("commentable_id"), "event.id")
            name = None  # forum titles are learners' words
        elif kind == "search":
            iri = (
                f"{self._course_iri(course_id)}/discussion"
                if course_id
                else self._block(None, "context.course_id")
            )
            name = None
        elif kind == "ora":
            iri = self._block(
                module.get("usage_key") or event.get("submission_uuid"), "context.module.usage_key"
            )
        else:  # enrollment: the course itself
            if not course_id:
                return Reject("edx.required", "an enrolment event must name its course", "event.course_id")
            iri, name = self._course_iri(course_id), course_id
            atype = COURSE
        if type(iri) is Reject:
            return iri
        definition: dict[str, Any] = {"type": atype}
        if type(name) is str and name.strip():
            definition["name"] = {"en": name.strip()[:200]}
        return {"objectType": "Activity", "id": iri, "definition": definition}

    @staticmethod
    def _result(kind: str, etype: str, event: dict[str, Any]) -> dict[str, Any] | None:
        if etype == "problem_check":
            raw, top = _num(event.get("grade")), _num(event.get("max_grade"))
            out: dict[str, Any] = {}
            if raw is not None and top is not None and top > 0 and 0 <= raw <= top:
                out["score"] = {"raw": raw, "min": 0, "max": top, "scaled": round(raw / top, 6)}
            if event.get("success") in ("correct", "incorrect"):
                out["success"] = event["success"] == "correct"
            return out or None
        if kind == "video":
            ext: dict[str, Any] = {}
            for key, iri in (("currentTime", "time"), ("old_time", "time-from"), ("new_time", "time-to")):
                v = _num(event.get(key))
                if v is not None and v >= 0:
                    ext[_VIDEO_EXT + iri] = round(v, 3)
            return {"extensions": ext} if ext else None
        if etype == "openassessmentblock.create_submission":
            return {"completion": True}
        return None


_UNSAFE = re.compile(r'[\x00-\x20"<>\\^`{|}%#?\x7f]')


def _escape(m: re.Match[str]) -> str:
    return "".join(f"%{b:02X}" for b in m.group().encode("utf-8"))


def _safe(text: str) -> str:
    """A key as an IRI path segment: spaces and characters IRIs forbid are percent-encoded."""
    return _UNSAFE.sub(_escape, text)
