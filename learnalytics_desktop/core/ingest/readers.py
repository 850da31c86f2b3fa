"""Find statement files and read them record by record, streaming.

Formats: a single statement, a JSON array, JSON Lines, LRS statement-result pages
(``{"statements": [...], "more": ...}``), several JSON values one after the other, each plain
or gzip-compressed, and ``.zip`` archives of any of these; folders are searched recursively.
The format is found from the content (magic bytes here, then the text: ``textformats``), not
from the file name.

A *record* is what one statement should come from: a line of JSON Lines, an element of an
array or page, or a top-level value.  :meth:`Reader.records` yields ``(location, data, rule,
reason)``: ``data`` is the record's bytes (``rule`` None), or ``data`` is None and ``rule`` /
``reason`` say why the text could not be cut into a record (the record is then rejected).  The
last line of JSON Lines without a newline carries ``rule="json.truncated"`` *and* its data: it
is only rejected (as truncated) if it does not parse.  ``location`` is an ``int`` line number
for plain JSON Lines (formatted lazily, it is the hot path) and a string elsewhere.

Streaming: files are read in 1 MiB blocks; nothing is ever loaded whole.  Zip members are read
in memory through ``zipfile`` (a member's name is only ever a label, never a path), with caps
on member size, total size and compression ratio; gzip files and members have the same ratio
cap, so a compression bomb ends in a clear reject, not a full disk or memory.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import queue
import threading
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from learnalytics_desktop.core.ingest.jsonstream import BLOCK
from learnalytics_desktop.core.ingest.textformats import Record, text_blocks

__all__ = [
    "ReadLimits",
    "Reader",
    "SourceFile",
    "discover",
    "format_location",
    "STATEMENT_SUFFIXES",
]

STATEMENT_SUFFIXES = (".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz", ".ndjson.gz", ".zip")
_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


@dataclass(frozen=True)
class ReadLimits:
    """Caps that keep a hostile or broken file from exhausting memory, disk or time."""

    max_record_bytes: int = 16 * 1024 * 1024  # one statement's text
    max_member_bytes: int = 8 * 1024**3  # one zip member, uncompressed
    max_total_bytes: int = 32 * 1024**3  # all members of one zip, uncompressed
    max_ratio: float = 200.0  # uncompressed / compressed, zip members and gzip files
    ratio_floor_bytes: int = 64 * 1024 * 1024  # the ratio is only enforced beyond this size
    max_members: int = 100_000


@dataclass(frozen=True)
class SourceFile:
    """One file to import, as found on disk."""

    path: Path
    size: int
    mtime_ns: int

    @property
    def display(self) -> str:
        return str(self.path)

    def fingerprint(self) -> str:
        """Size, modification time and a hash of the first and last 64 KiB.

        Cheap to compute before reading; it finds an unfinished import of the same file so
        that a rerun resumes it (the full SHA-256 is only known once the file has been read).
        """
        h = hashlib.sha256()
        try:
            with open(self.path, "rb") as f:
                h.update(f.read(65536))
                if self.size > 65536:
                    f.seek(max(65536, self.size - 65536))
                    h.update(f.read(65536))
        except OSError as exc:  # unreadable: the import records it as a reject
            h.update(f"unreadable {exc.errno}".encode())
        return f"{self.size}:{self.mtime_ns}:{h.hexdigest()[:32]}"


TABLE_SUFFIXES = (".csv", ".tsv", ".parquet")


def _wanted_in_folder(name: str) -> bool:
    """Files a folder search reads: statement files and tables (Moodle logs, event tables).
    Tables inside zip archives are not read (``_wanted`` decides there)."""
    return _wanted(name) or name.lower().endswith(TABLE_SUFFIXES)


def _known_table(path: Path) -> bool:
    """Whether a table found in a folder is in a format its columns reveal.  Other tables in
    folders (manifests, notes beside the logs) are skipped and listed, not rejected; a table
    the user names directly is always read."""
    from learnalytics_desktop.core.ingest.detect import detect_format

    st = path.stat()
    return detect_format(SourceFile(path, st.st_size, st.st_mtime_ns)).format is not None


def _wanted(name: str) -> bool:
    low = name.lower()
    # Open edX names its rotated logs tracking.log, tracking.log.1, tracking.log-20240301-....gz
    return low.endswith(STATEMENT_SUFFIXES) or low.startswith("tracking.log")


def _hidden(name: str) -> bool:
    return name.startswith(".") or name == "__MACOSX"


def discover(paths: Sequence[str | os.PathLike[str]]) -> tuple[list[SourceFile], list[tuple[str, str]]]:
    """The files to import from files and folders given by the user, and what was skipped.

    Files named directly are always read (the format is found from their content).  Folders
    are searched recursively for ``.json``, ``.jsonl``, ``.ndjson`` (optionally ``.gz``) and
    ``.zip`` files, tables (``.csv``, ``.tsv``, ``.parquet``) and Open edX logs (``tracking.log*``, rotated and gzipped ones too), in path order; hidden files and folders (``.*``, ``__MACOSX``) and other
    files are skipped and listed.  Raises ``FileNotFoundError`` for a path that does not exist.

    Symbolic links found *inside* a folder (to files or folders) are not followed but skipped
    and listed (issue 15, finding 11): a link can lead anywhere, e.g. to ``/etc/passwd``, whose
    text would end up in the quarantine.  So are entries that are not regular files (pipes,
    devices).  A file the user names directly is read even when it is a link.
    """
    files: list[SourceFile] = []
    skipped: list[tuple[str, str]] = []
    seen: set[Path] = set()

    def add(p: Path) -> None:
        real = p.resolve()
        if real in seen:
            return
        seen.add(real)
        st = p.stat()
        files.append(SourceFile(p.absolute(), st.st_size, st.st_mtime_ns))

    for raw in paths:
        p = Path(raw)
        if not p.exists():
            raise FileNotFoundError(f"{p} does not exist")
        if p.is_file():
            add(p)
            continue
        if not p.is_dir():
            raise FileNotFoundError(f"{p} is neither a file nor a folder")
        found: list[Path] = []
        for root, dirs, names in os.walk(p, followlinks=False):
            for d in sorted(dirs):
                if _hidden(d):
                    skipped.append((str(Path(root) / d), "hidden folder, not searched"))
                elif (Path(root) / d).is_symlink():
                    skipped.append((str(Path(root) / d), "symbolic link to a folder, not followed"))
            dirs[:] = sorted(d for d in dirs if not _hidden(d) and not (Path(root) / d).is_symlink())
            for name in sorted(names):
                full = Path(root) / name
                if full.is_symlink():
                    skipped.append((str(full), "symbolic link, not followed"))
                elif _hidden(name):
                    skipped.append((str(full), "hidden file"))
                elif not _wanted_in_folder(name):
                    skipped.append(
                        (
                            str(full),
                            "not a statement file (.json, .jsonl, .ndjson, their .gz, .zip, an "
                            "Open edX tracking.log*) or a table (.csv, .tsv, .parquet)",
                        )
                    )
                elif full.is_file() and name.lower().endswith(TABLE_SUFFIXES) and not _known_table(full):
                    skipped.append(
                        (
                            str(full),
                            "a table in no format found from its columns (Moodle log, OULAD "
                            "studentVle); name the file itself, with --format events-csv and a column mapping",
                        )
                    )
                elif full.is_file():
                    found.append(full)
                else:
                    skipped.append((str(full), "not a regular file"))
        for full in sorted(found):
            add(full)
    return files, skipped


def format_location(loc: int | str) -> str:
    return f"line {loc}" if isinstance(loc, int) else loc


class _Hashing:
    """A raw file that hashes (SHA-256) and counts what is read through it.

    The hashing runs on a helper thread (``hashlib`` releases the GIL on large buffers), so
    the thread that splits records, which paces a big import, does not pay for it.
    """

    def __init__(self, f: Any) -> None:
        self.f = f
        self.count = 0
        self._h = hashlib.sha256()
        self._q: queue.Queue[bytes | None] = queue.Queue(maxsize=2)  # bounded: memory stays flat
        self._thread = threading.Thread(target=self._run, name="sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            data = self._q.get()
            if data is None:
                return
            self._h.update(data)

    def read(self, n: int = -1) -> bytes:
        data: bytes = self.f.read(n)
        if data:
            self._q.put(data)
            self.count += len(data)
        return data

    def hexdigest(self) -> str:
        self.stop()
        return self._h.hexdigest()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._q.put(None)
            self._thread.join()


class _Capped:
    """Raise ``_CapError`` once more than ``limit`` bytes have come out of ``read``."""

    def __init__(self, read: Callable[[int], bytes], limit: int, why: str) -> None:
        self._read = read
        self.limit = limit
        self.why = why
        self.count = 0

    def read(self, n: int = -1) -> bytes:
        data = self._read(n)
        self.count += len(data)
        if self.count > self.limit:
            raise _CapError(self.why)
        return data


class _CapError(Exception):
    pass


class Reader:
    """Reads one source file; ``records()`` streams its records in order.

    After ``records()`` is exhausted, ``sha256`` is the hex digest of the file's bytes and
    ``notes`` lists what was skipped inside it (e.g. zip members that are not statement
    files).  ``bytes_done`` follows the reading for progress reports.
    """

    def __init__(self, source: SourceFile, limits: ReadLimits | None = None) -> None:
        self.source = source
        self.limits = limits or ReadLimits()
        self.notes: list[str] = []
        self.sha256: str | None = None
        self._hashing: _Hashing | None = None
        self._zip_done = 0

    @property
    def bytes_done(self) -> int:
        return self._hashing.count if self._hashing is not None else self._zip_done

    def records(self) -> Generator[Record, None, None]:
        """The file's records, one at a time."""
        for block in self.blocks():
            yield from block

    def blocks(self) -> Iterator[list[Record]]:
        """The file's records in lists (as they come from each 1 MiB of text)."""
        for x in self._raw():
            yield x if isinstance(x, list) else [x]

    def _raw(self) -> Iterator[Record | list[Record]]:
        path = self.source.path
        if self.source.size == 0:
            self.notes.append("the file is empty: it holds no statements")
        try:
            with open(path, "rb") as f:
                magic = f.read(4)
        except OSError as exc:
            yield ("file", None, "file.unreadable", f"the file cannot be read: {exc.strerror or exc}")
            return
        if magic.startswith(_ZIP_MAGIC):
            yield from self._zip()
            return
        with open(path, "rb") as raw:
            self._hashing = hashing = _Hashing(raw)
            try:
                if magic.startswith(_GZIP_MAGIC):
                    yield from self._gzip(hashing.read, "", max(self.source.size, 1))
                else:
                    yield from text_blocks(hashing.read, "", self.limits.max_record_bytes)
                while hashing.read(BLOCK):  # hash what a parse error left unread
                    pass
            except OSError as exc:
                yield ("file", None, "file.unreadable", f"the file could not be read to its end: {exc}")
                return
            finally:
                hashing.stop()  # also when the consumer stops early (cancel)
            self.sha256 = hashing.hexdigest()

    def _gzip(self, read: Callable[[int], bytes], prefix: str, compressed: int) -> Iterator[Any]:
        lim = self.limits
        limit = max(lim.ratio_floor_bytes, int(compressed * lim.max_ratio))
        # GzipFile only calls read() on its file object
        gz = _GzipBlocks(gzip.GzipFile(fileobj=_Reading(read), mode="rb"))  # type: ignore[call-overload]
        capped = _Capped(
            gz.read,
            limit,
            f"decompresses to more than {limit:,} bytes "
            f"({lim.max_ratio:g} times its compressed size): a compression bomb "
            "or a damaged file; it was not read further",
        )
        try:
            yield from text_blocks(capped.read, prefix, lim.max_record_bytes)
        except _CapError as exc:
            yield (f"{prefix}byte {capped.count}".strip(), None, "archive.ratio", str(exc))
        except (OSError, EOFError, zlib.error) as exc:
            yield (
                f"{prefix}byte {capped.count}".strip(),
                None,
                "archive.damaged",
                f"the gzip data is damaged or cut off after {capped.count:,} bytes "
                f"({type(exc).__name__}: {exc}); records before that point were read",
            )

    def _zip(self) -> Iterator[Any]:
        path = self.source.path
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(BLOCK), b""):
                h.update(block)
        self.sha256 = h.hexdigest()
        lim = self.limits
        try:
            zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            yield ("file", None, "archive.damaged", f"the zip archive cannot be opened: {exc}")
            return
        with zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            if len(infos) > lim.max_members:
                yield (
                    "file",
                    None,
                    "archive.members",
                    f"the archive has {len(infos):,} members, more than the {lim.max_members:,} allowed",
                )
                return
            total = 0
            for info in infos:
                name = _safe_name(info.filename)
                base = info.filename.rsplit("/", 1)[-1]
                parts = [x for x in info.filename.split("/") if x not in ("", ".", "..")]
                if any(_hidden(part) for part in parts) or not _wanted(base):
                    self.notes.append(f"member {name} skipped: not a statement file")
                    continue
                prefix = f"member {name} "
                loc = f"member {name}"
                if info.filename.startswith(("/", "\\")) or ".." in info.filename.replace("\\", "/").split(
                    "/"
                ):
                    self.notes.append(
                        f"member {name}: its name points outside the archive (a path-traversal "
                        "name); it was read as data only, nothing is ever extracted"
                    )
                if base.lower().endswith(".zip"):
                    yield (
                        loc,
                        None,
                        "archive.nested",
                        "a zip inside a zip is not read; extract the inner archive and import it on its own",
                    )
                    continue
                if (
                    info.file_size > lim.ratio_floor_bytes
                    and info.compress_size > 0
                    and info.file_size / info.compress_size > lim.max_ratio
                ):
                    yield (
                        loc,
                        None,
                        "archive.ratio",
                        f"{loc} would decompress {info.file_size / info.compress_size:,.0f} "
                        f"times (more than {lim.max_ratio:g}): a zip bomb or a damaged archive",
                    )
                    continue
                if info.file_size > lim.max_member_bytes:
                    yield (
                        loc,
                        None,
                        "archive.member_size",
                        f"{loc} would decompress to {info.file_size:,} bytes, more than the "
                        f"{lim.max_member_bytes:,} allowed per member",
                    )
                    continue
                if total + info.file_size > lim.max_total_bytes:
                    yield (
                        loc,
                        None,
                        "archive.total_size",
                        f"the archive decompresses to more than {lim.max_total_bytes:,} bytes "
                        f"in all; {loc} and the members after it were not read",
                    )
                    return
                yield from self._member(zf, info, prefix, loc)
                total += info.file_size
                self._zip_done += info.compress_size

    def _member(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, prefix: str, loc: str) -> Iterator[Any]:
        lim = self.limits
        # The declared size may lie: the stream is cut off at what was declared (plus slack).
        limit = min(lim.max_member_bytes, info.file_size + BLOCK)
        try:
            with zf.open(info) as member:
                capped = _Capped(
                    member.read,
                    limit,
                    f"{loc} holds more data than its header "
                    "declares: a damaged archive or a zip bomb; it was not read further",
                )
                head = capped.read(2)
                rest = _Prefixed(head, capped.read)
                try:
                    if head == _GZIP_MAGIC:
                        yield from self._gzip(rest.read, prefix, max(info.compress_size, 1))
                    else:
                        yield from text_blocks(rest.read, prefix, lim.max_record_bytes)
                except _CapError as exc:
                    yield (loc, None, "archive.member_size", str(exc))
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError, RuntimeError) as exc:
            yield (loc, None, "archive.damaged", f"{loc} cannot be read: {exc}")


