"""Helpers shared by GUI tests (databases with courses, waiting for the window)."""

from __future__ import annotations

import functools
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

FALLBACK = "https://lms.example.edu/course/datasim-101"
ARRAY_STATEMENTS = 2814  # as many as the DATASIM "tccc_dev" array the import tests once read

VERBS = ("initialized", "experienced", "completed", "answered", "terminated")


def xapi_array(path: Path, count: int = ARRAY_STATEMENTS, seed: int = 7) -> Path:
    """Write ``count`` valid xAPI statements as one JSON array to ``path``, shaped like a
    simulator export (named ``mbox`` agents, video and question activities, a ``registration``
    and a category, some with a result) but WITHOUT a course: the import needs the fallback
    course IRI. The GUI tests generate their data; they never read ../shared."""
    rng = random.Random(seed)
    start = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)
    learners = [(f"Learner {i:02d}", f"mailto:learner{i:02d}@example.org") for i in range(24)]
    statements = []
    for i in range(count):
        name, mbox = learners[i % len(learners)]
        verb = VERBS[rng.randrange(len(VERBS))]
        s = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "actor": {"name": name, "mbox": mbox},
            "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}"},
            "object": {
                "id": f"https://media.example.org/activity/{rng.randrange(40)}",
                "definition": {"name": {"en-US": f"Lesson {i % 40}"}},
            },
            "context": {
                "registration": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "contextActivities": {"category": [{"id": "https://example.org/profile/v1"}]},
            },
            "timestamp": (start + timedelta(minutes=7 * i)).isoformat().replace("+00:00", "Z"),
        }
        if verb == "answered":
            s["result"] = {"success": rng.random() < 0.7, "score": {"scaled": round(rng.random(), 2)}}
        statements.append(s)
    path.write_text(json.dumps(statements), encoding="utf-8")
    return path


def xapi_single(path: Path) -> Path:
    """One statement (a named ``mbox`` agent) as a single JSON object, like ``simple.json``."""
    s = {
        "id": str(uuid.uuid4()),
        "timestamp": "2026-09-15T12:17:00+00:00",
        "actor": {"objectType": "Agent", "name": "Sam Example", "mbox": "mailto:sam@example.com"},
        "verb": {"id": "http://example.com/xapi/verbs#sent-a-statement", "display": {"en-US": "sent"}},
        "object": {"id": "http://example.com/xapi/activity/simplestatement"},
    }
    path.write_text(json.dumps(s, indent=2), encoding="utf-8")
    return path


def small_demo(monkeypatch, students: int = 20) -> None:
    """Make ``core.demo.build_demo_database`` build a small demo (fast tests), here and in the
    child process the window builds the demo in (``gui.jobs.DEMO_STUDENTS``)."""
    import learnalytics_desktop.core.demo as demo
    import learnalytics_desktop.gui.jobs as jobs

    monkeypatch.setattr(jobs, "DEMO_STUDENTS", students)
    monkeypatch.setattr(
        demo, "build_demo_database", functools.partial(demo.build_demo_database, students=students)
    )


def build_small_demo(path: Path, students: int = 20) -> Path:
    """A demo database with two offerings of ``students`` students at ``path``."""
    from learnalytics_desktop.core.demo import build_demo_database

    return build_demo_database(path, students=students)


def open_in(window, qtbot, path: Path, *, create: bool = False) -> None:
    """Open ``path`` in ``window`` and wait until it is the window's database."""
    # wait for the database task itself: pages may start (and finish) their own tasks meanwhile
    with qtbot.waitSignal(
        window.runner.finished, timeout=20000, check_params_cb=lambda t: t.key == "database"
    ):
        window.open_database(path, create=create)
    assert window.db_path == Path(path).resolve()
