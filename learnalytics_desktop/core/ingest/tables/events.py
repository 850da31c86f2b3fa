"""Plain event tables (CSV, TSV, Parquet) with a column mapping -> xAPI statements.

Formats ``events-csv`` (any table, the user maps its columns) and ``oulad-vle`` (the Open
University Learning Analytics Dataset's ``studentVle`` daily click table, mapped by a preset).

Options (``format_options``; the CLI's ``--map``, ``--timezone``, ``--course-start``,
``--course``, ``--activities``, ``--home-page``; the Import page's mapping dialog):

* ``columns`` -- ``{role: column}`` for the roles :data:`ROLES`: ``student`` and ``time`` are
  needed, ``activity`` too unless ``kind`` names the activity; ``course`` may name several
  columns joined by ``+`` (OULAD: ``code_module+code_presentation`` -> ``AAA-2013J``).  A mapped
  column missing from the table rejects the file (one record saying which columns it has).
* ``home_page`` -- the site the student ids belong to (default :data:`DEFAULT_HOME`, a
  placeholder meaning "one unnamed source"); students become accounts there, activities and
  courses IRIs under it.
* ``timezone`` -- an IANA name for times written without an offset (default UTC).
* ``course_start`` -- a date (``YYYY-MM-DD``), or ``{course: date}``: a time that is a whole
  number (``-10``, ``27``) is then a day offset from that course's start (OULAD's ``date``);
  the event is put at noon of that day in the time zone, since the day is all the source
  says.  Without it such a number is an epoch time (10 digits: seconds, 13: milliseconds),
  and anything else is rejected with what to give.
* ``course`` -- the course when no column names it.
* ``activities_file`` -- a table (OULAD's ``vle.csv``) giving each activity's kind: its first
  column matching the activity column's name (else ``id_site``/``activity``/``id``) and its
  ``activity_type``/``kind``/``type`` column.

Decisions: one row is one statement (OULAD: one learner's clicks on one resource on one day;
``sum_click`` kept as the ``clicks`` result extension and as the statement's weight is left to
the features).  The kind (``quiz``, ``forumng``, ``video``, ...) picks a standard activity type
(:data:`KINDS`) so that the categories apply; an unknown kind gets the type
``<home>/activity-types/<kind>``, which is *other* until the user maps it on the Settings page;
an activity with no kind has no type (its category comes from the verb, usually *other*).
The verb is the ``verb`` column when it holds an IRI or a known word (:data:`VERBS`), else
``interacted``.  Scores need ``max_score`` (or lie in 0..1 without one); a score outside
``0..max`` is rejected.  ``duration`` is seconds or ISO 8601 (``PT1M30S``).  Ids: UUID 5 of the
row's content and the mapping, so a re-import adds nothing and identical rows are duplicates.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from learnalytics_desktop.core import tabular
from learnalytics_desktop.core.ingest.convert import Reject, Skip, content_key, derived_uuid, iso_utc
from learnalytics_desktop.core.ingest.readers import ReadLimits, SourceFile
from learnalytics_desktop.core.ingest.tables.reader import TableReader

__all__ = ["DEFAULT_HOME", "KINDS", "OULAD_VLE", "ROLES", "VERBS", "looks_like_oulad", "make", "make_oulad"]

DEFAULT_HOME = "https://events.invalid"
ROLES = ("student", "time", "course", "activity", "kind", "verb", "score", "max_score", "duration", "count")
_ADL_V = "http://adlnet.gov/expapi/verbs/"
_ADL_A = "http://adlnet.gov/expapi/activities/"
_TC_V = "http://id.tincanapi.com/verb/"
_TC_A = "http://id.tincanapi.com/activitytype/"
COURSE = _ADL_A + "course"
CLICKS = "https://w3id.org/learnalytics/extensions/clicks"
OULAD_VLE = {
    "student": "id_student",
    "activity": "id_site",
    "time": "date",
    "course": "code_module+code_presentation",
    "count": "sum_click",
}
_TYPE = {
    "assessment": _ADL_A + "assessment",
    "assignment": _TC_A + "school-assignment",
    "forum": _TC_A + "discussion",
    "video": _ADL_A + "media",
    "reading": _TC_A + "resource",
    "navigation": _ADL_A + "module",
}
_WORDS = {
    "assessment": "quiz externalquiz assessment test exam problem question questionnaire survey h5p",
    "assignment": "assignment assign submission homework essay workshop project",
    "forum": "forum forumng discussion chat oucollaborate ouelluminate post comment message collaborate",
    "video": "video media lecture recording audio podcast",
    "reading": (
        "resource oucontent page url subpage sharedsubpage glossary ouwiki wiki book file folder "
        "dataplus dualpane htmlactivity reading document text link slides"
    ),
    "navigation": "homepage course home module repeatactivity navigation login",
}
KINDS: dict[str, str] = {w: _TYPE[cat] for cat, words in _WORDS.items() for w in words.split()}
VERBS: dict[str, str] = {
    "viewed": _TC_V + "viewed",
    "view": _TC_V + "viewed",
    "clicked": _TC_V + "viewed",
    "visited": _TC_V + "viewed",
    "read": _TC_V + "read",
    "watched": _TC_V + "watched",
    "submitted": _TC_V + "submitted",
    "submit": _TC_V + "submitted",
    "answered": _ADL_V + "answered",
    "attempted": _ADL_V + "attempted",
    "completed": _ADL_V + "completed",
    "passed": _ADL_V + "passed",
    "failed": _ADL_V + "failed",
    "commented": _ADL_V + "commented",
    "posted": "http://activitystrea.ms/schema/1.0/post",
    "launched": _ADL_V + "launched",
}
INTERACTED = _ADL_V + "interacted"
_DURATION = re.compile(
    r"^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)


def looks_like_oulad(columns: list[str]) -> bool:
    """Whether a table header is OULAD's studentVle."""
    return {"id_student", "id_site", "date", "sum_click"} <= set(columns)


