"""Settings and databases go to the user's folders (platformdirs / Qt's user scope), never
beside the program: checked in a fresh interpreter with ``LEARNALYTICS_HOME`` unset and the
user's folders pointed into a temporary directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json
import platformdirs
from PySide6.QtCore import QSettings
from learnalytics_desktop.app import create_application
from learnalytics_desktop.core import paths
app = create_application([])
s = QSettings()
s.setValue("probe", 1)
s.sync()
print(json.dumps({
    "data": str(paths.data_dir()), "models": str(paths.models_dir()), "demo": str(paths.demo_db_path()),
    "platformdirs": platformdirs.user_data_dir(paths.APP_NAME, paths.APP_AUTHOR), "settings": s.fileName(),
}))
"""


def _probe(tmp_path: Path, **extra: str) -> dict[str, str]:
    user = tmp_path / "user"
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        HOME=str(user),
        XDG_DATA_HOME=str(user / "data"),
        XDG_CONFIG_HOME=str(user / "config"),
        **extra,
    )
    env.pop("PYTHONPATH", None)
    if "LEARNALYTICS_HOME" not in extra:
        env.pop("LEARNALYTICS_HOME", None)
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_without_override_everything_goes_to_the_users_folders(tmp_path):
    import learnalytics_desktop

    got = _probe(tmp_path)
    user = (tmp_path / "user").resolve()
    data = Path(got["data"]).resolve()
    assert data == Path(got["platformdirs"]).resolve() == user / "data" / "Learnalytics Desktop"
    assert data.is_dir()
    assert Path(got["models"]).resolve() == data / "models"
    assert Path(got["demo"]).resolve().parent == data
    settings = Path(got["settings"]).resolve()
    assert settings.is_relative_to(user / "config") and settings.suffix == ".ini" and settings.is_file()
    program = Path(learnalytics_desktop.__file__).resolve().parent
    for key in ("data", "models", "demo", "settings"):
        assert not Path(got[key]).resolve().is_relative_to(program), key
    assert list(tmp_path.glob("*")) == [tmp_path / "user"]  # nothing in the working directory either


def test_learnalytics_home_overrides_both(tmp_path):
    home = tmp_path / "portable"
    got = _probe(tmp_path, LEARNALYTICS_HOME=str(home))
    assert Path(got["data"]) == home and Path(got["settings"]).resolve().is_relative_to(home.resolve())
    assert not (tmp_path / "user" / "data").exists()
