"""Finding 10 of issue 15: the model file path stored in the database is never trusted. A row
pointing at ``/dev/zero`` (MemoryError before) or any other file is ignored: models load only
from ``<models folder>/<id>.joblib``, reads are capped, and deleting a model never removes a
file outside the models folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from learnalytics_desktop.core.model import registry
from learnalytics_desktop.core.model.signing import MAX_MODEL_BYTES, ModelFileError, load_signed, model_file


def _forged(db, file: str, model_id: str = "m20260101-000000-abcdef") -> str:
    db.execute(
        "INSERT INTO models (id, created_at, kind, week, courses, card, file) VALUES (?, '2026-01-01T00:00:00Z', 'logreg', 4, '[]', '{}', ?)",
        (model_id, file),
    )
    return model_id


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_row_naming_dev_zero_is_not_read(db, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LEARNALYTICS_HOME", str(tmp_path / "home"))
    mid = _forged(db, "/dev/zero")
    with pytest.raises(ModelFileError, match="missing"):
        registry.load_model(db, mid)


def test_devices_and_huge_files_are_refused_even_in_the_models_folder(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LEARNALYTICS_HOME", str(tmp_path / "home"))
    path = model_file("m20260101-000000-abcdef")
    if os.name == "posix":
        os.symlink("/dev/zero", path)
        with pytest.raises(ModelFileError, match="not a regular file"):
            load_signed(path)
        path.unlink()
    with open(path, "wb") as fh:
        fh.truncate(MAX_MODEL_BYTES + 1)  # sparse: no disk space used
    with pytest.raises(ModelFileError, match="larger than"):
        load_signed(path)


def test_deleting_a_forged_model_removes_nothing_outside(db, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LEARNALYTICS_HOME", str(tmp_path / "home"))
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    mid = _forged(db, str(victim))
    registry.delete_model(db, mid)
    assert victim.read_text() == "keep me"


def test_a_model_id_that_is_a_path_is_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LEARNALYTICS_HOME", str(tmp_path / "home"))
    for bad in ("../../etc/passwd", "a/b", "", ".hidden"):
        with pytest.raises(ModelFileError, match="not a model id"):
            model_file(bad)
