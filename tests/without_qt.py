"""Run pytest as on a machine without Qt: PySide6, shiboken6, pyqtgraph and pytest-qt cannot
be imported (a meta-path blocker raises ModuleNotFoundError for them), so a core test that
needs Qt, directly or through the code it tests, fails here.

    python tests/without_qt.py tests/core [pytest options]

./dev test runs tests/core this way and the rest of the suite normally, so the proof costs
CI no extra test time (see CONTRIBUTING.md). Not a test module (pytest collects test_*.py).
"""

from __future__ import annotations

import importlib.abc
import sys

BLOCKED = ("PySide6", "shiboken6", "pyqtgraph", "pytestqt")


class _NoQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".", 1)[0] in BLOCKED:
            raise ModuleNotFoundError(
                f"No module named {name!r} (blocked: this run is without Qt)", name=name
            )
        return None


def main(argv: list[str]) -> int:
    sys.meta_path.insert(0, _NoQt())
    import pytest

    # pytest-qt's entry point would be loaded (and fail) before any test: switch it off by name
    return int(pytest.main(["-p", "no:pytest-qt", *argv]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
