"""A property-based fuzz suite over every reader (issue 15): generated hostile statements, raw
bytes, tables and archives go through the importer with each source format in
``core.ingest.formats.FORMATS`` (new formats join automatically) and through the gradebook and
class-list import. Whatever the input:

* the import ends normally: the only exceptions allowed are the documented user errors
  (``FormatError`` for an option a format needs, ``OutcomesError``/``CsvError`` for a table
  that cannot be read), never a traceback;
* the accounting identity holds for every file: ``read = stored + duplicates + conflicts +
  rejected + skipped``, and the database agrees (``stored`` statements and ``rejected`` rows
  carry the import's id);
* memory stays bounded: the peak of Python allocations (``tracemalloc``) stays under
  :data:`MEMORY_BOUND` while a small archive bomb unpacks.

The budget is fixed: derandomised (the same examples on every run), ``max_examples`` bounded,
no deadline and no wall-clock assertion.
"""

from __future__ import annotations

import gzip
import io
import json
import sqlite3
import tracemalloc
import uuid
import warnings
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnalytics_desktop.core.ingest.formats import FORMATS
from learnalytics_desktop.core.ingest.importer import import_paths
from learnalytics_desktop.core.ingest.readers import ReadLimits
from learnalytics_desktop.core.store.db import open_db

MEMORY_BOUND = 96 * 1024 * 1024
LIMITS = ReadLimits(
    max_record_bytes=256 * 1024,
    max_member_bytes=4 * 1024 * 1024,
    max_total_bytes=8 * 1024 * 1024,
    max_ratio=50.0,
    ratio_floor_bytes=512 * 1024,
    max_members=200,
)
FUZZ = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
FORMAT_NAMES = [None, *(f.name for f in FORMATS)]  # None: found from each file's content

# --- hostile values ---------------------------------------------------------------------------

HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "\u202e",
            "mailto:",
            "mailto:a@b",
            "mailto:ann@example.org",
            "not an iri",
            "http://",
            "javascript:alert(1)",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59-12:00",
            "2026-02-30T00:00:00Z",
            "2026-01-05T10:00:00Z",
            "PT-5S",
            "P1Y2M3DT4H5M6.7S",
            "=cmd|' /C calc'!A0",
            "../../etc/passwd",
            "x" * 5000,
            "NaN",
            "1e309",
        ]
    ),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    HOSTILE_TEXT,
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(HOSTILE_TEXT, inner, max_size=4)),
    max_leaves=12,
)


def _valid(i: int) -> dict[str, Any]:
    return {
        "id": str(uuid.UUID(int=i + 1)),
        "actor": {"objectType": "Agent", "mbox": f"mailto:s{i % 7}@example.org", "name": f"Student {i % 7}"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
        "object": {
            "id": f"https://x.example/a/{i % 5}",
            "definition": {"type": "http://adlnet.gov/expapi/activities/assessment"},
        },
        "context": {"contextActivities": {"grouping": [{"id": "https://x.example/course/1"}]}},
        "timestamp": "2026-01-05T10:00:00Z",
        "result": {"score": {"scaled": 0.5}, "duration": "PT5M"},
    }


PATHS = [
    ("id",),
    ("actor",),
    ("actor", "mbox"),
    ("actor", "name"),
    ("actor", "account"),
    ("verb",),
    ("verb", "id"),
    ("object",),
    ("object", "id"),
    ("object", "objectType"),
    ("context",),
    ("context", "contextActivities"),
    ("timestamp",),
    ("stored",),
    ("result",),
    ("result", "score"),
    ("result", "duration"),
    ("version",),
    ("authority",),
]


@st.composite
def statements(draw: st.DrawFn, i: int = 0) -> Any:
    """A statement with some of its fields replaced, removed or added; or any JSON value."""
    if draw(st.integers(0, 9)) == 0:
        return draw(JSON_VALUES)
    s = _valid(draw(st.integers(0, 50)) + i)
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from(PATHS))
        node = s
        for key in path[:-1]:
            nxt = node.get(key) if isinstance(node, dict) else None
            if not isinstance(nxt, dict):
                nxt = {}
                node[key] = nxt
            node = nxt
        if draw(st.booleans()):
            node[path[-1]] = draw(JSON_VALUES)
        else:
            node.pop(path[-1], None)
    return s


def _dump(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, allow_nan=True).encode("utf-8", "surrogatepass")


