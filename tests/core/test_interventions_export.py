"""Exports (.eml drafts, safe CSV, export log, statuses) and the import of outside interventions."""

from __future__ import annotations

import csv
import io
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from test_interventions_support import AS_OF, build_course

from learnalytics_desktop.core.export import list_exports
from learnalytics_desktop.core.interventions import (
    InterventionError,
    RuleSet,
    approve,
    build_eml,
    default_rules,
    draft_interventions,
    export_csv,
    export_eml,
    fill_placeholder,
    get_intervention,
    import_external,
    list_interventions,
    save_rules,
)

EXPECTED_HEADERS = {
    "x-unsent",
    "to",
    "subject",
    "date",
    "x-learnalytics-interventions",
    "content-type",
    "content-transfer-encoding",
    "mime-version",
}


def _parse(path):
    return BytesParser(policy=policy.default).parsebytes(path.read_bytes())


def _drafted(db, n=30, seed=1, pseudonymised=False, instructor=""):
    s = build_course(db, n, seed=seed, pseudonymised=pseudonymised)
    r = default_rules()
    save_rules(
        db,
        RuleSet(
            rules=r.rules, risk_threshold=r.risk_threshold, advisor="Sam Advisor", instructor_email=instructor
        ),
    )
    batch = draft_interventions(
        db, s.course_id, s.actors, as_of=AS_OF, features=s.features, ignore_risk_gate=True
    )
    return s, batch


def test_build_eml_round_trip_and_no_header_injection():
    data, warn = build_eml(
        subject="Hello\r\nBcc: victim@example.org\nX-Evil: 1",
        body="Line one\r\nBcc: not-a-header@example.org\n\nÆøå ✓",
        to_addr="ada@example.org\r\nCc: spy@example.org",
        to_name="Ada\r\nBcc: x@example.org",
        ids=[1, 2],
    )
    msg = BytesParser(policy=policy.default).parsebytes(data)
    assert {k.lower() for k in msg} <= EXPECTED_HEADERS
    assert msg["X-Unsent"] == "1"
    assert "bcc" not in {k.lower() for k in msg} and msg["Cc"] is None and msg["X-Evil"] is None
    assert msg["Subject"] == "Hello Bcc: victim@example.org X-Evil: 1"
    assert "Bcc: not-a-header" in msg.get_content()  # body text stays body text
    assert "Æøå ✓" in msg.get_content()
    # an address with a line break is not a valid address: left empty, with a warning
    assert warn and "not valid" in warn and str(msg["To"]) == ""


def test_build_eml_with_valid_recipient():
    data, warn = build_eml(
        subject="Hi", body="B", to_addr="ada@example.org", to_name='Ada "The" Lovelace, PhD'
    )
    msg = BytesParser(policy=policy.default).parsebytes(data)
    assert warn is None
    assert msg["To"].addresses[0].addr_spec == "ada@example.org"
    assert msg["To"].addresses[0].display_name == 'Ada "The" Lovelace, PhD'


def test_export_eml_one_per_student_and_statuses(db, tmp_path):
    s, batch = _drafted(db, instructor="prof@example.org")
    # hostile data in the database itself: a CR/LF name and subject must not add headers
    target = get_intervention(db, batch.treated_ids[0])
    db.execute("UPDATE actors SET name = ? WHERE id = ?", ("Eve\r\nBcc: all@example.org", target.actor))
    db.execute("UPDATE interventions SET subject = ? WHERE id = ?", ("Hi\r\nBcc: all@example.org", target.id))
    approve(db, batch.treated_ids)
    out = tmp_path / "eml"
    out.mkdir()
    res = export_eml(db, out, course_id=s.course_id, user="ann")
    frame = list_interventions(db, s.course_id, ids=batch.treated_ids)
    assert set(frame["status"]) == {"exported"}
    student_groups = {
        (a, c == "instructor_alert") for a, c in zip(frame["actor"], frame["channel"], strict=True)
    }
    assert len(res.files) == len(student_groups) == len(list(out.iterdir()))
    for path in out.iterdir():
        msg = _parse(path)
        assert {k.lower() for k in msg} <= EXPECTED_HEADERS
        assert msg["X-Unsent"] == "1"
        ids = [int(x) for x in msg["X-Learnalytics-Interventions"].split(",")]
        rows = [get_intervention(db, i) for i in ids]
        assert path.name.startswith(rows[0].student)
        if path.name.endswith(" - instructor.eml"):
            assert str(msg["To"]) == "prof@example.org"
        else:
            assert msg["To"].addresses[0].addr_spec == f"{rows[0].student}@example.org"
    log = list_exports(db)
    assert log[0]["what"] == "intervention e-mails" and log[0]["rows"] == len(batch.treated_ids)
    # exporting again: nothing approved is left
    with pytest.raises(InterventionError, match="no approved"):
        export_eml(db, out, course_id=s.course_id)


