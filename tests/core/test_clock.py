"""core.clock: the one "today" for questions about the data, and the layering it keeps."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import learnalytics_desktop
from learnalytics_desktop.core import clock
from learnalytics_desktop.core.store.db import set_setting

CORE = Path(learnalytics_desktop.__file__).parent / "core"


def test_real_clock_without_a_fixed_today(db):
    before = datetime.now(UTC)
    assert clock.fixed_today(db) is None
    assert before <= clock.now(db) <= datetime.now(UTC)
    assert before <= clock.now() <= datetime.now(UTC)


def test_fixed_today_set_cleared_and_naive_taken_as_utc(db):
    clock.set_fixed_today(db, datetime(2026, 10, 21, 10, 0))
    assert clock.now(db) == datetime(2026, 10, 21, 10, 0, tzinfo=UTC)
    clock.set_fixed_today(db, None)
    assert clock.fixed_today(db) is None


def test_demo_databases_built_before_the_clock_setting_keep_their_today(db):
    set_setting(db, "demo", {"offerings": [], "today": "2026-10-21T10:00:00+00:00"})
    assert clock.fixed_today(db) == datetime(2026, 10, 21, 10, 0, tzinfo=UTC)
    set_setting(db, "clock", {"today": "2026-10-22T10:00:00+00:00"})  # the clock's own wins
    assert clock.now(db) == datetime(2026, 10, 21, 10, 0, tzinfo=UTC) + timedelta(days=1)


def test_an_unreadable_today_falls_back_to_the_real_clock(db):
    set_setting(db, "clock", {"today": "not a date"})
    assert clock.fixed_today(db) is None


def test_production_core_never_imports_the_demo():
    """Scoring used to ask the demo generator for "today"; only core/demo may import it."""
    offenders = []
    for path in CORE.rglob("*.py"):
        if "demo" in path.relative_to(CORE).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            if any(
                n == "learnalytics_desktop.core.demo" or n.startswith("learnalytics_desktop.core.demo.")
                for n in names
            ):
                offenders.append(str(path.relative_to(CORE)))
    assert offenders == []
