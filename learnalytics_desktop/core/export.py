"""Writing files the user takes away: atomic writes, spreadsheet-safe CSV, the export log.

Every file the app hands to the user goes through this module.

* **Atomic.** Data is written to a temporary file in the *same folder* as the target (so the
  final rename never crosses filesystems), flushed and ``fsync``-ed, then moved over the target
  with :func:`os.replace`. A crash or a full disk leaves either the old file or the new one,
  never half a file; the temporary file is removed on failure.
* **Special targets are written, never replaced** (issue 15, finding 19). A path that exists
  and is not a regular file is written *directly*, never renamed over: a character device
  (``/dev/null``, a terminal), a FIFO (only when a program is reading it; otherwise the export
  is refused rather than left waiting), and ``-``, which means standard output. Anything under
  ``/dev`` or ``/proc`` (``/dev/stdout``, ``/proc/self/fd/1``) counts as such a target even when
  it leads to a regular file. Block devices, sockets and folders are refused. A symbolic link
  to a regular file keeps being a link: the file it points to is replaced atomically.
* **Private.** Exports hold personal data, so new files are created owner-only (0600, issue 15
  finding 17); replacing a file keeps the permissions it had.
* **Spreadsheet-safe CSV.** A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or
  a carriage return can be run as a formula by Excel, LibreOffice or Google Sheets ("CSV
  injection"). Such cells get a leading apostrophe, which spreadsheets show as text. Numbers
  (int/float values, not strings) are written as numbers, so a negative grade stays -3.5.
* **Encoding.** CSV is UTF-8 with a byte-order mark, which is what makes Excel on Windows read
  accents correctly; line ends are CRLF as RFC 4180 (section 2) asks.
* **Export log.** Decision: the export log is the ``audit_log`` table with action
  ``"export"`` and detail ``{what, path, rows, ...}`` (no separate table: the audit log
  already records every import/export, and the privacy tools read one place).
  :func:`record_export` writes it and :func:`list_exports` reads it back.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import math
import os
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import sqlite3

    import pandas as pd

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
UTF8_BOM = "\ufeff"


class ExportError(Exception):
    """A file could not be written; the message names the file and the reason."""


# --- atomic writes -----------------------------------------------------------------------


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable (POSIX); Windows cannot open directories, which is fine."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


STDOUT = "-"
_STDOUT_STREAM: Any = None  # where "-" writes; None: sys.stdout (see use_stdout_for_data)


@contextlib.contextmanager
def use_stdout_for_data() -> Iterator[None]:
    """While active, ``-`` targets write to the real standard output and ``print`` goes to
    standard error, so a command's messages never mix with the data it writes to ``-``."""
    global _STDOUT_STREAM
    saved = _STDOUT_STREAM
    _STDOUT_STREAM = sys.stdout
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        _STDOUT_STREAM = saved


def special_target(path: str | os.PathLike[str]) -> str | None:
    """How a target that must not be replaced is written: ``"stdout"``, ``"fifo"``,
    ``"device"`` (written in place), else None for an ordinary (or new) file. Raises
    :class:`ExportError` for targets that are refused (folder, block device, socket)."""
    text = os.fspath(path)
    if text == STDOUT:
        return "stdout"
    try:
        st = os.stat(text)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ExportError(f"Cannot write {text}: {exc.strerror or exc}.") from exc
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        raise ExportError(f"Cannot write {text}: it is a folder.")
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISCHR(mode):
        return "device"
    if stat.S_ISREG(mode):
        real = os.path.realpath(text)
        for root in ("/dev/", "/proc/"):
            if os.path.abspath(text).startswith(root) or real.startswith(root):
                return "device"  # /dev/stdout, /proc/self/fd/1: a stream someone opened for us
        return None
    raise ExportError(f"Cannot write {text}: it is not a regular file, a pipe or a character device.")