def test_export_eml_pseudonymised_has_empty_to_and_label_file_names(db, tmp_path):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    s, batch = _drafted(db, pseudonymised=True)
    student_ids = [i for i in batch.treated_ids if get_intervention(db, i).channel != "instructor_alert"]
    # no names are stored: the greeting is left for the advisor, and approval waits for it
    assert all(get_intervention(db, i).body.startswith("Dear {first_name},") for i in student_ids)
    with pytest.raises(InterventionError, match="first_name"):
        approve(db, student_ids)
    assert fill_placeholder(db, student_ids, "first_name", "student") == len(student_ids)
    approve(db, student_ids)
    res = export_eml(db, tmp_path, ids=student_ids)
    assert any("empty To field" in w for w in res.warnings)
    for path in map(Path, res.files):
        msg = _parse(path)
        assert str(msg["To"]) == "" and "To" in msg
        assert path.name.startswith("P-")


def test_export_eml_refuses_unapproved_and_leaves_nothing(db, tmp_path):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    s, batch = _drafted(db)
    approve(db, batch.treated_ids[:1])
    with pytest.raises(InterventionError, match="not approved"):
        export_eml(db, tmp_path, ids=batch.treated_ids[:2])
    assert list(tmp_path.iterdir()) == []
    assert get_intervention(db, batch.treated_ids[0]).status == "approved"


def test_export_eml_failure_removes_written_files(db, tmp_path, monkeypatch):
    from learnalytics_desktop.core import export as export_mod

    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    s, batch = _drafted(db)
    approve(db, batch.treated_ids)
    calls = {"n": 0}
    real = export_mod.atomic_write_bytes

    def flaky(path, data):
        calls["n"] += 1
        if calls["n"] == 3:
            raise export_mod.ExportError("disk full")
        return real(path, data)

    monkeypatch.setattr(export_mod, "atomic_write_bytes", flaky)
    with pytest.raises(export_mod.ExportError):
        export_eml(db, tmp_path, course_id=s.course_id)
    assert list(tmp_path.iterdir()) == []
    assert set(list_interventions(db, s.course_id, ids=batch.treated_ids)["status"]) == {"approved"}


def test_export_csv_is_safe_and_logged(db, tmp_path):
    s, batch = _drafted(db)
    iid = batch.treated_ids[0]
    db.execute(
        "UPDATE interventions SET subject = '=HYPERLINK(\"http://x\",\"y\")', body = '@SUM(1)' WHERE id = ?",
        (iid,),
    )
    approve(db, [iid])
    path = tmp_path / "drafts.csv"
    res = export_csv(db, path, course_id=s.course_id, mark_exported=True)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert len(rows) == res.rows == len(batch.treated_ids)
    first = next(r for r in rows if int(r["id"]) == iid)
    assert first["subject"].startswith("'=") and first["body"] == "'@SUM(1)"
    assert first["course"] == "Statistics 101" and first["to"].endswith("@example.org")
    assert get_intervention(db, iid).status == "exported"
    assert get_intervention(db, batch.treated_ids[1]).status == "draft"  # only approved rows are marked
    assert list_exports(db)[0]["what"] == "interventions csv"


# --- import ------------------------------------------------------------------------------


def _csv(tmp_path, text, name="ext.csv"):
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8-sig"))
    return p


def test_import_external_matches_by_label_account_and_email(db, tmp_path):
    s = build_course(db, 6)
    db.execute("UPDATE actors SET label = 'Ann Label' WHERE id = ?", (s.actors[0],))
    db.execute(
        "UPDATE actors SET label = 'Bob Label' WHERE id = ?", (s.actors[1],)
    )  # s001 is now only an account name
    path = _csv(
        tmp_path,
        "Student,Date,Group,Channel,Note\n"
        "Ann Label,2024-03-12,treated,phone,called\n"
        "s001,2024-03-12,control,,\n"
        "S002@EXAMPLE.ORG,2024-03-13T10:00:00,yes,,\n",
    )
    rep = import_external(db, s.course_id, path, user="ann")
    assert rep.ok and rep.written == 3
    assert rep.matched_by == {"label": 1, "account": 1, "email": 1}
    assert rep.groups == {"treated": 2, "control": 1}
    rows = list_interventions(db, s.course_id)
    by_actor = {int(a): r for a, r in zip(rows["actor"], rows.to_dict("records"), strict=True)}
    assert (
        by_actor[s.actors[0]]["arm"],
        by_actor[s.actors[0]]["status"],
        by_actor[s.actors[0]]["channel"],
    ) == ("external", "done", "phone")
    assert by_actor[s.actors[0]]["body"] == "called"
    assert (by_actor[s.actors[1]]["arm"], by_actor[s.actors[1]]["status"]) == ("control", "comparison")
    assert by_actor[s.actors[2]]["date"] == "2024-03-13"


