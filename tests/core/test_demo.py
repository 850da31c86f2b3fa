"""The demo course generator: reproducible, realistic, untidy on purpose, importable."""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from datetime import UTC, datetime

import pytest
from factories import make_demo_db

from learnalytics_desktop.core.courses import list_courses
from learnalytics_desktop.core.demo import build_demo_database, demo_today, generate
from learnalytics_desktop.core.ingest.xapi.validate import InvalidStatement, validate_statement
from learnalytics_desktop.core.store import open_db


def _records(files):
    """Every record of the xAPI files: (file name, parsed statement or None when not JSON)."""
    for path in files.xapi_files:
        if path.suffix == ".jsonl":
            lines = path.read_text(encoding="utf-8").splitlines()
        elif path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                lines = [ln for name in zf.namelist() for ln in zf.read(name).decode("utf-8").splitlines()]
        else:
            data = json.loads(path.read_text(encoding="utf-8"))
            for s in data["statements"] if isinstance(data, dict) else data:
                yield path.name, s
            continue
        for line in lines:
            try:
                yield path.name, json.loads(line)
            except json.JSONDecodeError:
                yield path.name, None


def test_same_seed_same_bytes(tmp_path):
    a = generate(tmp_path / "a", students=25, seed=3)
    b = generate(tmp_path / "b", students=25, seed=3)
    names = sorted(p.relative_to(a.out_dir) for p in a.out_dir.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(b.out_dir) for p in b.out_dir.rglob("*") if p.is_file())
    for name in names:
        assert (a.out_dir / name).read_bytes() == (b.out_dir / name).read_bytes(), name
    c = generate(tmp_path / "c", students=25, seed=4)
    assert (c.out_dir / names[-1]).read_bytes() != (a.out_dir / names[-1]).read_bytes()


def test_content_is_valid_xapi_with_the_untidiness_of_real_exports(tmp_path):
    files = generate(tmp_path, students=40)
    formats = {p.suffix for p in files.xapi_files}
    assert formats == {".jsonl", ".json", ".zip"}
    assert any("lrs-page" in p.name for p in files.xapi_files)
    bad, ok, kinds, offsets, verbs, without_id = Counter(), 0, Counter(), Counter(), Counter(), 0
    for _name, s in _records(files):
        if s is None:
            bad["not json"] += 1
            continue
        try:
            validate_statement(s)
        except InvalidStatement as exc:
            bad[exc.rule] += 1
            continue
        ok += 1
        actor = s["actor"]
        kinds[next(k for k in ("account", "mbox", "mbox_sha1sum", "openid") if k in actor)] += 1
        offsets[s["timestamp"][23:] or "?"] += 1
        verbs[s["verb"]["id"].rsplit("/", 1)[-1]] += 1
        without_id += "id" not in s
    assert sum(bad.values()) == files.counts["invalid"] == 10
    assert set(kinds) == {"account", "mbox", "mbox_sha1sum", "openid"}
    assert kinds["account"] > kinds["mbox"] > 0
    assert {"Z", "+01:00", "-05:00"} <= set(offsets)
    assert {
        "played",
        "paused",
        "completed",
        "passed",
        "failed",
        "submit",
        "launched",
        "terminated",
        "voided",
        "replied",
        "post",
        "experienced",
    } <= set(verbs)
    assert 0 < without_id < ok * 0.06
    assert ok == files.counts["statements_generated"] + files.counts["duplicates"] + files.counts["voided"]


def test_students_truth(tmp_path):
    files = generate(tmp_path, students=200)
    past = [s for s in files.students_of("2025-autumn") if s.in_roster]
    results = Counter(s.result for s in past)
    assert set(results) == {"Pass", "Fail", "Withdrawn", "Distinction"}
    assert 0.15 < (results["Fail"] + results["Withdrawn"]) / len(past) < 0.5
    assert all(s.last_active is None for s in files.students if s.never_started)
    assert any(s.never_started for s in past) and any(s.fade_week for s in past)
    faders = [s for s in past if s.fade_week]
    assert {s.fade_week for s in faders} <= {3, 4, 5, 6}
    assert sum(s.result == "Withdrawn" for s in faders) > len(faders) / 2
    assert sum(not s.in_roster for s in files.students) == 4  # two auditors per offering
    assert any(s.repeater for s in files.students_of("2026-autumn"))
    today = files.offering("2026-autumn").today
    assert today == datetime(2026, 10, 28, 10, tzinfo=UTC)  # week 7, weeks 1-6 complete
    assert max(s.last_active for s in files.students_of("2026-autumn") if s.last_active) < today
    with pytest.raises(ValueError, match="at least one student"):
        generate(tmp_path / "x", students=0)


