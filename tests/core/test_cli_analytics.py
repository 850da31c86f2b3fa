"""The command line: courses, outcomes, roster, features, demo (a stable contract)."""

from __future__ import annotations

import csv
import json

import pytest
from factories import make_demo_db

from learnalytics_desktop.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def demo(tmp_path):
    return make_demo_db(tmp_path / "demo.db", students=40)


def test_courses(capsys, demo):
    code, out, _ = run(capsys, "courses", "--db", str(demo.path), "--json")
    assert code == 0
    courses = json.loads(out)
    assert [c["iri"].rsplit("/", 1)[-1] for c in courses] == ["2025-autumn", "2026-autumn"]
    first = courses[0]
    assert {"id", "iri", "name", "start", "weeks", "students", "statements"} <= set(first)
    assert first["start"] == "2025-09-15" and first["weeks"] == 13
    assert first["students"] == 44  # 40 on the roster, 2 auditors, 2 openid students also on the roster
    code, out, _ = run(capsys, "courses", "--db", str(demo.path))
    assert (
        code == 0
        and "Introduction to Data Analysis (Autumn 2026)" in out
        and "start 2026-09-14 (user)" in out
    )


def test_courses_set_dates(capsys, demo):
    code, out, _ = run(
        capsys, "courses", "--db", str(demo.path), "--course", "2026", "--weeks", "14", "--json"
    )
    assert code == 0 and json.loads(out)[1]["weeks"] == 14 and json.loads(out)[1]["start"] == "2026-09-14"
    code, out, _ = run(
        capsys, "courses", "--db", str(demo.path), "--course", "2026", "--start", "data", "--json"
    )
    assert json.loads(out)[1]["start_source"] == "data" and json.loads(out)[1]["weeks"] == 14
    code, _, err = run(capsys, "courses", "--db", str(demo.path), "--weeks", "3")
    assert code == 2 and "need --course" in err


def test_outcomes_and_roster(capsys, demo):
    gradebook = next(iter(demo.files.gradebooks.values()))
    code, out, _ = run(
        capsys,
        "outcomes",
        "--db",
        str(demo.path),
        "--course",
        "Autumn 2025",
        str(gradebook),
        "--id-column",
        "Student ID",
        "--email-column",
        "Email",
        "--grade-column",
        "Final grade",
        "--result-column",
        "Result",
        "--json",
    )
    assert code == 0
    report = json.loads(out)
    assert report["rows"] == 40 and report["matched"] == 40 and report["encoding"] == "cp1252"
    assert len(report["learners_without_row"]) == 4  # two auditors, two openid students
    roster = demo.files.rosters[demo.files.offering("2026-autumn").iri]
    code, out, _ = run(capsys, "roster", "--db", str(demo.path), "--course", "2026-autumn", str(roster))
    assert code == 0 and "40 rows read" in out and "learners with no row" in out


def test_clear_errors(capsys, demo, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("Student ID,Mark\nx,1\n", encoding="utf-8")
    code, _, err = run(
        capsys, "outcomes", "--db", str(demo.path), "--course", "2025", str(bad), "--grade-column", "Grade"
    )
    assert (
        code == 2
        and "The grade column 'Grade' is not in bad.csv. Its columns are: 'Student ID', 'Mark'" in err
    )
    code, _, err = run(capsys, "outcomes", "--db", str(demo.path), "--course", "Data", str(bad))
    assert code == 2 and "matches 2 course offerings" in err
    code, _, err = run(capsys, "roster", "--db", str(tmp_path / "none.db"), "--course", "x", str(bad))
    assert code == 2 and "there is no database" in err
    code, _, err = run(
        capsys,
        "features",
        "--db",
        str(demo.path),
        "--course",
        "2025",
        "--as-of",
        "last week",
        "--out",
        str(tmp_path / "f.csv"),
    )
    assert code == 2 and "--as-of must be a date" in err
    code, _, err = run(
        capsys, "roster", "--db", str(demo.path), "--course", "2025", str(tmp_path / "missing.csv")
    )
    assert code == 2 and "missing.csv" in err


def test_features_csv(capsys, demo, tmp_path):
    out_csv = tmp_path / "features.csv"
    code, out, _ = run(
        capsys,
        "features",
        "--db",
        str(demo.path),
        "--course",
        "2026",
        "--week",
        "3",
        "--out",
        str(out_csv),
        "--json",
    )
    assert code == 0 and json.loads(out)["as_of"] == "2026-10-05T00:00:00+00:00"
    with out_csv.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == json.loads(out)["students"] == 44
    header = list(rows[0])
    assert header[0] == "student" and "engagement_score" in header and "pct_total_events" in header
    assert header.index("engagement_score") < header.index("pct_total_events")
    assert all(0 <= float(r["engagement_score"]) <= 1 for r in rows)
    code, out, _ = run(
        capsys,
        "features",
        "--db",
        str(demo.path),
        "--course",
        "2026",
        "--as-of",
        "2026-10-05",
        "--out",
        str(tmp_path / "same.csv"),
    )
    assert code == 0 and (tmp_path / "same.csv").read_bytes() == out_csv.read_bytes()


def test_demo_command(capsys, tmp_path):
    code, out, _ = run(capsys, "demo", "--out", str(tmp_path / "d"), "--students", "20", "--json")
    assert code == 0
    result = json.loads(out)
    assert len(result["xapi_files"]) >= 4 and len(result["rosters"]) == 2 and len(result["gradebooks"]) == 1
    assert (tmp_path / "d" / "README.txt").is_file()
    code, _, _ = run(
        capsys, "demo", "--out", str(tmp_path / "d"), "--students", "20"
    )  # an earlier demo: fine
    assert code == 0
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "thesis.docx").write_text("x")
    code, _, err = run(capsys, "demo", "--out", str(tmp_path / "other"))
    assert code == 2 and "not empty" in err


def test_demo_command_builds_a_database(capsys, tmp_path):
    db = tmp_path / "demo.db"
    code, out, _ = run(capsys, "demo", "--out", str(tmp_path / "d"), "--students", "20", "--db", str(db))
    assert code == 0 and db.is_file() and "Built the demo database" in out
    code, out, _ = run(capsys, "courses", "--db", str(db), "--json")
    assert [c["start_source"] for c in json.loads(out)] == ["user", "user"]
    before = sorted(p.stat().st_mtime_ns for p in (tmp_path / "d").rglob("*") if p.is_file())
    code, _, err = run(capsys, "demo", "--out", str(tmp_path / "d"), "--students", "20", "--db", str(db))
    assert code == 2 and "already exists" in err
    assert sorted(p.stat().st_mtime_ns for p in (tmp_path / "d").rglob("*") if p.is_file()) == before
