"""IMS Caliper 1.2: validation with rules and places, envelopes, the mapping to statements."""

from __future__ import annotations

import copy
import csv
import json
import uuid
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from test_importer_helpers import counts

from learnalytics_desktop.core.ingest.caliper.convert import make
from learnalytics_desktop.core.ingest.caliper.envelope import CaliperReader
from learnalytics_desktop.core.ingest.categories import load_mapping
from learnalytics_desktop.core.ingest.convert import Reject, Skip
from learnalytics_desktop.core.ingest.importer import import_paths
from learnalytics_desktop.core.ingest.pseudonym import create_key, load_key
from learnalytics_desktop.core.ingest.readers import discover
from learnalytics_desktop.core.ingest.xapi.validate import validate_statement

CTX = "http://purl.imsglobal.org/ctx/caliper/v1p2"
BASE = "https://lms.example.edu"
SECTION = {
    "id": f"{BASE}/courses/7/sections/1",
    "type": "CourseSection",
    "courseNumber": "CPS 435-01",
    "subOrganizationOf": {"id": f"{BASE}/courses/7", "type": "CourseOffering", "name": "Algorithms"},
}


def event(n: int, etype: str, action: str, obj: Any, **extra: Any) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "@context": CTX,
        "id": f"urn:uuid:{uuid.UUID(int=n)}",
        "type": etype,
        "actor": {"id": f"{BASE}/users/{100 + n % 3}", "type": "Person"},
        "action": action,
        "object": obj,
        "eventTime": f"2026-02-{3 + n % 20:02d}T10:15:00.000Z",
        "edApp": {"id": BASE, "type": "SoftwareApplication"},
        "group": SECTION,
        "membership": {
            "id": f"{BASE}/courses/7/sections/1/rosters/1",
            "type": "Membership",
            "member": f"{BASE}/users/{100 + n % 3}",
            "organization": SECTION["id"],
            "roles": ["Learner"],
            "status": "Active",
        },
    }
    ev.update(extra)
    return ev


QUIZ = {"id": f"{BASE}/quiz/1", "type": "Assessment", "name": "Quiz One", "maxScore": 25.0}
VIDEO = {"id": f"{BASE}/video/1", "type": "VideoObject", "name": "Intro", "duration": "PT20M"}
PAGE = {"id": f"{BASE}/pages/2", "type": "WebPage", "name": "Syllabus"}


def valid_events() -> list[dict[str, Any]]:
    attempt = {
        "id": f"{BASE}/quiz/1/attempts/1",
        "type": "Attempt",
        "assignee": f"{BASE}/users/101",
        "assignable": QUIZ,
        "count": 1,
        "duration": "PT10M30S",
    }
    grade = event(
        2,
        "GradeEvent",
        "Graded",
        attempt,
        actor={"id": f"{BASE}/autograder", "type": "SoftwareApplication"},
        generated={"id": f"{BASE}/scores/1", "type": "Score", "scoreGiven": 20.0, "maxScore": 25.0},
        profile="GradingProfile",
    )
    del grade["membership"]
    return [
        event(1, "AssessmentEvent", "Submitted", QUIZ, generated=attempt, profile="AssessmentProfile"),
        grade,
        event(3, "MediaEvent", "Paused", VIDEO, profile="MediaProfile"),
        event(4, "ViewEvent", "Viewed", PAGE, profile="ReadingProfile"),
        event(
            5,
            "SessionEvent",
            "LoggedIn",
            {"id": BASE, "type": "SoftwareApplication"},
            profile="SessionProfile",
        ),
        event(
            6, "ForumEvent", "Subscribed", {"id": f"{BASE}/forums/1", "type": "Forum"}, profile="ForumProfile"
        ),
    ]


def skipped_records() -> list[dict[str, Any]]:
    teacher = event(7, "ViewEvent", "Viewed", PAGE)
    teacher["membership"]["roles"] = ["Instructor"]
    created = event(8, "ResourceManagementEvent", "Created", PAGE)
    person = {"@context": CTX, "id": f"{BASE}/users/101", "type": "Person", "name": "Ann Example"}
    return [teacher, created, person]


def invalid_records() -> list[tuple[dict[str, Any], str, str]]:
    """(record, rule, place) triples."""
    out = []
    no_actor = event(20, "ViewEvent", "Viewed", PAGE)
    del no_actor["actor"]
    out.append((no_actor, "caliper.required", "actor"))
    out.append(
        (event(21, "ViewEvent", "Viewed", PAGE, eventTime="15/11/2016"), "caliper.datetime", "eventTime")
    )
    out.append((event(22, "ViewEvent", "Paused", PAGE), "caliper.action", "action"))
    out.append(
        (event(23, "AssessmentEvent", "Started", dict(QUIZ, maxScore=25)), "caliper.type", "object.maxScore")
    )
    out.append((event(24, "ViewEvent", "Viewed", PAGE, group=None), "caliper.null", "group"))
    out.append((event(25, "MediaEvent", "Paused", PAGE), "caliper.entity_type", "object.type"))
    out.append((event(26, "ViewEvent", "Viewed", PAGE, colour="red"), "caliper.unknown_property", "colour"))
    out.append((event(27, "ViewEvent", "Viewed", PAGE, id="not-a-uuid"), "caliper.id", "id"))
    return out


