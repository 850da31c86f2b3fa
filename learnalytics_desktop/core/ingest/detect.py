"""Which source format a file holds, found from its content (not its name).

Decisions:

* JSON (a value, an array, JSON Lines, gzip or zip of them): the first records (up to
  :data:`SAMPLE`) are parsed and each format's ``sniff_json`` votes; the format with most votes
  wins, ties go to the order of ``formats.FORMATS``.  When no format claims a record the file
  is read as xAPI (so an invalid xAPI file keeps its precise per-record reasons), and when the
  records do not even have xAPI's ``actor``/``verb``/``object`` a note says what they look like.
* Text that is not JSON: the first line is read as a table header (comma, tab or semicolon
  separated) and each format's ``sniff_table`` votes.  A table no format claims is *unknown*:
  the file becomes one rejected record (rule ``format.unknown``) whose reason names what it
  looks like and which ``--format`` would read it.  Other text is read as xAPI (each line is
  then rejected as malformed JSON, with its line number).
"""

from __future__ import annotations

import csv
import gzip
import zlib
from dataclasses import dataclass
from itertools import islice

import orjson

from learnalytics_desktop.core.ingest.formats import FORMATS, load
from learnalytics_desktop.core.ingest.readers import Reader, ReadLimits, SourceFile

__all__ = ["Detection", "detect_format", "SAMPLE"]

SAMPLE = 20  # JSON records looked at
_HEAD = 64 * 1024
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Detection:
    """``format`` is a ``--format`` name, or None when the file is no known format; ``note``
    says what the file looks like when that matters (unknown, or JSON that is not xAPI)."""

    format: str | None
    note: str | None = None


def _head(source: SourceFile) -> bytes:
    try:
        with open(source.path, "rb") as f:
            head = f.read(_HEAD)
    except OSError:
        return b""
    if head.startswith(b"\x1f\x8b"):
        try:
            with gzip.open(source.path, "rb") as g:
                head = g.read(_HEAD)
        except (OSError, EOFError, zlib.error):
            return b""
    return head


def _json_family(text: bytes) -> bool:
    if text[:1] in (b"{", b"["):
        return True
    lines = [ln for ln in text.split(b"\n", 3)[:3] if ln.strip()]
    return len(lines) >= 2 and lines[1].strip()[:1] == b"{"


def detect_format(source: SourceFile, limits: ReadLimits | None = None) -> Detection:
    """The format of ``source`` (see the module docstring)."""
    head = _head(source)
    if head.startswith(b"PAR1"):
        return _detect_parquet(source)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _detect_json(source, limits)
    text = head[3:] if head.startswith(_BOM) else head
    text = text.lstrip()
    if not text or b"\x00" in text[:64] or _json_family(text):
        return _detect_json(source, limits)
    return _detect_table(text)


def _detect_json(source: SourceFile, limits: ReadLimits | None) -> Detection:
    sniffers = [(f.name, load(f.sniff_json)) for f in FORMATS if f.sniff_json]
    votes = dict.fromkeys((name for name, _ in sniffers), 0)
    keys: dict[str, None] = {}
    xapi_like = 0
    objects = 0
    reader = Reader(source, limits)
    records = reader.records()
    try:
        for _loc, data, _rule, _reason in islice((r for r in records if r[1] is not None), SAMPLE):
            try:
                obj = orjson.loads(data)  # type: ignore[arg-type]  # records without data are filtered out above
            except orjson.JSONDecodeError:
                continue
            if type(obj) is not dict:
                continue
            objects += 1
            keys.update(dict.fromkeys(list(obj)[:12]))
            if "actor" in obj and "verb" in obj:
                xapi_like += 1
            for name, looks in sniffers:
                if looks(obj):
                    votes[name] += 1
    finally:
        records.close()
    best = max(votes, key=lambda k: votes[k], default=None)
    if best is not None and votes[best] > xapi_like:
        return Detection(best)
    if objects and not xapi_like:
        shown = ", ".join(list(keys)[:8])
        return Detection(
            "xapi",
            f"the records look like JSON objects with the keys {shown}, not xAPI statements, "
            "Caliper events or Open edX tracking-log events; each was checked as xAPI",
        )
    return Detection("xapi")


def _detect_parquet(source: SourceFile) -> Detection:
    try:
        import pyarrow.parquet as pq

        names = pq.ParquetFile(source.path).schema_arrow.names
    except ImportError:
        return Detection(None, "is a Parquet table; reading Parquet needs pyarrow (the 'tables' extra)")
    except Exception as exc:  # pyarrow's own errors for a broken file
        return Detection(None, f"is a Parquet file that cannot be read ({type(exc).__name__})")
    columns = [str(c).strip().lower() for c in names]
    for f in FORMATS:
        if f.sniff_table and load(f.sniff_table)(columns):
            return Detection(f.name)
    return _unknown_table("Parquet", columns)


def _detect_table(text: bytes) -> Detection:
    first = text.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8", "replace")
    delim = max((",", "\t", ";"), key=first.count)
    if first.count(delim) < 1 or "{" in first:
        return Detection("xapi")
    columns = [c.strip().lower() for c in next(csv.reader([first], delimiter=delim))]
    for f in FORMATS:
        if f.sniff_table and load(f.sniff_table)(columns):
            return Detection(f.name)
    return _unknown_table({",": "comma", "\t": "tab", ";": "semicolon"}[delim] + "-separated", columns)


def _unknown_table(kind: str, columns: list[str]) -> Detection:
    shown = ", ".join(c for c in columns[:10] if c) + (", ..." if len(columns) > 10 else "")
    return Detection(
        None,
        f"looks like a table ({kind}) with the columns {shown}, but not a known log "
        "format; import it with --format events-csv and a column mapping (or the matching "
        "format on the Import page)",
    )
