"""Icons from the package's ``assets/icons`` folder as QIcon (SVG line icons drawn for this app).

Assets are found with :func:`importlib.resources.files`, which behaves the same from source,
a wheel and the frozen one-folder build.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

from PySide6.QtGui import QIcon


def asset_path(*parts: str) -> Path:
    """The file path of a packaged asset, e.g. ``asset_path("icons", "import.svg")``."""
    return Path(str(files("learnalytics_desktop").joinpath("assets", *parts)))


@cache
def icon(name: str) -> QIcon:
    """The icon ``assets/icons/<name>.svg`` (or ``.png``). Raises FileNotFoundError when absent."""
    for ext in ("svg", "png"):
        path = asset_path("icons", f"{name}.{ext}")
        if path.is_file():
            return QIcon(str(path))
    raise FileNotFoundError(f"no icon named {name!r} in {asset_path('icons')}")


def app_icon() -> QIcon:
    """The application's window icon."""
    return icon("app")
