"""What "now" is for the data: the one place the app asks for today.

A database may carry a fixed "today" (setting ``clock``: ``{"today": ISO instant}``); the
demo database sets it to two days into week 7 of its running offering, so scoring, the
default week and the pages behave as they would on that day. Every other database follows
the real clock (UTC). Records of *when something was done* (audit rows, ``created_at``)
always use the real clock; only questions about the data ("is week 7 over yet?") ask here.

Demo databases built before the clock had its own setting kept their today in the ``demo``
setting; it is still read, so they open unchanged.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

SETTING = "clock"
_LEGACY = "demo"


def _parse(value: object) -> datetime | None:
    if not isinstance(value, dict) or not value.get("today"):
        return None
    try:
        when = datetime.fromisoformat(str(value["today"]))
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def fixed_today(conn: sqlite3.Connection) -> datetime | None:
    """The database's fixed "today", or None when it follows the real clock."""
    from learnalytics_desktop.core.store.db import get_setting

    return _parse(get_setting(conn, SETTING)) or _parse(get_setting(conn, _LEGACY))


def now(conn: sqlite3.Connection | None = None) -> datetime:
    """The current instant for questions about the data: the database's fixed today, else
    the real time (UTC)."""
    fixed = fixed_today(conn) if conn is not None else None
    return fixed if fixed is not None else datetime.now(UTC)


def set_fixed_today(conn: sqlite3.Connection, today: datetime | None) -> None:
    """Fix the database's "today" (``None`` returns it to the real clock). The caller holds
    the transaction."""
    from learnalytics_desktop.core.store.db import set_setting

    if today is None:
        conn.execute("DELETE FROM settings WHERE key = ?", (SETTING,))
        return
    if today.tzinfo is None:
        today = today.replace(tzinfo=UTC)
    set_setting(conn, SETTING, {"today": today.isoformat()})


__all__ = ["SETTING", "fixed_today", "now", "set_fixed_today"]
