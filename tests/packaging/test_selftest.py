"""``--self-test`` from source (the frozen build runs the same steps: test_frozen_build.py), and
the bundled sample it imports."""

from __future__ import annotations

import faulthandler
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "learnalytics_desktop" / "assets" / "selftest"
sys.path.insert(0, str(ROOT / "packaging"))

# the steps of selftest_steps, in order (the window checks of selftest.py come first)
END_TO_END = [
    "bundled sample reads through importlib.resources",
    "modules imported by name are bundled",
    "settings and data are kept outside the program folder",
    "import the bundled sample",
    "load outcomes and roster",
    "train a model",
    "score students",
    "draft an intervention",
    "run the impact statistics",
    "pages show the sample",
    "guided tour",
]


def step_names() -> list[str]:
    from learnalytics_desktop.selftest import STEPS

    return [name for name, _ in STEPS]


def assert_all_steps_passed(stdout: str) -> None:
    """Every registered step printed ``ok``, none ``FAIL``, and the summary says so."""
    names = step_names()
    lines = stdout.splitlines()
    for name in names:
        assert any(line.startswith(f"ok   {name} (") for line in lines), f"no ok line for {name!r}:\n{stdout}"
    assert not [line for line in lines if line.startswith("FAIL ")], stdout
    assert f"self-test: {len(names)}/{len(names)} steps passed" in stdout


def test_end_to_end_steps_are_registered_after_the_window_checks():
    names = step_names()
    assert names[-len(END_TO_END) :] == END_TO_END
    assert names.index("main window opens") < names.index(END_TO_END[0])
    assert len(set(names)) == len(names)


def test_bundled_sample_matches_its_manifest_and_is_small():
    manifest = json.loads((SAMPLE / "manifest.json").read_text(encoding="utf-8"))
    on_disk = {p.relative_to(SAMPLE).as_posix() for p in SAMPLE.rglob("*") if p.is_file()}
    assert on_disk == set(manifest["files"]) | {"manifest.json"}
    for rel, digest in manifest["files"].items():
        assert hashlib.sha256((SAMPLE / rel).read_bytes()).hexdigest() == digest, rel
    assert sum((SAMPLE / rel).stat().st_size for rel in on_disk) < 1_000_000
    exp = manifest["expected_import"]
    assert exp["stored"] == exp["read"] - exp["rejected"] - exp["duplicates"] and exp["rejected"] > 0
    assert set(manifest["xapi"]) <= set(manifest["files"])
    past = [o for o in manifest["offerings"] if o["gradebook"]]
    assert len(past) == 1 and len(manifest["offerings"]) == 2
    for off in manifest["offerings"]:
        assert off["roster"] in manifest["files"] and off["roster_rows"] >= 20


def test_sample_script_writes_a_consistent_sample(tmp_path):
    import make_selftest_sample

    out = tmp_path / "sample"
    manifest = make_selftest_sample.make_sample(out, students=20, seed=3)
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert written == set(manifest["files"]) | {"manifest.json"}
    assert all(name.endswith((".gz", ".zip")) for name in manifest["xapi"])  # compressed: small
    assert [o["roster_rows"] for o in manifest["offerings"]] == [20, 20]
    from learnalytics_desktop.core.ingest.importer import import_paths

    report = import_paths(tmp_path / "check.db", [out / "xapi"], workers=0)
    got = {k: getattr(report, k) for k in manifest["expected_import"]}
    assert got == manifest["expected_import"]


@pytest.mark.slow
def test_self_test_from_source_passes_every_step(tmp_path):
    faulthandler.cancel_dump_traceback_later()  # may outlast faulthandler_timeout; subprocess has its own
    home = tmp_path / "home"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", LEARNALYTICS_HOME=str(home), PYTHONFAULTHANDLER="1")
    env.pop("PYTHONPATH", None)
    out = subprocess.run(
        [sys.executable, "-m", "learnalytics_desktop", "--self-test"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=900,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert_all_steps_passed(out.stdout)
    # the trained model and the settings went to the data folder it was given
    assert list((home / "models").glob("*.joblib")), sorted(p.name for p in home.rglob("*"))
    assert list((home / "settings").rglob("*.ini"))
