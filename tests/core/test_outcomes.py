"""Gradebook and roster import: CSV edge cases, matching, the report, labels, one transaction."""

from __future__ import annotations

import hashlib

import pytest
from factories import EventBuilder

from learnalytics_desktop.core.ingest.pseudonym import pseudonymize_ifi
from learnalytics_desktop.core.outcomes import (
    OutcomesError,
    at_risk_labels,
    course_learners,
    import_outcomes,
    import_roster,
    set_at_risk_rule,
)
from learnalytics_desktop.core.tabular import parse_flag, parse_number, read_csv

HOME = "https://lms.example.edu"


def sha1(email: str) -> str:
    return hashlib.sha1(f"mailto:{email}".encode()).hexdigest()


@pytest.fixture
def course(db):
    """Students active in the course with every identifier kind, plus one in another course."""
    b = EventBuilder(db)
    c = b.course("https://x.example/c", "Course", start="2026-01-05", weeks=10)
    other = b.course("https://x.example/other", "Other")
    ids = {
        "acc": b.student("u100"),
        "mbox": b.student("zoe@uni.example", kind="mbox"),
        "sha": b.student("sam@uni.example", kind="mbox_sha1sum"),
        "openid": b.student("https://id.example/ola", kind="openid"),
        "twin_here": b.student("u200"),
        "twin_there": b.student("u200", home="https://other.example"),
        "elsewhere": b.student("u300"),
    }
    for key in ("acc", "mbox", "sha", "openid", "twin_here"):
        b.event(ids[key], c, "2026-01-06T10:00:00Z", "reading")
    b.event(ids["twin_there"], other, "2026-01-06T10:00:00Z", "reading")
    b.event(ids["elsewhere"], other, "2026-01-06T10:00:00Z", "reading")
    return db, c, ids


def write(tmp_path, name, text, encoding="utf-8", bom=b""):
    p = tmp_path / name
    p.write_bytes(bom + text.encode(encoding))
    return p


def test_gradebook_cp1252_semicolons_decimal_commas(course, tmp_path):
    db, c, ids = course
    text = (
        "Student ID;Name;Email;Final grade;Result\r\n"
        "u100;Zoë Müller;;67,5;Pass\r\n"
        ";José;ZOE@uni.example;38;Fail\r\n"
        ";Sam;mailto:sam@uni.example;;Withdrawn\r\n"
        "u999;Nobody;nobody@uni.example;80;Distinction\r\n"
        "u200;Twin;;55 %;Pass\r\n"
        "\r\n"
    )
    path = write(tmp_path, "grades.csv", text, "cp1252")
    r = import_outcomes(db, c, path)  # every column recognised from its header
    assert (r.encoding, r.delimiter) == ("cp1252", "semicolon")
    assert any("Windows-1252" in w for w in r.warnings)
    assert r.columns == {"id": "Student ID", "email": "Email", "grade": "Final grade", "result": "Result"}
    assert r.rows == 5 and r.matched == 4 and r.blank_lines == 1
    assert r.matched_by == {"account": 2, "email": 1, "email_sha1": 1}  # u200: narrowed to this course
    assert [(i.row, i.value) for i in r.unmatched] == [(5, "u999 / nobody@uni.example")]
    assert [d["actor"] for d in r.learners_without_row] == [ids["openid"]]
    got = dict(
        (
            (a, (g, res, p, w))
            for a, g, res, p, w in db.execute(
                "SELECT actor, final_grade, result, passed, withdrew FROM outcomes WHERE course = ?", (c,)
            )
        )
    )
    assert got[ids["acc"]] == (67.5, "Pass", 1, 0)
    assert got[ids["mbox"]] == (38.0, "Fail", 0, 0)
    assert got[ids["sha"]] == (None, "Withdrawn", 0, 1)
    assert got[ids["twin_here"]] == (55.0, "Pass", 1, 0)
    enrolled = db.execute(
        "SELECT count(*) FROM enrolments WHERE course = ? AND source = 'outcomes'", (c,)
    ).fetchone()
    assert enrolled[0] == 4
    assert "1 unmatched" in r.summary() and "row 5" in r.summary()
    assert r.to_dict()["unmatched"][0]["row"] == 5


