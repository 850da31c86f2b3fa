"""One IMS Caliper 1.2 record -> an xAPI statement, a Skip or a Reject.

Every record is first checked against the 1.2 specification (``validate``); an invalid one is
rejected with its rule and place.  A valid one becomes:

* an **event by a learner** -> a statement.  Actor: the Person's IRI as an account
  (``homePage`` the IRI's origin, ``name`` the whole IRI; an IRI without an http(s) origin,
  e.g. a URN, goes on the ``home_page`` option or :data:`DEFAULT_HOME`).  Verb: the action,
  as the xAPI verb with the same meaning where one exists (``VERBS``; media actions as the
  xAPI Video Profile's), else the Caliper action IRI.  Object: the event's object with an
  xAPI activity type for its Caliper type (``TYPES``; else the Caliper term IRI) and its
  name.  Course: the ``group``'s CourseOffering (a CourseSection's ``subOrganizationOf``
  when it names one, else the section itself).  Time: ``eventTime``.  Result: the generated
  Score or Result (``scoreGiven``/``maxScore``, ``resultScore``/``maxResultScore``) and the
  generated Attempt's duration.  Id: UUID 5 of the Caliper event id, so re-importing adds
  nothing.
* a **GradeEvent** (actor: the grader) -> a ``scored`` statement for the attempt's assignee
  on the assignable, with the Score; without an assignee it is skipped (no learner).
* **skipped**, each with its reason: entities (descriptions, not events), endpoint
  configuration documents, events whose actor is described as something else than a Person
  (an actor given by its IRI alone is taken for a Person: events are a learner's unless they
  say otherwise), events of members whose Membership roles hold no Learner role, and
  content or course management (AssignableEvent Activated/Deactivated/Reviewed,
  ResourceManagementEvent other than Downloaded/Printed/Retrieved, SurveyInvitationEvent
  Sent).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import orjson

from learnalytics_desktop.core.ingest.caliper.validate import (
    CaliperError,
    check_context,
    check_entity,
    check_event,
)
from learnalytics_desktop.core.ingest.caliper.vocab import ENTITY_TYPES, EVENT_TYPES, is_subtype
from learnalytics_desktop.core.ingest.convert import Reject, Skip, derived_uuid, iso_utc

__all__ = ["DEFAULT_HOME", "TYPES", "VERBS", "looks_like", "make"]

DEFAULT_HOME = "https://caliper.invalid"
_ADL = "http://adlnet.gov/expapi/verbs/"
_TC = "http://id.tincanapi.com/verb/"
_VID = "https://w3id.org/xapi/video/verbs/"
_ACTION = "http://purl.imsglobal.org/vocab/caliper/v1/action#"
_TERM = "http://purl.imsglobal.org/caliper/"
COURSE = "http://adlnet.gov/expapi/activities/course"

VERBS: dict[str, str] = {
    "Viewed": _TC + "viewed",
    "NavigatedTo": "https://w3id.org/xapi/dod-isd/verbs/navigated",
    "Started": _ADL + "attempted",
    "Paused": _ADL + "suspended",
    "Resumed": _ADL + "resumed",
    "Restarted": _ADL + "attempted",
    "Submitted": "http://activitystrea.ms/schema/1.0/submit",
    "Completed": _ADL + "completed",
    "Ended": _ADL + "completed",
    "Skipped": _TC + "skipped",
    "Posted": "https://w3id.org/xapi/acrossx/verbs/posted",
    "Commented": _ADL + "commented",
    "Shared": _ADL + "shared",
    "MarkedAsRead": _TC + "read",
    "LoggedIn": _ADL + "logged-in",
    "LoggedOut": _ADL + "logged-out",
    "Launched": _ADL + "launched",
    "Returned": _ADL + "exited",
    "Searched": "https://w3id.org/xapi/acrossx/verbs/searched",
    "Graded": _ADL + "scored",
    "Downloaded": _TC + "downloaded",
    "Printed": _TC + "downloaded",
    "Retrieved": _TC + "viewed",
}
_MEDIA_VERBS = {
    "Started": _VID + "played",
    "Resumed": _VID + "played",
    "Restarted": _VID + "played",
    "Paused": _VID + "paused",
    "JumpedTo": _VID + "seeked",
    "ForwardedTo": _VID + "seeked",
    "Ended": _ADL + "completed",
}
_TC_A = "http://id.tincanapi.com/activitytype/"
_ADL_A = "http://adlnet.gov/expapi/activities/"
TYPES: dict[str, str] = {
    "Assessment": _ADL_A + "assessment",
    "AssessmentItem": _ADL_A + "question",
    "AssignableDigitalResource": _TC_A + "school-assignment",
    "Attempt": _ADL_A + "attempt",
    "Questionnaire": _TC_A + "survey",
    "QuestionnaireItem": _TC_A + "survey",
    "Survey": _TC_A + "survey",
    "SurveyInvitation": _TC_A + "survey",
    "MediaObject": "https://w3id.org/xapi/video/activity-type/video",
    "VideoObject": "https://w3id.org/xapi/video/activity-type/video",
    "AudioObject": "http://activitystrea.ms/schema/1.0/audio",
    "ImageObject": "http://activitystrea.ms/schema/1.0/image",
    "Document": _TC_A + "document",
    "Chapter": _TC_A + "chapter",
    "Page": _TC_A + "page",
    "Frame": _TC_A + "page",
    "WebPage": "https://w3id.org/xapi/acrossx/activities/webpage",
    "DigitalResource": _TC_A + "resource",
    "LtiLink": _ADL_A + "link",
    "Link": _ADL_A + "link",
    "Forum": _TC_A + "discussion",
    "Thread": _TC_A + "forum-topic",
    "Message": _TC_A + "forum-reply",
    "SoftwareApplication": _TC_A + "lms",
    "CourseOffering": COURSE,
    "CourseSection": COURSE,
}
_MANAGING = {
    "AssignableEvent": {"Activated", "Deactivated", "Reviewed"},
    "ResourceManagementEvent": set(EVENT_TYPES["ResourceManagementEvent"][0].split())
    - {"Downloaded", "Printed", "Retrieved"},
    "SurveyInvitationEvent": {"Sent"},
}


def looks_like(obj: dict[str, Any]) -> bool:
    """Whether a parsed JSON record is Caliper (an event, entity, envelope or endpoint config)."""
    ctx = obj.get("@context")
    if type(ctx) is list:
        ctx = " ".join(c for c in ctx if type(c) is str)
    if type(ctx) is str and "purl.imsglobal.org/ctx/caliper" in ctx:
        return True
    if "sensor" in obj and "data" in obj:
        return True
    if "@context" in obj and "type" in obj:  # JSON-LD with a type: never an xAPI statement
        return True
    return any(type(k) is str and k.startswith("caliper_") for k in obj)


def make(options: dict[str, Any]) -> Any:
    """The converter for the options given (``home_page``: for actors without a web origin)."""
    return _Converter(str(options.get("home_page") or DEFAULT_HOME).rstrip("/")).convert


def _kind(obj: Any) -> str | None:
    return obj.get("type") if type(obj) is dict and type(obj.get("type")) is str else None


def _iri(obj: Any) -> str | None:
    return obj if type(obj) is str else obj.get("id") if type(obj) is dict else None


class _Converter:
    def __init__(self, home: str) -> None:
        self.home = home
        self._homes: dict[str, str] = {}
        self._acts: dict[bytes, Any] = {}
        self._ctxs: dict[bytes, Any] = {}

    @staticmethod
    def _cached(cache: dict[bytes, Any], value: Any, make: Any) -> Any:
        """``make(value)`` remembered by the value's text: a log repeats the same objects and
        course on every event.  The results are shared between statements, never modified."""
        key = orjson.dumps(value)
        if len(key) > 4096:  # a large description: not worth the memory
            return make(value)
        out = cache.get(key)
        if out is None:
            if len(cache) > 20_000:
                cache.clear()
            out = cache[key] = make(value)
        return out

    def convert(self, rec: Any) -> dict[str, Any] | Skip | Reject:
        if type(rec) is not dict:
            return Reject("caliper.not_object", "a Caliper event or entity must be a JSON object")
        etype = rec.get("type")
        if etype is None and any(type(k) is str and k.startswith("caliper_") for k in rec):
            return Skip("Caliper endpoint configuration: describes a receiver, not an event")
        if "sensor" in rec and "data" in rec:
            return Reject("caliper.envelope", "an envelope inside an envelope is not allowed (section 6)")
        try:
            if etype is None:
                rule = "caliper.null" if "type" in rec else "caliper.required"
                raise CaliperError(rule, "an event or entity must have a type", "type")
            if type(etype) is not str:
                raise CaliperError("caliper.type", "type must be a string", "type")
            if etype in ENTITY_TYPES:
                check_context(rec.get("@context"))
                check_entity(rec, (etype,), "entity")
                return Skip(f"Caliper {etype} entity: a description, not an event")
            if etype not in EVENT_TYPES:
                raise CaliperError(
                    "caliper.unknown_type", f"{etype!r} is not a Caliper 1.2 event or entity type", "type"
                )
            check_event(rec)
        except CaliperError as exc:
            return Reject(exc.rule, exc.reason, exc.place)
        except RecursionError:
            return Reject("caliper.depth", "the record is nested too deeply")
        return self._statement(rec, etype)

    def _statement(self, ev: dict[str, Any], etype: str) -> dict[str, Any] | Skip:
        action = ev["action"]
        if action in _MANAGING.get(etype, ()):
            return Skip(f"Caliper {etype} {action}: managing content or a course, not learner activity")
        actor, obj = ev["actor"], ev["object"]
        result: dict[str, Any] = {}
        if etype == "GradeEvent":
            learner = obj.get("assignee") if type(obj) is dict else None
            if learner is None:
                return Skip("Caliper GradeEvent without the attempt's assignee: no learner to credit")
            actor = learner
            if type(obj) is dict and obj.get("assignable") is not None:
                obj = obj["assignable"]
        elif _kind(actor) not in (None, "Person"):
            return Skip(f"Caliper {etype} by a {_kind(actor)}: not a learner's action")
        roles = ev["membership"].get("roles") if type(ev.get("membership")) is dict else None
        if roles and not any(r.startswith("Learner") for r in roles):
            return Skip("Caliper event by a member without a Learner role (instructor, administrator...)")
        verb = (_MEDIA_VERBS.get(action) if etype == "MediaEvent" else None) or VERBS.get(
            action, _ACTION + action
        )
        stmt: dict[str, Any] = {
            "id": derived_uuid("caliper", ev["id"].lower()),
            "actor": self._agent(_iri(actor) or ""),
            "verb": {"id": verb, "display": {"en": action}},
            "object": self._cached(self._acts, obj, _activity),
            "timestamp": iso_utc(ev["eventTime"], naive_is_utc=False),
        }
        _generated(ev.get("generated"), action, result)
        if result:
            stmt["result"] = result
        context = self._cached(self._ctxs, (ev.get("group"), ev.get("edApp")), _context)
        if context:
            stmt["context"] = context
        return stmt

    def _agent(self, iri: str) -> dict[str, Any]:
        home = self._homes.get(iri)
        if home is None:
            parts = urlsplit(iri)
            ok = parts.scheme in ("http", "https") and parts.netloc
            home = f"{parts.scheme}://{parts.netloc}" if ok else self.home
            if len(self._homes) > 100_000:
                self._homes.clear()
            self._homes[iri] = home
        return {"objectType": "Agent", "account": {"homePage": home, "name": iri}}


def _activity(obj: Any) -> dict[str, Any]:
    kind = _kind(obj)
    out: dict[str, Any] = {"objectType": "Activity", "id": _iri(obj)}
    definition: dict[str, Any] = {}
    if kind is not None:
        definition["type"] = TYPES.get(kind, _TERM + kind)
        name = obj.get("name")
        if type(name) is str and name.strip():
            definition["name"] = {"en": name.strip()[:200]}
    if definition:
        out["definition"] = definition
    return out


def _offering(group: Any) -> tuple[str | None, str | None]:
    """The course IRI and name for an event's group (see the module docstring)."""
    if type(group) is str:
        return group, None
    found: tuple[str, str | None, str] | None = None
    node = group
    for _ in range(6):
        if type(node) is str:  # the offering above a section, named by its IRI
            if found is not None and found[2] == "CourseSection":
                return node, None
            break
        kind = _kind(node)
        if kind in ("CourseOffering", "CourseSection"):
            name = node.get("name") or node.get("courseNumber")
            found = (node["id"], name if type(name) is str else None, kind)
            if kind == "CourseOffering":
                break
        elif kind is None:
            break
        node = node.get("subOrganizationOf")
        if node is None:
            break
    return (found[0], found[1]) if found else (None, None)


