"""Moodle's standard log (``logstore_standard_log``, exported as CSV/TSV) -> xAPI statements.

Columns as in Moodle's schema (admin/tool/log/store/standard, table ``logstore_standard_log``):
``id, eventname, component, action, target, objecttable, objectid, crud, edulevel,
contextid, contextlevel, contextinstanceid, userid, courseid, relateduserid, anonymous, other,
timecreated, origin, ip, realuserid``.  ``NULL``/``\\N`` (database dumps) are empty cells.

Decisions:

* **Learner activity is ``edulevel = 2``** (``\\core\\event\\base::LEVEL_PARTICIPATING``) in a
  course.  Everything else is *skipped* with its reason: teaching events (``edulevel 1``),
  other/system events (``edulevel 0``), events outside a course (``courseid`` 0, or 1: Moodle's
  front page, ``SITEID``), events without a logged-in user (``userid`` 0), anonymous ones
  (``anonymous`` 1: anonymous forum posts, feedback), ones done by someone "logged in as" the
  learner (``realuserid`` set), and ones from the command line or a course restore
  (``origin`` cli / restore).
* **Who.**  ``userid`` becomes an xAPI account ``{homePage: <site URL>, name: <userid>}``; the
  site URL is required (``--home-page``) because user ids are only unique within one site.
* **What.**  Course views are the course (``<site>/course/view.php?id=N``, navigation); an event
  in an activity is that activity (``<site>/mod/<module>/view.php?id=<contextinstanceid>``)
  with the activity type of its module (:data:`MODULE_TYPES`: quiz -> assessment, assign and
  workshop -> assignment, forum and chat -> forum, resource, page, url, book, folder -> reading,
  others -> other).  The verb: :data:`EVENTS` for the events people know (quiz attempt started
  and submitted, assignment submitted, forum post and discussion created, module and course
  viewed); any other participating event in an activity is ``viewed`` when it only reads
  (``crud`` r) and ``interacted`` otherwise.  Core events outside activities other than the
  course view are skipped (profile views, messages, calendar).
* **When.**  ``timecreated`` (Unix seconds, UTC).  **Id.**  UUID 5 of site URL and log ``id``
  (content of the row when there is no ``id``), so a re-import adds nothing.
* ``ip``, ``other`` and ``relateduserid`` are never copied (personal data / free text).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from learnalytics_desktop.core.ingest.convert import Reject, Skip, content_key, derived_uuid

__all__ = ["EVENTS", "MODULE_TYPES", "looks_like", "make"]

_ADL_V = "http://adlnet.gov/expapi/verbs/"
_ADL_A = "http://adlnet.gov/expapi/activities/"
_TC_V = "http://id.tincanapi.com/verb/"
_TC_A = "http://id.tincanapi.com/activitytype/"
_AS = "http://activitystrea.ms/schema/1.0/"
COURSE = _ADL_A + "course"
VIEWED = _TC_V + "viewed"
INTERACTED = _ADL_V + "interacted"

# module -> xAPI activity type (categories.DEFAULT_TYPES maps each to a category)
MODULE_TYPES: dict[str, str] = {
    "quiz": _ADL_A + "assessment",
    "h5pactivity": _ADL_A + "assessment",
    "hvp": _ADL_A + "assessment",
    "lesson": _ADL_A + "lesson",
    "scorm": _ADL_A + "lesson",
    "assign": _TC_A + "school-assignment",
    "workshop": _TC_A + "school-assignment",
    "forum": _TC_A + "discussion",
    "chat": _TC_A + "chat-channel",
    "resource": _ADL_A + "file",
    "folder": _ADL_A + "file",
    "page": _TC_A + "page",
    "url": _ADL_A + "link",
    "book": _TC_A + "book",
    "glossary": _TC_A + "document",
    "wiki": _TC_A + "page",
}
# unmapped modules get <_OTHER_TYPE><module>, which no category claims (-> other)
_OTHER_TYPE = "https://moodle.org/xapi/activitytype/"

# eventname -> verb, for the events whose meaning matters to the categories and the reports
EVENTS: dict[str, str] = {
    "\\core\\event\\course_viewed": VIEWED,
    "\\mod_quiz\\event\\attempt_started": _ADL_V + "attempted",
    "\\mod_quiz\\event\\attempt_submitted": _ADL_V + "completed",
    "\\mod_assign\\event\\assessable_submitted": _TC_V + "submitted",
    "\\assignsubmission_file\\event\\assessable_uploaded": _TC_V + "submitted",
    "\\assignsubmission_onlinetext\\event\\assessable_uploaded": _TC_V + "submitted",
    "\\mod_forum\\event\\post_created": _AS + "post",
    "\\mod_forum\\event\\discussion_created": _AS + "post",
    "\\mod_workshop\\event\\submission_created": _TC_V + "submitted",
    "\\mod_lesson\\event\\lesson_ended": _ADL_V + "completed",
    "\\mod_scorm\\event\\sco_launched": _ADL_V + "launched",
}
# events that repeat one already counted (Moodle logs both for one action)
_ECHOES = {
    "\\mod_forum\\event\\assessable_uploaded": "Moodle forum assessable_uploaded: logged with the post_created that is stored",
    "\\assignsubmission_file\\event\\submission_created": "Moodle file submission_created: logged with the assessable_uploaded that is stored",
    "\\assignsubmission_file\\event\\submission_updated": "Moodle file submission_updated: logged with the assessable_uploaded that is stored",
    "\\assignsubmission_onlinetext\\event\\submission_created": "Moodle online-text submission_created: logged with the assessable_uploaded that is stored",
    "\\assignsubmission_onlinetext\\event\\submission_updated": "Moodle online-text submission_updated: logged with the assessable_uploaded that is stored",
}
_SUBPLUGINS = {
    "assignsubmission_": "assign",
    "assignfeedback_": "assign",
    "quizaccess_": "quiz",
    "workshopform_": "workshop",
}
_NULL = frozenset({"", "NULL", "null", "\\N"})
_REQUIRED = ("eventname", "edulevel", "userid", "courseid", "timecreated")


def looks_like(columns: list[str]) -> bool:
    """Whether a table header is a logstore_standard_log export."""
    cols = set(columns)
    return {"eventname", "edulevel", "contextinstanceid", "timecreated"} <= cols


def make(options: dict[str, Any]) -> Any:
    """The converter for the options given (``home_page``: the site URL, required)."""
    home = str(options.get("home_page") or "").strip().rstrip("/")
    if not home:
        raise ValueError("Moodle logs need the site URL: give it with --home-page URL")
    return _Converter(home).convert


def _cell(rec: dict[str, Any], key: str) -> str:
    v = rec.get(key)
    if v is None:
        return ""
    v = str(v).strip()
    return "" if v in _NULL else v


def _int(text: str) -> int | None:
    t = text[:-2] if text.endswith(".0") else text
    if t.isdigit() or (t[:1] == "-" and t[1:].isdigit()):
        return int(t)
    return None


class _Converter:
    def __init__(self, home: str) -> None:
        self.home = home

    def convert(self, rec: Any) -> dict[str, Any] | Skip | Reject:
        if type(rec) is not dict:
            return Reject("moodle.not_row", "a Moodle log record must be a table row")
        for key in _REQUIRED:
            if key not in rec:
                return Reject(
                    "moodle.column",
                    f"the table has no {key} column (Moodle's logstore_standard_log has one)",
                    key,
                )
        event = _cell(rec, "eventname")
        if not event:
            return Reject("moodle.required", "the row has no eventname", "eventname")
        level = _int(_cell(rec, "edulevel"))
        if level is None or level not in (0, 1, 2):
            return Reject(
                "moodle.edulevel", f"edulevel must be 0, 1 or 2, not {_cell(rec, 'edulevel')!r}", "edulevel"
            )
        if level == 1:
            return Skip("Moodle teaching event (edulevel 1): a teacher's action, not learner activity")
        if level == 0:
            return Skip("Moodle other/system event (edulevel 0): not learner activity")
        when = _int(_cell(rec, "timecreated"))
        if when is None or not 0 < when < 7_258_118_400:
            return Reject(
                "moodle.time",
                f"timecreated must be Unix seconds, not {_cell(rec, 'timecreated')!r}",
                "timecreated",
            )
        who = _learner(rec)
        if not isinstance(who, tuple):
            return who
        uid, course = who
        if event in _ECHOES:
            return Skip(_ECHOES[event])
        component = _cell(rec, "component")
        module = _module(component, event)
        course_iri = f"{self.home}/course/view.php?id={course}"
        verb = EVENTS.get(event)
        if module is None:
            if event != "\\core\\event\\course_viewed":
                return Skip(
                    "Moodle core event outside an activity (profile, messages, calendar, ...): not read"
                )
            obj = {"objectType": "Activity", "id": course_iri, "definition": {"type": COURSE}}
        else:
            cm = _int(_cell(rec, "contextinstanceid"))
            if not cm or cm < 0:
                return Reject(
                    "moodle.context",
                    "an activity event needs the activity's contextinstanceid",
                    "contextinstanceid",
                )
            if verb is None:
                verb = VIEWED if _cell(rec, "crud") == "r" else INTERACTED
            obj = {
                "objectType": "Activity",
                "id": f"{self.home}/mod/{module}/view.php?id={cm}",
                "definition": {"type": MODULE_TYPES.get(module, _OTHER_TYPE + module)},
            }
        assert verb is not None
        log_id = _cell(rec, "id")
        key = f"{self.home}\x00{log_id}" if log_id else content_key(rec)
        stamp = datetime.fromtimestamp(when, UTC)
        return {
            "id": derived_uuid("moodle", key),
            "actor": {"objectType": "Agent", "account": {"homePage": self.home, "name": str(uid)}},
            "verb": {"id": verb, "display": {"en": verb.rsplit("/", 1)[-1]}},
            "object": obj,
            "timestamp": f"{stamp:%Y-%m-%dT%H:%M:%S}.000Z",
            "context": {
                "platform": "Moodle",
                "contextActivities": {
                    "parent": [{"id": course_iri, "objectType": "Activity", "definition": {"type": COURSE}}]
                },
            },
        }


def _learner(rec: dict[str, Any]) -> tuple[int, int] | Skip | Reject:
    """``(userid, courseid)`` of a learner's event in a course, else why it is not one."""
    uid = _int(_cell(rec, "userid"))
    if uid is None and _cell(rec, "userid"):
        return Reject("moodle.userid", "userid must be a number", "userid")
    if not uid or uid < 0:
        return Skip("Moodle event without a logged-in user (userid 0): not attributable to a learner")
    course = _int(_cell(rec, "courseid"))
    if course is None and _cell(rec, "courseid"):
        return Reject("moodle.courseid", "courseid must be a number", "courseid")
    if not course or course == 1:
        return Skip("Moodle event outside a course (site, front page or user context)")
    if _cell(rec, "anonymous") not in ("", "0"):
        return Skip("Moodle anonymous event (anonymous forum post, feedback): not attributable")
    if _cell(rec, "realuserid"):
        return Skip("Moodle event done by another user 'logged in as' the learner")
    if _cell(rec, "origin") in ("cli", "restore"):
        return Skip("Moodle event from the command line or a course restore: not learner activity")
    return uid, course


def _module(component: str, event: str) -> str | None:
    """The activity module an event belongs to (``mod_quiz`` -> quiz), None for core events."""
    if not component:
        component = event.split("\\")[1] if event.count("\\") >= 3 else ""
    if component.startswith("mod_"):
        return component[4:] or None
    for prefix, module in _SUBPLUGINS.items():
        if component.startswith(prefix):
            return module
    return None
