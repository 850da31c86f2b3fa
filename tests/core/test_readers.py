"""Readers and the streaming JSON splitter: every format, broken input, caps, properties."""

from __future__ import annotations

import gzip
import io
import json
import os
import struct
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnalytics_desktop.core.ingest.jsonstream import iter_json_values
from learnalytics_desktop.core.ingest.readers import Reader, ReadLimits, SourceFile, discover

STMT = {
    "actor": {"mbox": "mailto:a@example.org"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
    "object": {"id": "http://example.org/a"},
}


def _source(path: Path) -> SourceFile:
    st_ = path.stat()
    return SourceFile(path.absolute(), st_.st_size, st_.st_mtime_ns)


def records(path: Path, limits: ReadLimits | None = None) -> list[tuple]:
    return list(Reader(_source(path), limits).records())


def data_of(recs: list[tuple]) -> list:
    return [json.loads(r[1]) if r[1] is not None else (r[2],) for r in recs]


def stmt(i: int) -> dict:
    return {**STMT, "object": {"id": f"http://example.org/a{i}"}}


# -- formats ---------------------------------------------------------------------------------


def test_json_lines_with_bom_crlf_and_blank_lines(tmp_path):
    p = tmp_path / "s.jsonl"
    p.write_bytes(
        b"\xef\xbb\xbf" + b"\r\n".join(json.dumps(stmt(i)).encode() for i in range(3)) + b"\r\n\r\n"
    )
    recs = records(p)
    assert [r[0] for r in recs] == [1, 2, 3]
    assert data_of(recs) == [stmt(0), stmt(1), stmt(2)]
    assert all(r[2] is None for r in recs)


def test_json_lines_truncated_last_line_is_flagged_and_the_rest_read(tmp_path):
    p = tmp_path / "s.jsonl"
    text = "\n".join(json.dumps(stmt(i)) for i in range(3))
    p.write_text(text[:-10])  # cut inside the last line, no final newline
    recs = records(p)
    assert len(recs) == 3
    assert [r[2] for r in recs] == [None, None, "json.truncated"]
    assert data_of(recs[:2]) == [stmt(0), stmt(1)]


def test_complete_last_line_without_newline_is_fine(tmp_path):
    p = tmp_path / "s.jsonl"
    p.write_text(json.dumps(stmt(0)) + "\n" + json.dumps(stmt(1)))
    recs = records(p)
    assert recs[-1][2] == "json.truncated"  # only a hint: the record still carries its data
    assert json.loads(recs[-1][1]) == stmt(1)


def test_array_pretty_printed_with_locations(tmp_path):
    p = tmp_path / "a.json"
    p.write_text(json.dumps([stmt(i) for i in range(3)], indent=2))
    recs = records(p)
    assert data_of(recs) == [stmt(0), stmt(1), stmt(2)]
    assert recs[0][0] == "index 0 (line 2)"
    assert recs[2][0].startswith("index 2 (line ")


def test_single_pretty_statement_and_lrs_page(tmp_path):
    single = tmp_path / "one.json"
    single.write_text(json.dumps(stmt(7), indent=4))
    assert data_of(records(single)) == [stmt(7)]
    page = tmp_path / "page.json"
    page.write_text(
        json.dumps({"more": "/xapi/statements?more=abc", "statements": [stmt(1), stmt(2)]}, indent=1)
    )
    recs = records(page)
    assert data_of(recs) == [stmt(1), stmt(2)]
    assert recs[0][0].startswith("statements index 0")


def test_json_lines_of_pages(tmp_path):
    p = tmp_path / "pages.jsonl"
    p.write_text(
        "\n".join(json.dumps({"statements": [stmt(2 * i), stmt(2 * i + 1)], "more": ""}) for i in range(2))
        + "\n"
    )
    recs = records(p)
    assert data_of(recs) == [stmt(i) for i in range(4)]
    assert recs[3][0] == "line 2 statements index 1 (line 1)"


def test_concatenated_values_and_stray_text(tmp_path):
    p = tmp_path / "c.json"
    p.write_text(json.dumps(stmt(1)) + " " + json.dumps([stmt(2)]) + " ]")
    recs = records(p)
    assert data_of(recs[:2]) == [stmt(1), stmt(2)]
    assert recs[2][2] == "json.structure"


def test_empty_and_whitespace_files_have_no_records(tmp_path):
    (tmp_path / "e.json").write_bytes(b"")
    (tmp_path / "w.json").write_bytes(b"  \n\r\n ")
    assert records(tmp_path / "e.json") == []
    assert records(tmp_path / "w.json") == []


def test_utf16_is_refused_clearly(tmp_path):
    p = tmp_path / "u.json"
    p.write_bytes(json.dumps(stmt(1)).encode("utf-16"))
    (rec,) = records(p)
    assert rec[1] is None and rec[2] == "file.encoding" and "UTF-16" in rec[3]


def test_gzip_by_content_and_sha256(tmp_path):
    p = tmp_path / "s.data"  # no telling extension: found by the magic bytes
    p.write_bytes(gzip.compress("\n".join(json.dumps(stmt(i)) for i in range(5)).encode()))
    reader = Reader(_source(p))
    assert data_of(list(reader.records())) == [stmt(i) for i in range(5)]
    import hashlib

    assert reader.sha256 == hashlib.sha256(p.read_bytes()).hexdigest()


def test_damaged_gzip_keeps_what_came_before(tmp_path):
    p = tmp_path / "s.jsonl.gz"
    blob = gzip.compress("\n".join(json.dumps(stmt(i)) for i in range(2000)).encode())
    p.write_bytes(blob[: len(blob) // 2])
    recs = records(p)
    assert recs[-1][2] in ("archive.damaged", "json.truncated")
    good = [r for r in recs if r[2] is None]
    assert len(good) > 100
    assert data_of(good[:3]) == [stmt(0), stmt(1), stmt(2)]


def test_gzip_bomb_is_stopped(tmp_path):
    p = tmp_path / "bomb.json.gz"
    p.write_bytes(gzip.compress(b"[" + b" " * 5_000_000 + b"]"))
    recs = records(p, ReadLimits(max_ratio=50, ratio_floor_bytes=100_000))
    assert [r[2] for r in recs] == ["archive.ratio"]


def test_zip_members_in_order_with_gz_member_and_skips(tmp_path):
    p = tmp_path / "x.zip"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("b/one.jsonl", "\n".join(json.dumps(stmt(i)) for i in range(2)))
        z.writestr("a.json", json.dumps([stmt(5)]))
        z.writestr("c.json.gz", gzip.compress(json.dumps(stmt(9)).encode()))
        z.writestr("README.md", "hello")
        z.writestr("__MACOSX/._a.json", b"\x00\x05\x16\x07")
        z.writestr("../../evil.json", json.dumps(stmt(6)))  # a name is only a label
    reader = Reader(_source(p))
    recs = list(reader.records())
    assert data_of(recs) == [stmt(0), stmt(1), stmt(5), stmt(9), stmt(6)]
    assert recs[0][0] == "member b/one.jsonl line 1"
    assert any("README.md" in n for n in reader.notes) and any("__MACOSX" in n for n in reader.notes)
    assert not (tmp_path.parent.parent / "evil.json").exists()


def test_zip_caps_member_total_ratio_nested(tmp_path):
    p = tmp_path / "caps.zip"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("zeros.json", b"[" + b" " * 2_000_000 + b"]")  # compresses ~1000:1
        z.writestr("big.jsonl", "\n".join(json.dumps(stmt(i)) for i in range(3000)))
        z.writestr("inner.zip", b"PK\x05\x06" + b"\x00" * 18)
        z.writestr("ok.json", json.dumps(stmt(1)))
    recs = records(p, ReadLimits(max_ratio=100, ratio_floor_bytes=1000, max_member_bytes=200_000))
    rules = [r[2] for r in recs]
    assert rules == ["archive.ratio", "archive.member_size", "archive.nested", None]
    recs = records(p, ReadLimits(max_total_bytes=1000, ratio_floor_bytes=10**9))
    assert recs[0][2] == "archive.total_size" and len(recs) == 1


def test_zip_with_lying_header_is_a_reject_not_a_crash(tmp_path):
    p = tmp_path / "lie.zip"
    payload = "\n".join(json.dumps(stmt(i)) for i in range(200)).encode()
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("s.jsonl", payload)
    blob = bytearray(p.read_bytes())
    cd = blob.rfind(b"PK\x01\x02")  # central directory entry: uncompressed size at +24
    struct.pack_into("<I", blob, cd + 24, 100)
    struct.pack_into("<I", blob, 22, 100)  # and in the local header
    p.write_bytes(bytes(blob))
    recs = records(p)
    assert recs[-1][2] in ("archive.damaged", "archive.member_size", "json.truncated")


def test_not_a_zip_after_magic_is_a_reject(tmp_path):
    p = tmp_path / "bad.zip"
    p.write_bytes(b"PK\x03\x04garbage" * 10)
    (rec,) = records(p)
    assert rec[2] == "archive.damaged"


def test_oversized_record_is_skipped_and_reading_goes_on(tmp_path):
    p = tmp_path / "s.jsonl"
    big = {**stmt(0), "context": {"extensions": {"http://x.org/e": "x" * 5000}}}
    p.write_text("\n".join(json.dumps(s) for s in (stmt(1), big, stmt(2))) + "\n")
    recs = records(p, ReadLimits(max_record_bytes=1000))
    assert [r[2] for r in recs] == [None, "record.too_large", None]
    arr = tmp_path / "a.json"
    arr.write_text(json.dumps([stmt(1), big, stmt(2)]))
    recs = records(arr, ReadLimits(max_record_bytes=1000))
    assert [r[2] for r in recs] == [None, "record.too_large", None]
    assert json.loads(recs[2][1]) == stmt(2)


def test_discover_recursive_sorted_with_skips(tmp_path):
    (tmp_path / "b" / "c").mkdir(parents=True)
    (tmp_path / ".hidden").mkdir()
    for rel in ("b/c/z.jsonl", "b/a.json", "a.json.gz", "notes.txt", ".hidden/x.json", "._a.json", "d.zip"):
        (tmp_path / rel).write_text("{}")
    files, skipped = discover([tmp_path])
    names = [str(f.path.relative_to(tmp_path)) for f in files]
    assert names == ["a.json.gz", os.path.join("b", "a.json"), os.path.join("b", "c", "z.jsonl"), "d.zip"]
    reasons = {Path(p).name: r for p, r in skipped}
    assert set(reasons) == {"notes.txt", ".hidden", "._a.json"}
    with pytest.raises(FileNotFoundError):
        discover([tmp_path / "missing.json"])


def test_arrays_stream_in_bounded_memory(tmp_path):
    p = tmp_path / "big.json"
    one = json.dumps(stmt(1))
    with open(p, "w") as f:
        f.write("[")
        f.write(",\n".join([one] * 100_000))  # ~15 MB
        f.write("]")
    tracemalloc.start()
    n = sum(1 for _ in Reader(_source(p)).records())
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert n == 100_000
    assert peak < 8 * 1024 * 1024, peak  # blocks of 1 MiB, never the whole file


# -- properties of the splitter -------------------------------------------------------------

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(
        alphabet=st.characters(blacklist_categories=("Cs",)) | st.sampled_from('"\\[]{},:\n\t'), max_size=12
    )
)
_values = st.recursive(
    _scalars,
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=6), c, max_size=4),
    max_leaves=12,
)
_objects = st.dictionaries(
    st.text(alphabet=st.sampled_from('ab"\\{[]},: é'), max_size=5), _values, max_size=5
)


