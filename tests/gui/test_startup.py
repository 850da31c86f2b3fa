"""Start-up stays light, and ``--self-test`` passes (both in a fresh interpreter)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("pandas", "sklearn", "scipy", "pyqtgraph")

PROBE = """
import json, sys
from learnalytics_desktop.app import create_application, create_main_window
app = create_application([])
window = create_main_window()
window.show()
app.processEvents()
loaded = sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[1:]))
window.close()
print(json.dumps(loaded))
"""


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", LEARNALYTICS_HOME=str(tmp_path / "home"))
    env.pop("PYTHONPATH", None)
    return env


def test_app_and_main_window_do_not_import_heavy_libraries(tmp_path):
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *HEAVY],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(tmp_path),
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_self_test_passes_and_leaves_the_user_profile_alone(tmp_path):
    env = _env(tmp_path)
    del env["LEARNALYTICS_HOME"]  # as a user runs it: the self-test picks a scratch folder itself
    home = tmp_path / "user"
    home.mkdir()
    env.update(
        HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local" / "share")
    )
    out = subprocess.run(
        [sys.executable, "-m", "learnalytics_desktop", "--self-test"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "FAIL" not in out.stdout
    assert "ok   main window opens" in out.stdout and "ok   a new database opens" in out.stdout
    assert list(home.rglob("*")) == []  # no settings, databases or caches written for the user
