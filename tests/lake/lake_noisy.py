"""A generated noisy course for the lake parity tests: every untidiness the import rules and
the features have to agree on, in several files and formats."""

from __future__ import annotations

import gzip
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

COURSE_A = "https://lms.example.edu/course/noisy-a"
COURSE_B = "https://lms.example.edu/course/noisy-b"
FALLBACK = "https://lms.example.edu/course/fallback"
START = datetime(2026, 9, 7, tzinfo=UTC)  # a Monday
ADL = "http://adlnet.gov/expapi/verbs/"
TYPES = {
    "video": "https://w3id.org/xapi/video/activity-type/video",
    "quiz": "http://adlnet.gov/expapi/activities/assessment",
    "assignment": "http://adlnet.gov/expapi/activities/assignment",
    "page": "http://adlnet.gov/expapi/activities/lesson",
    "forum": "http://id.tincanapi.com/activitytype/discussion",
}
VERBS = {
    "video": [ADL + "launched", "https://w3id.org/xapi/video/verbs/played", ADL + "completed"],
    "quiz": [ADL + "attempted", ADL + "answered", ADL + "completed"],
    "assignment": ["http://id.tincanapi.com/verb/submitted", ADL + "attempted"],
    "page": [ADL + "experienced"],
    "forum": [
        "http://id.tincanapi.com/verb/replied",
        ADL + "commented",
        "http://id.tincanapi.com/verb/viewed",
    ],
}


def _actor(i: int, rng: random.Random) -> dict[str, Any]:
    kind = i % 4
    if kind == 0:
        return {"mbox": f"mailto:Student{i}@Example.edu", "name": f"Student {i}"}
    if kind == 1:  # one account name with a bidi override and an edge space: stored clean
        name = f"s{i:04d}" if i != 5 else f" s{i:04d}\u202e"
        return {"account": {"homePage": "https://lms.example.edu", "name": name}}
    if kind == 2:
        return {"mbox_sha1sum": f"{i:040x}"}
    return {"openid": f"https://id.example.edu/{i}"}


