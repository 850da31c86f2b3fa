"""File and folder choosers. Each returns a path (or paths) or None when the user cancels.

Callers' tests monkeypatch these functions instead of driving a native dialog.
The last folder used is remembered in QSettings under ``dialogs/lastDir``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from learnalytics_desktop.gui.qsettings import get_value, set_value

DB_FILTER = "Learnalytics databases (*.db *.sqlite *.learnalytics.db);;All files (*)"
XAPI_FILTER = "xAPI statements (*.json *.jsonl *.ndjson *.gz *.zip);;All files (*)"
CSV_FILTER = "CSV files (*.csv)"


def _start_dir(suggested: str | Path | None = None) -> str:
    last = get_value("dialogs/lastDir", "", str) or str(Path.home())
    if suggested:
        return str(Path(last) / suggested) if not Path(suggested).is_absolute() else str(suggested)
    return last


def _remember(path: Path) -> Path:
    set_value("dialogs/lastDir", str(path if path.is_dir() else path.parent))
    return path


def ask_open_database(parent: QWidget | None) -> Path | None:
    """Choose an existing database file."""
    name, _ = QFileDialog.getOpenFileName(parent, "Open database", _start_dir(), DB_FILTER)
    return _remember(Path(name)) if name else None


def ask_new_database(parent: QWidget | None) -> Path | None:
    """Choose where to create a new database (the suffix ``.db`` is added when missing)."""
    name, _ = QFileDialog.getSaveFileName(parent, "New database", _start_dir("analytics.db"), DB_FILTER)
    if not name:
        return None
    path = Path(name)
    if path.suffix.lower() not in (".db", ".sqlite"):
        path = path.with_name(path.name + ".db")
    return _remember(path)


def ask_save_file(
    parent: QWidget | None, title: str, suggested: str, file_filter: str = CSV_FILTER
) -> Path | None:
    """Choose a file to write (the dialog asks before overwriting)."""
    name, _ = QFileDialog.getSaveFileName(parent, title, _start_dir(suggested), file_filter)
    return _remember(Path(name)) if name else None


def ask_open_file(parent: QWidget | None, title: str, file_filter: str = "All files (*)") -> Path | None:
    """Choose one existing file."""
    name, _ = QFileDialog.getOpenFileName(parent, title, _start_dir(), file_filter)
    return _remember(Path(name)) if name else None


def ask_import_files(parent: QWidget | None) -> list[Path] | None:
    """Choose xAPI files to import."""
    names, _ = QFileDialog.getOpenFileNames(parent, "Add files to import", _start_dir(), XAPI_FILTER)
    if not names:
        return None
    _remember(Path(names[0]))
    return [Path(n) for n in names]


def ask_folder(parent: QWidget | None, title: str = "Add a folder to import") -> Path | None:
    """Choose a folder."""
    name = QFileDialog.getExistingDirectory(parent, title, _start_dir())
    return _remember(Path(name)) if name else None
