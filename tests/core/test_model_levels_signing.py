"""Risk levels (thresholds, capacity) and signed model files."""

from __future__ import annotations

import json
import os
import stat

import pytest

from learnalytics_desktop.core.model import levels, signing
from learnalytics_desktop.core.model.levels import (
    ThresholdError,
    levels_by_capacity,
    risk_level,
    validate_thresholds,
)
from learnalytics_desktop.core.model.signing import ModelFileError, load_signed, save_signed, sidecar_path

# --- levels --------------------------------------------------------------------------------


def test_every_probability_has_a_level_including_0_and_1():
    probs = [0.0, 0.1, 0.2999, 0.3, 0.5999, 0.6, 0.99, 1.0]
    assert risk_level(probs) == ["low", "low", "low", "moderate", "moderate", "high", "high", "high"]


def test_custom_thresholds_and_high_equal_to_one():
    th = {"moderate": 0.5, "high": 1.0}
    assert risk_level([0.0, 0.49, 0.5, 0.9999, 1.0], th) == ["low", "low", "moderate", "moderate", "high"]


@pytest.mark.parametrize(
    "bad, words",
    [
        ({"moderate": 0.6, "high": 0.3}, "0 < moderate < high <= 1"),
        ({"moderate": 0.0, "high": 0.5}, "0 < moderate < high <= 1"),
        ({"moderate": 0.3, "high": 1.2}, "0 < moderate < high <= 1"),
        ({"moderate": 0.3}, "missing high"),
        ({"moderate": 0.3, "high": 0.6, "low": 0.1}, "unknown low"),
        ({"moderate": "0.3", "high": 0.6}, "'moderate' must be a number"),
        ({"moderate": float("nan"), "high": 0.6}, "finite"),
        ({"moderate": True, "high": 0.6}, "must be a number"),
    ],
)
def test_invalid_thresholds_are_refused_with_a_reason(bad, words):
    with pytest.raises(ThresholdError) as info:
        validate_thresholds(bad)
    assert words in str(info.value)


@pytest.mark.parametrize("bad", [[0.2, float("nan")], [-0.01], [1.0001]])
def test_bad_probabilities_are_named(bad):
    with pytest.raises(ThresholdError, match="position"):
        risk_level(bad)


def test_thresholds_setting_roundtrip_and_audit(db):
    assert levels.get_thresholds(db) == {"moderate": 0.3, "high": 0.6}
    levels.set_thresholds(db, {"moderate": 0.2, "high": 0.5})
    assert levels.get_thresholds(db) == {"moderate": 0.2, "high": 0.5}
    assert risk_level([0.25], levels.get_thresholds(db)) == ["moderate"]
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'settings'").fetchone()[0] == 1
    with pytest.raises(ThresholdError):
        levels.set_thresholds(db, {"moderate": 0.7, "high": 0.5})
    db.execute("UPDATE settings SET value = ? WHERE key = 'risk_thresholds'", (json.dumps({"high": 2}),))
    with pytest.raises(ThresholdError, match="saved setting 'risk_thresholds' is invalid"):
        levels.get_thresholds(db)


def test_capacity_mode_flags_exactly_top_n():
    probs = [0.9, 0.1, 0.7, 0.4, 0.7, 0.05]
    out = levels_by_capacity(probs, 2)
    # top two: 0.9 (index 0) and the first 0.7 (index 2, tie broken by input order)
    assert out == ["high", "low", "high", "moderate", "moderate", "low"]
    assert levels_by_capacity(probs, 0).count("high") == 0
    assert levels_by_capacity(probs, 10).count("high") == 6
    # capacity reaches below the moderate threshold: still high, the advisor has room
    assert levels_by_capacity([0.01, 0.02], 1) == ["low", "high"]
    with pytest.raises(ThresholdError, match="capacity"):
        levels_by_capacity(probs, -1)


# --- signing -------------------------------------------------------------------------------


