"""Nothing in gui/ runs SQL: every use case is one core function the app and the command
line both call (issue 10), so a query cannot drift between the two."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import learnalytics_desktop

GUI = Path(learnalytics_desktop.__file__).parent / "gui"
SQL_CALLS = {"execute", "executemany", "executescript", "read_sql", "read_sql_query", "read_sql_table"}
SQL_TEXT = re.compile(
    r"^\s*(SELECT\s.*\bFROM\b|SELECT\s+\d|INSERT\s+(OR\s+\w+\s+)?INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s"
    r"|CREATE\s+(TABLE|INDEX|VIEW)\s|DROP\s+(TABLE|INDEX|VIEW)\s|PRAGMA\s)",
    re.DOTALL,
)


def _offences(source: str) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SQL_CALLS
        ):
            out.append(f"line {node.lineno}: .{node.func.attr}(")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_TEXT.match(node.value):
            out.append(f"line {node.lineno}: SQL text {node.value[:40]!r}")
    return out


def test_the_check_finds_sql():
    assert _offences('conn.execute("SELECT 1")') == ["line 1: .execute(", "line 1: SQL text 'SELECT 1'"]
    assert _offences("pd.read_sql_query(q, conn)") == ["line 1: .read_sql_query("]
    assert _offences('sql = "SELECT id FROM actors"') == ["line 1: SQL text 'SELECT id FROM actors'"]
    assert _offences('label = "Select a file"') == []
    assert _offences('label = "With the outcome"') == []


def test_no_module_in_gui_runs_sql():
    found = {
        str(path.relative_to(GUI)): hits
        for path in sorted(GUI.rglob("*.py"))
        if (hits := _offences(path.read_text(encoding="utf-8")))
    }
    assert found == {}
