"""Store reliability: migrations with backup, network shares, disk full, newer schema."""

from __future__ import annotations

import sqlite3

import pytest

from learnalytics_desktop.core.store import db as dbmod
from learnalytics_desktop.core.store import schema
from learnalytics_desktop.core.store.db import DatabaseError, open_db, transaction

MOUNTS = """\
/dev/sda1 / ext4 rw,relatime 0 0
server:/export/home /mnt/home nfs4 rw,relatime 0 0
//fs01/advisors /mnt/share\\040drive cifs rw 0 0
"""


def test_network_share_detection(tmp_path):
    assert dbmod.is_network_path(tmp_path / "x.db", MOUNTS) is False
    assert dbmod.is_network_path(__import__("pathlib").Path("/mnt/home/a/x.db"), MOUNTS) is True
    assert dbmod.is_network_path(__import__("pathlib").Path("/mnt/share drive/x.db"), MOUNTS) is True
    assert dbmod.is_network_path(__import__("pathlib").Path("//fs01/advisors/x.db")) is True


def test_database_on_share_uses_rollback_journal(tmp_path, monkeypatch):
    monkeypatch.setattr(dbmod, "is_network_path", lambda path, mounts_text=None: True)
    conn = open_db(tmp_path / "share.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()
    assert "network share" in dbmod.storage_warning(tmp_path / "share.db")


def test_local_database_uses_wal(tmp_path):
    conn = open_db(tmp_path / "local.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert dbmod.storage_warning(tmp_path / "local.db") is None
    conn.close()


def test_migration_backs_up_first_and_applies_in_order(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    conn = open_db(path)
    conn.execute("INSERT INTO settings(key, value) VALUES ('k', '1')")
    conn.close()
    extra = "CREATE TABLE extra (x INTEGER);\nINSERT INTO extra VALUES (42);"
    monkeypatch.setattr(dbmod, "MIGRATIONS", [*schema.MIGRATIONS, extra])
    monkeypatch.setattr(dbmod, "SCHEMA_VERSION", len(schema.MIGRATIONS) + 1)
    conn = open_db(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION + 1
    assert conn.execute("SELECT x FROM extra").fetchone()[0] == 42
    conn.close()
    backup = tmp_path / f"old.db.schema{schema.SCHEMA_VERSION}.bak"
    assert backup.exists()
    old = sqlite3.connect(backup)
    assert old.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    assert old.execute("SELECT value FROM settings WHERE key='k'").fetchone()[0] == "1"
    old.close()


def test_failed_migration_rolls_back(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    open_db(path).close()
    monkeypatch.setattr(
        dbmod, "MIGRATIONS", [*schema.MIGRATIONS, "CREATE TABLE ok (x);\nSELECT * FROM missing;"]
    )
    monkeypatch.setattr(dbmod, "SCHEMA_VERSION", len(schema.MIGRATIONS) + 1)
    with pytest.raises(DatabaseError, match="left as it was; a copy from before the upgrade"):
        open_db(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'ok'").fetchone()[0] == 0
    conn.close()


def test_newer_schema_refused_with_clear_message(tmp_path):
    path = tmp_path / "new.db"
    open_db(path).close()
    c = sqlite3.connect(path)
    c.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 5}")
    c.close()
    with pytest.raises(DatabaseError, match="newer Learnalytics"):
        open_db(path)


def test_not_a_database(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is a text file, not sqlite" * 100)
    with pytest.raises(DatabaseError, match="not a Learnalytics database"):
        open_db(path)


def test_disk_full_rolls_back_and_database_stays_usable(tmp_path):
    """SQLITE_FULL injected with max_page_count: the chunk is rolled back, the rest intact."""
    path = tmp_path / "full.db"
    conn = open_db(path)
    conn.execute("INSERT INTO settings(key, value) VALUES ('before', '1')")
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 2}")
    with pytest.raises(sqlite3.OperationalError, match="full"), transaction(conn):
        conn.executemany(
            "INSERT INTO settings(key, value) VALUES (?, ?)", [(f"k{i}", "x" * 500) for i in range(5000)]
        )
    assert conn.execute("SELECT count(*) FROM settings").fetchone()[0] == 1
    conn.execute("PRAGMA max_page_count = 1073741823")
    conn.execute("INSERT INTO settings(key, value) VALUES ('after', '2')")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
