"""Stream the rows of a CSV/TSV (or Parquet) file as records for the import pipeline.

Decisions:

* **One tabular reader.**  The encoding (BOM, UTF-8, else Windows-1252) and the delimiter
  (comma, semicolon, tab, bar) are decided by ``core.tabular`` from the first 64 KiB; the rest
  of the file is then read in blocks of :data:`BLOCK_ROWS` rows, never whole, so memory stays
  flat on a file of any size (a 1 GB log takes as much memory as a 1 MB one).
* **A record is a row** as ``{header: cell}`` (cells stripped; a short row padded with empty
  cells), its location the file's line number (the header is line 1).  A row wider than the
  header is rejected (``table.width``) with its line number; blank lines are not records.
* **Parquet** (``.parquet``) is read with pyarrow, one row group batch at a time (pyarrow is an
  optional dependency: the ``tables`` extra); every value is passed on as text, so the
  converters treat both kinds of file the same way.  Locations are ``row N`` (1-based).
* The file's SHA-256 and ``bytes_done`` follow the bytes read, for resume and progress.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Iterator
from typing import Any

import orjson

from learnalytics_desktop.core import tabular
from learnalytics_desktop.core.ingest.readers import ReadLimits, SourceFile
from learnalytics_desktop.core.ingest.textformats import Record

__all__ = ["BLOCK_ROWS", "TableReader", "open_source", "read_header"]

BLOCK_ROWS = 2000
_HEAD = 64 * 1024
_PARQUET_MAGIC = b"PAR1"


def open_source(source: SourceFile, limits: ReadLimits, options: dict[str, Any]) -> TableReader:
    """The record source of a table file (``formats`` opener)."""
    return TableReader(source, limits)


class _Counting(io.RawIOBase):
    """A binary file that hashes and counts what is read through it."""

    def __init__(self, f: Any) -> None:
        self.f = f
        self.count = 0
        self.h = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self.f.read(len(b))
        n = len(data)
        b[:n] = data
        self.count += n
        self.h.update(data)
        return n


def _encoding(head: bytes) -> tuple[str, str | None]:
    """The codec for the whole file from its first bytes, and a note when it is a fallback."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", None
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", None
    try:
        _text, enc, warnings = tabular.decode(head)
    except tabular.CsvError:
        # a cut-off multi-byte character at the end of the head is not an error
        _text, enc, warnings = tabular.decode(head[: head.rfind(b"\n") + 1] or head)
    if enc == "utf-8":
        return "utf-8", None
    return enc, (warnings[0] if warnings else None)


def _head_text(head: bytes, enc: str) -> str:
    cut = head[: head.rfind(b"\n") + 1] or head
    return codecs.decode(cut, enc, errors="replace").lstrip("\ufeff")


def read_header(path: Any) -> tuple[list[str], str, str]:
    """``(header, delimiter name, encoding)`` of a table file, read from its first 64 KiB (the
    Import page's mapping dialog and the preview use it)."""
    with open(path, "rb") as f:
        head = f.read(_HEAD)
    if head.startswith(_PARQUET_MAGIC):
        import pyarrow.parquet as pq

        return list(pq.ParquetFile(path).schema_arrow.names), "parquet", "binary"
    enc, _note = _encoding(head)
    text = _head_text(head, enc)
    delim = tabular.sniff_delimiter(text)
    for cells in csv.reader(io.StringIO(text, newline=""), delimiter=delim):
        if any(c.strip() for c in cells):
            return [c.strip() for c in cells], tabular.DELIMITER_NAMES.get(delim, delim), enc
    return [], tabular.DELIMITER_NAMES.get(delim, delim), enc