def make(options: dict[str, Any]) -> Any:
    """The converter for a mapped event table; ``ValueError`` for unusable options (the
    importer checks them before anything is written)."""
    return _Converter(options, dict(options.get("columns") or {})).convert


def make_oulad(options: dict[str, Any]) -> Any:
    """The converter for OULAD studentVle (the :data:`OULAD_VLE` mapping unless given)."""
    return _Converter(options, {**OULAD_VLE, **dict(options.get("columns") or {})}).convert


def needed_columns(options: dict[str, Any], preset: dict[str, str] | None = None) -> list[str]:
    """The table columns the mapping names (the opener rejects a file without them)."""
    cols = {**(preset or {}), **dict(options.get("columns") or {})}
    out: list[str] = []
    for v in cols.values():
        out.extend(p.strip() for p in str(v).split("+") if p.strip())
    return out


def open_source(source: SourceFile, limits: ReadLimits, options: dict[str, Any]) -> TableReader:
    return TableReader(source, limits, needed_columns(options))


def open_oulad(source: SourceFile, limits: ReadLimits, options: dict[str, Any]) -> TableReader:
    return TableReader(source, limits, needed_columns(options, OULAD_VLE))


def _date(text: Any, what: str) -> date:
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise ValueError(f"{what} must be a date YYYY-MM-DD, not {text!r}") from None


@lru_cache(maxsize=8)
def _kinds_from(path: str, id_hint: str, kind_hint: str) -> dict[str, str]:
    try:
        table = tabular.read_csv(path)
    except (OSError, tabular.CsvError) as exc:
        raise ValueError(f"the activities file cannot be read: {exc}") from None
    id_col = table.guess((id_hint, "id_site", "activity", "activity_id", "id"))
    kind_col = table.guess((kind_hint, "activity_type", "kind", "type"))
    if id_col is None or kind_col is None:
        raise ValueError(
            f"the activities file {table.path.name} needs an activity id column and an activity_type "
            f"(or kind) column; its columns are: {', '.join(table.header)}"
        )
    i, k = table.header.index(id_col), table.header.index(kind_col)
    return {cells[i]: cells[k] for _line, cells in table.rows if cells[i]}


