"""Typed per-database settings, declared once: key, default, validator, version.

Each setting the app keeps in the ``settings`` table (JSON values) is one :class:`Setting`
registered here by the module that owns the concept (``core.privacy.suppress`` the
small-cell threshold, ``core.model.levels`` the risk thresholds and advisor capacity,
``core.features.engagement`` the weights, ``core.outcomes`` the at-risk label,
``core.ingest.category_usage`` the course fallback). Reading and writing then behave the same
for all of them:

* **read**: nothing saved gives (a copy of) the default; a saved value goes through the
  validator, so what callers get is always clean. A saved value the validator refuses (an
  older app, a hand edit) raises the validator's own error class, saying which setting is
  invalid, unless the setting is declared ``lenient`` (then the default is used: the
  small-cell threshold, where a broken value must never show small counts).
* **write**: validate (the same messages the Settings page and the command line show), store
  and add one audit row (``action="settings"``, the key and the value), in one transaction;
  :meth:`Setting.stage` stores inside the caller's transaction when several settings are
  saved together.
* **version**: a setting whose stored shape changes gets a higher ``version`` and a
  ``migrate(value, from_version)``; the version each key was written with is kept under
  :data:`VERSIONS_KEY` (only for settings past version 1, so existing databases are
  unchanged), and a value of an older version is migrated before it is validated.
"""

from __future__ import annotations

import copy
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

VERSIONS_KEY = "setting_versions"

REGISTRY: dict[str, Setting] = {}


@dataclass(frozen=True)
class Setting:
    """One typed setting (see the module docstring)."""

    key: str
    default: Any
    validate: Callable[[Any], Any]
    """Returns the clean value or raises a ``ValueError`` (subclass) saying what is wrong."""
    version: int = 1
    migrate: Callable[[Any, int], Any] | None = None
    lenient: bool = False
    """An invalid saved value reads as the default instead of raising."""
    doc: str = ""

    def read(self, conn: sqlite3.Connection | None) -> Any:
        """The saved value (validated, migrated if older), else the default."""
        from learnalytics_desktop.core.store.db import get_setting

        if conn is None:
            return copy.deepcopy(self.default)
        stored = get_setting(conn, self.key, None)
        if stored is None:
            return copy.deepcopy(self.default)
        if self.version > 1 and self.migrate is not None:
            written = int((get_setting(conn, VERSIONS_KEY, None) or {}).get(self.key, 1))
            if written < self.version:
                stored = self.migrate(stored, written)
        try:
            return self.validate(stored)
        except (ValueError, TypeError) as exc:
            if self.lenient:
                return copy.deepcopy(self.default)
            cls = type(exc) if isinstance(exc, ValueError) else ValueError
            raise cls(f"the saved setting '{self.key}' is invalid: {exc}") from None

    def stage(self, conn: sqlite3.Connection, value: Any) -> Any:
        """Validate and store ``value`` inside the caller's transaction (no audit row);
        returns the clean value."""
        from learnalytics_desktop.core.store.db import get_setting, set_setting

        clean = self.validate(value)
        set_setting(conn, self.key, clean)
        if self.version > 1:
            versions = dict(get_setting(conn, VERSIONS_KEY, None) or {})
            versions[self.key] = self.version
            set_setting(conn, VERSIONS_KEY, versions)
        return clean

    def write(self, conn: sqlite3.Connection, value: Any) -> Any:
        """Validate, store and audit ``value`` in one transaction; returns the clean value."""
        from learnalytics_desktop.core.store.db import audit, transaction

        clean = self.validate(value)
        with transaction(conn):
            self.stage(conn, clean)
            audit(conn, "settings", key=self.key, value=clean)
        return clean


def save_settings(conn: sqlite3.Connection, values: list[tuple[Setting, Any]]) -> list[Any]:
    """Save several settings together: every value is validated first (nothing is saved if
    one is refused: a ``ValueError`` listing every problem), then all are stored with one
    audit row each, in one transaction. Returns the clean values in order."""
    from learnalytics_desktop.core.store.db import audit, transaction

    problems = []
    for setting, value in values:
        try:
            setting.validate(value)
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise ValueError(" ".join(problems))
    out = []
    with transaction(conn):
        for setting, value in values:
            clean = setting.stage(conn, value)
            audit(conn, "settings", key=setting.key, value=clean)
            out.append(clean)
    return out


def register(setting: Setting) -> Setting:
    """Add ``setting`` to :data:`REGISTRY` (one declaration per key) and return it."""
    known = REGISTRY.get(setting.key)
    if known is not None and getattr(known.validate, "__qualname__", None) != getattr(
        setting.validate, "__qualname__", None
    ):
        raise ValueError(f"the setting {setting.key!r} is declared twice")
    REGISTRY[setting.key] = setting
    return setting


__all__ = ["REGISTRY", "VERSIONS_KEY", "Setting", "register", "save_settings"]
