"""Signed model files: only load what this installation wrote, unchanged, for this scikit-learn.

``joblib.load`` unpickles, and unpickling runs code, so a model file is treated like a
program. Each file ``<name>.joblib`` has a sidecar ``<name>.joblib.sig.json``::

    {"format": 1, "key_id": "...", "sklearn": "1.9.1", "hmac": "<hex>", "created_at": "..."}

* ``hmac`` is HMAC-SHA256, keyed with the per-installation key, over
  ``b"learnalytics-model\\0" + sklearn_version + b"\\0" + file bytes``; the version is inside
  the MAC so nobody can edit the sidecar to pass the version check.
* ``key_id`` is a fingerprint of the key (HMAC of a fixed label, first 16 hex digits), so a
  file signed by another installation gets its own message instead of "tampered".
* The key is 32 random bytes in ``paths.data_dir() / "install.key"``, created once with
  mode 0600 (created under a temporary name, then hard-linked into place, so two processes
  starting together cannot end up with two keys).

Loading reads the bytes once, checks sidecar, key, MAC and version, and only then unpickles
those same bytes (no window between check and load). Every refusal is a
:class:`ModelFileError` with a message an advisor or data officer can act on.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import io
import json
import os
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

KEY_FILE = "install.key"
KEY_BYTES = 32
SIDECAR_SUFFIX = ".sig.json"
FORMAT = 1
_DOMAIN = b"learnalytics-model\0"


class ModelFileError(Exception):
    """A model file cannot be saved or will not be loaded; the message says why."""


def _key_path() -> Path:
    from learnalytics_desktop.core import paths

    return paths.data_dir() / KEY_FILE


def install_key() -> bytes:
    """The installation's signing key, created on first use (mode 0600)."""
    path = _key_path()
    if not path.exists():
        tmp = path.with_name(f"{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(KEY_BYTES))
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, path)  # atomic; fails if another process won the race
            except FileExistsError:
                pass
            except OSError:  # a filesystem without hard links
                if not path.exists():
                    os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    try:
        key = path.read_bytes()
    except OSError as exc:
        raise ModelFileError(f"cannot read the installation key {path}: {exc}") from exc
    if len(key) != KEY_BYTES:
        raise ModelFileError(
            f"the installation key {path} is damaged ({len(key)} bytes, expected {KEY_BYTES}); "
            "models saved with the old key can no longer be verified and must be retrained"
        )
    return key


def key_id(key: bytes) -> str:
    """A short public fingerprint of ``key`` (does not reveal it)."""
    return hmac.new(key, b"learnalytics-key-id", hashlib.sha256).hexdigest()[:16]


def _mac(key: bytes, sklearn_version: str, data: bytes) -> str:
    mac = hmac.new(key, _DOMAIN + sklearn_version.encode("utf-8") + b"\0", hashlib.sha256)
    mac.update(data)
    return mac.hexdigest()


MAX_MODEL_BYTES = 512 * 1024 * 1024  # far above any model this app trains (a few MB)
MAX_SIDECAR_BYTES = 64 * 1024
_MODEL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")


def model_file(model_id: str) -> Path:
    """The only file a model may be loaded from or deleted as: ``<models folder>/<id>.joblib``.

    Decision (issue 15, finding 10): the path stored in the database is never trusted (a
    forged row could name ``/dev/zero`` or any file); a model id that could not be a file
    name raises :class:`ModelFileError`."""
    from learnalytics_desktop.core import paths

    if not isinstance(model_id, str) or _MODEL_ID.fullmatch(model_id) is None:
        raise ModelFileError(f"refusing to use the model id {str(model_id)[:60]!r}: it is not a model id")
    return paths.models_dir() / f"{model_id}.joblib"


def _read_capped(path: Path, limit: int) -> bytes:
    """A regular file's bytes, refusing devices, pipes and files larger than ``limit``."""
    import stat as stat_mod

    with open(path, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat_mod.S_ISREG(st.st_mode):
            raise ModelFileError(f"refusing to load {path}: it is not a regular file")
        if st.st_size > limit:
            raise ModelFileError(f"refusing to load {path}: it is larger than {limit:,} bytes")
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ModelFileError(f"refusing to load {path}: it is larger than {limit:,} bytes")
    return data


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _sklearn_version() -> str:
    import sklearn

    return str(sklearn.__version__)


def save_signed(obj: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``obj`` with joblib to ``path`` and its signed sidecar; both atomically."""
    import joblib

    target = Path(path)
    buf = io.BytesIO()
    joblib.dump(obj, buf)
    data = buf.getvalue()
    key = install_key()
    version = _sklearn_version()
    sidecar = {
        "format": FORMAT,
        "key_id": key_id(key),
        "sklearn": version,
        "hmac": _mac(key, version, data),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "bytes": len(data),
    }
    for dest, payload in ((target, data), (sidecar_path(target), json.dumps(sidecar, indent=1).encode())):
        tmp = dest.with_name(dest.name + ".part")
        try:
            with open(tmp, "wb") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, dest)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise ModelFileError(f"cannot write the model file {dest}: {exc}") from exc
    return target


def load_signed(path: str | os.PathLike[str]) -> Any:
    """Verify ``path`` against its sidecar, then unpickle it; refuse anything unverified."""
    target = Path(path)
    side = sidecar_path(target)
    try:
        data = _read_capped(target, MAX_MODEL_BYTES)
    except FileNotFoundError as exc:
        raise ModelFileError(
            f"the model file {target} is missing (was the database moved from another computer? "
            "models stay with the installation that trained them: retrain here)"
        ) from exc
    except OSError as exc:
        raise ModelFileError(f"cannot read the model file {target}: {exc}") from exc
    try:
        meta = json.loads(_read_capped(side, MAX_SIDECAR_BYTES).decode("utf-8"))
    except FileNotFoundError as exc:
        raise ModelFileError(
            f"refusing to load {target.name}: it has no signature ({side.name}), so it was not "
            "written by this installation"
        ) from exc
    except (OSError, ValueError, ModelFileError) as exc:
        raise ModelFileError(
            f"refusing to load {target.name}: its signature file {side.name} is unreadable ({exc})"
        ) from exc
    if (
        not isinstance(meta, dict)
        or meta.get("format") != FORMAT
        or not all(isinstance(meta.get(k), str) for k in ("key_id", "sklearn", "hmac"))
    ):
        raise ModelFileError(
            f"refusing to load {target.name}: its signature file {side.name} is not in a known format"
        )
    key = install_key()
    if not hmac.compare_digest(meta["key_id"], key_id(key)):
        raise ModelFileError(
            f"refusing to load {target.name}: it was written by another installation of "
            "Learnalytics (its signature key is not this computer's); retrain the model here"
        )
    if not hmac.compare_digest(meta["hmac"], _mac(key, meta["sklearn"], data)):
        raise ModelFileError(
            f"refusing to load {target.name}: the file was changed after this installation "
            "wrote it (tampered with or damaged); retrain the model"
        )
    current = _sklearn_version()
    if meta["sklearn"] != current:
        raise ModelFileError(
            f"refusing to load {target.name}: it was saved with scikit-learn {meta['sklearn']} "
            f"and this installation has {current}; models do not carry across versions, retrain it"
        )
    import joblib

    return joblib.load(io.BytesIO(data))


__all__ = [
    "MAX_MODEL_BYTES",
    "ModelFileError",
    "install_key",
    "key_id",
    "load_signed",
    "model_file",
    "save_signed",
    "sidecar_path",
]
