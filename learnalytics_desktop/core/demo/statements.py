"""The demo course's xAPI statements: what each student does, week by week.

Part of the demo generator (:mod:`learnalytics_desktop.core.demo`). Vocabulary, all of it
standard: the xAPI video profile (``https://w3id.org/xapi/video``: played, paused, completed
with ``result.extensions`` time/progress/played-segments and the session-id/length context
extensions), ADL verbs and activity types (attempted, passed, failed, launched, terminated,
experienced, ``…/activities/assessment``, ``…/activities/course``), the Tin Can registry
(``…/activitytype/school-assignment``, ``…/discussion``, ``…/document``, verbs viewed and
replied) and Activity Streams (``…/schema/1.0/submit``, ``…/post``). Lateness is a context
extension (``LATE_EXT``, a boolean) next to the due date (``DUE_EXT``).

A week of the course has three videos, two readings, a quiz (not in the last week), a forum
thread, and on weeks 3, 6, 9 and 12 an assignment due on Friday. A student's chance of doing
each piece rises with their latent engagement; sessions start with ``launched`` and usually
end with ``terminated``. Statements that report a duration are stamped when the activity ends.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from learnalytics_desktop.core.demo.people import HOME_PAGE, DemoOffering, DemoStudent, sigmoid

ADL = "http://adlnet.gov/expapi/verbs/"
VIDEO_VERBS = "https://w3id.org/xapi/video/verbs/"
VIDEO_EXT = "https://w3id.org/xapi/video/extensions/"
TINCAN_VERB = "http://id.tincanapi.com/verb/"
TINCAN_TYPE = "http://id.tincanapi.com/activitytype/"
AS = "http://activitystrea.ms/schema/1.0/"

COURSE_TYPE = "http://adlnet.gov/expapi/activities/course"
VIDEO_TYPE = "https://w3id.org/xapi/video/activity-type/video"
ASSESSMENT_TYPE = "http://adlnet.gov/expapi/activities/assessment"
ASSIGNMENT_TYPE = TINCAN_TYPE + "school-assignment"
DOCUMENT_TYPE = TINCAN_TYPE + "document"
DISCUSSION_TYPE = TINCAN_TYPE + "discussion"
LATE_EXT = "https://w3id.org/learning-analytics/late"
DUE_EXT = "https://w3id.org/learning-analytics/due"

VERBS = {
    "launched": (ADL + "launched", "launched"),
    "terminated": (ADL + "terminated", "terminated"),
    "played": (VIDEO_VERBS + "played", "played"),
    "paused": (VIDEO_VERBS + "paused", "paused"),
    "completed": (ADL + "completed", "completed"),
    "attempted": (ADL + "attempted", "attempted"),
    "passed": (ADL + "passed", "passed"),
    "failed": (ADL + "failed", "failed"),
    "experienced": (ADL + "experienced", "experienced"),
    "viewed": (TINCAN_VERB + "viewed", "viewed"),
    "replied": (TINCAN_VERB + "replied", "replied to"),
    "posted": (AS + "post", "posted"),
    "submitted": (AS + "submit", "submitted"),
    "voided": (ADL + "voided", "voided"),
}
VERB = {k: {"id": iri, "display": {"en-US": word}} for k, (iri, word) in VERBS.items()}
VERB_JSON = {k: json.dumps(v, separators=(",", ":")) for k, v in VERB.items()}

TOPICS = (
    "Data and variables",
    "Describing data",
    "Visualising data",
    "Probability",
    "Sampling",
    "Confidence intervals",
    "Hypothesis tests",
    "Correlation",
    "Simple regression",
    "Multiple regression",
    "Classification",
    "Data ethics",
    "Review",
)
ASSIGNMENT_WEEKS = (3, 6, 9, 12)
MIN = 60_000
HOUR = 3_600_000
DAY = 86_400_000
WEEK = 7 * DAY
_EPOCH = datetime(1970, 1, 1)


_DATES: dict[int, str] = {}


def iso(ms: int, offset_minutes: int) -> str:
    """``ms`` (UTC epoch milliseconds) written in local time with its offset (``Z`` for UTC)."""
    local = ms + offset_minutes * MIN
    day, rest = divmod(local, DAY)
    date = _DATES.get(day)
    if date is None:
        date = _DATES[day] = (_EPOCH + timedelta(days=day)).strftime("%Y-%m-%d")
    secs, milli = divmod(rest, 1000)
    h, secs = divmod(secs, 3600)
    m, secs = divmod(secs, 60)
    text = f"{date}T{h:02d}:{m:02d}:{secs:02d}.{milli:03d}"
    if offset_minutes == 0:
        return text + "Z"
    sign = "+" if offset_minutes > 0 else "-"
    a = abs(offset_minutes)
    return f"{text}{sign}{a // 60:02d}:{a % 60:02d}"


def dumps(obj: object) -> str:
    """Compact JSON, non-ASCII kept as is."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def uuid4_from(rng: random.Random) -> str:
    """A version-4 UUID drawn from ``rng`` (reproducible, unlike :func:`uuid.uuid4`)."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


def _activity(iri: str, type_iri: str, name: str) -> dict[str, Any]:
    return {"objectType": "Activity", "id": iri, "definition": {"type": type_iri, "name": {"en-US": name}}}


@dataclass
class Content:
    """The activities of one offering, by week."""

    course: dict[str, Any]
    videos: dict[int, list[tuple[dict[str, Any], int]]]  # week -> (activity, length in seconds)
    readings: dict[int, list[dict[str, Any]]]
    quizzes: dict[int, dict[str, Any]]
    forums: dict[int, dict[str, Any]]
    assignments: dict[int, tuple[dict[str, Any], int]]  # week -> (activity, due ms)


def make_content(off: DemoOffering, rng: random.Random) -> Content:
    """Videos, readings, quizzes, forum threads and assignments of one offering."""
    base = off.iri
    start_ms = int(off.start_dt.timestamp() * 1000)
    videos, readings, quizzes, forums, assignments = {}, {}, {}, {}, {}
    for w in range(1, off.weeks + 1):
        topic = TOPICS[(w - 1) % len(TOPICS)]
        videos[w] = [
            (
                _activity(f"{base}/video/w{w:02d}-{j}", VIDEO_TYPE, f"{topic}, part {j}"),
                rng.randrange(300, 900),
            )
            for j in (1, 2, 3)
        ]
        readings[w] = [
            _activity(f"{base}/reading/w{w:02d}-{j}", DOCUMENT_TYPE, f"{topic}: reading {j}") for j in (1, 2)
        ]
        if w < off.weeks:
            quizzes[w] = _activity(f"{base}/quiz/w{w:02d}", ASSESSMENT_TYPE, f"Quiz {w}: {topic}")
        forums[w] = _activity(f"{base}/forum/w{w:02d}", DISCUSSION_TYPE, f"Week {w} discussion: {topic}")
        if w in ASSIGNMENT_WEEKS and w <= off.weeks:
            n = ASSIGNMENT_WEEKS.index(w) + 1
            due = start_ms + (w - 1) * WEEK + 4 * DAY + 22 * HOUR  # Friday 22:00 UTC
            assignments[w] = (_activity(f"{base}/assignment/{n}", ASSIGNMENT_TYPE, f"Assignment {n}"), due)
    course = _activity(base, COURSE_TYPE, off.name)
    return Content(course, videos, readings, quizzes, forums, assignments)


Emit = Callable[[int, str, str, "str | None", str], None]
"""(ts ms, source "lms" | "video", statement JSON text, statement id or None, verb key)"""


class StudentSimulator:
    """Generates one offering's statements, student by student, into ``emit``.

    Statements are assembled from JSON fragments encoded once (actor, verb, activity,
    context), which is several times faster than encoding a dict per statement.
    """

    def __init__(self, off: DemoOffering, content: Content, rng: random.Random, emit: Emit) -> None:
        self.off, self.c, self.rng, self.emit = off, content, rng, emit
        self.start_ms = int(off.start_dt.timestamp() * 1000)
        self.cutoff = int(off.end_dt.timestamp() * 1000)
        self.grouping = [content.course]
        self.ctx = dumps(
            {"contextActivities": {"grouping": self.grouping}, "platform": "Example LMS", "language": "en"}
        )
        self._json: dict[str, str] = {}

    def _obj(self, activity: dict[str, Any]) -> str:
        text = self._json.get(activity["id"])
        if text is None:
            text = self._json[activity["id"]] = dumps(activity)
        return text

    # -- one statement ---------------------------------------------------------------
    def _stmt(
        self,
        st: DemoStudent,
        actor: str,
        ts: int,
        verb: str,
        obj: dict[str, Any],
        source: str = "lms",
        result: dict[str, Any] | None = None,
        context: str | None = None,
    ) -> None:
        if ts >= self.cutoff:
            return
        sid = uuid4_from(self.rng) if self.rng.random() >= 0.03 else None  # some come without an id
        head = f'{{"id":"{sid}",' if sid else "{"
        text = (
            f'{head}"actor":{actor},"verb":{VERB_JSON[verb]},"object":{self._obj(obj)},'
            f'"timestamp":"{iso(ts, st.offset_minutes)}","context":{context or self.ctx}'
        )
        if result is not None:
            text += ',"result":' + dumps(result)
        if ts > st.last_ms:
            st.last_ms = ts
        self.emit(ts, source, text + "}", sid, verb)

    # -- pieces of a session -----------------------------------------------------------
    def _video(self, st: DemoStudent, actor: str, t: int, video: Any, length: int) -> int:
        rng = self.rng
        ctx = dumps(
            {
                "contextActivities": {"grouping": self.grouping},
                "platform": "Example Video",
                "extensions": {
                    VIDEO_EXT + "session-id": f"{rng.getrandbits(64):016x}",
                    VIDEO_EXT + "length": float(length),
                },
            }
        )
        self._stmt(st, actor, t, "played", video, "video", {"extensions": {VIDEO_EXT + "time": 0.0}}, ctx)
        complete = rng.random() < sigmoid(0.8 + 1.2 * st.engagement)
        frac = 1.0 if complete else rng.uniform(0.08, 0.9)
        watched = length * frac * (rng.uniform(1.0, 1.25) if complete else 1.0)
        t += int(watched * 1000)
        ext = {
            VIDEO_EXT + "time": round(length * frac, 2),
            VIDEO_EXT + "progress": round(frac, 3),
            VIDEO_EXT + "played-segments": f"0[.]{length * frac:.2f}",
        }
        res: dict[str, Any] = {"duration": f"PT{watched:.2f}S", "extensions": ext}
        if complete:
            res["completion"] = True
        self._stmt(st, actor, t, "completed" if complete else "paused", video, "video", res, ctx)
        return t

    def _reading(self, st: DemoStudent, actor: str, t: int, doc: Any) -> int:
        secs = self.rng.randrange(120, 900)
        t += secs * 1000
        self._stmt(st, actor, t, "experienced", doc, result={"duration": f"PT{secs // 60}M{secs % 60}S"})
        return t

    def _quiz(self, st: DemoStudent, actor: str, t: int, quiz: Any, week: int, factor: float) -> int:
        rng = self.rng
        for attempt in (1, 2):
            self._stmt(st, actor, t, "attempted", quiz)
            secs = rng.randrange(240, 1500)
            t += secs * 1000
            q = sigmoid(
                0.5
                + 1.1 * st.ability
                + 0.5 * st.engagement
                - 0.03 * week
                + 0.5 * (attempt - 1)
                - 0.8 * (factor < 1)
                + rng.gauss(0, 0.7)
            )
            raw = round(10 * q)
            ok = raw >= 6
            res = {
                "score": {"raw": raw, "min": 0, "max": 10, "scaled": raw / 10},
                "success": ok,
                "completion": True,
                "duration": f"PT{secs}S",
            }
            self._stmt(st, actor, t, "passed" if ok else "failed", quiz, result=res)
            if ok or rng.random() > 0.35:
                break
            t += rng.randrange(60, 600) * 1000
        return t

    def _forum(self, st: DemoStudent, actor: str, t: int, thread: Any) -> int:
        secs = self.rng.randrange(45, 300)
        t += secs * 1000
        self._stmt(st, actor, t, "viewed", thread, result={"duration": f"PT{secs}S"})
        if self.rng.random() < sigmoid(-1.2 + 0.9 * st.engagement):
            t += self.rng.randrange(120, 900) * 1000
            verb = "replied" if self.rng.random() < 0.6 else "posted"
            self._stmt(st, actor, t, verb, thread, result={"response": "(forum text not kept in the demo)"})
        return t

    def _session(self, st: DemoStudent, actor: str, day_ms: int, tasks: list[Any]) -> None:
        rng = self.rng
        hour = min(23.3, max(7.0, rng.gauss(st.pref_hour, 2.0)))
        t = day_ms + int(hour * HOUR) - st.offset_minutes * MIN + rng.randrange(0, 60_000)
        self._stmt(st, actor, t, "launched", self.c.course)
        for task in tasks:
            t += rng.randrange(5, 90) * 1000
            kind = task[0]
            if kind == "video":
                t = self._video(st, actor, t, task[1], task[2])
            elif kind == "reading":
                t = self._reading(st, actor, t, task[1])
            elif kind == "quiz":
                t = self._quiz(st, actor, t, task[1], task[2], task[3])
            else:
                t = self._forum(st, actor, t, task[1])
        if rng.random() < 0.8:
            self._stmt(st, actor, t + rng.randrange(5, 120) * 1000, "terminated", self.c.course)

    def _assignment(self, st: DemoStudent, actor: str, act: Any, due: int) -> None:
        rng = self.rng
        late = rng.random() < sigmoid(-1.7 - 0.9 * st.engagement)
        t = due + rng.randrange(1, 60) * HOUR if late else due - rng.randrange(2, 70) * HOUR
        t += rng.randrange(0, 3_600_000)
        t_view = t - rng.randrange(10, 40) * MIN
        self._stmt(st, actor, t_view - 60_000, "launched", self.c.course)
        self._stmt(st, actor, t_view, "viewed", act)
        ctx = dumps(
            {
                "contextActivities": {"grouping": self.grouping},
                "platform": "Example LMS",
                "extensions": {LATE_EXT: late, DUE_EXT: iso(due, 0)},
            }
        )
        self._stmt(st, actor, t, "submitted", act, context=ctx)
        if t < self.cutoff:
            st.penalty += 2.5 * late

    # -- a whole student ---------------------------------------------------------------
    def run(self, st: DemoStudent) -> None:
        """All statements of one student in this offering."""
        rng = self.rng
        st.pref_hour = rng.choice((10.0, 14.0, 19.0, 21.0))
        if st.never_started:
            return
        actor = dumps(st.actor())
        for w in range(1, self.off.weeks + 1):
            week_ms = self.start_ms + (w - 1) * WEEK
            if week_ms >= self.cutoff:
                break
            fade = st.fade_week
            if fade is not None and w > fade:
                if w <= fade + 2 and rng.random() < 0.15:  # a stray visit after fading out
                    self._session(
                        st, actor, week_ms + rng.randrange(7) * DAY, [("reading", self.c.readings[w][0])]
                    )
                st.penalty += 6.0 * (w in self.c.assignments) + 1.0 * (w in self.c.quizzes)
                continue
            factor = 0.45 if w == fade else 1.0
            e = st.engagement - 0.04 * (w - 1)
            tasks: list[Any] = []
            for video, length in self.c.videos[w]:
                if rng.random() < factor * sigmoid(0.9 + 1.3 * e):
                    tasks.append(("video", video, length))
            for doc in self.c.readings[w]:
                if rng.random() < factor * sigmoid(0.1 + 1.1 * e):
                    tasks.append(("reading", doc))
            if rng.random() < factor * sigmoid(-0.1 + 1.0 * e):
                tasks.append(("forum", self.c.forums[w]))
            if w in self.c.quizzes:
                if rng.random() < factor * sigmoid(1.4 + 1.4 * e):
                    tasks.append(("quiz", self.c.quizzes[w], w, factor))
                else:
                    st.penalty += 1.0
            if w in self.c.assignments:
                act, due = self.c.assignments[w]
                if rng.random() < factor * sigmoid(2.0 + 1.5 * e):
                    self._assignment(st, actor, act, due)
                else:
                    st.penalty += 6.0
            if not tasks:
                continue
            n_sessions = max(1, round(len(tasks) / rng.uniform(1.8, 3.5)))
            days = sorted(rng.sample(range(7), min(7, n_sessions)))
            per = -(-len(tasks) // len(days))
            for i, day in enumerate(days):
                chunk = tasks[i * per : (i + 1) * per]
                if chunk:
                    self._session(st, actor, week_ms + day * DAY, chunk)


def voiding_statement(target_id: str, ts: int) -> str:
    """An administrator's voiding statement (xAPI 1.0.3 Data 2.3.2) for ``target_id``, as JSON."""
    admin = {
        "objectType": "Agent",
        "name": "Course administrator",
        "account": {"homePage": HOME_PAGE, "name": "admin01"},
    }
    return dumps(
        {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, "demo-void:" + target_id)),
            "actor": admin,
            "verb": VERB["voided"],
            "object": {"objectType": "StatementRef", "id": target_id},
            "timestamp": iso(ts, 0),
        }
    )