def _split(text: bytes, chunk: int) -> list:
    f = io.BytesIO(text)
    pieces = list(iter_json_values(lambda n: f.read(min(n, chunk))))
    assert all(p.data is not None for p in pieces), [p.reason for p in pieces if p.data is None]
    return [json.loads(p.data) for p in pieces]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    arr=st.lists(_objects, max_size=6),
    indent=st.sampled_from([None, 0, 1, "\t"]),
    ascii_=st.booleans(),
    chunk=st.integers(1, 64),
)
def test_array_split_equals_json_loads(arr, indent, ascii_, chunk):
    text = json.dumps(arr, indent=indent, ensure_ascii=ascii_).encode()
    assert _split(text, chunk) == json.loads(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    arr=st.lists(_objects, max_size=5),
    extra=_values,
    first=st.booleans(),
    indent=st.sampled_from([None, 2]),
    chunk=st.integers(1, 40),
)
def test_page_split_two_levels_deep_equals_json_loads(arr, extra, first, indent, chunk):
    page = {"statements": arr, "more": extra} if first else {"more": extra, "statements": arr}
    text = json.dumps(page, indent=indent, ensure_ascii=False).encode()
    assert _split(text, chunk) == arr


@settings(max_examples=150, deadline=None)
@given(objs=st.lists(_objects, min_size=1, max_size=6), chunk=st.integers(1, 50))
def test_single_and_concatenated_objects(objs, chunk):
    text = "\n".join(json.dumps(o) for o in objs).encode()
    # objects that happen to be pages ({"statements": [...]}) are split; others come whole
    expected = []
    for o in objs:
        expected.extend(o["statements"] if isinstance(o.get("statements"), list) else [o])
    assert _split(text, chunk) == expected


