"""Open edX tracking logs: mapping, skips with reasons, rejects, ids, pseudonymisation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_importer_helpers import counts

from learnalytics_desktop.core.ingest.categories import load_mapping
from learnalytics_desktop.core.ingest.convert import Reject, Skip
from learnalytics_desktop.core.ingest.edx.convert import make
from learnalytics_desktop.core.ingest.importer import import_paths
from learnalytics_desktop.core.ingest.pseudonym import create_key, load_key
from learnalytics_desktop.core.ingest.xapi.validate import validate_statement

COURSE = "course-v1:Org+CS101+2026"
BLOCK = "block-v1:Org+CS101+2026+type@problem+block@p1"


def ev(event_type: str, event: Any = None, *, user: int | None = 7, source: str = "server", **kw) -> dict:
    rec: dict[str, Any] = {
        "username": f"learner{user}" if user is not None else "",
        "event_type": event_type,
        "ip": "10.0.0.1",
        "agent": "Mozilla/5.0",
        "host": "lms",
        "event_source": source,
        "context": {"course_id": COURSE, "org_id": "Org", "path": "/x"},
        "time": "2026-02-03T10:00:00.123456+00:00",
        "page": None,
        "event": event if event is not None else {},
    }
    if user is not None:
        rec["context"]["user_id"] = user
    rec.update(kw)
    return rec


def sample() -> list[Any]:
    video = json.dumps({"id": "v1", "currentTime": 12.5, "code": "html5"})
    return [
        ev("problem_check", {"problem_id": BLOCK, "grade": 3, "max_grade": 4, "success": "incorrect"}),
        ev("problem_check", "input_p1=2", source="browser"),  # browser echo: skipped
        ev("showanswer", {"problem_id": BLOCK}),
        ev("play_video", video, source="browser"),
        ev("seek_video", json.dumps({"id": "v1", "old_time": 1, "new_time": 30}), source="browser"),
        ev("seq_goto", json.dumps({"id": "block-v1:Org+CS101+2026+type@sequential+block@s1", "new": 2})),
        ev("edx.forum.thread.created", {"id": "t1", "title": "My private question", "body": "text"}),
        ev(
            "openassessmentblock.create_submission",
            {"answer": {"parts": [{"text": "essay"}]}},
            context={
                "course_id": COURSE,
                "user_id": 7,
                "module": {
                    "usage_key": "block-v1:Org+CS101+2026+type@openassessment+block@o1",
                    "display_name": "Essay",
                },
            },
        ),
        ev("edx.course.enrollment.activated", {"user_id": 8, "course_id": COURSE, "mode": "audit"}),
        ev("edx.course.enrollment.deactivated", {"user_id": 8, "course_id": COURSE, "mode": "audit"}),
        ev("/courses/course-v1:Org+CS101+2026/courseware/", json.dumps({"GET": {}, "POST": {}})),
        ev("edx.grades.subsection.grade_calculated", {"weighted_earned": 1}),
        ev("seq_next", json.dumps({"id": "s"}), user=None),  # anonymous: skipped
        {"username": "x", "time": "2026-02-03T10:00:00Z", "context": {}},  # no event_type
        ev("seq_next", json.dumps({"id": "s"}), time="yesterday"),  # bad time
        ev("play_video", "{not json", source="browser"),  # event string not JSON
        ev("showanswer", {}),  # no problem id
        [1, 2],  # not an object
    ]


def write(path: Path, records: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_every_event_has_one_outcome_with_its_reason(db, tmp_path):
    p = write(tmp_path / "tracking.log", sample())
    rep = import_paths(db, [p])
    c = counts(rep)
    assert rep.files[0].format == "edx"
    assert c["read"] == 18 and c["stored"] == 9 and rep.skipped == 4 and c["rejected"] == 5
    assert c["read"] == c["stored"] + c["duplicates"] + c["conflicts"] + c["rejected"] + rep.skipped
    assert rep.skips_by_reason == {
        "Open edX browser problem_check: an echo of the server's problem_check, which is stored": 1,
        "Open edX web-server request line (a URL, not a learner action)": 1,
        "Open edX edx.grades.* event: grading bookkeeping by the server": 1,
        "Open edX event without a user (anonymous): not attributable to a learner": 1,
    }
    assert rep.rejects_by_rule == {"edx.required": 2, "edx.time": 1, "edx.event": 1, "edx.not_event": 1}
    places = {r[0] for r in db.execute("SELECT reason FROM rejects")}
    assert any("(at time)" in r for r in places) and any("(at event_type)" in r for r in places)
    row = db.execute("SELECT format, skipped, skips FROM imports").fetchone()
    assert (
        row[0] == "edx"
        and row[1] == 4
        and json.loads(row[2])["Open edX edx.grades.* event: grading bookkeeping by the server"] == 1
    )


def test_categories_scores_and_withdrawal(db, tmp_path):
    import_paths(db, [write(tmp_path / "t.jsonl", sample())])
    mapping = load_mapping(db)
    rows = db.execute(
        "SELECT v.iri, a.type_iri, s.score_raw, s.score_max, s.success, s.ts, act.label "
        "FROM statements s JOIN verbs v ON v.id = s.verb JOIN activities a ON a.id = s.object "
        "JOIN actors act ON act.id = s.actor ORDER BY s.rowid"
    ).fetchall()
    cats = [mapping.category(v, t) for v, t, *_ in rows]
    assert cats == [
        "assessment",
        "assessment",
        "video",
        "video",
        "navigation",
        "forum",
        "assignment",
        "navigation",
        "navigation",
    ]
    assert rows[0][2:5] == (3.0, 4.0, 0)
    assert rows[0][5] == 1770112800123  # 2026-02-03T10:00:00.123Z
    verbs = [r[0] for r in rows]
    assert verbs[-1] == "http://id.tincanapi.com/verb/unregistered"
    assert rows[-1][6] == "8" and rows[0][6] == "7"  # enrolment events name the enrolled learner
    course = db.execute("SELECT iri FROM courses").fetchall()
    assert course == [("https://openedx.invalid/courses/course-v1:Org+CS101+2026",)]
    # free text never reaches the store
    assert not db.execute("SELECT count(*) FROM activities WHERE name LIKE '%private%'").fetchone()[0]


def test_home_page_option_and_reimport_adds_nothing(db, tmp_path):
    p = write(tmp_path / "t.jsonl", sample())
    first = import_paths(db, [p], format_options={"home_page": "https://courses.example.edu/"})
    again = import_paths(db, [p], format_options={"home_page": "https://courses.example.edu/"})
    assert first.stored == 9 and first.rejected == 5
    # again: the statements and the quarantined records are all duplicates, the skips skipped
    assert again.stored == again.rejected == 0 and again.duplicates == 14 and again.skipped == 4
    ifis = {r[0] for r in db.execute("SELECT ifi FROM actors")}
    assert ifis == {"account:https://courses.example.edu|7", "account:https://courses.example.edu|8"}


def test_pseudonymised_edx_import_keeps_no_names(db, tmp_path):
    key = load_key(create_key(tmp_path / "k.key"))
    import_paths(db, [write(tmp_path / "t.jsonl", sample())], pseudonymize_key=key)
    actors = db.execute("SELECT ifi, label, name FROM actors").fetchall()
    assert actors and all(ifi.startswith("pseudo:") and name is None for ifi, _l, name in actors)
    assert (
        "learner7" not in json.dumps(actors)
        and not db.execute("SELECT count(*) FROM rejects WHERE excerpt IS NOT NULL").fetchone()[0]
    )


def test_array_and_forced_format(db, tmp_path):
    p = tmp_path / "log.json"
    p.write_text(json.dumps(sample()[:3]))
    rep = import_paths(db, [p], source_format="edx")
    assert rep.files[0].format == "edx" and rep.stored == 2 and rep.skipped == 1


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=10), kids, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    event_type=st.sampled_from(
        [
            "problem_check",
            "play_video",
            "seq_goto",
            "edx.forum.thread.created",
            "edx.course.enrollment.deactivated",
            "showanswer",
            "x.y",
        ]
    )
    | st.text(max_size=12),
    event=json_values,
    context=json_values,
    time=st.sampled_from(["2026-02-03T10:00:00Z", "2026-02-03 10:00:00", "nope"]) | st.text(max_size=30),
    username=json_values,
)
def test_converter_never_raises_and_only_emits_valid_statements(event_type, event, context, time, username):
    convert = make({})
    rec = {"event_type": event_type, "event": event, "context": context, "time": time, "username": username}
    out = convert(rec)
    assert type(out) in (dict, Skip, Reject)
    if type(out) is dict:
        validate_statement(out)
        assert convert(json.loads(json.dumps(rec))) == out  # deterministic, same id


@pytest.mark.usefixtures("db")
def test_ralph_corpus(db, corpora):
    folder = corpora / "datasets" / "edx-tracking-log-ralph"
    rep = import_paths(db, [folder])
    assert {f.format for f in rep.files} == {"edx"}
    assert rep.read == 14 and rep.stored == 8 and rep.skipped == 6 and rep.rejected == 0


def test_a_folder_of_rotated_tracking_logs(db, tmp_path):
    import gzip

    folder = tmp_path / "logs"
    folder.mkdir()
    write(folder / "tracking.log", sample()[:3])
    (folder / "tracking.log-20260301-1772323200.gz").write_bytes(
        gzip.compress("".join(json.dumps(r) + "\n" for r in sample()[3:6]).encode())
    )
    (folder / "notes.txt").write_text("not a log")
    rep = import_paths(db, [folder])
    assert sorted(Path(f.source).name for f in rep.files) == [
        "tracking.log",
        "tracking.log-20260301-1772323200.gz",
    ]
    assert {f.format for f in rep.files} == {"edx"} and rep.stored == 5 and rep.skipped == 1
    assert [Path(p).name for p, _ in rep.skipped_files] == ["notes.txt"]
