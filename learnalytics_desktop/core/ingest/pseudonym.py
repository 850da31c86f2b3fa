"""Pseudonymisation at import: a keyed hash of each learner's canonical identifier.

With ``--pseudonymize --key-file F`` every actor's canonical identifier (see
``core.ingest.fields``; e.g. ``mbox:mailto:ann@example.org``) is replaced by
``pseudo:<HMAC-SHA256(key, ifi) in hex>`` and its label by the first 12 hex digits; names,
e-mail addresses and their hashes are not stored, nor are the texts of rejected records.

The key is 32 random bytes kept as 64 hex digits in a file that the data officer controls,
outside the database (``learnalytics keygen --key-file F`` creates it with mode 0600).
Without the key nobody can tell who a pseudonym is (not even by hashing a list of known
e-mail addresses, which defeats a plain unkeyed hash); with it, a gradebook or roster can be
matched to the same pseudonyms through :func:`pseudonymize_ifi`.  Losing the key means new
imports of the same learners get new pseudonyms that no longer match the old ones.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

__all__ = ["KEY_BYTES", "KeyFileError", "create_key", "load_key", "pseudonymize_ifi"]

KEY_BYTES = 32


class KeyFileError(ValueError):
    """The key file is missing, unreadable or not a valid key; the message says which."""


def pseudonymize_ifi(key: bytes, ifi: str) -> str:
    """``pseudo:`` + the hex HMAC-SHA256 of a canonical identifier under ``key``."""
    return "pseudo:" + hmac.new(key, ifi.encode("utf-8"), hashlib.sha256).hexdigest()


def load_key(path: str | os.PathLike[str]) -> bytes:
    """Read a key file written by :func:`create_key` (64 hex digits, white space ignored)."""
    p = Path(path)
    if not p.exists():
        raise KeyFileError(
            f"the key file {p} does not exist; create one with "
            f"'learnalytics keygen --key-file {p}' (and keep it safe)"
        )
    try:
        text = p.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"the key file {p} cannot be read as a key: {exc}") from exc
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise KeyFileError(
            f"the key file {p} does not hold a hex key (expected {KEY_BYTES * 2} "
            "hex digits, as written by 'learnalytics keygen')"
        ) from None
    if len(key) < KEY_BYTES:
        raise KeyFileError(
            f"the key in {p} is {len(key)} bytes; at least {KEY_BYTES} are needed "
            "(create a new one with 'learnalytics keygen')"
        )
    return key


def create_key(path: str | os.PathLike[str]) -> Path:
    """Write a new random key to ``path`` (mode 0600); refuses to overwrite an existing file."""
    p = Path(path)
    if p.is_symlink() and not p.exists():
        raise KeyFileError(
            f"{p} is a symbolic link to a file that does not exist; a key is never written "
            "through a link. Choose a plain file name."
        )
    if p.exists():
        raise KeyFileError(
            f"{p} already exists; a key is never overwritten (losing it breaks "
            "the link to earlier pseudonyms). Choose another file name."
        )
    if not p.parent.exists():
        raise KeyFileError(f"the folder {p.parent} does not exist")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(p, flags, 0o600)
    except FileExistsError:
        raise KeyFileError(
            f"{p} already exists; a key is never overwritten. Choose another file name."
        ) from None
    except OSError as exc:
        raise KeyFileError(f"cannot create {p}: {exc.strerror or exc}") from exc
    try:
        os.write(fd, (secrets.token_hex(KEY_BYTES) + "\n").encode("ascii"))
    finally:
        os.close(fd)
    try:
        os.chmod(p, 0o600)
    except OSError:  # pragma: no cover - filesystems without modes
        pass
    return p