class _GzipBlocks:
    """Decompressed blocks of a gzip stream; data before damage comes out before the error."""

    def __init__(self, gz: gzip.GzipFile) -> None:
        self.gz = gz
        self.error: BaseException | None = None

    def read(self, n: int = -1) -> bytes:
        if self.error is not None:
            raise self.error
        n = BLOCK if n < 0 else n
        parts: list[bytes] = []
        got = 0
        while got < n:
            try:
                chunk = self.gz.read1(min(n - got, 1 << 16))
            except (OSError, EOFError, zlib.error) as exc:
                if not parts:
                    raise
                self.error = exc
                break
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)


class _Reading:
    """The minimal file object GzipFile needs, over a read function."""

    def __init__(self, read: Callable[[int], bytes]) -> None:
        self.read = read


class _Prefixed:
    """``read`` that first returns some bytes already taken from the stream."""

    def __init__(self, head: bytes, read: Callable[[int], bytes]) -> None:
        self._head = head
        self._read = read

    def read(self, n: int = -1) -> bytes:
        if self._head:
            head, self._head = self._head, b""
            return head + self._read(max(n - len(head), 0) if n >= 0 else -1)
        return self._read(n)


def _safe_name(name: str) -> str:
    """A member name fit to show: control characters escaped, length capped."""
    text = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in name)
    return text if len(text) <= 200 else text[:197] + "..."