def _iso(t: datetime, rng: random.Random) -> str:
    form = rng.randrange(3)
    if form == 0:
        return t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    if form == 1:
        return (t + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S") + "+02:00"
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _statement(rng: random.Random, actor: dict, course: str | None, t: datetime) -> dict[str, Any]:
    kind = rng.choice(list(TYPES))
    n = rng.randrange(1, 6)
    act: dict[str, Any] = {"id": f"https://lms.example.edu/{kind}/{n}"}
    if rng.random() < 0.85:  # some statements leave the activity's type out
        act["definition"] = {"type": TYPES[kind], "name": {"en-US": f"{kind} {n}"}}
    s: dict[str, Any] = {
        "actor": actor,
        "verb": {"id": rng.choice(VERBS[kind])},
        "object": act,
        "timestamp": _iso(t, rng),
    }
    if rng.random() < 0.9:
        s["id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    result: dict[str, Any] = {}
    if rng.random() < 0.5:
        secs = rng.choice([rng.uniform(1, 3000), 1.0005, 2.5, 0.0004, 200_000])
        result["duration"] = f"PT{secs:.4f}S"
    if kind == "quiz" and rng.random() < 0.8:
        choice = rng.randrange(3)
        if choice == 0:
            result["score"] = {"scaled": round(rng.uniform(-0.2, 1), 3)}
        elif choice == 1:
            result["score"] = {"raw": rng.randrange(0, 21), "min": 0, "max": 20}
        else:
            result["score"] = {"raw": rng.randrange(0, 11), "max": 10}
    if kind == "assignment" and rng.random() < 0.5:
        result["extensions"] = {
            "https://lms.example.edu/xapi/late": rng.choice([True, False, "yes", "maybe"])
        }
    if result:
        s["result"] = result
    if course is not None:
        s["context"] = {
            "contextActivities": {
                "parent": [
                    {"id": course, "definition": {"type": "http://adlnet.gov/expapi/activities/course"}}
                ]
            }
        }
    return s


def generate(folder: Path, *, students: int = 40, seed: int = 11) -> dict[str, Any]:
    """Write the noisy course into ``folder`` (JSON Lines, a JSON array, gzip, a sub-folder);
    returns what a test needs (courses, start)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    statements: list[dict[str, Any]] = []
    for i in range(students):
        actor = _actor(i, rng)
        course = COURSE_A if i % 3 else COURSE_B
        t = START + timedelta(hours=rng.uniform(-24, 48))
        for _ in range(rng.randrange(5, 60)):
            t += timedelta(minutes=rng.choice([1, 5, 20, 45, 300, 1500, 4000]))
            where = course if rng.random() > 0.05 else None
            statements.append(_statement(rng, actor, where, t))
            if rng.random() < 0.05:  # two statements at the same millisecond
                statements.append(_statement(rng, actor, where, t))
    for i in range(0, students, 5):  # some join the course by a statement, one leaves
        s = _statement(rng, _actor(i, rng), COURSE_A if i % 3 else COURSE_B, START + timedelta(hours=i))
        s["verb"] = {"id": ADL + "registered"}
        statements.append(s)
        if i == 10:
            statements.append(
                {
                    **s,
                    "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "verb": {"id": "http://id.tincanapi.com/verb/unregistered"},
                }
            )
    group = {"objectType": "Group", "name": "Team 1", "member": [_actor(0, rng), _actor(1, rng)]}
    statements.extend(_statement(rng, group, COURSE_A, START + timedelta(days=d)) for d in range(3))
    rng.shuffle(statements)
    with_ids = [s for s in statements if "id" in s]
    extra: list[Any] = []
    extra.extend(json.loads(json.dumps(s)) for s in rng.sample(with_ids, 15))  # exact duplicates
    for s in rng.sample(with_ids, 6):  # conflicts: same id, other content
        c = json.loads(json.dumps(s))
        c["verb"] = {"id": ADL + "interacted"}
        extra.append(c)
    for target in rng.sample(with_ids, 5):  # voiding, before or after its target in read order
        v = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "actor": {"mbox": "mailto:admin@example.edu"},
            "verb": {"id": ADL + "voided"},
            "object": {"objectType": "StatementRef", "id": target["id"]},
            "timestamp": "2026-12-01T00:00:00Z",
        }
        extra.append(v)
        if len(extra) % 2:  # and a voiding statement that targets a voiding statement
            extra.append(
                {
                    **v,
                    "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "object": {"objectType": "StatementRef", "id": v["id"]},
                }
            )
    bad = [
        '{"actor": {"mbox": "mailto:x@example.edu"}, "verb": {"id": "not an iri"}, "object": {"id": "https://a.example/1"}}',
        '{"actor": {}, "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"}, "object": {"id": "https://a.example/1"}}',
        '{"this is": not json',
        "[1, 2, 3]",
        '{"actor": {"mbox": "mailto:x@example.edu"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"}, "object": {"id": "https://a.example/1"}, "timestamp": "yesterday"}',
    ]
    bad.append(bad[0])  # the same broken record twice: the second is a duplicate, not a second reject
    third = len(statements) // 3
    parts = [statements[:third], statements[third : 2 * third], statements[2 * third :]]
    lines = [json.dumps(s) for s in parts[0] + extra[: len(extra) // 2]] + bad
    (folder / "a-lms.jsonl").write_text("\n".join(lines) + "\n" + '{"cut": ', encoding="utf-8")
    (folder / "b-array.json").write_text(json.dumps(parts[1] + extra[len(extra) // 2 :]), encoding="utf-8")
    (folder / "later").mkdir(exist_ok=True)
    with gzip.open(folder / "later" / "c-export.jsonl.gz", "wt", encoding="utf-8") as f:
        for s in parts[2]:
            f.write(json.dumps(s) + "\n")
    with open(folder / "later" / "tracking.log", "w", encoding="utf-8") as f:
        for line in _edx_log(rng):
            f.write(line + "\n")
    (folder / ".hidden.jsonl").write_text("{}\n", encoding="utf-8")
    (folder / "notes.txt").write_text("not statements\n", encoding="utf-8")
    return {
        "courses": [COURSE_A, COURSE_B, FALLBACK],
        "start": START.date(),
        "fallback": FALLBACK,
        "format_options": {"home_page": HOME},
    }


HOME = "https://lms.example.edu"
EDX_COURSE = "course-v1:Org+NOISY+2026"


def _edx_log(rng: random.Random) -> list[str]:
    """An Open edX tracking log: learner events (mapped to statements) and server noise (skipped)."""
    block = "block-v1:Org+NOISY+2026+type@problem+block@p"
    out = []
    for i in range(60):
        user = rng.randrange(1, 7)
        t = START + timedelta(hours=rng.uniform(0, 24 * 20))
        kind = rng.choice(["problem_check", "play_video", "seq_goto", "server"])
        rec: dict[str, Any] = {
            "username": f"learner{user}",
            "event_source": "server",
            "host": "lms",
            "context": {"course_id": EDX_COURSE, "org_id": "Org", "user_id": user, "path": "/x"},
            "time": t.isoformat(),
            "page": None,
        }
        if kind == "problem_check":
            n = rng.randrange(1, 4)
            rec.update(
                event_type="problem_check",
                event={
                    "problem_id": block + str(n),
                    "grade": rng.randrange(0, 5),
                    "max_grade": 4,
                    "success": "correct",
                },
            )
        elif kind == "play_video":
            rec.update(
                event_type="play_video",
                event_source="browser",
                event=json.dumps({"id": f"v{i % 3}", "currentTime": 1.5, "code": "html5"}),
            )
        elif kind == "seq_goto":
            rec.update(
                event_type="seq_goto",
                event=json.dumps({"id": "block-v1:Org+NOISY+2026+type@sequential+block@s1", "new": 2}),
            )
        else:
            rec.update(event_type="/courses/course-v1:Org+NOISY+2026/xblock/handler", event={"GET": {}})
        out.append(json.dumps(rec))
    return out