def test_roster_creates_students_without_statements(course, tmp_path):
    db, c, ids = course
    text = (
        "\ufeffStudent ID,Email,Study mode\n"
        "u100,,Full-time\n"
        "u555,new.one@uni.example,Part-time\n"
        ",only.mail@uni.example,Full-time\n"
        "u555,new.one@uni.example,Part-time\n"
    )
    path = write(tmp_path, "roster.csv", text)
    r = import_roster(db, c, path, attribute_columns=["study mode"])
    assert r.encoding == "utf-8 (with BOM)" and r.delimiter == "comma"
    assert r.matched == 1 and r.created == 2 and [d.row for d in r.duplicates] == [5]
    new = db.execute(
        "SELECT ifi, kind, label, email FROM actors WHERE label IN ('u555', 'only.mail@uni.example') "
        "ORDER BY label"
    ).fetchall()
    assert new == [
        ("mbox:mailto:only.mail@uni.example", "mbox", "only.mail@uni.example", "only.mail@uni.example"),
        (f"account:{HOME}|u555", "account", "u555", "new.one@uni.example"),
    ]
    learners = course_learners(db, c)
    assert "u555" in learners.values() and "only.mail@uni.example" in learners.values()
    attrs = dict(
        db.execute(
            "SELECT a.label, t.value FROM attributes t JOIN actors a ON a.id = t.actor "
            "WHERE t.key = 'Study mode'"
        ).fetchall()
    )
    assert attrs == {"u100": "Full-time", "u555": "Part-time", "only.mail@uni.example": "Full-time"}
    # importing again replaces the roster, creates nobody twice, and now everything matches
    r2 = import_roster(db, c, path, attribute_columns=["Study mode"])
    assert r2.created == 0 and r2.matched == 3
    assert (
        db.execute("SELECT count(*) FROM enrolments WHERE course = ? AND source = 'roster'", (c,)).fetchone()[
            0
        ]
        == 3
    )
    # a later gradebook matches the created students by their e-mail
    grades = write(tmp_path, "g.csv", "email,grade\nnew.one@uni.example,71\nonly.mail@uni.example,12\n")
    g = import_outcomes(db, c, grades)
    assert g.matched == 2 and not g.unmatched


def test_ambiguous_rows_are_reported_not_stored(course, tmp_path):
    db, c, ids = course
    b = EventBuilder(db)
    b.event(ids["twin_there"], c, "2026-01-07T10:00:00Z", "reading")  # now both u200 are in the course
    r = import_outcomes(db, c, write(tmp_path, "g.csv", "id,result\nu200,Pass\n"))
    assert r.matched == 0 and len(r.ambiguous) == 1
    assert r.ambiguous[0].candidates == ["u200", "u200"] and r.ambiguous[0].row == 2
    assert db.execute("SELECT count(*) FROM outcomes").fetchone()[0] == 0


def test_bad_values_write_nothing(course, tmp_path):
    db, c, ids = course
    import_outcomes(db, c, write(tmp_path, "ok.csv", "id,grade\nu100,50\n"))
    bad = write(tmp_path, "bad.csv", "id,grade,result\nu100,71,Pass\nu200,abc,Pass\n,,\nu300,,Maybe\n")
    with pytest.raises(OutcomesError, match=r"line 3: grade 'abc' is not a number.*'Maybe' is not one of"):
        import_outcomes(db, c, bad, id_column="id")
    assert db.execute("SELECT actor, final_grade FROM outcomes").fetchall() == [(ids["acc"], 50.0)]


