"""Finding 1 of issue 15: one statement dated at the edge of the calendar must not break a
course. Instants the app cannot represent are rejected under the rule ``timestamp.range``,
and a database written before that check (holding such a row) still lists its courses."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

import pytest

from learnalytics_desktop.cli import main
from learnalytics_desktop.core.courses import list_courses
from learnalytics_desktop.core.store.db import open_db

COURSE = "https://x.example/courses/c1"
ODD = ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "0000-01-01T00:00:00Z")


def _statement(when: str, who: str = "ann") -> dict:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": f"mailto:{who}@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": "https://x.example/a/1"},
        "context": {"contextActivities": {"grouping": [{"id": COURSE}]}},
        "timestamp": when,
    }


def _write(path: Path, statements: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(s) for s in statements) + "\n", encoding="utf-8")
    return path


def test_odd_instants_are_rejected_with_the_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = [_statement(f"2026-01-{d:02d}T10:00:00Z", f"s{d}") for d in range(5, 25)]
    src = _write(tmp_path / "s.jsonl", good + [_statement(t, "odd") for t in ODD])
    db = tmp_path / "x.db"
    assert main(["import", "--db", str(db), "--course-fallback", COURSE, "--json", str(src)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["stored"] == len(good)
    assert report["rejected"] == len(ODD)
    conn = sqlite3.connect(db)
    rules = [r for (r,) in conn.execute("SELECT rule FROM rejects")]
    reasons = [r for (r,) in conn.execute("SELECT reason FROM rejects")]
    conn.close()
    assert rules == ["timestamp.range"] * len(ODD)
    assert all("1900-01-01" in r and "2199-12-31" in r for r in reasons)
    for cmd in (["courses", "--db", str(db)], ["courses", "--db", str(db), "--json"]):
        assert main(cmd) == 0, capsys.readouterr().err
    assert "Traceback" not in capsys.readouterr().err


def test_a_course_with_a_legacy_out_of_range_row_still_lists(tmp_path: Path) -> None:
    good = [_statement(f"2026-01-{d:02d}T10:00:00Z", f"s{d}") for d in range(5, 25)]
    db = tmp_path / "x.db"
    assert (
        main(
            ["import", "--db", str(db), "--course-fallback", COURSE, str(_write(tmp_path / "s.jsonl", good))]
        )
        == 0
    )
    conn = open_db(db)
    # what an older build stored for 9999-12-31T23:59:59-12:00 and 0001-01-01T00:00:00+14:00
    for ms in (253402343999000, -62135646000000):
        row = conn.execute("SELECT * FROM statements LIMIT 1").fetchone()
        cols = [d[0] for d in conn.execute("SELECT * FROM statements LIMIT 1").description]
        values = dict(zip(cols, row, strict=True))
        values["ts"] = ms
        values["id"], values["rowid"] = str(uuid.uuid4()), None
        names = [c for c in cols if values[c] is not None]
        conn.execute(
            f"INSERT INTO statements ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            [values[c] for c in names],
        )
    courses = list_courses(conn)
    conn.close()
    assert len(courses) == 1
    course = courses[0]
    assert course.first_statement is not None and course.first_statement.year == 1900
    assert course.last_statement is not None and course.last_statement.year == 2199
    assert course.start is not None and course.start.year == 2026  # the 5th percentile
    assert main(["courses", "--db", str(db)]) == 0
    out = tmp_path / "f.csv"
    assert main(["features", "--db", str(db), "--course", COURSE, "--week", "2", "--out", str(out)]) == 0
    conn = open_db(db)
    try:
        from learnalytics_desktop.core.features import student_events

        actor = conn.execute("SELECT actor FROM statements WHERE ts < 0 LIMIT 1").fetchone()[0]
        course_id = conn.execute("SELECT id FROM courses").fetchone()[0]
        events = student_events(conn, actor, course_id, course.as_of_week(3))
        assert events["time"].min().year == 1900  # shown at the edge, not a crash
    finally:
        conn.close()