def write_special(path: str | os.PathLike[str], kind: str, chunks: Iterable[bytes]) -> None:
    """Write ``chunks`` straight into a special target (see :func:`special_target`)."""
    text = os.fspath(path)
    if kind == "stdout":
        stream = _STDOUT_STREAM if _STDOUT_STREAM is not None else sys.stdout
        stream.flush()
        out = getattr(stream, "buffer", None)
        try:
            for chunk in chunks:
                if out is not None:
                    out.write(chunk)
                else:
                    stream.write(chunk.decode("utf-8"))
            (out or stream).flush()
        except OSError as exc:
            raise ExportError(f"Cannot write to standard output: {exc.strerror or exc}.") from exc
        return
    flags = os.O_WRONLY | getattr(os, "O_NOCTTY", 0)
    if kind == "fifo":
        flags |= getattr(os, "O_NONBLOCK", 0)
    else:
        flags |= os.O_APPEND
    try:
        fd = os.open(text, flags)
    except OSError as exc:
        if kind == "fifo" and exc.errno == errno.ENXIO:
            raise ExportError(f"Cannot write {text}: it is a pipe and no program is reading it.") from exc
        raise ExportError(f"Cannot write {text}: {exc.strerror or exc}.") from exc
    try:
        if kind == "fifo" and hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        for chunk in chunks:
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view) :]
    except OSError as exc:
        raise ExportError(f"Cannot write {text}: {exc.strerror or exc}.") from exc
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temp file in the same folder, fsync, replace).

    Returns the target path. Raises :class:`ExportError` naming the file when the folder does
    not exist or the write fails; the target is then unchanged. Special targets (``-``, a
    device, a FIFO) are written directly instead (see the module docstring).
    """
    kind = special_target(path)
    if kind is not None:
        write_special(path, kind, [data])
        return Path(os.fspath(path))
    target = Path(path)
    if target.is_symlink():  # keep the link: replace the file it points to
        target = Path(os.path.realpath(target))
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"Cannot write {target}: the folder {folder} does not exist.")
    try:
        old_mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        old_mode = None
    tmp: Path | None = None
    try:
        short = target.name.encode("utf-8")[:100].decode("utf-8", "ignore")  # names are <= 255 bytes
        fd, tmp_name = tempfile.mkstemp(prefix=f".{short}.", suffix=".part", dir=folder)
        tmp = Path(tmp_name)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp creates 0600, which is what personal data needs; a replaced file keeps its mode.
        if old_mode is not None and os.name == "posix":
            os.chmod(tmp, old_mode)
        os.replace(tmp, target)
    except OSError as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise ExportError(f"Cannot write {target}: {exc.strerror or exc}.") from exc
    except BaseException:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise
    _fsync_dir(folder)
    return target


def atomic_write_text(
    path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8", bom: bool = False
) -> Path:
    """Write ``text`` atomically; ``bom=True`` prepends a UTF-8 byte-order mark.

    Line ends are written exactly as they are in ``text`` (no platform translation).
    """
    if bom:
        text = UTF8_BOM + text
    return atomic_write_bytes(path, text.encode(encoding))


# --- safe CSV ------------------------------------------------------------------------------


def neutralise_cell(value: Any) -> str:
    """The text of one CSV cell, with formula triggers neutralised by a leading apostrophe.

    ``None`` and NaN become an empty cell; ``int``/``float`` values are written as numbers
    (they cannot carry a formula); booleans as ``true``/``false``; everything else as ``str``
    and, when it starts with ``= + - @``, tab or CR, prefixed with ``'``.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if math.isinf(value):
            return "inf" if value > 0 else "'-inf"
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(float(value))
    # numpy scalars and pandas NA without importing them
    type_name = type(value).__module__
    if type_name.startswith("numpy"):
        item = getattr(value, "item", None)
        if item is not None:
            return neutralise_cell(item())
    if type_name.startswith("pandas") and str(value) in {"<NA>", "NaT"}:
        return ""
    text = str(value)
    if text.startswith(DANGEROUS_PREFIXES):
        return "'" + text
    return text