def test_missing_and_unrecognised_columns(course, tmp_path):
    db, c, _ = course
    path = write(tmp_path, "g.csv", "Matrikel;Note;Ergebnis\n1;2;3\n")
    with pytest.raises(
        OutcomesError,
        match=r"The grade column 'Grade %' is not in g.csv. Its columns are: "
        r"'Matrikel', 'Note', 'Ergebnis'",
    ):
        import_outcomes(db, c, path, id_column="Matrikel", grade_column="Grade %")
    with pytest.raises(OutcomesError, match="no student id or e-mail column"):
        import_outcomes(db, c, path, grade_column="Note")
    with pytest.raises(OutcomesError, match="no grade, result, passed or withdrew column"):
        import_outcomes(db, c, path, id_column="matrikel")
    with pytest.raises(OutcomesError, match="no course offering with id 42"):
        import_outcomes(db, 42, path, id_column="Matrikel", grade_column="Note")


def test_duplicated_headers_utf16_tabs_and_ragged_rows(course, tmp_path):
    db, c, ids = course
    text = "Email\tEmail\tGrade\tPassed\r\nzoe@uni.example\tother@x\t81\tyes\r\nsam@uni.example\r\n"
    path = write(tmp_path, "u16.csv", text, "utf-16-le", bom=b"\xff\xfe")
    t = read_csv(path)
    assert (
        t.encoding == "utf-16"
        and t.delimiter == "\t"
        and t.header == ["Email", "Email (2)", "Grade", "Passed"]
    )
    assert t.rows[1] == (3, ["sam@uni.example", "", "", ""])
    r = import_outcomes(db, c, path, email_column="Email", grade_column="Grade", passed_column="Passed")
    assert r.matched == 2 and any("appears 2 times" in w for w in r.warnings)
    assert db.execute("SELECT passed FROM outcomes WHERE actor = ?", (ids["mbox"],)).fetchone() == (1,)
    extra = write(tmp_path, "extra.csv", "id,grade\nu100,50,oops\n")
    with pytest.raises(OutcomesError, match="Line 2 of extra.csv has 3 cells but the header"):
        import_outcomes(db, c, extra)
    with pytest.raises(OutcomesError, match="empty"):
        import_outcomes(db, c, write(tmp_path, "empty.csv", "\n\n"))
    with pytest.raises(FileNotFoundError):
        import_outcomes(db, c, tmp_path / "nope.csv")


def test_latin1_fallback_and_single_column_roster(course, tmp_path):
    db, c, _ = course
    path = tmp_path / "l1.csv"
    path.write_bytes(b"Student ID\nu100\n" + b"u\x81x\n")  # 0x81 is undefined in cp1252
    t = read_csv(path)
    assert t.encoding == "latin-1" and t.delimiter == ","
    r = import_roster(db, c, path)
    assert r.matched == 1 and r.created == 1


def test_flags_and_grade_only_gradebooks(course, tmp_path):
    db, c, ids = course
    r = import_outcomes(db, c, write(tmp_path, "f.csv", "id,withdrew\nu100,Y\nu200,no\n"))
    assert r.matched == 2
    assert db.execute("SELECT passed, withdrew FROM outcomes WHERE actor = ?", (ids["acc"],)).fetchone() == (
        0,
        1,
    )
    import_outcomes(db, c, write(tmp_path, "g.csv", "id,mark\nu100,39.9\nu200,40\n"), grade_column="mark")
    assert dict(db.execute("SELECT actor, passed FROM outcomes").fetchall()) == {
        ids["acc"]: 0,
        ids["twin_here"]: 1,
    }
    import_outcomes(db, c, write(tmp_path, "h.csv", "id,mark\nu100,55\n"), grade_column="mark", pass_mark=60)
    assert db.execute("SELECT passed FROM outcomes").fetchall() == [(0,)]
    with pytest.raises(OutcomesError, match="'perhaps' is not yes/no"):
        import_outcomes(db, c, write(tmp_path, "x.csv", "id,passed\nu100,perhaps\n"))