def write_jsonl(path: Path, records: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_each_record_one_outcome_with_rule_and_place(db, tmp_path):
    bad = invalid_records()
    p = write_jsonl(tmp_path / "canvas.jsonl", valid_events() + skipped_records() + [r for r, _, _ in bad])
    rep = import_paths(db, [p])
    c = counts(rep)
    assert rep.files[0].format == "caliper"
    assert (c["read"], c["stored"], rep.skipped, c["rejected"]) == (6 + 3 + len(bad), 6, 3, len(bad))
    assert rep.skips_by_reason == {
        "Caliper event by a member without a Learner role (instructor, administrator...)": 1,
        "Caliper ResourceManagementEvent Created: managing content or a course, not learner activity": 1,
        "Caliper Person entity: a description, not an event": 1,
    }
    got = db.execute("SELECT rule, reason FROM rejects ORDER BY id").fetchall()
    for (rule, reason), (_rec, want_rule, place) in zip(got, bad, strict=True):
        assert rule == want_rule and reason.endswith(f"(at {place})"), (rule, reason)


def test_statements_course_scores_and_categories(db, tmp_path):
    import_paths(db, [write_jsonl(tmp_path / "c.jsonl", valid_events())])
    mapping = load_mapping(db)
    rows = db.execute(
        "SELECT v.iri, a.type_iri, a.name, act.ifi, c.iri, c.name, s.score_raw, s.score_max, s.duration "
        "FROM statements s JOIN verbs v ON v.id = s.verb JOIN activities a ON a.id = s.object "
        "JOIN actors act ON act.id = s.actor LEFT JOIN courses c ON c.id = s.course ORDER BY s.rowid"
    ).fetchall()
    cats = [mapping.category(r[0], r[1]) for r in rows]
    assert cats == ["assessment", "assessment", "video", "reading", "navigation", "forum"]
    submitted, graded = rows[0], rows[1]
    assert submitted[2] == "Quiz One" and submitted[8] == 630.0
    assert graded[3] == f"account:{BASE}|{BASE}/users/101"  # the grade is the assignee's
    assert graded[6:8] == (20.0, 25.0) and graded[2] == "Quiz One"
    assert {r[4] for r in rows} == {f"{BASE}/courses/7"}  # the section's offering
    assert rows[0][5] == "Algorithms"


def test_envelope_elements_are_records_and_entities_give_context(db, tmp_path):
    ev = event(30, "ViewEvent", "Viewed", PAGE["id"])
    ev["actor"] = f"{BASE}/users/100"
    envelope = {
        "sensor": f"{BASE}/sensors/1",
        "sendTime": "2026-02-03T11:05:01.000Z",
        "dataVersion": CTX,
        "data": [dict(PAGE, **{"@context": CTX}), ev, event(31, "ViewEvent", "Viewed", PAGE)],
    }
    p = tmp_path / "envelope.json"
    p.write_text(json.dumps(envelope, indent=2))
    rep = import_paths(db, [p])
    assert (rep.read, rep.stored, rep.skipped, rep.rejected) == (3, 2, 1, 0)
    # the event named the page by IRI; the envelope's entity gave its type and name
    assert db.execute("SELECT type_iri, name FROM activities").fetchall() == [
        ("https://w3id.org/xapi/acrossx/activities/webpage", "Syllabus")
    ]
    bad = dict(envelope, sendTime="yesterday")
    p2 = tmp_path / "bad-envelope.json"
    p2.write_text(json.dumps(bad))
    rep2 = import_paths(db, [p2])
    assert rep2.read == 1 and rep2.rejects_by_rule == {"caliper.datetime": 1}


def test_reimport_adds_nothing_and_pseudonyms_hide_people(db, tmp_path):
    p = write_jsonl(tmp_path / "c.jsonl", valid_events() + skipped_records())
    key = load_key(create_key(tmp_path / "k.key"))
    first = import_paths(db, [p], pseudonymize_key=key)
    again = import_paths(db, [p], pseudonymize_key=key)
    assert first.stored == 6 and again.stored == 0 and again.duplicates == 6 and again.skipped == 3
    actors = db.execute("SELECT ifi, label, name FROM actors").fetchall()
    assert all(ifi.startswith("pseudo:") and name is None for ifi, _l, name in actors)
    assert "users/10" not in json.dumps(actors)


def _corpus_rule(reason: str) -> str | None:
    """The rule a manifest reason of the invalid corpus calls for (None: not asserted)."""
    checks = [
        ("wrong action", "caliper.action"),
        ("unknown action", "caliper.action"),
        ("null", "caliper.null"),
        (": no ", "caliper.required"),
        ("wrong entity type", "caliper.entity_type"),
        ("not a list", "caliper.type"),
        ("not an int", "caliper.type"),
        ("invalid date time", "caliper.datetime"),
        ("unknown profile", "caliper.profile"),
        ("unknown context", "caliper.context"),
    ]
    if "JSON" in reason:  # the manifest marks the fixtures that are not even JSON
        return "json.malformed"
    for needle, rule in checks:
        if needle in reason and not reason.endswith("null type"):
            return rule
    return None


def test_caliper_corpora(db, corpora):
    valid = corpora / "caliper-valid"
    rep = import_paths(db, [valid])
    assert {f.format for f in rep.files} == {"caliper"} and len(rep.files) == 129
    # some fixtures reuse an event id with other content: LRS semantics make those conflicts
    assert rep.rejected == 0 and rep.stored >= 40 and rep.skipped > 80
    assert rep.read == rep.stored + rep.duplicates + rep.conflicts + rep.skipped
    invalid = corpora / "caliper-invalid" / "caliper-common-fixtures"
    with open(invalid / "manifest.csv", encoding="utf-8") as f:
        reasons = {row["file"]: row["reason"] for row in csv.DictReader(f)}
    rep = import_paths(db, [invalid])
    assert len(rep.files) == len(reasons) == 279
    # a fixture byte-identical to another one is a duplicate of the quarantined record
    assert rep.stored == 0 and all(f.rejected + f.duplicates >= 1 and f.stored == 0 for f in rep.files)
    assert rep.rejected >= 270
    rules = {
        Path(src).name: rule
        for src, rule in db.execute(
            "SELECT r.source, r.rule FROM rejects r JOIN imports i ON i.id = r.import_id "
            f"WHERE i.id IN ({','.join(str(f.import_id) for f in rep.files)})"
        )
    }
    checked = 0
    for name, reason in reasons.items():
        want = _corpus_rule(reason)
        if want is not None and Path(name).name in rules:
            assert rules[Path(name).name] == want, (name, reason)
            checked += 1
    assert checked > 150


def _mutations() -> st.SearchStrategy:
    leaf = st.none() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12) | st.booleans()
    value = st.recursive(
        leaf, lambda k: st.lists(k, max_size=3) | st.dictionaries(st.text(max_size=8), k, max_size=3)
    )
    keys = st.sampled_from(
        ["actor", "object", "action", "eventTime", "group", "generated", "type", "id", "membership", "x"]
    )
    return st.lists(st.tuples(keys, value | st.just("__delete__")), max_size=3)


