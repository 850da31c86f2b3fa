"""The quarantine: rejected records and conflicting duplicates, as the Import page and
``learnalytics rejects`` read and export them (one set of queries for both).

Rows are written by the importer (tables ``rejects`` and ``conflicts``, each tied to the
``imports`` row of the file it came from).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

REJECT_COLUMNS = ["import_id", "source", "location", "statement_id", "rule", "reason", "excerpt"]


def last_import_id(conn: sqlite3.Connection) -> int:
    """The highest ``imports`` id so far (0 in a new database)."""
    return int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM imports").fetchone()[0])


def imports_after(conn: sqlite3.Connection, before: int) -> list[int]:
    """The ``imports`` rows created after id ``before``, in order."""
    return [
        int(r[0]) for r in conn.execute("SELECT id FROM imports WHERE id > ? ORDER BY id", (int(before),))
    ]


def rejected_records(conn: sqlite3.Connection, import_id: int | None = None) -> list[tuple[Any, ...]]:
    """Every rejected record (columns :data:`REJECT_COLUMNS`), oldest first; of one import
    when ``import_id`` is given."""
    sql = f"SELECT {', '.join(REJECT_COLUMNS)} FROM rejects"
    params: tuple[int, ...] = ()
    if import_id is not None:
        sql += " WHERE import_id = ?"
        params = (int(import_id),)
    return conn.execute(sql + " ORDER BY id", params).fetchall()


def export_rejects(
    conn: sqlite3.Connection, path: str | os.PathLike[str], import_id: int | None = None
) -> int:
    """:func:`rejected_records` as spreadsheet-safe CSV (atomic), logged as an export."""
    from learnalytics_desktop.core.export import record_export, write_csv_atomic

    n = write_csv_atomic(path, rejected_records(conn, import_id), columns=REJECT_COLUMNS)
    record_export(conn, "rejects", path, n)
    return n


def quarantine_frame(conn: sqlite3.Connection) -> pd.DataFrame:
    """Every rejected record with the time of its import (newest import first), as the
    Import page's quarantine table shows it: ``id``, ``imported`` (UTC), ``source``,
    ``location``, ``statement_id``, ``rule``, ``reason``, ``excerpt``."""
    import pandas as pd

    frame = pd.read_sql_query(
        "SELECT r.id, i.started_at AS imported, r.source, r.location, r.statement_id, r.rule, "
        "r.reason, r.excerpt FROM rejects r JOIN imports i ON i.id = r.import_id "
        "ORDER BY r.import_id DESC, r.id",
        conn,
    )
    frame["imported"] = pd.to_datetime(frame["imported"], utc=True, errors="coerce", format="ISO8601")
    return frame


def export_quarantine(conn: sqlite3.Connection, frame: pd.DataFrame, path: str | os.PathLike[str]) -> int:
    """Write quarantine rows (those given, e.g. after filtering) as CSV and log the export."""
    from learnalytics_desktop.core.export import record_export, write_csv_atomic

    n = write_csv_atomic(path, frame)
    record_export(conn, "quarantine", path, n)
    return n


def _in(ids: Sequence[int]) -> str:
    return ",".join(str(int(i)) for i in ids) or "NULL"


def rejects_by_rule(
    conn: sqlite3.Connection, import_ids: Sequence[int], counted: Mapping[str, int] | None = None
) -> list[dict[str, Any]]:
    """Rejections of these imports per rule (``rule``, ``count``, an ``example`` reason),
    most frequent first. ``counted`` (the importer's own counts) wins over the stored rows,
    which a resumed run may hold only in part."""
    counted = counted or {}
    rows = conn.execute(
        f"SELECT rule, COUNT(*), MIN(reason) FROM rejects WHERE import_id IN ({_in(import_ids)}) GROUP BY rule"
    ).fetchall()
    found = {rule: (n, reason) for rule, n, reason in rows}
    out = [
        {
            "rule": rule,
            "count": int(counted.get(rule, found.get(rule, (0, ""))[0])),
            "example": found.get(rule, (0, ""))[1] or "",
        }
        for rule in set(found) | set(counted)
    ]
    return sorted(out, key=lambda r: (-r["count"], r["rule"]))


def conflicts_of(conn: sqlite3.Connection, import_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The conflicting duplicates these imports met (same id, other content), in order."""
    cur = conn.execute(
        f"SELECT statement_id, source, location, hex(kept_hash), hex(new_hash) FROM conflicts "
        f"WHERE import_id IN ({_in(import_ids)}) ORDER BY id"
    )
    return [
        {
            "statement_id": sid,
            "source": src,
            "location": loc,
            "kept_hash": kept.lower(),
            "new_hash": new.lower(),
        }
        for sid, src, loc, kept, new in cur
    ]


__all__ = [
    "REJECT_COLUMNS",
    "conflicts_of",
    "export_quarantine",
    "export_rejects",
    "imports_after",
    "last_import_id",
    "quarantine_frame",
    "rejected_records",
    "rejects_by_rule",
]
