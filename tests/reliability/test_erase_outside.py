"""Finding 8 of issue 15: an erasure says what it cannot reach. Backups, exports and the
imported source files still hold the learner; the command line, its JSON and the app's
confirmation dialog say so and list the files the database recorded for them."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from learnalytics_desktop.cli import main
from learnalytics_desktop.core.privacy.erase import NOT_REACHED, outside_copies
from learnalytics_desktop.core.store.db import open_db

COURSE = "https://x.example/courses/c1"


def _setup(tmp_path: Path) -> tuple[Path, Path, list[Path]]:
    src = tmp_path / "lms.jsonl"
    lines = []
    for who in ("ann", "bob"):
        for day in range(5, 12):
            lines.append(
                json.dumps(
                    {
                        "id": str(uuid.uuid4()),
                        "actor": {"mbox": f"mailto:{who}@example.org"},
                        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
                        "object": {"id": "https://x.example/a/1"},
                        "timestamp": f"2026-01-{day:02d}T10:00:00Z",
                    }
                )
            )
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "x.db"
    assert main(["import", "--db", str(db), "--course-fallback", COURSE, str(src)]) == 0
    outs = [tmp_path / "audit.csv", tmp_path / "copy.db", tmp_path / "ann.json"]
    assert main(["audit", "--db", str(db), "--csv", str(outs[0])]) == 0
    assert main(["backup", "--db", str(db), "--out", str(outs[1])]) == 0
    assert (
        main(["export-learner", "--db", str(db), "--student", "ann@example.org", "--out", str(outs[2])]) == 0
    )
    return db, src, outs


def test_cli_erasure_lists_what_it_cannot_reach(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db, src, outs = _setup(tmp_path)
    capsys.readouterr()
    assert main(["erase", "--db", str(db), "--student", "ann@example.org", "--yes"]) == 0
    out = capsys.readouterr().out
    assert NOT_REACHED in out
    for path in [src, *outs]:
        assert str(path) in out


def test_erasure_json_carries_the_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db, src, outs = _setup(tmp_path)
    capsys.readouterr()
    assert main(["erase", "--db", str(db), "--student", "ann@example.org", "--yes", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["not_reached"]["sources"] == [str(src)]
    assert [e["path"] for e in doc["not_reached"]["exports"]] == [str(p) for p in outs]
    assert doc["not_reached"]["note"] == NOT_REACHED


def test_erase_dialog_says_what_stays(tmp_path: Path, qtbot) -> None:
    from learnalytics_desktop.gui.pages.settings.erase_dialog import EraseDialog
    from learnalytics_desktop.gui.pages.settings.privacy_jobs import find_learner

    db, src, outs = _setup(tmp_path)
    conn = open_db(db)
    try:
        summary = find_learner(conn, "ann@example.org")
        assert len(outside_copies(conn, summary.actor_id).lines()) == 4
    finally:
        conn.close()
    dialog = EraseDialog(None, summary)
    qtbot.addWidget(dialog)
    text = dialog.text_label.text()
    assert "everywhere" not in text
    assert "Copies outside it still hold the learner" in text
    for path in [src, *outs]:
        assert str(path) in text
