"""The local SQLite store (schema, migrations, connections, settings, audit log, the
one-app-per-database lock in :mod:`.lock`)."""

from learnalytics_desktop.core.store.db import (
    DatabaseError,
    audit,
    get_setting,
    open_db,
    set_setting,
    transaction,
)

__all__ = ["DatabaseError", "audit", "get_setting", "open_db", "set_setting", "transaction"]