@st.composite
def statement_files(draw: st.DrawFn) -> tuple[str, bytes]:
    """A statement file in one of the shapes the readers accept, often damaged."""
    items = draw(st.lists(statements(), min_size=0, max_size=12))
    shape = draw(st.sampled_from(["jsonl", "array", "lrs", "single", "caliper", "edx"]))
    if shape == "jsonl":
        lines = [_dump(x) for x in items]
        if lines and draw(st.booleans()):
            k = draw(st.integers(0, len(lines) - 1))
            lines[k] = lines[k][: draw(st.integers(0, len(lines[k])))]  # a line cut short
        data, name = b"\n".join(lines) + draw(st.sampled_from([b"\n", b"", b"\r\n"])), "s.jsonl"
    elif shape == "array":
        data, name = _dump(items), "s.json"
    elif shape == "lrs":
        data, name = _dump({"statements": items, "more": draw(HOSTILE_TEXT)}), "page.json"
    elif shape == "single":
        data, name = _dump(items[0] if items else {}), "one.json"
    elif shape == "caliper":
        envelope = {
            "sensor": draw(HOSTILE_TEXT),
            "sendTime": draw(HOSTILE_TEXT),
            "dataVersion": "http://purl.imsglobal.org/ctx/caliper/v1p2",
            "data": [draw(JSON_VALUES) for _ in range(draw(st.integers(0, 4)))]
            + [
                {
                    "@context": "http://purl.imsglobal.org/ctx/caliper/v1p2",
                    "id": f"urn:uuid:{uuid.UUID(int=7)}",
                    "type": draw(st.sampled_from(["NavigationEvent", "AssessmentEvent", "Event", "Bogus"])),
                    "actor": draw(st.one_of(HOSTILE_TEXT, JSON_VALUES)),
                    "action": draw(HOSTILE_TEXT),
                    "object": draw(JSON_VALUES),
                    "eventTime": draw(HOSTILE_TEXT),
                }
            ],
        }
        data, name = _dump(envelope), "caliper.json"
    else:
        events = [
            {
                "username": draw(HOSTILE_TEXT),
                "event_type": draw(st.sampled_from(["play_video", "problem_check", "page_close", "bogus"])),
                "time": draw(HOSTILE_TEXT),
                "event": draw(JSON_VALUES),
                "context": draw(
                    st.one_of(JSON_VALUES, st.just({"course_id": "course-v1:X+Y+Z", "user_id": 3}))
                ),
                "event_source": draw(st.sampled_from(["browser", "server", "mobile"])),
            }
            for _ in range(draw(st.integers(0, 5)))
        ]
        data, name = b"\n".join(_dump(e) for e in events) + b"\n", "tracking.log.jsonl"
    if draw(st.integers(0, 4)) == 0:
        data = draw(st.binary(max_size=300))  # not even text
    return name, data


@st.composite
def archives(draw: st.DrawFn) -> tuple[str, bytes]:
    """A zip (with hostile member names, nesting, damage) or a gzip, sometimes a small bomb."""
    kind = draw(st.sampled_from(["zip", "gz", "bomb-zip", "bomb-gz", "damaged"]))
    if kind == "gz":
        _name, inner = draw(statement_files())
        data = gzip.compress(inner)
        if draw(st.booleans()):
            data = data[: draw(st.integers(0, len(data)))]
        return "s.jsonl.gz", data
    if kind == "bomb-gz":
        return "bomb.jsonl.gz", gzip.compress(b"0" * (6 * 1024 * 1024))
    buf = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        warnings.simplefilter("ignore")  # repeated member names are part of the hostility
        if kind == "bomb-zip":
            zf.writestr("bomb.jsonl", b" " * (6 * 1024 * 1024))
        for _ in range(draw(st.integers(0, 4))):
            member = draw(
                st.sampled_from(
                    [
                        "a.jsonl",
                        "dir/b.json",
                        "../../evil.jsonl",
                        "/abs/c.json",
                        "__MACOSX/d.json",
                        ".hidden.json",
                        "e.txt",
                        "nested.zip",
                        "f.jsonl.gz",
                        "dir/",
                    ]
                )
            )
            if member.endswith("/"):
                zf.writestr(member, b"")
                continue
            _n, inner = draw(statement_files())
            if member.endswith(".gz"):
                inner = gzip.compress(inner)
            if member.endswith(".zip"):
                nested = io.BytesIO()
                with zipfile.ZipFile(nested, "w") as nz:
                    nz.writestr("inner.jsonl", inner)
                inner = nested.getvalue()
            zf.writestr(member, inner)
    data = buf.getvalue()
    if kind == "damaged" and data:
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] + draw(st.binary(max_size=40))
    return "archive.zip", data


# --- the checks ---------------------------------------------------------------------------------


def _options(fmt: str | None) -> dict[str, Any] | None:
    if fmt is None:
        return None
    spec = next(f for f in FORMATS if f.name == fmt)
    return {name: "https://lms.example.org" for name in spec.required} or None


