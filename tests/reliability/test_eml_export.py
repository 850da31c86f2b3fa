"""Findings 5, 16 and 9 of issue 15: ``.eml`` file names and an export that is killed.

* A label of 120 × ``中`` (360 bytes) makes a valid file name (names are capped in bytes, not
  characters) and the export succeeds; any write failure is a clear error, never a traceback.
* Windows device names followed by spaces (``lpt9 .x``) and bidi overrides (U+202E) are
  neutralised.
* An export killed after writing its drafts (rows still *approved*) and run again leaves the
  same files an uninterrupted export writes: no ``name (2).eml`` duplicates.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from learnalytics_desktop.core.interventions import (
    RuleSet,
    approve,
    default_rules,
    draft_interventions,
    export_eml,
    list_interventions,
    save_rules,
)
from learnalytics_desktop.core.interventions.exporting import safe_filename
from learnalytics_desktop.core.store.db import open_db


def _support():  # the interventions test helpers (tests/core is not a package)
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "core" / "test_interventions_support.py"
    spec = importlib.util.spec_from_file_location("_interventions_support", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


_SUPPORT = _support()
AS_OF, build_course = _SUPPORT.AS_OF, _SUPPORT.build_course
HOSTILE = [
    "中" * 120,
    "\U0001d538" * 120,
    "lpt9 .x",
    "LPT9",
    "con .txt",
    "ann\u202egpj.exe",
    "bob\u200b",
    "é" * 200,
    " . ",
]


def _approved(path: Path, labels: list[str] | None = None) -> tuple[int, list[int]]:
    conn = open_db(path)
    try:
        s = build_course(conn, 12, seed=3)
        if labels:
            for actor, label in zip(s.actors, labels, strict=False):
                conn.execute("UPDATE actors SET label = ? WHERE id = ?", (label, int(actor)))
        r = default_rules()
        save_rules(conn, RuleSet(rules=r.rules, risk_threshold=r.risk_threshold, advisor="Sam Advisor"))
        batch = draft_interventions(
            conn, s.course_id, s.actors, as_of=AS_OF, features=s.features, ignore_risk_gate=True
        )
        approve(conn, batch.treated_ids)
        return s.course_id, list(batch.treated_ids)
    finally:
        conn.close()


@pytest.mark.parametrize("label", HOSTILE)
def test_file_names_are_short_in_bytes_and_neutral(label: str) -> None:
    for suffix in ("", " - instructor"):
        name = safe_filename(label, suffix)
        assert len(name.encode("utf-8")) <= 200
        assert not any(
            ord(c) < 32 or c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b" for c in name
        )
        base = name.split(".")[0].rstrip(" ").upper()
        assert base not in {"CON", "PRN", "AUX", "NUL", "LPT9", "COM1"}


def test_an_export_with_hostile_labels_succeeds(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    course, ids = _approved(db, HOSTILE)
    out = tmp_path / "out"
    out.mkdir()
    conn = open_db(db)
    try:
        result = export_eml(conn, out, course_id=course)
    finally:
        conn.close()
    assert sorted(result.ids) == sorted(ids)
    names = [p.name for p in out.iterdir()]
    assert len(names) == len(result.files)
    assert not any(n.startswith(".") for n in names)  # no temporary file left behind
    assert any(n.startswith("中") for n in names) and any(n.startswith("\U0001d538") for n in names)


_KILLED = """
import os, sys
from learnalytics_desktop.core.interventions import exporting, review
from learnalytics_desktop.core.store.db import open_db
def killed(*a, **k):
    os._exit(9)  # as if SIGKILL arrived after the drafts were written
exporting.transition = killed
conn = open_db(sys.argv[1])
exporting.export_eml(conn, sys.argv[2], course_id=int(sys.argv[3]))
"""


def test_a_killed_export_reruns_without_duplicates(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    course, ids = _approved(db)
    reference_db = tmp_path / "ref.db"
    reference_db.write_bytes(db.read_bytes())
    out, ref = tmp_path / "out", tmp_path / "ref"
    out.mkdir()
    ref.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", _KILLED, str(db), str(out), str(course)], env=env)
    assert done.returncode == 9
    assert any(out.iterdir())  # drafts on disk, rows still approved
    conn = open_db(db)
    try:
        assert set(list_interventions(conn, course, ids=ids)["status"]) == {"approved"}
        export_eml(conn, out, course_id=course)
        assert set(list_interventions(conn, course, ids=ids)["status"]) == {"exported"}
    finally:
        conn.close()
    conn = open_db(reference_db)
    try:
        export_eml(conn, ref, course_id=course)
    finally:
        conn.close()
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in ref.iterdir())
    assert not [p for p in out.iterdir() if " (2)" in p.name]


def test_other_files_with_the_same_name_are_never_overwritten(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    course, _ids = _approved(db)
    out = tmp_path / "out"
    out.mkdir()
    conn = open_db(db)
    try:
        label = conn.execute(
            "SELECT a.label FROM interventions i JOIN actors a ON a.id = i.actor WHERE i.status = 'approved' LIMIT 1"
        ).fetchone()[0]
        mine = out / safe_filename(label)
        mine.write_text("the advisor's own notes")
        export_eml(conn, out, course_id=course)
    finally:
        conn.close()
    assert mine.read_text() == "the advisor's own notes"
    assert (out / safe_filename(label).replace(".eml", " (2).eml")).exists()
