"""Reading the tables people export from spreadsheets, gradebooks and student systems, robustly.

The one tabular reader of the core: every CSV import (gradebooks, class lists, interventions,
impact groups, event tables) goes through :func:`read_csv`. What it copes with, and how:

* **Encoding**: a UTF-8 or UTF-16 byte-order mark decides; without one the text is read as
  UTF-8 if it is valid UTF-8, else as Windows-1252 (what Excel writes on Western European
  Windows), else as Latin-1 (which never fails). A fallback is stated in ``warnings``.
* **Delimiter**: comma, semicolon, tab or bar, whichever splits the header and the first
  rows into the same number of columns (most columns wins); one column if none does.
* **Headers**: surrounding spaces and a stray BOM are removed, an empty header becomes
  ``column N``, a repeated header ``Email`` becomes ``Email (2)`` (with a warning).
* **Rows**: blank lines are skipped and counted; a row with fewer cells is padded with empty
  cells, a row with more cells than headers is an error naming its line (the file is
  probably split wrongly). Row numbers are the file's line numbers (the header is line 1),
  so a user can find the row in a spreadsheet.
* **Column names** given by the user match exactly, else ignoring case, spaces, ``_`` and
  ``-``; a missing column is an error that names it and lists the columns there are.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

MAX_BYTES = 200 * 1024 * 1024
DELIMITERS = (",", ";", "\t", "|")
_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}
DELIMITER_NAMES = _NAMES


class CsvError(ValueError):
    """A CSV file cannot be used as it is; the message names the file, the column or the line."""


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name).lower()


def decode(data: bytes) -> tuple[str, str, list[str]]:
    """``(text, encoding, warnings)`` for a file's bytes (see the module docstring)."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8 (with BOM)", []
        except UnicodeDecodeError:
            data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16", []
        except UnicodeDecodeError as exc:
            raise CsvError(f"the file starts like UTF-16 but is not valid UTF-16 ({exc})") from None
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise CsvError(
            "this is a spreadsheet workbook (.xlsx or .xls), not a CSV file; "
            "save it as CSV (File > Save As > CSV) and load that"
        )
    zero = data.find(b"\x00", 0, 65536)
    if zero >= 0:
        return _utf16_without_bom(data, zero)
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
        return text, "cp1252", ["The file is not UTF-8; it was read as Windows-1252 (cp1252)."]
    except UnicodeDecodeError:
        text = data.decode("latin-1")
        return text, "latin-1", ["The file is neither UTF-8 nor Windows-1252; it was read as Latin-1."]


def _utf16_without_bom(data: bytes, zero: int) -> tuple[str, str, list[str]]:
    """Text with zero bytes: UTF-16 without a byte-order mark when the zeros fall on every other
    byte (as they do for Latin text), else not a text file at all."""
    head = data[:8192]
    even, odd = head[0::2], head[1::2]
    for codec, zeros, others in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if zeros.count(0) >= 0.3 * len(zeros) and others.count(0) <= 0.05 * len(others):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                break
            return (
                text,
                codec,
                [f"The file is UTF-16 without a byte-order mark; it was read as {codec.upper()}."],
            )
    raise CsvError(
        f"this is not a text file (it has a zero byte at byte {zero}); is it a spreadsheet or "
        "another binary file? Save the table as CSV and load that"
    )


def _sniff(text: str) -> str:
    """The delimiter that splits the header into the most columns (at least two) while no
    sampled row is wider than the header and at least half of them are exactly as wide."""
    sample = text[:65536]
    cut = len(text) > len(sample)
    best, best_cols = ",", 1
    for delim in DELIMITERS:
        rows = [
            r
            for r in csv.reader(io.StringIO(sample, newline=""), delimiter=delim)
            if any(c.strip() for c in r)
        ]
        rows = rows[:-1] if cut and len(rows) > 1 else rows  # the last sampled row may be cut off
        rows = rows[:50]
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        body = rows[1:]
        too_wide = any(len(r) > width and any(c.strip() for c in r[width:]) for r in body)
        exact = sum(1 for r in body if len(r) == width)
        if not too_wide and (not body or exact >= len(body) / 2) and width > best_cols:
            best, best_cols = delim, width
    return best


def sniff_delimiter(text: str) -> str:
    """The delimiter of a table whose first lines are ``text`` (see the module docstring); the
    streaming event-table reader (``core.ingest.tables``) decides with this too."""
    return _sniff(text)


