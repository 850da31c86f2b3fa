"""Plain event tables (CSV/TSV/Parquet) with a column mapping, and OULAD studentVle."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_importer_helpers import counts

from learnalytics_desktop.core.ingest.categories import load_mapping
from learnalytics_desktop.core.ingest.convert import Reject, Skip
from learnalytics_desktop.core.ingest.importer import import_paths
from learnalytics_desktop.core.ingest.sourcing import FormatError
from learnalytics_desktop.core.ingest.tables.events import CLICKS, make
from learnalytics_desktop.core.ingest.xapi.validate import validate_statement

MAP = {
    "student": "user",
    "time": "when",
    "activity": "item",
    "kind": "type",
    "score": "pts",
    "max_score": "of",
}


def table(path: Path, header: list[str], rows: list[list[str]], delimiter: str = ",") -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(header)
        w.writerows(rows)
    return path


def events(tmp_path: Path, delimiter: str = ",", name: str = "ev.csv") -> Path:
    return table(
        tmp_path / name,
        ["user", "when", "item", "type", "pts", "of", "course"],
        [
            ["u1", "2026-02-03T10:00:00Z", "q1", "quiz", "3", "4", "C1"],
            ["u1", "2026-02-03 11:00", "v1", "video", "", "", "C1"],
            ["u2", "1770112800", "f1", "forum", "", "", "C1"],
            ["u2", "2026-02-04", "r1", "resource", "", "", "C1"],
            ["", "2026-02-04", "r1", "resource", "", "", "C1"],  # no student: skipped
            ["u3", "soon", "r1", "resource", "", "", "C1"],  # bad time
            ["u3", "2026-02-04T09:00:00Z", "q1", "quiz", "9", "4", "C1"],  # score above max
        ],
        delimiter,
    )


def test_mapped_table_imports_with_categories_and_accounting(db, tmp_path):
    opts = {
        "columns": {**MAP, "course": "course"},
        "timezone": "Europe/Berlin",
        "home_page": "https://lms.example",
    }
    rep = import_paths(db, [events(tmp_path)], source_format="events-csv", format_options=opts)
    c = counts(rep)
    assert rep.files[0].format == "events-csv"
    assert c["read"] == 7 and c["stored"] == 4 and rep.skipped == 1 and c["rejected"] == 2
    assert c["read"] == c["stored"] + c["duplicates"] + c["conflicts"] + c["rejected"] + rep.skipped
    assert rep.rejects_by_rule == {"events.time": 1, "events.score": 1}
    mapping = load_mapping(db)
    rows = db.execute(
        "SELECT v.iri, a.type_iri, s.ts, s.score_raw, s.score_max FROM statements s "
        "JOIN verbs v ON v.id = s.verb JOIN activities a ON a.id = s.object ORDER BY s.ts"
    ).fetchall()
    assert sorted(mapping.category(v, t) for v, t, *_ in rows) == ["assessment", "forum", "reading", "video"]
    by_ts = {r[2]: r for r in rows}
    assert 1770112800000 in by_ts and by_ts[1770112800000][3:] in ((3.0, 4.0), (None, None))
    assert 1770112800000 + 0 * 3600_000 in by_ts  # 11:00 Berlin = 10:00 UTC; the epoch row too
    assert db.execute("SELECT iri FROM courses").fetchall() == [("https://lms.example/course/C1",)]
    # re-import, as TSV: nothing new
    again = import_paths(
        db, [events(tmp_path, "\t", "ev.tsv")], source_format="events-csv", format_options=opts
    )
    assert again.stored == 0 and again.duplicates == 6


def test_bad_mapping_stops_before_writing(db, tmp_path):
    p = events(tmp_path)
    with pytest.raises(FormatError, match="student"):
        import_paths(db, [p], source_format="events-csv", format_options={"columns": {"time": "when"}})
    with pytest.raises(FormatError, match="time zone"):
        import_paths(
            db, [p], source_format="events-csv", format_options={"columns": MAP, "timezone": "Mars/Base"}
        )
    rep = import_paths(
        db, [p], source_format="events-csv", format_options={"columns": {**MAP, "student": "nope"}}
    )
    assert rep.stored == 0 and rep.rejects_by_rule == {"table.column": 1}
    assert not db.execute("SELECT count(*) FROM statements").fetchone()[0]


def oulad(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "oulad"
    folder.mkdir()
    vle = table(
        folder / "vle.csv",
        ["id_site", "code_module", "code_presentation", "activity_type", "week_from", "week_to"],
        [
            ["546652", "AAA", "2013J", "forumng", "", ""],
            ["546943", "AAA", "2013J", "resource", "", ""],
            ["5001", "AAA", "2013J", "quiz", "", ""],
            ["5002", "AAA", "2013J", "ouelluminate", "", ""],
        ],
    )
    clicks = table(
        folder / "studentVle.csv",
        ["code_module", "code_presentation", "id_student", "id_site", "date", "sum_click"],
        [
            ["AAA", "2013J", "28400", "546652", "-10", "4"],
            ["AAA", "2013J", "28400", "546652", "-10", "1"],
            ["AAA", "2013J", "28400", "546943", "0", "2"],
            ["AAA", "2013J", "30268", "5001", "27", "7"],
            ["AAA", "2013J", "30268", "9999", "3", "1"],
        ],
    )
    return clicks, vle


def test_oulad_studentvle_with_vle_activity_types(db, tmp_path):
    clicks, vle = oulad(tmp_path)
    with pytest.raises(FormatError, match="--course-start"):
        import_paths(db, [clicks])
    opts = {"course_start": {"AAA-2013J": "2013-10-05"}, "activities_file": str(vle)}
    rep = import_paths(db, [clicks], format_options=opts)
    assert rep.files[0].format == "oulad-vle" and rep.stored == 5 and rep.rejected == 0
    mapping = load_mapping(db)
    rows = db.execute(
        "SELECT v.iri, a.type_iri, s.ts FROM statements s JOIN verbs v ON v.id = s.verb "
        "JOIN activities a ON a.id = s.object ORDER BY s.ts, a.iri"
    ).fetchall()
    assert [mapping.category(v, t) for v, t, _ in rows] == [
        "forum",
        "forum",
        "reading",
        "other",
        "assessment",
    ]
    # day -10 of a presentation starting 2013-10-05 is 2013-09-25, put at noon UTC
    assert rows[0][2] == 1380110400000
    assert db.execute("SELECT iri FROM courses").fetchall() == [("https://events.invalid/course/AAA-2013J",)]


def test_parquet_table(db, tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    t = pa.table(
        {
            "user": ["u1", "u2"],
            "when": ["2026-02-03T10:00:00Z", "2026-02-03T11:00:00Z"],
            "item": ["a", "b"],
            "secs": [30, 90],
        }
    )
    pq.write_table(t, tmp_path / "e.parquet")
    opts = {"columns": {"student": "user", "time": "when", "activity": "item", "duration": "secs"}}
    rep = import_paths(db, [tmp_path / "e.parquet"], source_format="events-csv", format_options=opts)
    assert rep.stored == 2 and rep.files[0].format == "events-csv"


@pytest.mark.usefixtures("db")
def test_oulad_corpus_sample(db, corpora):
    folder = corpora / "datasets" / "oulad"
    opts = {"course_start": "2013-10-05", "activities_file": str(folder / "vle.csv")}
    path = folder / "studentVle_first6rows-skyridertk.csv"
    rows = len([ln for ln in path.read_text().splitlines()[1:] if ln.strip()])
    rep = import_paths(db, [path], format_options=opts)
    assert rep.files[0].format == "oulad-vle" and rep.read == rows and rep.rejected == rep.skipped == 0
    assert rep.stored + rep.duplicates == rows and rep.stored >= rows - 1  # identical rows are one event


@settings(max_examples=300, deadline=None)
@given(
    cells=st.dictionaries(
        st.sampled_from(["user", "when", "item", "type", "pts", "of"]),
        st.sampled_from(
            ["", "-3", "27", "1770112800", "2026-02-03", "2026-02-03T10:00:00+02:00", "1,5", "NaN", "quiz"]
        )
        | st.text(max_size=12),
    )
)
def test_converter_never_raises_and_only_emits_valid_statements(cells):
    convert = make({"columns": MAP, "course_start": "2026-01-05", "timezone": "America/New_York"})
    rec = {"user": "u", "when": "2026-02-03T10:00:00Z", "item": "x", "type": "quiz", "pts": "", "of": ""}
    rec.update(cells)
    out = convert(rec)
    assert type(out) in (dict, Skip, Reject)
    if type(out) is dict:
        validate_statement(out)
        assert convert(dict(rec)) == out
        assert CLICKS not in str(out)
