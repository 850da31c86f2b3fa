"""Window state in QSettings, keyed by string: geometry, splitters, table headers, recent files.

Per-database settings (weights, thresholds, privacy) live in the database; only how the
windows look lives here. Settings are an INI file on every platform (no Windows registry on
locked-down laptops); with ``LEARNALYTICS_HOME`` set (tests, portable installs) the file is
kept in that folder, so nothing is written to the user's profile.

Usage, as in Anki's ``saveGeom``/``restoreGeom``::

    restore_geometry(dialog, "import/rejects")   # in __init__
    save_geometry(dialog, "import/rejects")      # in closeEvent / done
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QHeaderView, QMainWindow, QSplitter, QWidget

MAX_RECENT = 8
# Where the pseudonymisation key file is (Settings > Privacy remembers it, Import pre-fills it):
# only the path, on this computer; the key itself stays in its file.
KEY_FILE_SETTING = "privacy/keyFile"


def configure_settings() -> None:
    """Use INI files everywhere; under ``LEARNALYTICS_HOME`` when that is set."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    home = os.environ.get("LEARNALYTICS_HOME")
    if home:
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(Path(home) / "settings"))


def settings() -> QSettings:
    """The application's QSettings (organisation and application name of the QApplication)."""
    return QSettings()


def get_value(key: str, default: Any = None, type_: type | None = None) -> Any:
    """Read one value; ``type_`` converts INI strings back (``bool``, ``int``, ``list``…)."""
    s = settings()
    if type_ is None:
        return s.value(key, default)
    value = s.value(key, default, type=type_)
    return default if value is None else value


def set_value(key: str, value: Any) -> None:
    """Write one value."""
    settings().setValue(key, value)


def _bytes(key: str) -> QByteArray | None:
    value = settings().value(key)
    if isinstance(value, QByteArray) and not value.isEmpty():
        return value
    if isinstance(value, (bytes, bytearray)) and value:
        return QByteArray(bytes(value))
    return None


def save_geometry(widget: QWidget, key: str) -> None:
    """Remember a window's size and position under ``geometry/<key>``."""
    settings().setValue(f"geometry/{key}", widget.saveGeometry())


def restore_geometry(widget: QWidget, key: str) -> bool:
    """Restore what :func:`save_geometry` saved; False when nothing was saved."""
    data = _bytes(f"geometry/{key}")
    return bool(data is not None and widget.restoreGeometry(data))


def save_state(window: QMainWindow, key: str) -> None:
    """Remember a main window's toolbars and docks under ``state/<key>``."""
    settings().setValue(f"state/{key}", window.saveState())


def restore_state(window: QMainWindow, key: str) -> bool:
    """Restore what :func:`save_state` saved; False when nothing was saved."""
    data = _bytes(f"state/{key}")
    return bool(data is not None and window.restoreState(data))


def save_splitter(splitter: QSplitter, key: str) -> None:
    """Remember a splitter's sizes under ``splitter/<key>``."""
    settings().setValue(f"splitter/{key}", splitter.saveState())


def restore_splitter(splitter: QSplitter, key: str) -> bool:
    """Restore what :func:`save_splitter` saved; False when nothing was saved."""
    data = _bytes(f"splitter/{key}")
    return bool(data is not None and splitter.restoreState(data))


def save_header(header: QHeaderView, key: str) -> None:
    """Remember column widths, order and sort indicator under ``header/<key>``."""
    s = settings()
    s.setValue(f"header/{key}", header.saveState())
    s.setValue(f"header/{key}.count", header.count())


def restore_header(header: QHeaderView, key: str) -> bool:
    """Restore a header saved by :func:`save_header`. Call it after the model is set: a state
    saved for a different number of columns is ignored (False)."""
    data = _bytes(f"header/{key}")
    count = get_value(f"header/{key}.count", -1, int)
    if data is None or count != header.count():
        return False
    return bool(header.restoreState(data))


# -- recent databases --------------------------------------------------------------------------


def recent_files() -> list[Path]:
    """Recently opened databases, newest first (those that no longer exist are left out)."""
    raw = get_value("recentFiles", [], list) or []
    if isinstance(raw, str):  # INI stores a one-item list as a plain string
        raw = [raw]
    return [Path(p) for p in raw if p and Path(p).exists()]


def add_recent_file(path: str | os.PathLike[str]) -> list[Path]:
    """Put ``path`` first in the recent list (at most :data:`MAX_RECENT` entries)."""
    p = Path(path).resolve()
    items = [str(p)] + [str(x) for x in recent_files() if x.resolve() != p]
    set_value("recentFiles", items[:MAX_RECENT])
    return [Path(x) for x in items[:MAX_RECENT]]


def remove_recent_file(path: str | os.PathLike[str]) -> None:
    """Drop ``path`` from the recent list."""
    p = Path(path).resolve()
    set_value("recentFiles", [str(x) for x in recent_files() if x.resolve() != p])


def remembered_key_file() -> str:
    """The key file path remembered on this computer ("" when none)."""
    return str(get_value(KEY_FILE_SETTING, "", str) or "")