@settings(max_examples=300, deadline=None)
@given(which=st.integers(0, 5), changes=_mutations())
def test_converter_never_raises_and_only_emits_valid_statements(which, changes):
    convert = make({})
    ev = copy.deepcopy(valid_events()[which])
    for key, value in changes:
        if value == "__delete__":
            ev.pop(key, None)
        else:
            ev[key] = value
    out = convert(ev)
    assert type(out) in (dict, Skip, Reject)
    if type(out) is dict:
        validate_statement(out)
        assert convert(copy.deepcopy(ev)) == out


@settings(max_examples=80, deadline=None)
@given(
    items=st.lists(st.sampled_from(["event", "entity", "junk", "number"]), min_size=0, max_size=6),
    send_time=st.sampled_from(["2026-02-03T11:05:01.000Z", "soon", None]),
)
def test_an_envelope_is_one_record_per_element_or_one_reject(tmp_path_factory, items, send_time):
    elements = {
        "event": event(40, "ViewEvent", "Viewed", PAGE["id"]),
        "entity": dict(PAGE, **{"@context": CTX}),
        "junk": {"hello": "world"},
        "number": 7,
    }
    envelope: dict[str, Any] = {
        "sensor": f"{BASE}/sensors/1",
        "dataVersion": CTX,
        "data": [elements[i] for i in items],
    }
    if send_time is not None:
        envelope["sendTime"] = send_time
    path = tmp_path_factory.mktemp("env") / "envelope.json"
    path.write_text(json.dumps(envelope))
    (source,), _ = discover([path])
    records = [r for block in CaliperReader(source).blocks() for r in block]
    if send_time != "2026-02-03T11:05:01.000Z" or not items:
        assert len(records) == 1 and records[0][1] is None and records[0][2].startswith("caliper.")
    else:
        assert [r[0].rsplit(" ", 1)[-1] for r in records] == [f"data[{i}]" for i in range(len(items))]
        assert all(r[1] is not None for r in records)
        convert = make({})
        kinds = [type(convert(json.loads(r[1]))) for r in records]
        assert kinds == [{"event": dict, "entity": Skip, "junk": Reject, "number": Reject}[i] for i in items]
