"""Source formats: detection by content, --format, unknown tables, the skipped count."""

from __future__ import annotations

import gzip
import json

import pytest
from test_importer_helpers import counts, stmt, write_jsonl

from learnalytics_desktop.cli import main as cli_main
from learnalytics_desktop.core.ingest.detect import detect_format
from learnalytics_desktop.core.ingest.importer import import_paths, validate_paths
from learnalytics_desktop.core.ingest.readers import discover
from learnalytics_desktop.core.ingest.sourcing import FormatError
from learnalytics_desktop.core.store.schema import SCHEMA_VERSION


def _detect(path):
    (source,), _ = discover([path])
    return detect_format(source)


def test_xapi_files_are_detected_as_xapi(tmp_path):
    p = write_jsonl(tmp_path / "s.jsonl", [stmt(1), stmt(2)])
    assert _detect(p).format == "xapi" and _detect(p).note is None
    g = tmp_path / "s.json.gz"
    g.write_bytes(gzip.compress(json.dumps([stmt(3)]).encode()))
    assert _detect(g).format == "xapi"


def test_an_unknown_table_is_one_reject_naming_its_columns(db, tmp_path):
    p = tmp_path / "clicks.csv"
    p.write_text("student,when,what\nalice,2024-01-01,page\nbob,2024-01-02,quiz\n")
    found = _detect(p)
    assert found.format is None and "student, when, what" in found.note
    rep = import_paths(db, [p])
    assert counts(rep)["read"] == 1 and rep.rejects_by_rule == {"format.unknown": 1}
    assert rep.files[0].format == "unknown"
    reason = db.execute("SELECT reason FROM rejects").fetchone()[0]
    assert "columns student, when, what" in reason and "--format events-csv" in reason
    row = db.execute("SELECT format, read, rejected, sha256 FROM imports").fetchone()
    assert row[:3] == ("unknown", 1, 1) and row[3]


def test_json_that_is_not_xapi_gets_a_note_naming_its_keys(db, tmp_path):
    p = write_jsonl(tmp_path / "other.jsonl", [{"foo": 1, "bar": 2}, {"foo": 3, "bar": 4}])
    rep = import_paths(db, [p])
    assert rep.rejected == 2 and rep.files[0].format == "xapi"
    assert any("keys foo, bar" in n for n in rep.files[0].notes)


def test_report_counts_skipped_and_format(db, tmp_path):
    p = write_jsonl(tmp_path / "s.jsonl", [stmt(1), stmt(2)])
    rep = import_paths(db, [p])
    d = rep.to_dict()
    assert list(d)[:7] == ["read", "stored", "duplicates", "conflicts", "rejected", "voided", "skipped"]
    assert d["skipped"] == 0 and d["files"][0]["format"] == "xapi" and d["skipped_files"] == []
    assert db.execute("SELECT format, skipped FROM imports").fetchone() == ("xapi", 0)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_unknown_format_name_is_a_clear_error(db, tmp_path):
    p = write_jsonl(tmp_path / "s.jsonl", [stmt(1)])
    with pytest.raises(FormatError, match="unknown format 'nope'"):
        import_paths(db, [p], source_format="nope")
    assert db.execute("SELECT count(*) FROM imports").fetchone()[0] == 0
    with pytest.raises(FormatError):
        list(validate_paths([p], source_format="nope"))


def test_cli_rejects_an_unknown_format(capsys, tmp_path):
    p = write_jsonl(tmp_path / "s.jsonl", [stmt(1)])
    with pytest.raises(SystemExit) as exc:
        cli_main(["import", "--db", str(tmp_path / "x.db"), "--format", "nope", str(p)])
    assert exc.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_forcing_xapi_reads_the_file_as_xapi(db, tmp_path):
    p = write_jsonl(tmp_path / "s.jsonl", [stmt(1), stmt(2)])
    rep = import_paths(db, [p], source_format="xapi")
    assert counts(rep)["stored"] == 2 and rep.files[0].format == "xapi"