class _Converter:
    def __init__(self, options: dict[str, Any], columns: dict[str, str]) -> None:
        unknown = sorted(set(columns) - set(ROLES))
        if unknown:
            raise ValueError(f"unknown column role {unknown[0]!r}; the roles are: {', '.join(ROLES)}")
        for role in ("student", "time"):
            if not columns.get(role):
                raise ValueError(f"the column mapping needs the {role} column (e.g. --map {role}=COLUMN)")
        if not columns.get("activity") and not columns.get("kind"):
            raise ValueError("the column mapping needs the activity column (or the kind column)")
        self.cols = {r: [p.strip() for p in str(c).split("+") if p.strip()] for r, c in columns.items() if c}
        self.home = str(options.get("home_page") or DEFAULT_HOME).strip().rstrip("/")
        tz = str(options.get("timezone") or "UTC")
        try:
            self.tz: Any = UTC if tz.upper() == "UTC" else ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {tz!r}; use an IANA name such as Europe/London") from None
        start = options.get("course_start")
        if isinstance(start, (tuple, list)):  # a mapping, as the worker spec freezes it
            start = dict(start)
        self.start_all: date | None = None
        self.starts: dict[str, date] = {}
        if isinstance(start, dict):
            self.starts = {str(k): _date(v, f"the start of course {k}") for k, v in start.items()}
        elif start not in (None, ""):
            self.start_all = _date(start, "the course start")
        self.course_const = str(options.get("course") or "").strip()
        self.kinds: dict[str, str] = {}
        if options.get("activities_file"):
            act = (self.cols.get("activity") or ["id_site"])[0]
            kind = (self.cols.get("kind") or ["activity_type"])[0]
            self.kinds = _kinds_from(str(options["activities_file"]), act, kind)
        self.key = content_key({"columns": columns, "home": self.home, "tz": tz, "start": start})

    def _get(self, rec: dict[str, Any], role: str) -> str:
        names = self.cols.get(role)
        if not names:
            return ""
        if len(names) == 1:
            return str(rec.get(names[0]) or "").strip()
        return "-".join(str(rec.get(n) or "").strip() for n in names if str(rec.get(n) or "").strip())

    def convert(self, rec: Any) -> dict[str, Any] | Skip | Reject:
        if type(rec) is not dict:
            return Reject("events.not_row", "an event record must be a table row")
        student = self._get(rec, "student")
        if not student or student.lower() in tabular.BLANK_MARKERS:
            return Skip("event row without a student: not attributable to a learner")
        course = self._get(rec, "course") or self.course_const
        when = self._time(self._get(rec, "time"), course)
        if type(when) is Reject:
            return when
        activity = self._get(rec, "activity")
        kind = self._get(rec, "kind") or self.kinds.get(activity, "")
        if not activity:
            activity = kind
        if not activity:
            return Reject(
                "events.activity", "the row names no activity", self.cols.get("activity", ["activity"])[0]
            )
        stmt: dict[str, Any] = {
            "id": derived_uuid("events", f"{self.key}\x00{content_key(rec)}"),
            "actor": {"objectType": "Agent", "account": {"homePage": self.home, "name": student[:200]}},
            "verb": self._verb(self._get(rec, "verb")),
            "object": {
                "objectType": "Activity",
                "id": f"{self.home}/activity/{_safe(activity)}",
                "definition": {"type": self._type(kind)} if kind else {},
            },
            "timestamp": when,
        }
        if kind:
            stmt["object"]["definition"]["name"] = {"en": kind[:200]}
        if course:
            stmt["context"] = {
                "contextActivities": {
                    "parent": [
                        {
                            "id": f"{self.home}/course/{_safe(course)}",
                            "objectType": "Activity",
                            "definition": {"type": COURSE, "name": {"en": course[:200]}},
                        }
                    ]
                }
            }
        result = self._result(rec)
        if type(result) is Reject:
            return result
        if result:
            stmt["result"] = result
        return stmt

    def _time(self, text: str, course: str) -> str | Reject:
        place = self.cols["time"][0]
        if not text:
            return Reject("events.time", "the row has no time", place)
        t = text[:-2] if text.endswith(".0") else text
        if t.lstrip("-").isdigit():
            start = self.starts.get(course, self.start_all)
            n = int(t)
            if start is not None and abs(n) <= 36_600:
                day = datetime.combine(start + timedelta(days=n), datetime.min.time()).replace(
                    hour=12, tzinfo=self.tz
                )
                return _iso(day)
            if len(t) == 10:
                return _iso(datetime.fromtimestamp(n, UTC))
            if len(t) == 13:
                return _iso(datetime.fromtimestamp(n / 1000, UTC))
            return Reject(
                "events.time",
                f"the time {text!r} is a number: give the course start (--course-start YYYY-MM-DD) "
                "if it counts days from it, else use Unix seconds or an ISO 8601 date and time",
                place,
            )
        iso = iso_utc(text, naive_is_utc=True)
        if iso is not None and not _has_offset(text) and self.tz is not UTC:
            naive = datetime.fromisoformat(text)
            return _iso(naive.replace(tzinfo=self.tz))
        if iso is None and len(text) == 10:
            try:
                return _iso(
                    datetime.combine(date.fromisoformat(text), datetime.min.time()).replace(tzinfo=self.tz)
                )
            except ValueError:
                pass
        if iso is None:
            return Reject("events.time", f"the time {text[:40]!r} is not a date and time", place)
        return iso

    def _verb(self, text: str) -> dict[str, Any]:
        if ":" in text and "/" in text and " " not in text:
            iri = text
        else:
            iri = VERBS.get(text.lower(), INTERACTED)
        return {"id": iri, "display": {"en": iri.rsplit("/", 1)[-1]}}

    def _type(self, kind: str) -> str:
        low = kind.lower()
        return KINDS.get(low) or f"{self.home}/activity-types/{_safe(low)}"

    def _result(self, rec: dict[str, Any]) -> dict[str, Any] | Reject | None:
        out: dict[str, Any] = {}
        raw_t, top_t = self._get(rec, "score"), self._get(rec, "max_score")
        raw, top = _num(raw_t) if raw_t else None, _num(top_t) if top_t else None
        if raw_t and raw is None:
            return Reject("events.score", f"the score {raw_t[:20]!r} is not a number", self.cols["score"][0])
        if raw is not None:
            if top is None and 0 <= raw <= 1:
                out["score"] = {"scaled": raw}
            elif top is not None and top > 0 and 0 <= raw <= top:
                out["score"] = {"raw": raw, "min": 0, "max": top, "scaled": round(raw / top, 6)}
            else:
                return Reject(
                    "events.score",
                    f"the score {raw_t!r} is outside 0..{top_t or 1} (map the max_score column)",
                    self.cols["score"][0],
                )
        dur_t = self._get(rec, "duration")
        if dur_t:
            secs = _seconds(dur_t)
            if secs is None:
                return Reject(
                    "events.duration",
                    f"the duration {dur_t[:20]!r} is not seconds or ISO 8601",
                    self.cols["duration"][0],
                )
            out["duration"] = f"PT{secs:g}S"
        count_t = self._get(rec, "count")
        if count_t:
            n = _num(count_t)
            if n is None or n < 0 or not math.isfinite(n):
                return Reject(
                    "events.count", f"the count {count_t[:20]!r} is not a number", self.cols["count"][0]
                )
            out["extensions"] = {CLICKS: int(n) if n == int(n) else n}
        return out or None


def _num(text: str) -> float | None:
    try:
        return tabular.parse_number(text)
    except ValueError:
        return None


def _has_offset(text: str) -> bool:
    return text.endswith(("Z", "z")) or bool(re.search(r"[+-]\d\d:?\d\d$", text))


def _iso(when: datetime) -> str:
    u = when.astimezone(UTC)
    return f"{u:%Y-%m-%dT%H:%M:%S}.{u.microsecond // 1000:03d}Z"


def _seconds(text: str) -> float | None:
    n = _num(text)
    if n is not None:
        return n if n >= 0 and math.isfinite(n) else None
    m = _DURATION.match(text.strip())
    if not m or not any(m.groups()):
        return None
    d, h, mi, s = (float(g) if g else 0.0 for g in m.groups())
    return round(d * 86400 + h * 3600 + mi * 60 + s, 3)


_UNSAFE = re.compile(r"[^0-9A-Za-z\-._~!$&'()*+,;=:@]")  # all else percent-encoded (RFC 3986 2.1)


def _safe(text: str) -> str:
    return _UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode("utf-8")), text)
