"""Finding 17 of issue 15: databases, their journals, backups and exports hold personal data,
so they are created owner-only (0600) whatever the umask; a file the owner already has keeps
its mode."""

from __future__ import annotations

import json
import os
import stat
import uuid
from pathlib import Path

import pytest

from learnalytics_desktop.cli import main
from learnalytics_desktop.core.store.db import audit, open_db

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_databases_backups_and_exports_are_0600(tmp_path: Path, umask_022: None) -> None:
    src = tmp_path / "s.jsonl"
    src.write_text(
        "\n".join(
            json.dumps(
                {
                    "id": str(uuid.uuid4()),
                    "actor": {"mbox": f"mailto:s{i}@example.org"},
                    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
                    "object": {"id": "https://x.example/a/1"},
                    "timestamp": "2026-01-05T10:00:00Z",
                }
            )
            for i in range(5)
        )
        + "\n{broken\n",
        encoding="utf-8",
    )
    db = tmp_path / "x.db"
    assert main(["import", "--db", str(db), "--course-fallback", "https://x.example/c", str(src)]) == 0
    conn = open_db(db)  # keep it open: the WAL and shared-memory files exist now
    audit(conn, "test")
    assert _mode(db) == 0o600
    for side in ("-wal", "-shm"):
        assert _mode(Path(f"{db}{side}")) == 0o600
    conn.close()
    files = {
        "backup": tmp_path / "copy.db",
        "audit": tmp_path / "audit.csv",
        "rejects": tmp_path / "rejects.csv",
        "subject": tmp_path / "s0.json",
    }
    assert main(["backup", "--db", str(db), "--out", str(files["backup"])]) == 0
    assert main(["audit", "--db", str(db), "--csv", str(files["audit"])]) == 0
    assert main(["rejects", "--db", str(db), "--csv", str(files["rejects"])]) == 0
    assert (
        main(
            ["export-learner", "--db", str(db), "--student", "s0@example.org", "--out", str(files["subject"])]
        )
        == 0
    )
    for name, path in files.items():
        assert _mode(path) == 0o600, name
    restored = tmp_path / "new.db"
    assert main(["restore", "--db", str(restored), "--backup", str(files["backup"])]) == 0
    assert _mode(restored) == 0o600


def test_an_existing_database_keeps_its_mode(tmp_path: Path, umask_022: None) -> None:
    db = tmp_path / "x.db"
    open_db(db).close()
    db.chmod(0o640)
    open_db(db).close()
    assert _mode(db) == 0o640


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs a folder nobody can create files in")
def test_a_folder_that_refuses_new_files_is_a_clear_error() -> None:
    from learnalytics_desktop.core.store.db import DatabaseError

    with pytest.raises(DatabaseError):  # not a bare PermissionError/FileNotFoundError traceback
        open_db(Path("/proc/learnalytics-test.db"))
