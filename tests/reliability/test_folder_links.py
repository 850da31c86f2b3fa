"""Finding 11 of issue 15: symbolic links inside an imported folder are skipped and reported,
never followed (a link named ``x.json`` to a system file once put its text into the
quarantine). A file the user names directly is still read."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from learnalytics_desktop.cli import main

pytestmark = pytest.mark.skipif(os.name != "posix", reason="symbolic links need privileges on Windows")

SECRET = "root:x:0:0:this-must-not-be-imported"


def test_links_in_a_folder_are_skipped_and_listed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd").write_text(SECRET + "\n")
    (outside / "more.jsonl").write_text(SECRET + "\n")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "x.json").symlink_to(outside / "passwd")
    (folder / "sub").symlink_to(outside, target_is_directory=True)
    os.mkfifo(folder / "pipe.jsonl")
    db = tmp_path / "x.db"
    assert main(["import", "--db", str(db), "--json", str(folder)]) == 0
    report = json.loads(capsys.readouterr().out)
    reasons = {Path(s["path"]).name: s["reason"] for s in report["skipped_files"]}
    assert reasons["x.json"] == "symbolic link, not followed"
    assert reasons["sub"] == "symbolic link to a folder, not followed"
    assert reasons["pipe.jsonl"] == "not a regular file"
    assert report["read"] == 0
    conn = sqlite3.connect(db)
    try:
        dump = "\n".join(repr(r) for r in conn.execute("SELECT * FROM rejects"))
    finally:
        conn.close()
    assert SECRET not in dump


def test_a_link_named_directly_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "real.jsonl"
    target.write_text("{broken\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    assert main(["import", "--db", str(tmp_path / "x.db"), "--json", str(link)]) == 0
    assert json.loads(capsys.readouterr().out)["read"] == 1
