"""What the PyInstaller spec bundles, computed from the source tree (no PyInstaller import, so
tests check it in milliseconds).

* :func:`data_files` lists every file under ``learnalytics_desktop/assets`` explicitly, each
  with its package-relative destination: ``collect_data_files()`` silently collects nothing
  when the package is not installed, and ``importlib.resources.files("learnalytics_desktop")``
  finds them at the same relative place in the frozen build.
* :func:`package_modules` lists every module of the package: the app imports its pages
  (``gui.pages.PAGES``), the command groups (``cli.COMMAND_MODULES``) and the model's parts
  (``core.model.__getattr__``) by name, which PyInstaller's import analysis cannot see.
* :func:`version` reads ``__version__`` without importing the package.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "learnalytics_desktop"
REQUIRED_ASSETS = ("what_we_store.html", "icons/app.png", "selftest/manifest.json")
SKIP_PARTS = {"__pycache__", ".DS_Store"}


def version(root: Path = ROOT) -> str:
    """The package's ``__version__`` (from ``learnalytics_desktop/__init__.py``)."""
    text = (root / PACKAGE / "__init__.py").read_text(encoding="utf-8")
    found = re.search(r'^__version__\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if not found:
        raise ValueError(f'no __version__ = "..." line in {root / PACKAGE / "__init__.py"}')
    return found.group(1)


def version_tuple(text: str) -> tuple[int, int, int, int]:
    """``"1.2.3"`` -> ``(1, 2, 3, 0)`` for the Windows version resource (non-digits dropped)."""
    nums = [int(re.sub(r"\D.*", "", part) or 0) for part in text.split(".")[:4]]
    return tuple((nums + [0, 0, 0, 0])[:4])  # type: ignore[return-value]


def data_files(root: Path = ROOT) -> list[tuple[str, str]]:
    """``(source file, destination folder)`` for every asset; raises when a required one is
    missing (a build without the self-test sample or the icon must not happen)."""
    assets = root / PACKAGE / "assets"
    missing = [name for name in REQUIRED_ASSETS if not (assets / name).is_file()]
    if missing:
        raise FileNotFoundError(f"assets missing from {assets}: {', '.join(missing)}")
    out = []
    for path in sorted(assets.rglob("*")):
        if path.is_file() and not SKIP_PARTS.intersection(path.relative_to(assets).parts):
            out.append((str(path), path.parent.relative_to(root).as_posix()))
    return out


def package_modules(root: Path = ROOT) -> list[str]:
    """Dotted names of every module and subpackage of the package, sorted."""
    base = root / PACKAGE
    names = []
    for path in sorted(base.rglob("*.py")):
        rel = path.relative_to(root).with_suffix("")
        if SKIP_PARTS.intersection(rel.parts):
            continue
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        if parts[-1] == "__main__":
            continue
        names.append(".".join(parts))
    return sorted(set(names))


if __name__ == "__main__":  # ``python packaging/spec_support.py --version`` (build.sh)
    import sys

    if sys.argv[1:] != ["--version"]:
        sys.exit("usage: spec_support.py --version")
    print(version())