def test_import_external_bad_rows_write_nothing(db, tmp_path):
    s = build_course(db, 4)
    path = _csv(
        tmp_path,
        "student;date;group\n"
        "s000;2024-03-12;treated\n"
        "nobody;2024-03-12;treated\n"
        "s001;12/03/2024;control\n"
        "s002;2024-03-12;maybe\n"
        "s000;2024-03-14;control\n",
    )
    rep = import_external(db, s.course_id, path)
    assert not rep.ok and rep.written == 0
    problems = {e["row"]: e["problem"] for e in rep.errors}
    assert set(problems) == {3, 4, 5, 6}
    assert "no student 'nobody'" in problems[3]
    assert "ISO date" in problems[4]
    assert "not treated, control or holdout" in problems[5]
    assert "treated in row 2" in problems[6]
    assert db.execute("SELECT COUNT(*) FROM interventions").fetchone()[0] == 0
    part = import_external(db, s.course_id, path, skip_bad=True)
    assert part.written == 1 and len(part.errors) == 4
    dry = import_external(
        db,
        s.course_id,
        _csv(tmp_path, "student,date,group\ns003,2024-03-12,control\n", "b.csv"),
        dry_run=True,
    )
    assert dry.ok and dry.written == 0
    assert db.execute("SELECT COUNT(*) FROM interventions").fetchone()[0] == 1


def test_import_external_file_problems(db, tmp_path):
    s = build_course(db, 2)
    with pytest.raises(InterventionError, match="no column"):
        import_external(db, s.course_id, _csv(tmp_path, "name,date\nx,2024-01-01\n"))
    with pytest.raises(InterventionError, match="no file"):
        import_external(db, s.course_id, tmp_path / "missing.csv")
    # a Latin-1 file is no longer refused (core.tabular reads it as Windows-1252): the row is
    # read, and the unknown student is a row problem that names her correctly
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("student,date,group\nZo\xeb,2024-01-01,treated\n".encode("latin-1"))
    rep = import_external(db, s.course_id, latin)
    assert not rep.ok and "no student 'Zoë'" in rep.errors[0]["problem"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "cp1252", "utf-8"])
def test_import_external_reads_the_encodings_the_gradebook_reader_does(db, tmp_path, encoding):
    """The interventions CSV goes through core.tabular (as gradebooks and rosters): a UTF-16
    export from Excel or a Windows-1252 file is read, not refused as "not UTF-8"."""
    s = build_course(db, 3)
    db.execute("UPDATE actors SET label = 'Zoë Müller' WHERE id = ?", (s.actors[0],))
    path = tmp_path / f"outside-{encoding}.csv"
    path.write_bytes(
        "student\tdate\tgroup\nZoë Müller\t2024-03-12\ttreated\ns001\t2024-03-12\tcontrol\n".encode(encoding)
    )
    rep = import_external(db, s.course_id, path)
    assert rep.ok and rep.written == 2 and rep.groups == {"treated": 1, "control": 1}


def test_import_external_refuses_a_column_named_twice(db, tmp_path):
    s = build_course(db, 2)
    path = _csv(tmp_path, "student,Group,group\ns000,treated,control\n")
    with pytest.raises(InterventionError, match="more than once"):
        import_external(db, s.course_id, path)


def test_two_messages_to_one_student_become_one_letter():
    from learnalytics_desktop.core.interventions.exporting import merge_letters

    a = "Dear Ana,\n\nYou have not been active for 9 days.\n\nBest wishes,\nSam"
    b = "Dear Ana,\n\nYou watched 20% of the videos.\n\nBest wishes,\nSam"
    merged = merge_letters([a, b])
    assert merged == (
        "Dear Ana,\n\nYou have not been active for 9 days.\n\nYou watched 20% of the videos.\n\nBest wishes,\nSam"
    )
    assert merged.count("Dear Ana") == 1 and merged.count("Best wishes") == 1
    assert merge_letters([a]) == a and merge_letters(["", a]) == a
    assert merge_letters(["Hi", a]) == "Hi\n\n" + a  # too short to have a greeting and a sign-off


def test_rules_read_in_plain_words():
    from learnalytics_desktop.core.interventions.words import rule_in_words

    assert rule_in_words("video_completion_rate", "<", 0.3) == "watched less than 30% of the videos"
    assert rule_in_words("days_since_last_activity", ">", 7) == "no activity for more than 7 days"
    assert rule_in_words("some_new_feature", ">=", 2) == "some new feature is at least 2"