def test_at_risk_labels(course, tmp_path):
    db, c, ids = course
    text = "id,email,grade,result\nu100,,72,Pass\n,zoe@uni.example,30,Fail\n,sam@uni.example,,Withdrawn\nu200,,,\n"
    import_outcomes(db, c, write(tmp_path, "g.csv", text))
    acc, mbox, sha = ids["acc"], ids["mbox"], ids["sha"]
    assert at_risk_labels(db, c).to_dict() == {acc: 0, mbox: 1, sha: 1}  # u200: no result, left out
    assert at_risk_labels(db, c, "failed").to_dict() == {acc: 0, mbox: 1}
    assert at_risk_labels(db, c, "withdrew").to_dict() == {acc: 0, mbox: 0, sha: 1}
    assert at_risk_labels(db, c, "grade_below:75").to_dict() == {acc: 1, mbox: 1, sha: 1}
    set_at_risk_rule(db, "failed")
    labels = at_risk_labels(db, c)
    assert labels.to_dict() == {acc: 0, mbox: 1} and labels.name == "at_risk" and labels.index.name == "actor"
    with pytest.raises(ValueError, match="unknown at-risk label 'dropouts'"):
        set_at_risk_rule(db, "dropouts")
    assert at_risk_labels(db, 12345).empty


def test_pseudonymised_database(db, tmp_path):
    key = b"k" * 32
    b = EventBuilder(db)
    c = b.course("https://x.example/c", start="2026-01-05", weeks=10)
    db.execute(
        "INSERT INTO imports(source, started_at, status, pseudonymized) VALUES ('x', '2026', 'done', 1)"
    )
    ps = {}
    for name, ifi in (
        ("acc", f"account:{HOME}|u100"),
        ("mail", "mbox:mailto:zoe@uni.example"),
        ("sha", f"mbox_sha1sum:{sha1('sam@uni.example')}"),
    ):
        pseudo = pseudonymize_ifi(key, ifi)
        db.execute("INSERT INTO actors(ifi, kind, label) VALUES (?, 'pseudo', ?)", (pseudo, pseudo[7:19]))
        ps[name] = db.execute("SELECT id FROM actors WHERE ifi = ?", (pseudo,)).fetchone()[0]
        b.event(ps[name], c, "2026-01-06T10:00:00Z", "reading")
    roster = write(tmp_path, "r.csv", "id,email\nu100,\n,zoe@uni.example\n,sam@uni.example\nu777,\n")
    with pytest.raises(OutcomesError, match="pseudonymised: give the key file"):
        import_roster(db, c, roster)
    r = import_roster(db, c, roster, pseudonymize_key=key, home_pages=[HOME])
    assert r.matched == 3 and r.matched_by == {"pseudonym": 3} and r.created == 1
    created = db.execute(
        "SELECT ifi, kind, name, email FROM actors WHERE id NOT IN (?, ?, ?)", tuple(ps.values())
    )
    ifi, kind, name, email = created.fetchone()
    assert (
        ifi == pseudonymize_ifi(key, f"account:{HOME}|u777")
        and kind == "pseudo"
        and name is None
        and email is None
    )
    grades = write(tmp_path, "g.csv", "id,result\nu100,Pass\nu777,Withdrawn\n")
    g = import_outcomes(db, c, grades)
    assert g.matched == 0 and len(g.unmatched) == 2 and any("no key was given" in w for w in g.warnings)
    g = import_outcomes(db, c, grades, pseudonymize_key=key, home_pages=[HOME])
    assert g.matched == 2 and g.matched_by == {"pseudonym": 2} and len(g.learners_without_row) == 2


def test_parsers():
    assert parse_number(" 67,5 ") == 67.5 and parse_number("80%") == 80.0 and parse_number("n/a") is None
    assert parse_number("-") is None and parse_number("1e2") == 100.0
    for bad in ("abc", "1,2,3", "inf", "nan%x"):
        with pytest.raises(ValueError):
            parse_number(bad)
    assert [parse_flag(x) for x in ("Yes", "0", "TRUE", "x", "")] == [1, 0, 1, 1, None]