@dataclass
class CsvTable:
    """A CSV file read into memory: header, rows with their line numbers, how it was read."""

    path: Path
    encoding: str
    delimiter: str
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (line number, cells padded to the header)
    blank_lines: int = 0
    warnings: list[str] = field(default_factory=list)
    _duplicated: dict[str, int] = field(default_factory=dict)  # header -> times it appeared

    @property
    def header_as_written(self) -> list[str]:
        """The header as in the file: a repeated name without the `` (2)`` added to tell the
        copies apart (callers that refuse repeated columns compare these)."""
        out = []
        for h in self.header:
            base, sep, rest = h.rpartition(" (")
            out.append(
                base if sep and rest.endswith(")") and rest[:-1].isdigit() and base in self._duplicated else h
            )
        return out

    @property
    def delimiter_name(self) -> str:
        """comma, semicolon, tab or bar."""
        return _NAMES.get(self.delimiter, repr(self.delimiter))

    def index(self, name: str, what: str) -> int:
        """Column number of ``name`` (``what`` says what it is for, in the error message)."""
        if name in self.header:
            i = self.header.index(name)
        else:
            hits = [i for i, h in enumerate(self.header) if _norm(h) == _norm(name)]
            if not hits:
                cols = ", ".join(repr(h) for h in self.header)
                raise CsvError(
                    f"The {what} column {name!r} is not in {self.path.name}. Its columns are: {cols}."
                )
            i = hits[0]
        base = self.header[i]
        if self._duplicated.get(base, 1) > 1:
            self.warnings.append(
                f"The column {base!r} appears {self._duplicated[base]} times in {self.path.name}; "
                "the first one was used."
            )
        return i

    def guess(self, candidates: tuple[str, ...]) -> str | None:
        """The first header that matches one of ``candidates`` (normalised), else None."""
        normed = {_norm(h): h for h in reversed(self.header)}
        for cand in candidates:
            if _norm(cand) in normed:
                return normed[_norm(cand)]
        return None


def read_csv(path: str | Path) -> CsvTable:
    """Read a CSV file (see the module docstring); raises :class:`CsvError` or FileNotFoundError."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"There is no file at {p}.")
    size = p.stat().st_size
    if size > MAX_BYTES:
        raise CsvError(
            f"{p.name} is {size // 2**20} MB; gradebooks and rosters larger than 200 MB are not supported."
        )
    try:
        text, encoding, warnings = decode(p.read_bytes())
    except CsvError as exc:
        raise CsvError(f"{p.name}: {exc}") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise CsvError(f"{p.name} is empty.")
    delim = _sniff(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    blank = 0
    line_end = 0
    try:
        for cells in reader:
            line = line_end + 1
            line_end = reader.line_num
            if not cells or all(not c.strip() for c in cells):
                if header is not None:
                    blank += 1
                continue
            if header is None:
                header = [c.strip().lstrip("\ufeff") for c in cells]
                header_line = line
                continue
            if len(cells) > len(header):
                extra = [c for c in cells[len(header) :] if c.strip()]
                if extra:
                    raise CsvError(
                        f"Line {line} of {p.name} has {len(cells)} cells but the header (line {header_line}) "
                        f"has {len(header)}; check the delimiter ({_NAMES.get(delim)}) and quoting."
                    )
                cells = cells[: len(header)]
            rows.append((line, [c.strip() for c in cells] + [""] * (len(header) - len(cells))))
    except csv.Error as exc:
        raise CsvError(f"{p.name} is not a readable CSV file near line {line_end + 1}: {exc}") from None
    if header is None:
        raise CsvError(f"{p.name} has no header row.")
    seen: dict[str, int] = {}
    names: list[str] = []
    for i, h in enumerate(header):
        h = h or f"column {i + 1}"
        seen[h] = seen.get(h, 0) + 1
        names.append(h if seen[h] == 1 else f"{h} ({seen[h]})")
    dup = {h: n for h, n in seen.items() if n > 1}
    for h, n in dup.items():
        warnings.append(
            f"The header {h!r} appears {n} times in {p.name}; the copies were renamed {h!r} (2) and so on."
        )
    return CsvTable(p, encoding, delim, names, rows, blank, warnings, dup)


BLANK_MARKERS = frozenset({"", "-", "--", "n/a", "na", "none", "null", "nan"})


def parse_number(text: str) -> float | None:
    """A grade: ``67.5``, ``67,5`` (decimal comma), ``67.5 %``; blank markers give None.
    Raises ValueError for anything else."""
    t = text.strip().replace("\u00a0", "").rstrip("%").strip()
    if t.lower() in BLANK_MARKERS:
        return None
    if re.fullmatch(r"[+-]?\d+,\d+", t):
        t = t.replace(",", ".")
    value = float(t)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return value


_TRUE = frozenset({"1", "yes", "y", "true", "t", "x", "ja", "oui", "sí", "si"})
_FALSE = frozenset({"0", "no", "n", "false", "f", "nein", "non"})


def parse_flag(text: str) -> int | None:
    """1/0 from yes/no, true/false, 1/0, y/n, x (ticked); blank gives None; else ValueError."""
    t = text.strip().lower()
    if t in BLANK_MARKERS:
        return None
    if t in _TRUE:
        return 1
    if t in _FALSE:
        return 0
    raise ValueError(text)


def parse_date_ms(text: str, start_ms: int | None = None) -> int | None:
    """A date cell as UTC epoch milliseconds: ``2014-03-02`` (00:00 UTC of that day),
    ``2014-03-02T10:15:00Z`` or with an offset (that instant; no zone = UTC), or, when
    ``start_ms`` (an offering's start) is given, a whole number of days from it (``-12``,
    ``19``: the day-offset dates student systems such as OULAD export). Blank markers give
    None. Anything else (``02/03/2014`` is refused: day and month order cannot be known)
    raises ValueError."""
    from datetime import UTC, date, datetime

    t = text.strip()
    if t.lower() in BLANK_MARKERS:
        return None
    if start_ms is not None and re.fullmatch(r"[+-]?\d{1,5}", t):
        return int(start_ms) + int(t) * 86_400_000
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", t):
        d = date.fromisoformat(t)
        return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp() * 1000)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?", t):
        dt = datetime.fromisoformat(t.replace("Z", "+00:00"))
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return int(round(dt.timestamp() * 1000))
    raise ValueError(text)
