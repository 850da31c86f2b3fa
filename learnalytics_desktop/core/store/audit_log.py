"""The audit log as people read it: listed by the CLI, exported to CSV by the Settings page
and by ``learnalytics audit --csv`` through the same function, so both record the export.

Rows are written by :func:`learnalytics_desktop.core.store.db.audit`; this module only reads.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

AUDIT_COLUMNS = ("id", "at", "user", "action", "detail")


def audit_entries(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every audit row, oldest first, as dicts with the keys of :data:`AUDIT_COLUMNS`."""
    rows = conn.execute("SELECT id, at, user, action, detail FROM audit_log ORDER BY id").fetchall()
    return [dict(zip(AUDIT_COLUMNS, r, strict=True)) for r in rows]


def export_audit_log(conn: sqlite3.Connection, path: str | os.PathLike[str]) -> int:
    """The whole audit log as spreadsheet-safe CSV (written atomically, ``core.export``);
    returns its rows. The export itself is logged afterwards (``record_export``), so it is
    not in the file it writes."""
    from learnalytics_desktop.core.export import record_export, write_csv_atomic

    entries = audit_entries(conn)
    n = write_csv_atomic(path, entries, AUDIT_COLUMNS)
    record_export(conn, "audit log", path, n)
    return n


__all__ = ["AUDIT_COLUMNS", "audit_entries", "export_audit_log"]
