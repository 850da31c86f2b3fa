"""The real thing: build the one-folder bundle with packaging/build.sh, run the frozen
``--self-test`` offscreen as a user would (no LEARNALYTICS_HOME), and check that it passed
every step and wrote nothing into the app folder. Slow (a PyInstaller build: about 1-3 min
on 2 cores), and run in CI: PyInstaller is installed into this environment first when the
``package`` extra is not there yet."""

from __future__ import annotations

import faulthandler
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from test_selftest import assert_all_steps_passed

ROOT = Path(__file__).resolve().parents[2]
PINS = ["pyinstaller==6.22.3", "pyinstaller-hooks-contrib==2026.9"]  # the `package` extra, as measured

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        sys.platform != "linux", reason="build.sh's archive step and this check are for Linux CI"
    ),
]


def _ensure_pyinstaller() -> None:
    probe = subprocess.run([sys.executable, "-c", "import PyInstaller"], capture_output=True)
    if probe.returncode != 0:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", *PINS], check=True, timeout=600)


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if not p.is_dir()
    } | {p.relative_to(folder).as_posix() + "/": (0, 0) for p in folder.rglob("*") if p.is_dir()}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    # a build outlasts the suite's faulthandler_timeout; the subprocess has its own timeout
    faulthandler.cancel_dump_traceback_later()
    _ensure_pyinstaller()
    base = tmp_path_factory.mktemp("frozen")
    env = dict(
        os.environ,
        PYTHON=sys.executable,
        DIST_DIR=str(base / "dist"),
        WORK_DIR=str(base / "work"),
        SKIP_INSTALL="1",
        SKIP_SELFTEST="1",
    )
    env.pop("PYTHONPATH", None)
    out = subprocess.run(
        ["bash", str(ROOT / "packaging" / "build.sh")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=1500,
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]
    shutil.rmtree(base / "work", ignore_errors=True)
    yield base / "dist", out.stdout
    shutil.rmtree(base / "dist", ignore_errors=True)


def test_frozen_self_test_passes_and_writes_nothing_beside_the_executable(bundle, tmp_path):
    dist, _ = bundle
    app = dist / "learnalytics-desktop"
    before = _snapshot(app)
    user = tmp_path / "user"
    user.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("LEARNALYTICS_HOME", "PYTHONPATH", "PYTHONHOME")}
    env.update(
        QT_QPA_PLATFORM="offscreen",
        HOME=str(user),
        XDG_DATA_HOME=str(user / "data"),
        XDG_CONFIG_HOME=str(user / "config"),
        XDG_CACHE_HOME=str(user / "cache"),
    )
    out = subprocess.run(
        [str(app / "learnalytics-desktop"), "--self-test"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=900,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert_all_steps_passed(out.stdout)
    assert _snapshot(app) == before, "the frozen app wrote into its own folder"
    assert (
        not (user / "data").exists() and not (user / "config").exists()
    )  # the self-test used a scratch folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["user"]  # nor in the working directory


def test_bundle_layout_archive_and_command_line(bundle):
    dist, log = bundle
    app = dist / "learnalytics-desktop"
    internal = app / "_internal" / "learnalytics_desktop" / "assets"
    for rel in ("what_we_store.html", "icons/app.png", "selftest/manifest.json", "selftest/xapi"):
        assert (internal / rel).exists(), rel
    assert not list(app.glob("*.py")) and not (app / "learnalytics_desktop").exists()  # sources are not loose
    info = (app / "BUILD-INFO.txt").read_text(encoding="utf-8")
    import learnalytics_desktop

    version = learnalytics_desktop.__version__
    assert info.startswith(f"Learnalytics Desktop {version}\n") and "PyInstaller 6." in info
    archives = list(dist.glob(f"learnalytics-desktop-{version}-linux-*.tar.gz"))
    assert len(archives) == 1 and "MiB archive" in log
    with tarfile.open(archives[0]) as tar:
        names = set(tar.getnames())
    assert {
        "learnalytics-desktop/learnalytics-desktop",
        "learnalytics-desktop/learnalytics",
        "learnalytics-desktop/BUILD-INFO.txt",
    } <= names
    cli = subprocess.run(
        [str(app / "learnalytics"), "--version"], capture_output=True, text=True, timeout=120
    )
    assert cli.returncode == 0 and cli.stdout.strip() == f"learnalytics {version}", cli.stdout + cli.stderr
    commands = subprocess.run(
        [str(app / "learnalytics"), "--help"], capture_output=True, text=True, timeout=120
    )
    assert all(c in commands.stdout for c in ("import", "train", "erase", "export-learner")), commands.stdout