class TableReader:
    """Reads one table file; ``blocks()`` streams its rows as records (see the module docstring)."""

    def __init__(
        self, source: SourceFile, limits: ReadLimits | None = None, need: list[str] | None = None
    ) -> None:
        self.source = source
        self.need = list(need or [])
        self.limits = limits or ReadLimits()
        self.notes: list[str] = []
        self.sha256: str | None = None
        self._counting: _Counting | None = None
        self._parquet_done = 0

    @property
    def bytes_done(self) -> int:
        return self._counting.count if self._counting is not None else self._parquet_done

    def blocks(self) -> Iterator[list[Record]]:
        try:
            with open(self.source.path, "rb") as raw:
                head = raw.read(_HEAD)
                raw.seek(0)
                if head.startswith(_PARQUET_MAGIC):
                    yield from self._parquet()
                    return
                self._counting = counting = _Counting(raw)
                yield from self._csv(head, counting)
                while counting.read(1 << 20):  # hash what is left (an error stopped early)
                    pass
                self.sha256 = counting.h.hexdigest()
        except OSError as exc:
            yield [("file", None, "file.unreadable", f"the file could not be read: {exc.strerror or exc}")]

    def _csv(self, head: bytes, counting: _Counting) -> Iterator[list[Record]]:
        if not head.strip():
            self.notes.append("the file is empty: it holds no rows")
            return
        if b"\x00" in head[:4096] and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
            yield [("file", None, "table.binary", "the file is not a text table (it holds zero bytes)")]
            return
        enc, note = _encoding(head)
        if note:
            self.notes.append(note)
        delim = tabular.sniff_delimiter(_head_text(head, enc))
        text = io.TextIOWrapper(
            io.BufferedReader(counting, 1 << 20), encoding=enc, errors="replace", newline=""
        )
        reader = csv.reader(text, delimiter=delim)
        header: list[str] | None = None
        width = 0
        block: list[Record] = []
        line_end = 0
        dumps = orjson.dumps
        try:
            for cells in reader:
                line = line_end + 1
                line_end = reader.line_num
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue
                if header is None:
                    header = _names([c.strip().lstrip("\ufeff") for c in cells])
                    width = len(header)
                    missing = self._missing(header)
                    if missing:
                        yield [missing]
                        return
                    continue
                n = len(cells)
                if n > width:
                    if any(c.strip() for c in cells[width:]):
                        block.append(
                            (
                                line,
                                None,
                                "table.width",
                                f"the row has {n} cells but the header has {width}; check the "
                                f"delimiter ({tabular.DELIMITER_NAMES.get(delim)}) and the quoting",
                            )
                        )
                        continue
                    cells = cells[:width]
                elif n < width:
                    cells = cells + [""] * (width - n)
                block.append(
                    (line, dumps(dict(zip(header, [c.strip() for c in cells], strict=True))), None, None)
                )
                if len(block) >= BLOCK_ROWS:
                    yield block
                    block = []
        except csv.Error as exc:
            block.append(
                (line_end + 1, None, "table.syntax", f"the table cannot be read from here on: {exc}")
            )
        if block:
            yield block
        if header is None:
            self.notes.append("the file has no header row: it holds no rows")

    def _missing(self, header: list[str]) -> Record | None:
        """One rejected record for the file when the mapping names columns it does not have."""
        absent = [c for c in self.need if c not in header]
        if not absent:
            return None
        return (
            "file",
            None,
            "table.column",
            f"the column mapping names {', '.join(repr(c) for c in absent)}, which the table does not "
            f"have; its columns are: {', '.join(header[:30])}",
        )

    def _parquet(self) -> Iterator[list[Record]]:
        try:
            import pyarrow.parquet as pq
        except ImportError:
            yield [
                (
                    "file",
                    None,
                    "table.parquet",
                    "reading Parquet files needs pyarrow; install the 'tables' extra "
                    "(pip install 'learnalytics-desktop[tables]') or save the table as CSV",
                )
            ]
            return
        h = hashlib.sha256()
        with open(self.source.path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        try:
            pf = pq.ParquetFile(self.source.path)
        except Exception as exc:  # pyarrow raises its own error types for a broken file
            yield [("file", None, "table.parquet", f"the Parquet file cannot be read: {exc}")]
            return
        names = _names(list(pf.schema_arrow.names))
        missing = self._missing(names)
        if missing:
            yield [missing]
            return
        row = 0
        total = max(pf.metadata.num_rows, 1)
        for batch in pf.iter_batches(batch_size=BLOCK_ROWS):
            cols = [[_text(v) for v in col.to_pylist()] for col in batch.columns]
            block: list[Record] = []
            for cells in zip(*cols, strict=True):
                row += 1
                block.append((f"row {row}", orjson.dumps(dict(zip(names, cells, strict=True))), None, None))
            self._parquet_done = int(self.source.size * row / total)
            yield block
        self.sha256 = h.hexdigest()


def _text(v: Any) -> str:
    if v is None:
        return ""
    if hasattr(v, "isoformat"):
        return str(v.isoformat())
    return str(v)


def _names(header: list[str]) -> list[str]:
    """Empty headers become ``column N``, repeated ones ``name (2)`` (as ``core.tabular``)."""
    seen: dict[str, int] = {}
    out = []
    for i, h in enumerate(header):
        h = h or f"column {i + 1}"
        seen[h] = seen.get(h, 0) + 1
        out.append(h if seen[h] == 1 else f"{h} ({seen[h]})")
    return out