def _context(group_app: tuple[Any, Any]) -> dict[str, Any]:
    group, edapp = group_app
    out: dict[str, Any] = {}
    course, name = _offering(group) if group is not None else (None, None)
    if course:
        definition: dict[str, Any] = {"type": COURSE}
        if name:
            definition["name"] = {"en": name[:200]}
        out["contextActivities"] = {
            "parent": [{"objectType": "Activity", "id": course, "definition": definition}]
        }
    app = _iri(edapp)
    if app:
        out["platform"] = app[:200]
    return out


def _generated(gen: Any, action: str, result: dict[str, Any]) -> None:
    kind = _kind(gen)
    if kind is None:
        return
    raw: Any = None
    top: Any = None
    if is_subtype(kind, "Score"):
        raw, top = gen.get("scoreGiven"), gen.get("maxScore")
    elif is_subtype(kind, "Result"):
        raw, top = gen.get("resultScore"), gen.get("maxResultScore")
    if type(raw) in (int, float):
        score: dict[str, Any] = {"raw": raw}
        if type(top) in (int, float) and top > 0 and 0 <= raw <= top:
            score.update(min=0, max=top, scaled=round(raw / top, 6))
        result["score"] = score
    if kind == "Attempt":
        duration = gen.get("duration")
        if type(duration) is str:
            result["duration"] = duration
        if action in ("Submitted", "Completed"):
            result["completion"] = True
