"""Moodle logstore_standard_log CSV: learner events, skips with reasons, rejects, ids, streaming."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_importer_helpers import counts

from learnalytics_desktop.core.ingest.categories import load_mapping
from learnalytics_desktop.core.ingest.convert import Reject, Skip
from learnalytics_desktop.core.ingest.importer import import_paths
from learnalytics_desktop.core.ingest.pseudonym import create_key, load_key
from learnalytics_desktop.core.ingest.sourcing import FormatError
from learnalytics_desktop.core.ingest.tables.moodle import make
from learnalytics_desktop.core.ingest.xapi.validate import validate_statement

HOME = "https://moodle.example.edu"
COLUMNS = [
    "id",
    "eventname",
    "component",
    "action",
    "target",
    "objecttable",
    "objectid",
    "crud",
    "edulevel",
    "contextid",
    "contextlevel",
    "contextinstanceid",
    "userid",
    "courseid",
    "relateduserid",
    "anonymous",
    "other",
    "timecreated",
    "origin",
    "ip",
    "realuserid",
]
T0 = 1_770_112_800  # 2026-02-03T10:00:00Z


def row(n: int, event: str, component: str, crud: str = "r", edulevel: int = 2, cm: int = 0, **kw) -> dict:
    rec = {c: "" for c in COLUMNS}
    rec.update(
        id=str(n),
        eventname=event,
        component=component,
        crud=crud,
        edulevel=str(edulevel),
        contextinstanceid=str(cm),
        contextlevel="70" if cm else "50",
        userid="5",
        courseid="2",
        relateduserid="NULL",
        anonymous="0",
        other='{"private":"text"}',
        timecreated=str(T0 + n),
        origin="web",
        ip="10.1.2.3",
        realuserid="NULL",
    )
    rec.update({k: str(v) for k, v in kw.items()})
    return rec


def sample() -> list[dict]:
    return [
        row(1, "\\core\\event\\course_viewed", "core"),
        row(2, "\\mod_quiz\\event\\attempt_started", "mod_quiz", "c", cm=11),
        row(3, "\\mod_quiz\\event\\attempt_submitted", "mod_quiz", "u", cm=11),
        row(4, "\\mod_assign\\event\\assessable_submitted", "mod_assign", "u", cm=12),
        row(5, "\\mod_forum\\event\\post_created", "mod_forum", "c", cm=13),
        row(6, "\\mod_resource\\event\\course_module_viewed", "mod_resource", cm=14),
        row(7, "\\mod_page\\event\\course_module_viewed", "mod_page", cm=15),
        row(8, "\\mod_forum\\event\\assessable_uploaded", "mod_forum", "c", cm=13),  # echo: skipped
        row(9, "\\mod_assign\\event\\submission_graded", "mod_assign", "u", edulevel=1, cm=12, userid=2),
        row(10, "\\core\\event\\user_loggedin", "core", edulevel=0, courseid=0),
        row(11, "\\core\\event\\course_viewed", "core", courseid=1),  # front page
        row(12, "\\core\\event\\course_viewed", "core", userid=0),
        row(13, "\\core\\event\\course_viewed", "core", realuserid=2),
        row(14, "\\core\\event\\course_viewed", "core", timecreated="yesterday"),
        row(15, "\\core\\event\\course_viewed", "core", edulevel=7),
        row(16, "\\mod_quiz\\event\\attempt_started", "mod_quiz", "c", cm=0),  # no activity
    ]


def write(path: Path, rows: list[dict], delimiter: str = ",", encoding: str = "utf-8") -> Path:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, delimiter=delimiter, lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def test_learner_events_stored_others_skipped_with_reasons(db, tmp_path):
    p = write(tmp_path / "logstore_standard_log.csv", sample())
    rep = import_paths(db, [p], format_options={"home_page": HOME + "/"})
    c = counts(rep)
    assert rep.files[0].format == "moodle"
    assert c["read"] == 16 and c["stored"] == 7 and rep.skipped == 6 and c["rejected"] == 3
    assert c["read"] == c["stored"] + c["duplicates"] + c["conflicts"] + c["rejected"] + rep.skipped
    assert set(rep.skips_by_reason) == {
        "Moodle forum assessable_uploaded: logged with the post_created that is stored",
        "Moodle teaching event (edulevel 1): a teacher's action, not learner activity",
        "Moodle other/system event (edulevel 0): not learner activity",
        "Moodle event outside a course (site, front page or user context)",
        "Moodle event without a logged-in user (userid 0): not attributable to a learner",
        "Moodle event done by another user 'logged in as' the learner",
    }
    assert rep.rejects_by_rule == {"moodle.time": 1, "moodle.edulevel": 1, "moodle.context": 1}
    mapping = load_mapping(db)
    rows = db.execute(
        "SELECT v.iri, a.type_iri, a.iri, s.ts FROM statements s JOIN verbs v ON v.id = s.verb "
        "JOIN activities a ON a.id = s.object ORDER BY s.ts"
    ).fetchall()
    cats = [mapping.category(v, t) for v, t, *_ in rows]
    assert cats == ["navigation", "assessment", "assessment", "assignment", "forum", "reading", "reading"]
    assert rows[1][2] == HOME + "/mod/quiz/view.php?id=11"
    assert rows[0][3] == (T0 + 1) * 1000
    assert db.execute("SELECT iri FROM courses").fetchall() == [(HOME + "/course/view.php?id=2",)]
    assert {r[0] for r in db.execute("SELECT ifi FROM actors")} == {f"account:{HOME}|5"}
    # the IP address and the free-text 'other' column never reach the store
    stored = str(db.execute("SELECT * FROM activities").fetchall()) + str(
        db.execute("SELECT * FROM actors").fetchall()
    )
    assert "10.1.2.3" not in stored and "private" not in stored


def test_site_url_is_required_with_a_clear_message(db, tmp_path):
    p = write(tmp_path / "log.csv", sample())
    with pytest.raises(FormatError, match="--home-page URL"):
        import_paths(db, [p])
    assert not db.execute("SELECT count(*) FROM statements").fetchone()[0]


def test_reimport_adds_nothing_and_tsv_cp1252_bom_read_the_same(db, tmp_path):
    opts = {"home_page": HOME}
    first = import_paths(db, [write(tmp_path / "a.csv", sample())], format_options=opts)
    tsv = write(tmp_path / "b.tsv", sample(), delimiter="\t", encoding="cp1252")
    again = import_paths(db, [tsv], format_options=opts)
    assert first.stored == 7 and again.stored == 0 and again.duplicates == 10 and again.skipped == 6
    bom = tmp_path / "c.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + (tmp_path / "a.csv").read_bytes())
    assert import_paths(db, [bom], format_options=opts).stored == 0


def test_pseudonymised_moodle_import(db, tmp_path):
    key = load_key(create_key(tmp_path / "k.key"))
    import_paths(
        db, [write(tmp_path / "l.csv", sample())], pseudonymize_key=key, format_options={"home_page": HOME}
    )
    actors = db.execute("SELECT ifi FROM actors").fetchall()
    assert actors and all(ifi.startswith("pseudo:") for (ifi,) in actors)


def test_malformed_table_rows_are_rejected_with_their_line(db, tmp_path):
    p = write(tmp_path / "l.csv", sample()[:3])
    p.write_bytes(p.read_bytes() + b"1,2,3" + b",x" * 30 + b"\r\n")
    rep = import_paths(db, [p], format_options={"home_page": HOME}, source_format="moodle")
    assert rep.stored == 3 and rep.rejects_by_rule == {"table.width": 1}
    assert "line 5" in str(db.execute("SELECT * FROM rejects").fetchall())


def test_folder_search_finds_tables(db, tmp_path):
    write(tmp_path / "logs" / "x.csv" if (tmp_path / "logs").mkdir() is None else tmp_path, sample())
    (tmp_path / "logs" / "readme.txt").write_text("hi")
    rep = import_paths(db, [tmp_path / "logs"], format_options={"home_page": HOME})
    assert rep.stored == 7 and rep.files[0].format == "moodle"


@settings(max_examples=300, deadline=None)
@given(
    cells=st.dictionaries(
        st.sampled_from(COLUMNS),
        st.sampled_from(["", "0", "1", "2", "NULL", "r", "c", "mod_quiz", "\\mod_quiz\\event\\x", "cli"])
        | st.text(max_size=12),
    )
)
def test_converter_never_raises_and_only_emits_valid_statements(cells):
    convert = make({"home_page": HOME})
    rec = row(1, "\\mod_quiz\\event\\attempt_started", "mod_quiz", "c", cm=3)
    rec.update(cells)
    out = convert(rec)
    assert type(out) in (dict, Skip, Reject)
    if type(out) is dict:
        validate_statement(out)
        assert convert(dict(rec)) == out
