"""core.export: atomic writes, spreadsheet-safe CSV, the export log."""

from __future__ import annotations

import csv
import io
import os

import pytest

from learnalytics_desktop.core import export
from learnalytics_desktop.core.export import (
    ExportError,
    atomic_write_bytes,
    atomic_write_text,
    csv_text,
    list_exports,
    neutralise_cell,
    record_export,
    write_csv_atomic,
)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+1", "'=1+1"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (float("nan"), ""),
        (-3.5, "-3.5"),
        (-7, "-7"),
        (2.0, "2"),
        (True, "true"),
    ],
)
def test_neutralise_cell(value, expected):
    assert neutralise_cell(value) == expected


def test_numpy_and_pandas_values():
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    assert neutralise_cell(np.float64(-1.25)) == "-1.25"
    assert neutralise_cell(np.int64(4)) == "4"
    assert neutralise_cell(pd.NA) == ""
    assert neutralise_cell(np.str_("=x")) == "'=x"


def test_csv_has_bom_crlf_and_round_trips(tmp_path):
    path = tmp_path / "out.csv"
    rows = [
        {"student": "Zoë Ærø", "note": '=WEBSERVICE("x")', "grade": -4.5, "text": 'a "quoted", line\nbreak'},
        {"student": "@alice", "note": None, "grade": 70, "text": "ok"},
    ]
    n = write_csv_atomic(path, rows)
    assert n == 2
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in raw
    parsed = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert parsed[0] == ["student", "note", "grade", "text"]
    assert parsed[1] == ["Zoë Ærø", '\'=WEBSERVICE("x")', "-4.5", 'a "quoted", line\nbreak']
    assert parsed[2] == ["'@alice", "", "70", "ok"]


def test_csv_from_dataframe_and_sequences(tmp_path):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": ["=x", "y"], "b": [1.5, None]})
    text, n = csv_text(frame)
    assert n == 2 and text.splitlines()[1] == "'=x,1.5" and text.splitlines()[2] == "y,"
    text, n = csv_text([("+1", 2)], columns=["=h", "k"])
    assert text.splitlines() == ["'=h,k", "'+1,2"]
    with pytest.raises(ExportError, match="row 1 has 1 cells"):
        csv_text([("only",)], columns=["a", "b"])
    with pytest.raises(ExportError, match="need the column names"):
        csv_text([("a", "b")])
    with pytest.raises(ExportError, match="no column"):
        csv_text(frame, columns=["zzz"])


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path):
    target = tmp_path / "f.txt"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two\r\n", bom=True)
    assert target.read_bytes() == b"\xef\xbb\xbftwo\r\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.txt"]


def test_failed_write_keeps_old_file(tmp_path, monkeypatch):
    target = tmp_path / "f.csv"
    target.write_text("old")

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export.os, "replace", boom)
    with pytest.raises(ExportError, match="No space left"):
        atomic_write_bytes(target, b"new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.csv"]


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ExportError, match="does not exist"):
        atomic_write_text(tmp_path / "nope" / "f.txt", "x")
    with pytest.raises(ExportError, match="is a folder"):
        atomic_write_text(tmp_path, "x")


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_written_file_is_private_and_a_replaced_one_keeps_its_mode(tmp_path):
    # exports hold personal data: owner-only, whatever the umask (issue 15, finding 17)
    old = os.umask(0o022)
    try:
        path = atomic_write_text(tmp_path / "p.txt", "x")
        assert path.stat().st_mode & 0o777 == 0o600
        path.chmod(0o640)  # the user shared it on purpose: a rewrite keeps that
        atomic_write_text(path, "y")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o640


def test_export_log(db, tmp_path):
    record_export(db, "interventions csv", tmp_path / "a.csv", 3, exported=2)
    record_export(db, "impact report", tmp_path / "r.html", 10)
    log = list_exports(db)
    assert [e["what"] for e in log] == ["impact report", "interventions csv"]
    assert log[1]["rows"] == 3 and log[1]["exported"] == 2 and log[1]["path"].endswith("a.csv")
    assert log[0]["at"] and log[0]["user"]
    assert len(list_exports(db, limit=1)) == 1
