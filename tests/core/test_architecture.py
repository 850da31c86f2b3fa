"""The core never imports Qt, pyqtgraph or the GUI layer; start-up imports stay lazy."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "learnalytics_desktop"
BANNED = ("PySide6", "pyqtgraph", "shiboken6", "learnalytics_desktop.gui")


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
        elif isinstance(node, ast.ImportFrom) and node.level:
            yield node.lineno, "." * node.level + (node.module or "")


@pytest.mark.parametrize("path", sorted((PKG / "core").rglob("*.py")), ids=lambda p: p.name)
def test_core_is_qt_free(path):
    bad = [
        (line, name)
        for line, name in _imports(path)
        if any(name == b or name.startswith(b + ".") for b in BANNED)
    ]
    assert not bad, f"{path.relative_to(PKG)} imports GUI code: {bad}"


@pytest.mark.parametrize("path", sorted(PKG.rglob("*.py")), ids=lambda p: str(p.relative_to(PKG)))
def test_absolute_imports_only(path):
    rel = [(line, n) for line, n in _imports(path) if n.startswith(".")]
    assert not rel, (
        f"{path.relative_to(PKG)} uses relative imports (PyInstaller runs __main__ as a script): {rel}"
    )
