"""People, not ids: names and e-mails from the class list reach every list, draft and export."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from factories import make_demo_db

from learnalytics_desktop.core.courses import find_course
from learnalytics_desktop.core.interventions import approve, draft_interventions, export_csv, export_eml
from learnalytics_desktop.core.outcomes import import_roster
from learnalytics_desktop.core.people import PSEUDONYM_NOTE, people, split_name, store_people
from learnalytics_desktop.core.store.db import open_db, transaction
from learnalytics_desktop.core.text import plural

CURRENT = "https://lms.example.edu/course/ida101/2026-autumn"


@pytest.fixture
def demo(tmp_path):
    d = make_demo_db(tmp_path / "demo.db", students=40)
    conn = open_db(d.path)
    yield conn, d
    conn.close()


def test_split_name_and_plural():
    assert split_name("  Maria  José Pereira ") == ("Maria", "José Pereira")
    assert split_name("Quinn") == ("Quinn", None)
    assert split_name(None) == (None, None)
    assert plural(1, "draft") == "1 draft" and plural(3, "draft") == "3 drafts"
    assert plural(2, "reply", "replies") == "2 replies" and plural(1200, "row") == "1,200 rows"


def test_the_class_list_gives_every_roster_student_a_name_and_an_address(demo):
    conn, d = demo
    course = find_course(conn, CURRENT)
    truth = {s.student_id: s for s in d.files.students_of("2026-autumn") if s.in_roster}
    rows = conn.execute(
        "SELECT a.id, a.ifi FROM actors a JOIN enrolments e ON e.actor = a.id WHERE e.course = ?",
        (course.id,),
    ).fetchall()
    known = people(conn, [a for a, _ in rows])
    assert len(known) == len(truth)
    by_email = {s.email: s for s in truth.values()}
    for person in known.values():
        st = by_email[person.email]  # every roster student has their address, whatever the statements gave
        assert (person.first_name, person.last_name) == (st.first_name, st.last_name)
        assert person.note is None


def test_names_are_never_stored_for_pseudonymised_actors(demo):
    conn, _ = demo
    with transaction(conn):
        conn.execute(
            "INSERT INTO actors(ifi, kind, label) VALUES ('pseudo:abc', 'pseudo', 'P-7f3a')",
        )
        aid = conn.execute("SELECT id FROM actors WHERE ifi = 'pseudo:abc'").fetchone()[0]
        assert store_people(conn, [(aid, "Ana", "Silva", "ana@example.edu")]) == 0
    person = people(conn, [aid])[aid]
    assert (person.first_name, person.last_name, person.email) == (None, None, None)
    assert person.display == "P-7f3a" and person.note == PSEUDONYM_NOTE


def test_a_bad_address_in_a_class_list_is_not_stored(demo, tmp_path):
    conn, _ = demo
    course = find_course(conn, CURRENT)
    path = tmp_path / "roster.csv"
    path.write_text("Student ID,Email,Name\nnew1,not-an-address,Rosa Lima Costa\n", encoding="utf-8")
    import_roster(conn, course.id, path)
    aid = conn.execute("SELECT id FROM actors WHERE label = 'new1'").fetchone()[0]
    person = people(conn, [aid])[aid]
    assert (person.first_name, person.last_name, person.email) == ("Rosa", "Lima Costa", None)


def test_drafts_and_exports_carry_names_and_the_to_line(demo, tmp_path):
    conn, _ = demo
    course = find_course(conn, CURRENT)
    actors = [
        a
        for (a,) in conn.execute("SELECT actor FROM enrolments WHERE course = ? ORDER BY actor", (course.id,))
    ][:8]
    who = people(conn, actors)
    batch = draft_interventions(
        conn, course.id, actors, as_of=course.as_of_week(6), ignore_risk_gate=True, rules=_no_gate(conn)
    )
    ids = batch.treated_ids
    assert ids, batch.skipped
    bodies = dict(
        conn.execute(f"SELECT id, body FROM interventions WHERE id IN ({','.join('?' * len(ids))})", ids)
    )
    actor_of = dict(
        conn.execute(f"SELECT id, actor FROM interventions WHERE id IN ({','.join('?' * len(ids))})", ids)
    )
    for iid, body in bodies.items():
        assert f"Dear {who[actor_of[iid]].first_name}" in body or "{first_name}" not in body
    with transaction(conn):
        conn.execute(
            f"UPDATE interventions SET body = replace(body, '{{advisor}}', 'Sam') WHERE id IN ({','.join('?' * len(ids))})",
            ids,
        )
    approve(conn, ids)
    path = tmp_path / "merge.csv"
    export_csv(conn, path, ids=ids, mark_exported=True)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        person = who[actor_of[int(row["id"])]]
        assert (row["first_name"], row["last_name"], row["email"]) == (
            person.first_name,
            person.last_name,
            person.email,
        )
        assert row["to"] == person.email and row["status"] == "approved"  # the file shows what was exported
    assert {
        s for (s,) in conn.execute("SELECT DISTINCT status FROM interventions WHERE arm = 'treated'")
    } == {"exported"}
    # the same messages can be exported again, as e-mails, and stay exported
    out = tmp_path / "eml"
    out.mkdir()
    result = export_eml(conn, out, ids=ids)
    assert result.files
    for f in result.files:
        text = Path(f).read_text(encoding="utf-8")
        assert "\nTo: " in "\n" + text and "To: \n" not in text


def _no_gate(conn):
    import dataclasses

    from learnalytics_desktop.core.interventions import load_rules

    return dataclasses.replace(load_rules(conn), advisor="Sam")
