"""Where the app keeps its files: the platform's user data folder, never beside the executable.

``LEARNALYTICS_HOME`` overrides the folder (tests and portable installs use it).
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "Learnalytics Desktop"
APP_AUTHOR = "Learnalytics"


def data_dir() -> Path:
    """The folder for databases, models and the installation key (created if missing)."""
    override = os.environ.get("LEARNALYTICS_HOME")
    if override:
        path = Path(override)
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))
    path.mkdir(parents=True, exist_ok=True)
    return path


def demo_db_path() -> Path:
    return data_dir() / "demo.learnalytics.db"


def models_dir() -> Path:
    path = data_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path
