"""The OULAD converter (bench/oulad_convert.py) on generated OULAD-shaped tables."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from oulad_convert import (
    LATE_EXTENSION,
    VERB_REGISTERED,
    VERB_SCORED,
    VERB_UNREGISTERED,
    convert,
    day_zero,
    generate_tables,
)


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_day_zero_is_the_first_monday():
    assert day_zero("2013J").isoformat() == "2013-10-07"
    assert day_zero("2014B").isoformat() == "2014-02-03"


def test_convert_writes_statements_gradebook_class_list_and_calendar(tmp_path):
    folder = generate_tables(tmp_path / "oulad", students=40, seed=3)
    conv = convert(folder, tmp_path / "out")
    assert [o.name for o in conv.offerings] == ["AAA 2013J", "AAA 2014J"]
    off = conv.get("AAA", "2013J")
    info = [r for r in _rows(folder / "studentInfo.csv") if r["code_presentation"] == "2013J"]
    reg = {r["id_student"]: r for r in _rows(folder / "studentRegistration.csv")}
    subs = _rows(folder / "studentAssessment.csv")
    due = {r["id_assessment"]: r["date"] for r in _rows(folder / "assessments.csv")}
    statements = [json.loads(line) for line in off.xapi.read_text().splitlines()]
    verbs = [s["verb"]["id"] for s in statements]
    assert verbs.count(VERB_REGISTERED) == len(info)
    withdrawn = [r for r in info if reg[r["id_student"]]["date_unregistration"]]
    assert withdrawn and verbs.count(VERB_UNREGISTERED) == len(withdrawn)
    mine = [
        s
        for s in subs
        if due.get(s["id_assessment"]) is not None
        and s["id_assessment"]
        in {
            r["id_assessment"] for r in _rows(folder / "assessments.csv") if r["code_presentation"] == "2013J"
        }
    ]
    assert verbs.count(VERB_SCORED) == len(mine) == off.submissions
    # lateness: submitted after the due day
    scored = [s for s in statements if s["verb"]["id"] == VERB_SCORED]
    by_id = {(s["id_assessment"], s["id_student"]): s for s in mine}
    for st in scored[:50]:
        aid = st["object"]["id"].rsplit("/", 1)[1]
        src = by_id[(aid, st["actor"]["account"]["name"])]
        assert st["context"]["extensions"][LATE_EXTENSION] == (int(src["date_submitted"]) > int(due[aid]))
        assert st["result"]["score"]["raw"] == float(src["score"])
    grades = _rows(off.gradebook)
    assert {r["student_id"]: r["final_result"] for r in grades} == {
        r["id_student"]: r["final_result"] for r in info
    }
    roster = {r["student_id"]: r for r in _rows(off.classlist)}
    for r in withdrawn:
        assert roster[r["id_student"]]["withdrawn"]  # an ISO date
    assert len(_rows(off.assessments)) == 6


def test_converted_files_import_into_the_app(tmp_path):
    from learnalytics_desktop.core import outcomes
    from learnalytics_desktop.core.courses import find_course
    from learnalytics_desktop.core.ingest import import_paths
    from learnalytics_desktop.core.store.db import open_db

    folder = generate_tables(tmp_path / "oulad", students=30, seed=5)
    off = convert(folder, tmp_path / "out", presentations=("2014J",)).offerings[0]
    conn = open_db(tmp_path / "db.sqlite")
    rep = import_paths(conn, [off.xapi], workers=1)
    assert rep.rejected == 0
    course = find_course(conn, off.course_iri)
    report = outcomes.import_roster(conn, course.id, off.classlist, id_column="student_id")
    assert report.rows == 30 and not report.unmatched
    report = outcomes.import_outcomes(conn, course.id, off.gradebook, id_column="student_id")
    assert report.matched == 30


def test_command_line_takes_the_converted_offering_end_to_end(tmp_path, capsys):
    import json as _json

    from learnalytics_desktop.cli import main

    folder = generate_tables(tmp_path / "oulad", students=40, seed=9)
    off = convert(folder, tmp_path / "out", presentations=("2014J",)).offerings[0]
    db = str(tmp_path / "db.sqlite")
    assert main(["import", "--db", db, str(off.xapi)]) == 0
    course = off.course_iri
    assert main(["courses", "--db", db, "--course", course, "--start", off.start.isoformat()]) == 0
    args = ["--db", db, "--course", course]
    assert (
        main(
            [
                "roster",
                *args,
                str(off.classlist),
                "--id-column",
                "student_id",
                "--registered-column",
                "registered",
                "--withdrawn-column",
                "withdrawn",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "assessments",
                *args,
                str(off.assessments),
                "--preset",
                "oulad",
                "--iri-template",
                off.iri_template,
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["assessments", *args, "--json"]) == 0
    cal = _json.loads(capsys.readouterr().out)["assessments"]
    assert [a["kind"] for a in cal] == ["assignment"] * 5 + ["exam"]
    assert sum(a["statements"] for a in cal) == off.submissions
    assert main(["enrolment", *args, "--week", "10", "--json"]) == 0
    out = _json.loads(capsys.readouterr().out)
    reg = {
        r["id_student"]: r
        for r in _rows(folder / "studentRegistration.csv")
        if r["code_presentation"] == "2014J"
    }
    gone = {s for s, r in reg.items() if r["date_unregistration"] and int(r["date_unregistration"]) < 70}
    assert {s["student"] for s in out["students"] if s["status"] == "withdrawn"} == gone
    assert main(["enrolment", *args]) == 2  # a week or a date is needed
    assert main(["enrolment", "--db", db, "--leave-verb", "not an iri"]) == 2