def test_key_created_once_with_private_mode(_isolated_home):
    k1 = signing.install_key()
    k2 = signing.install_key()
    assert k1 == k2 and len(k1) == 32
    path = _isolated_home / "install.key"
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_roundtrip(tmp_path):
    path = save_signed({"a": [1, 2, 3]}, tmp_path / "m.joblib")
    meta = json.loads(sidecar_path(path).read_text())
    import sklearn

    assert meta["sklearn"] == sklearn.__version__
    assert load_signed(path) == {"a": [1, 2, 3]}


@pytest.fixture
def no_unpickle(monkeypatch):
    """Refusals must happen before joblib.load is ever called."""
    import joblib

    def boom(*a, **k):
        raise AssertionError("joblib.load was called on an unverified file")

    monkeypatch.setattr(joblib, "load", boom)


def test_tampered_file_is_refused(tmp_path, no_unpickle):
    path = save_signed({"a": 1}, tmp_path / "m.joblib")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="changed after this installation wrote it"):
        load_signed(path)


def test_file_from_another_installation_is_refused(tmp_path, monkeypatch, no_unpickle):
    other = tmp_path / "other_home"
    other.mkdir()
    monkeypatch.setenv("LEARNALYTICS_HOME", str(other))
    path = save_signed({"a": 1}, tmp_path / "m.joblib")
    monkeypatch.setenv("LEARNALYTICS_HOME", str(tmp_path / "mine"))
    (tmp_path / "mine").mkdir()
    with pytest.raises(ModelFileError, match="another installation"):
        load_signed(path)


def test_unsigned_file_is_refused(tmp_path, no_unpickle):
    import io

    import joblib

    buf = io.BytesIO()
    joblib.dump({"evil": 1}, buf)
    path = tmp_path / "m.joblib"
    path.write_bytes(buf.getvalue())
    with pytest.raises(ModelFileError, match="no signature"):
        load_signed(path)


def test_other_sklearn_version_is_refused(tmp_path, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(signing, "_sklearn_version", lambda: "0.24.2")
        path = save_signed({"a": 1}, tmp_path / "m.joblib")
    import joblib

    monkeypatch.setattr(joblib, "load", lambda *a, **k: pytest.fail("loaded a file from another version"))
    with pytest.raises(ModelFileError, match=r"scikit-learn 0\.24\.2 and this installation has"):
        load_signed(path)


def test_editing_the_recorded_version_counts_as_tampering(tmp_path, monkeypatch, no_unpickle):
    path = save_signed({"a": 1}, tmp_path / "m.joblib")
    side = sidecar_path(path)
    meta = json.loads(side.read_text())
    meta["sklearn"] = "9.9.9"
    side.write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="changed after"):
        load_signed(path)


def test_missing_model_file_has_clear_message(tmp_path):
    with pytest.raises(ModelFileError, match="missing"):
        load_signed(tmp_path / "nothing.joblib")


def test_damaged_key_is_reported(_isolated_home):
    (_isolated_home / "install.key").write_bytes(b"short")
    with pytest.raises(ModelFileError, match="damaged"):
        signing.install_key()


# --- threads -------------------------------------------------------------------------------


def test_single_thread_limits_openmp_even_when_sklearn_is_not_imported_yet():
    """threadpoolctl only limits libraries already loaded: checked in a fresh interpreter."""
    import subprocess
    import sys

    code = (
        "from learnalytics_desktop.core.model.estimators import single_thread\n"
        "from threadpoolctl import threadpool_info\n"
        "with single_thread():\n"
        "    from sklearn.ensemble import HistGradientBoostingClassifier\n"
        "    from sklearn.utils._openmp_helpers import _openmp_effective_n_threads\n"
        "    info = threadpool_info()\n"
        "    assert any(i['user_api'] == 'openmp' for i in info), info\n"
        "    assert all(i['num_threads'] == 1 for i in info), info\n"
        "    assert _openmp_effective_n_threads() == 1\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