def _check_import(folder: Path, files: list[tuple[str, bytes]], fmt: str | None) -> None:
    """Import ``files`` with format ``fmt``; assert the identity, the database, the memory."""
    from learnalytics_desktop.core.ingest.sourcing import FormatError

    for name, data in files:
        (folder / name).write_bytes(data)
    conn = open_db(None)
    tracemalloc.start()
    try:
        try:
            report = import_paths(
                conn,
                [folder],
                workers=0,
                limits=LIMITS,
                chunk_records=7,
                source_format=fmt,
                format_options=_options(fmt),
                course_fallback="https://x.example/course/fallback",
            )
        except FormatError:
            return  # a documented user error (an option the format needs), not a crash
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BOUND, f"peak {peak:,} bytes"
    total = dict.fromkeys(("read", "stored", "duplicates", "conflicts", "rejected", "skipped"), 0)
    for fr in report.files:
        c = fr.counts()
        assert c["read"] == c["stored"] + c["duplicates"] + c["conflicts"] + c["rejected"] + c["skipped"], fr
        assert fr.status == "done", fr
        for k in total:
            total[k] += c[k]
        rows = conn.execute(
            "SELECT (SELECT count(*) FROM statements WHERE import_id = ?), "
            "(SELECT count(*) FROM rejects WHERE import_id = ?)",
            (fr.import_id, fr.import_id),
        ).fetchone()
        assert rows == (fr.stored, fr.rejected), (rows, fr)
    assert report.read == total["read"] and report.stored == total["stored"]
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
@FUZZ
@given(files=st.lists(statement_files(), min_size=1, max_size=3, unique_by=lambda f: f[0]))
def test_hostile_statement_files(tmp_path_factory: pytest.TempPathFactory, fmt: str | None, files) -> None:
    _check_import(tmp_path_factory.mktemp("fuzz"), files, fmt)


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
@FUZZ
@given(archive=archives())
def test_hostile_archives(tmp_path_factory: pytest.TempPathFactory, fmt: str | None, archive) -> None:
    _check_import(tmp_path_factory.mktemp("fuzz"), [archive], fmt)


# --- tables: gradebooks and class lists ---------------------------------------------------------

CELLS = st.one_of(
    HOSTILE_TEXT,
    st.sampled_from(
        ["-5", "101", "1e308", "67,5", "67.5 %", "n/a", "Pass", "Withdrawn", "yes", "s1", "s1@example.org"]
    ),
)


@st.composite
def tables(draw: st.DrawFn) -> bytes:
    """A CSV with a plausible or hostile header, odd delimiters, quotes and encodings."""
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    header = draw(
        st.one_of(
            st.just(["Student ID", "Email", "Final grade", "Result"]),
            st.lists(CELLS, min_size=1, max_size=5),
        )
    )
    rows = draw(st.lists(st.lists(CELLS, min_size=0, max_size=len(header) + 1), max_size=8))

    def line(cells: list[str]) -> str:
        out = []
        for c in cells:
            c = str(c)
            if draw(st.booleans()) or any(ch in c for ch in (sep, '"', "\n", "\r")):
                c = '"' + c.replace('"', '""') + '"'
            out.append(c)
        return sep.join(out)

    text = draw(st.sampled_from(["\r\n", "\n"])).join(line(r) for r in [header, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]))
    data = text.encode(encoding, "replace")
    if draw(st.integers(0, 5)) == 0:
        data = data[: draw(st.integers(0, len(data)))] + draw(st.binary(max_size=20))
    return data


@FUZZ
@given(data=tables(), kind=st.sampled_from(["outcomes", "roster"]))
def test_hostile_tables(tmp_path_factory: pytest.TempPathFactory, data: bytes, kind: str) -> None:
    from learnalytics_desktop.core.outcomes import OutcomesError, import_outcomes, import_roster
    from learnalytics_desktop.core.tabular import CsvError

    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "table.csv"
    path.write_bytes(data)
    conn = open_db(None)
    try:
        conn.execute("INSERT INTO courses(iri, name) VALUES ('https://x.example/course/1', 'C1')")
        before = conn.execute(
            "SELECT (SELECT count(*) FROM outcomes), (SELECT count(*) FROM enrolments)"
        ).fetchone()
        try:
            result = (import_outcomes if kind == "outcomes" else import_roster)(conn, 1, path)
        except (OutcomesError, CsvError) as exc:
            assert str(exc).strip()  # a message, and nothing was imported
            after = conn.execute(
                "SELECT (SELECT count(*) FROM outcomes), (SELECT count(*) FROM enrolments)"
            ).fetchone()
            assert after == before
            return
        grades = [g for (g,) in conn.execute("SELECT final_grade FROM outcomes") if g is not None]
        assert all(0 <= g <= 1e6 for g in grades)  # finding 15: no negative or absurd grade
        assert result.rows >= 0
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


def test_a_gzip_bomb_with_default_limits_stays_small(tmp_path: Path) -> None:
    """200 MB of zeros in a 200 KB gzip: streamed and cut at the ratio limit, never held whole."""
    path = tmp_path / "bomb.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=9) as fh:
        chunk = b"\0" * (1024 * 1024)
        for _ in range(200):
            fh.write(chunk)
    conn = open_db(None)
    tracemalloc.start()
    try:
        report = import_paths(conn, [path], workers=0)
        _cur, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        conn.close()
    assert peak < MEMORY_BOUND, f"peak {peak:,} bytes"
    fr = report.files[0]
    assert fr.read == fr.stored + fr.duplicates + fr.conflicts + fr.rejected + fr.skipped
    assert fr.rejected >= 1 and fr.stored == 0
    assert sqlite3.complete_statement("SELECT 1;")  # the interpreter is still well
