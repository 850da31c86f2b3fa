"""Saved models: the ``models`` table, the active model, and loading a verified file.

The **active model** is the one scoring uses when no model is named: the model marked
``models.active = 1`` if the user pinned one (:func:`set_active_model`), otherwise the
latest trained. Training does not pin, so "latest trained" is the default until someone
chooses; ``set_active_model(conn, None)`` goes back to that default.
"""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from learnalytics_desktop.core.model.bundle import TrainedModel


class ModelNotFound(LookupError):
    """No such model (or no model at all) in this database."""


def list_models(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """All models, newest first: id, created_at, kind, week, ``any_week`` (a model for every
    week), ``weeks`` (trained on), courses, active, file, and the
    headline validation metrics of the chosen model (``roc_auc``, ``brier``)."""
    active = active_model_id(conn, required=False)
    out = []
    for mid, created, kind, week, courses, card, file, pinned in conn.execute(
        "SELECT id, created_at, kind, week, courses, card, file, active FROM models "
        "ORDER BY created_at DESC, rowid DESC"
    ):
        c = json.loads(card)
        chosen = (c.get("validation") or {}).get(kind) or {}
        out.append(
            {
                "id": mid,
                "created_at": created,
                "kind": kind,
                "week": int(week),
                "courses": json.loads(courses),
                "file": file,
                "active": mid == active,
                "pinned": bool(pinned),
                "roc_auc": chosen.get("roc_auc"),
                "brier": chosen.get("brier"),
                "students": (c.get("counts") or {}).get("trained_on"),
                "any_week": bool(c.get("any_week", False)),
                "weeks": list(c.get("weeks") or [int(week)]),
            }
        )
    return out


def active_model_id(conn: sqlite3.Connection, *, required: bool = True) -> str | None:
    """The pinned model, else the latest trained; ``None`` (or ModelNotFound) when none."""
    row = conn.execute("SELECT id FROM models WHERE active = 1 ORDER BY created_at DESC LIMIT 1").fetchone()
    if row is None:
        row = conn.execute("SELECT id FROM models ORDER BY created_at DESC, rowid DESC LIMIT 1").fetchone()
    if row is None:
        if required:
            raise ModelNotFound("no at-risk model has been trained in this database yet; train one first")
        return None
    return str(row[0])


def set_active_model(conn: sqlite3.Connection, model_id: str | None) -> None:
    """Pin ``model_id`` as the model scoring uses; ``None`` unpins (latest trained is used)."""
    from learnalytics_desktop.core.store.db import audit, transaction

    with transaction(conn):
        if (
            model_id is not None
            and conn.execute("SELECT 1 FROM models WHERE id = ?", (model_id,)).fetchone() is None
        ):
            raise ModelNotFound(f"there is no model {model_id!r} in this database")
        conn.execute("UPDATE models SET active = 0 WHERE active = 1")
        if model_id is not None:
            conn.execute("UPDATE models SET active = 1 WHERE id = ?", (model_id,))
        audit(conn, "model_active", model_id=model_id)


def delete_model(conn: sqlite3.Connection, model_id: str) -> None:
    """Remove a model: its row (training rows go with it), its file and signature.

    Stored score runs keep their numbers and the model id they were made with.
    """
    import contextlib

    from learnalytics_desktop.core.model.signing import ModelFileError, model_file, sidecar_path
    from learnalytics_desktop.core.store.db import audit, transaction

    row = conn.execute("SELECT file FROM models WHERE id = ?", (model_id,)).fetchone()
    if row is None:
        raise ModelNotFound(f"there is no model {model_id!r} in this database")
    with transaction(conn):
        conn.execute("DELETE FROM training_rows WHERE model_id = ?", (model_id,))
        conn.execute("DELETE FROM models WHERE id = ?", (model_id,))
        audit(conn, "model_delete", model_id=model_id)
    try:
        file = model_file(model_id)  # only ever a file in the models folder, whatever the row says
    except ModelFileError:
        return
    for path in (file, sidecar_path(file)):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def get_card(conn: sqlite3.Connection, model_id: str) -> dict[str, Any]:
    """The stored model card (JSON) of ``model_id``."""
    row = conn.execute("SELECT card FROM models WHERE id = ?", (model_id,)).fetchone()
    if row is None:
        raise ModelNotFound(f"there is no model {model_id!r} in this database")
    return dict(json.loads(row[0]))


def load_model(conn: sqlite3.Connection, model_id: str | None = None) -> TrainedModel:
    """Load a model (the active one when ``model_id`` is None) after verifying its file.

    Raises :class:`ModelNotFound` or :class:`core.model.signing.ModelFileError` (file
    missing, unsigned, signed by another installation, changed, or another scikit-learn).
    """
    from learnalytics_desktop.core.model.bundle import TrainedModel
    from learnalytics_desktop.core.model.signing import ModelFileError, load_signed, model_file

    mid = model_id if model_id is not None else active_model_id(conn)
    row = conn.execute("SELECT kind, week, card, file FROM models WHERE id = ?", (mid,)).fetchone()
    if row is None:
        raise ModelNotFound(f"there is no model {mid!r} in this database")
    assert mid is not None  # a row was found for it
    kind, week, card, _stored_path = row
    file = model_file(mid)  # never the path the database names (see signing.model_file)
    payload = load_signed(file)
    try:
        model = TrainedModel.from_payload(payload, model_id=mid, card=json.loads(card))
    except (KeyError, ValueError) as exc:
        raise ModelFileError(f"model {mid}: {exc}") from exc
    if isinstance(payload, dict) and payload.get("model_id") != mid:
        raise ModelFileError(
            f"model {mid}: its file {file} holds model {payload.get('model_id')!r} instead; "
            "the database entry points at the wrong file"
        )
    if model.kind != kind or model.week != int(week):
        raise ModelFileError(
            f"model {mid}: the file holds a {model.kind} model for week {model.week} but the database "
            f"says {kind} for week {week}; the file does not belong to this entry"
        )
    return model


__all__ = [
    "ModelNotFound",
    "active_model_id",
    "delete_model",
    "get_card",
    "list_models",
    "load_model",
    "set_active_model",
]