def test_demo_database(tmp_path):
    demo = make_demo_db(tmp_path / "demo.db", students=40)
    files = demo.files
    conn = open_db(demo.path)
    try:
        read, stored, dup, rej, voided = conn.execute(
            "SELECT sum(read), sum(stored), sum(duplicates), sum(rejected), sum(voided) FROM imports"
        ).fetchone()
        assert read == stored + dup + rej and rej == 10 and voided == 2
        assert dup == files.counts["duplicates"]
        for target in files.voided_ids:
            assert conn.execute("SELECT voided FROM statements WHERE id = ?", (target,)).fetchone() == (1,)
            assert conn.execute("SELECT count(*) FROM v_events WHERE id = ?", (target,)).fetchone() == (0,)
        courses = {c.iri: c for c in list_courses(conn)}
        for off in files.offerings:
            c = courses[off.iri]
            assert (c.start, c.weeks, c.start_source) == (off.start, off.weeks, "user")
            roster = [s for s in files.students_of(off.key) if s.in_roster]
            openid = sum(s.kind == "openid" for s in roster)  # their roster row adds a second actor
            assert c.students == len(roster) + 2 + openid  # plus the auditors
        past = demo.course_id(conn, "2025-autumn")
        for st in files.students_of("2025-autumn"):
            aid = demo.actor_id(conn, st)
            if st.kind == "openid" or not st.in_roster:
                continue  # an openid matches no roster row: the roster adds a second actor
            enrolled = conn.execute(
                "SELECT source FROM enrolments WHERE course = ? AND actor = ?", (past, aid)
            ).fetchone()
            assert enrolled == ("roster",), st
            grade = conn.execute(
                "SELECT final_grade, result FROM outcomes WHERE course = ? AND actor = ?", (past, aid)
            ).fetchone()
            assert grade == (st.final_grade, st.result), st
        attrs = conn.execute("SELECT DISTINCT key FROM attributes ORDER BY key").fetchall()
        assert attrs == [("Age band",), ("Study mode",)]
        assert demo_today(conn) == files.offering("2026-autumn").today
    finally:
        conn.close()


@pytest.mark.slow
def test_build_demo_database_default_size(tmp_path):
    path = build_demo_database(tmp_path / "demo.db")  # how fast: bench/newcomer.py
    assert not (tmp_path / "demo.db.building").exists()
    conn = open_db(path)
    try:
        assert conn.execute("SELECT count(*) FROM courses").fetchone() == (2,)
        assert conn.execute("SELECT count(*) FROM v_events").fetchone()[0] > 40_000
        assert conn.execute("SELECT count(*) FROM outcomes").fetchone() == (300,)
    finally:
        conn.close()


@pytest.mark.slow
def test_the_demo_is_built_ready_trained_scored_and_with_a_past_outreach_batch(tmp_path):
    """The advisor's demo needs no data-officer steps: a model, scored weeks and an outreach
    batch with a randomised hold-out in the finished offering (so Impact has something)."""
    from learnalytics_desktop.core.dashboard import risk_table
    from learnalytics_desktop.core.model import active_model_id
    from learnalytics_desktop.core.store.db import get_setting

    path = build_demo_database(tmp_path / "demo.db", students=60)
    conn = open_db(path)
    try:
        info = get_setting(conn, "demo")
        ready = info["ready"]
        assert "not_ready" not in ready and active_model_id(conn) == ready["model_id"]
        current = "https://lms.example.edu/course/ida101/2026-autumn"
        week = info["open_week"]
        assert week == ready["week"] == 6
        assert ready["scored"][current] == list(range(1, 7)) and not ready["unscored"]  # every complete week
        past = "https://lms.example.edu/course/ida101/2025-autumn"
        assert ready["scored"][past] == list(range(1, 14))
        cid = conn.execute("SELECT id FROM courses WHERE iri = ?", (current,)).fetchone()[0]
        table = risk_table(conn, cid, week)
        assert len(table) > 0 and table["first_name"].notna().mean() > 0.9
        arms = dict(
            conn.execute("SELECT arm, count(DISTINCT actor) FROM interventions GROUP BY arm").fetchall()
        )
        assert arms["treated"] > 0 and arms["holdout"] > 0
        statuses = {s for (s,) in conn.execute("SELECT DISTINCT status FROM interventions")}
        assert statuses == {"done", "held_out"}
        past = conn.execute("SELECT DISTINCT course FROM interventions").fetchall()
        assert past == [(conn.execute("SELECT id FROM courses WHERE iri LIKE '%2025-autumn'").fetchone()[0],)]
    finally:
        conn.close()


def test_a_demo_too_small_to_train_says_why_and_stays_usable(tmp_path):
    from learnalytics_desktop.core.store.db import get_setting

    path = build_demo_database(tmp_path / "demo.db", students=20)
    conn = open_db(path)
    try:
        assert "at least 10 of each" in get_setting(conn, "demo")["ready"]["not_ready"]
        assert conn.execute("SELECT count(*) FROM models").fetchone() == (0,)
    finally:
        conn.close()