@settings(max_examples=150, deadline=None)
@given(arr=st.lists(_objects, min_size=1, max_size=5), cut=st.integers(0, 10_000), chunk=st.integers(1, 30))
def test_truncated_arrays_never_crash_and_lose_nothing_before_the_cut(arr, cut, chunk):
    text = json.dumps(arr).encode()
    cut = cut % len(text)
    f = io.BytesIO(text[:cut])
    pieces = list(iter_json_values(lambda n: f.read(min(n, chunk))))
    good = [json.loads(p.data) for p in pieces if p.data is not None]
    assert good == arr[: len(good)]
    if cut < len(text) - 1 and cut > 0:
        assert pieces and pieces[-1].data is None  # the cut is reported


@settings(max_examples=150, deadline=None)
@given(lines=st.lists(_objects, max_size=8), crlf=st.booleans())
def test_json_lines_reader_round_trips(tmp_path_factory, lines, crlf):
    p = tmp_path_factory.mktemp("jl") / "s.jsonl"
    sep = "\r\n" if crlf else "\n"
    text = sep.join(json.dumps(o) for o in lines) + (sep if lines else "")
    p.write_text(text, newline="")
    got = [json.loads(r[1]) for r in records(p)]
    expected = []
    for o in lines:
        expected.extend(o["statements"] if isinstance(o.get("statements"), list) else [o])
    assert got == expected