def _rows_from(
    rows: pd.DataFrame | Iterable[Mapping[str, Any]] | Iterable[Sequence[Any]],
    columns: Sequence[str] | None,
) -> tuple[list[str], list[list[Any]]]:
    if hasattr(rows, "columns") and hasattr(rows, "itertuples"):
        frame: Any = rows
        cols = [str(c) for c in frame.columns] if columns is None else list(columns)
        if columns is not None:
            missing = [c for c in columns if c not in frame.columns]
            if missing:
                raise ExportError(f"Cannot write CSV: the table has no column(s) {missing}.")
            frame = frame[list(columns)]
        return cols, [list(r) for r in frame.itertuples(index=False, name=None)]
    materialised: list[Any] = list(rows)
    if not materialised:
        return list(columns or []), []
    if isinstance(materialised[0], Mapping):
        cols = list(columns) if columns is not None else list(materialised[0].keys())
        out = []
        for i, row in enumerate(materialised, start=1):
            if not isinstance(row, Mapping):
                raise ExportError(f"Cannot write CSV: row {i} is not a mapping like row 1.")
            extra = set(row) - set(cols)
            if columns is None and extra:
                raise ExportError(f"Cannot write CSV: row {i} has keys not in row 1: {sorted(extra)}.")
            out.append([row.get(c) for c in cols])
        return cols, out
    if columns is None:
        raise ExportError("Cannot write CSV: rows given as sequences need the column names.")
    cols = list(columns)
    out = []
    for i, row in enumerate(materialised, start=1):
        seq = list(row)
        if len(seq) != len(cols):
            raise ExportError(f"Cannot write CSV: row {i} has {len(seq)} cells, expected {len(cols)}.")
        out.append(seq)
    return cols, out


def csv_text(
    rows: pd.DataFrame | Iterable[Mapping[str, Any]] | Iterable[Sequence[Any]],
    columns: Sequence[str] | None = None,
) -> tuple[str, int]:
    """Render rows (a DataFrame, dicts, or sequences with ``columns``) as safe CSV text.

    Returns ``(text, number_of_data_rows)``. The header cells are neutralised too.
    """
    cols, data = _rows_from(rows, columns)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([neutralise_cell(c) for c in cols])
    for row in data:
        writer.writerow([neutralise_cell(v) for v in row])
    return buf.getvalue(), len(data)


def write_csv_atomic(
    path: str | os.PathLike[str],
    rows: pd.DataFrame | Iterable[Mapping[str, Any]] | Iterable[Sequence[Any]],
    columns: Sequence[str] | None = None,
    *,
    bom: bool = True,
) -> int:
    """Write spreadsheet-safe CSV (UTF-8 with BOM, CRLF) to ``path`` atomically.

    ``rows`` is a DataFrame (its index is not written: reset it first if it matters), an
    iterable of dicts (columns from ``columns`` or the first row's keys), or an iterable of
    sequences together with ``columns``. Returns the number of data rows written.
    """
    text, n = csv_text(rows, columns)
    atomic_write_text(path, text, bom=bom)
    return n


# --- export log ----------------------------------------------------------------------------


def record_export(
    conn: sqlite3.Connection, what: str, path: str | os.PathLike[str], rows: int, **detail: Any
) -> None:
    """Log one export (when, who, what, path, rows) in the audit log (action ``export``).

    Callers never put a learner identifier in ``detail``.
    """
    from learnalytics_desktop.core.store.db import audit

    audit(conn, "export", what=what, path=str(path), rows=int(rows), **detail)


def list_exports(conn: sqlite3.Connection, limit: int | None = None) -> list[dict[str, Any]]:
    """The export log, newest first: dicts with ``at``, ``user``, ``what``, ``path``, ``rows``."""
    sql = "SELECT at, user, detail FROM audit_log WHERE action = 'export' ORDER BY id DESC"
    params: tuple[Any, ...] = ()
    if limit is not None:
        sql += " LIMIT ?"
        params = (int(limit),)
    out = []
    for at, user, detail in conn.execute(sql, params):
        d = json.loads(detail)
        out.append({"at": at, "user": user, **d})
    return out


__all__ = [
    "DANGEROUS_PREFIXES",
    "ExportError",
    "atomic_write_bytes",
    "atomic_write_text",
    "csv_text",
    "list_exports",
    "neutralise_cell",
    "record_export",
    "special_target",
    "use_stdout_for_data",
    "write_special",
    "write_csv_atomic",
]
