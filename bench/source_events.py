"""Generators of realistic source logs for ``bench/import.py --format`` (not imported by the app).

Each writes ``n`` records as JSON Lines with the shape the real systems write: Canvas-style
Caliper 1.2 events (actor, group with its offering, membership, session, edApp, generated
attempts and scores) and Open edX tracking-log events (browser and server events with
ip/agent/referer/context, events as JSON strings for the browser ones, about 10 % server
request lines and page closes that the reader skips).
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from pathlib import Path

import orjson

BASE = "https://canvas.example.edu"
_T0 = int(datetime(2024, 2, 5, tzinfo=UTC).timestamp())


def _when(rng: random.Random, z: bool = True) -> str:
    t = datetime.fromtimestamp(_T0 + rng.getrandbits(23), UTC)
    ms = rng.getrandbits(10) % 1000
    if z:
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms:03d}Z"
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms:03d}{rng.getrandbits(10) % 1000:03d}+00:00"


def write_jsonl(path: Path, records) -> int:
    """Write the records as JSON Lines, 10,000 lines per write; returns the file size."""
    with open(path, "wb") as f:
        buf = []
        for rec in records:
            buf.append(orjson.dumps(rec))
            if len(buf) >= 10000:
                f.write(b"\n".join(buf) + b"\n")
                buf = []
        if buf:
            f.write(b"\n".join(buf) + b"\n")
    return path.stat().st_size


def caliper(path: Path, n: int, *, students: int = 600, seed: int = 1) -> int:
    """Write ``n`` Caliper 1.2 events (one per line); returns the file size."""
    rng = random.Random(seed)
    ctx = "http://purl.imsglobal.org/ctx/caliper/v1p2"
    sections = [
        {
            "id": f"{BASE}/courses/{c}/sections/1",
            "type": "CourseSection",
            "courseNumber": f"BIO {c}-01",
            "academicSession": "Spring 2024",
            "subOrganizationOf": {
                "id": f"{BASE}/courses/{c}",
                "type": "CourseOffering",
                "name": f"Course {c}",
            },
        }
        for c in (101, 201)
    ]

    def resource(kind: str, j: int, **extra) -> dict:
        return {"id": f"{BASE}/{kind.lower()}/{j}", "type": kind, "name": f"{kind} {j}", **extra}

    kinds = [
        ("ViewEvent", "Viewed", "Document", "ReadingProfile", 25),
        ("MediaEvent", "Started", "VideoObject", "MediaProfile", 15),
        ("MediaEvent", "Paused", "VideoObject", "MediaProfile", 12),
        ("NavigationEvent", "NavigatedTo", "WebPage", "GeneralProfile", 18),
        ("AssessmentEvent", "Submitted", "Assessment", "AssessmentProfile", 8),
        ("AssessmentItemEvent", "Completed", "AssessmentItem", "AssessmentProfile", 10),
        ("MessageEvent", "Posted", "Message", "ForumProfile", 5),
        ("SessionEvent", "LoggedIn", "SoftwareApplication", "SessionProfile", 7),
    ]
    weights = [k[4] for k in kinds]

    def events():
        for i in range(n):
            etype, action, kind, profile, _w = rng.choices(kinds, weights)[0]
            who = int(rng.paretovariate(1.2)) % students
            section = sections[who % 2]
            actor = {"id": f"{BASE}/users/{1000 + who}", "type": "Person"}
            j = rng.randrange(40)
            if kind == "SoftwareApplication":
                obj = {"id": BASE, "type": "SoftwareApplication", "version": "v2"}
            elif kind == "Assessment":
                obj = resource(kind, j, maxScore=20.0, maxAttempts=2, dateToSubmit="2024-05-01T23:59:00.000Z")
            elif kind == "VideoObject":
                obj = resource(kind, j, mediaType="video/mp4", duration="PT12M")
            else:
                obj = resource(kind, j)
            ev = {
                "@context": ctx,
                "id": f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}",
                "type": etype,
                "profile": profile,
                "actor": actor,
                "action": action,
                "object": obj,
                "eventTime": _when(rng),
                "edApp": {"id": BASE, "type": "SoftwareApplication"},
                "group": section,
                "membership": {
                    "id": f"{section['id']}/rosters/1",
                    "type": "Membership",
                    "member": actor["id"],
                    "organization": section["id"],
                    "roles": ["Learner"],
                    "status": "Active",
                },
                "session": {"id": f"{BASE}/sessions/{who}-{i % 50}", "type": "Session"},
            }
            if etype == "AssessmentEvent":
                ev["generated"] = {
                    "id": f"{obj['id']}/users/{who}/attempts/1",
                    "type": "Attempt",
                    "assignee": actor["id"],
                    "assignable": obj["id"],
                    "count": 1,
                    "duration": f"PT{rng.randint(60, 1800)}S",
                }
            yield ev

    return write_jsonl(path, events())


def edx(path: Path, n: int, *, students: int = 600, seed: int = 1) -> int:
    """Write ``n`` Open edX tracking-log events (one per line); returns the file size."""
    rng = random.Random(seed)
    courses = ["course-v1:ExampleX+BIO101+2024", "course-v1:ExampleX+CHEM201+2024"]
    kinds = [
        ("play_video", "browser", 18),
        ("pause_video", "browser", 14),
        ("seek_video", "browser", 5),
        ("problem_check", "server", 12),
        ("problem_check", "browser", 6),
        ("showanswer", "server", 2),
        ("seq_goto", "browser", 12),
        ("seq_next", "browser", 10),
        ("edx.forum.thread.created", "server", 3),
        ("openassessmentblock.create_submission", "server", 2),
        ("edx.course.enrollment.activated", "server", 1),
        ("page_close", "browser", 5),
        ("/courses/{c}/courseware/", "server", 10),
    ]
    weights = [k[2] for k in kinds]

    def events():
        for _i in range(n):
            etype, source, _w = rng.choices(kinds, weights)[0]
            who = int(rng.paretovariate(1.2)) % students
            course = courses[who % 2]
            key = course[len("course-v1:") :]
            j = rng.randrange(40)
            problem = f"block-v1:{key}+type@problem+block@{j:032x}"
            event: object
            if etype.endswith("_video"):
                event = orjson.dumps(
                    {"id": f"{j:032x}", "currentTime": round(rng.random() * 600, 3), "code": "html5"}
                ).decode()
            elif etype == "problem_check" and source == "server":
                grade = rng.randint(0, 4)
                event = {
                    "problem_id": problem,
                    "grade": grade,
                    "max_grade": 4,
                    "success": "correct" if grade == 4 else "incorrect",
                    "attempts": 1,
                    "answers": {f"{problem}_2_1": "choice_1"},
                    "state": {"seed": 1, "done": True},
                }
            elif etype == "problem_check":
                event = f"input_{j:032x}_2_1=choice_1"
            elif etype == "showanswer":
                event = {"problem_id": problem}
            elif etype.startswith("seq_"):
                event = orjson.dumps(
                    {"id": f"block-v1:{key}+type@sequential+block@{j:032x}", "old": 1, "new": 2}
                ).decode()
            elif etype.startswith("edx.forum"):
                event = {"id": f"{j:032x}", "title": "Question", "body": "text", "commentable_id": "course"}
            elif etype.startswith("edx.course.enrollment"):
                event = {"user_id": 1000 + who, "course_id": course, "mode": "audit"}
            elif etype.startswith("/"):
                etype = etype.format(c=course)
                event = '{"POST": {}, "GET": {}}'
            else:
                event = {}
            module = {
                "usage_key": f"block-v1:{key}+type@openassessment+block@{j:032x}",
                "display_name": "Essay",
            }
            yield {
                "username": f"learner{who}",
                "event_type": etype,
                "ip": f"10.0.{who % 250}.{j}",
                "agent": "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
                "host": "lms.example.edu",
                "referer": f"https://lms.example.edu/courses/{course}/courseware/",
                "accept_language": "en-US,en;q=0.5",
                "event": event,
                "event_source": source,
                "context": {
                    "course_user_tags": {},
                    "user_id": 1000 + who,
                    "org_id": "ExampleX",
                    "course_id": course,
                    "path": f"/courses/{course}/xblock/handler",
                    **({"module": module} if etype.startswith("openassessment") else {}),
                },
                "time": _when(rng, z=False),
                "page": None,
            }

    return write_jsonl(path, events())


_MOODLE_COLS = (
    "id,eventname,component,action,target,objecttable,objectid,crud,edulevel,contextid,contextlevel,"
    "contextinstanceid,userid,courseid,relateduserid,anonymous,other,timecreated,origin,ip,realuserid"
)
_MOODLE_EVENTS = (
    ("\\core\\event\\course_viewed", "core", "r", 2, 0),
    ("\\mod_quiz\\event\\attempt_started", "mod_quiz", "c", 2, 11),
    ("\\mod_quiz\\event\\attempt_submitted", "mod_quiz", "u", 2, 11),
    ("\\mod_resource\\event\\course_module_viewed", "mod_resource", "r", 2, 14),
    ("\\mod_forum\\event\\post_created", "mod_forum", "c", 2, 13),
    ("\\mod_assign\\event\\submission_graded", "mod_assign", "u", 1, 12),  # teacher: skipped
)


def moodle(path: Path, n: int, *, students: int = 600, seed: int = 1) -> int:
    """Write ``n`` rows of a Moodle logstore_standard_log CSV export; returns the file size."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(_MOODLE_COLS + "\n")
        lines = []
        for i in range(1, n + 1):
            ev, comp, crud, level, cm = _MOODLE_EVENTS[rng.randrange(len(_MOODLE_EVENTS))]
            lines.append(
                f'{i},"{ev}",{comp},x,y,,,{crud},{level},{cm + 100},{70 if cm else 50},{cm + rng.randrange(40)},'
                f'{rng.randrange(2, students)},{2 + rng.randrange(3)},NULL,0,"{{}}",{1_770_000_000 + i * 7},web,10.0.0.1,NULL\n'
            )
            if len(lines) >= 10_000:
                f.writelines(lines)
                lines = []
        f.writelines(lines)
    return path.stat().st_size


def events(path: Path, n: int, *, students: int = 600, seed: int = 1) -> int:
    """Write ``n`` rows of an OULAD-shaped studentVle table; returns the file size."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("code_module,code_presentation,id_student,id_site,date,sum_click\n")
        lines = []
        for i in range(n):
            lines.append(
                f"AAA,2013J,{rng.randrange(students)},{546000 + rng.randrange(300)},{i * 250 // n - 10},"
                f"{1 + rng.randrange(9)}\n"
            )
            if len(lines) >= 10_000:
                f.writelines(lines)
                lines = []
        f.writelines(lines)
    return path.stat().st_size


GENERATORS = {"caliper": caliper, "edx": edx, "moodle": moodle, "oulad-vle": events}
# the options each generated source is imported with (format_options)
OPTIONS = {"moodle": {"home_page": "https://moodle.example.edu"}, "oulad-vle": {"course_start": "2013-10-05"}}
