"""What the PyInstaller spec bundles (packaging/spec_support.py), checked without building."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging"))

import spec_support  # noqa: E402


def test_every_asset_is_listed_with_a_package_relative_destination():
    assets = ROOT / "learnalytics_desktop" / "assets"
    listed = spec_support.data_files()
    expected = {p for p in assets.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert {Path(src) for src, _ in listed} == expected
    for src, dest in listed:
        assert dest == Path(src).parent.relative_to(ROOT).as_posix() and dest.startswith(
            "learnalytics_desktop/assets"
        )
    dests = {dest for _, dest in listed}
    assert {
        "learnalytics_desktop/assets/selftest",
        "learnalytics_desktop/assets/selftest/xapi",
        "learnalytics_desktop/assets/icons",
    } <= dests


def test_a_missing_required_asset_stops_the_build(tmp_path):
    (tmp_path / "learnalytics_desktop" / "assets" / "icons").mkdir(parents=True)
    (tmp_path / "learnalytics_desktop" / "assets" / "icons" / "app.png").write_bytes(b"png")
    with pytest.raises(FileNotFoundError, match="selftest/manifest.json"):
        spec_support.data_files(tmp_path)


def test_modules_imported_by_name_are_hidden_imports():
    from learnalytics_desktop.cli import COMMAND_MODULES
    from learnalytics_desktop.core import model
    from learnalytics_desktop.gui.pages import PAGES

    modules = set(spec_support.package_modules())
    by_name = {s.target.partition(":")[0] for s in PAGES if s.target} | set(COMMAND_MODULES)
    by_name |= {f"learnalytics_desktop.core.model.{m}" for m in model._EXPORTS.values()}
    assert by_name <= modules, sorted(by_name - modules)
    assert {"learnalytics_desktop.selftest_steps", "learnalytics_desktop.gui.first_run"} <= modules
    assert not [m for m in modules if m.endswith("__main__") or ".tests" in m]


def test_version_comes_from_the_package():
    import learnalytics_desktop

    assert spec_support.version() == learnalytics_desktop.__version__
    assert spec_support.version_tuple("1.2") == (1, 2, 0, 0)
    assert spec_support.version_tuple("0.1.0rc2") == (0, 1, 0, 0)
    assert spec_support.version_tuple("2.10.3.4.5") == (2, 10, 3, 4)


def test_spec_builds_a_windowed_app_and_a_console_cli_in_one_folder():
    spec = (ROOT / "packaging" / "learnalytics.spec").read_text(encoding="utf-8")
    assert "spec_support.data_files(ROOT)" in spec and "spec_support.package_modules(ROOT)" in spec
    assert 'collect_data_files("' not in spec  # explicit lists only
    assert 'name="learnalytics-desktop",\n    console=False' in spec
    assert 'name="learnalytics",\n    console=True' in spec
    assert "exclude_binaries=True" in spec and "COLLECT(" in spec  # one folder, not one file
    assert (ROOT / "resources" / "icon.ico").is_file()
