"""The models of a database and the offerings they can learn from: what the Model page lists.

An offering can train a model when it has final outcomes (``core.outcomes.outcome_counts``);
models come from the registry (``core.model.registry.list_models``, newest first).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Offering:
    """A course offering and whether a model can learn from it (it has final outcomes)."""

    id: int
    name: str
    iri: str
    weeks: int | None
    students: int
    outcomes: int  # students with a final outcome row

    @property
    def label(self) -> str:
        return self.name or self.iri


@dataclass(frozen=True)
class ModelsState:
    """The models of the database (newest first, ``core.model.list_models``) and offerings."""

    models: list[dict[str, Any]] = field(default_factory=list)
    offerings: list[Offering] = field(default_factory=list)

    @property
    def active_id(self) -> str | None:
        return next((m["id"] for m in self.models if m["active"]), None)


def models_state(conn: sqlite3.Connection) -> ModelsState:
    """Models and the offerings with their outcome counts."""
    from learnalytics_desktop.core.courses import list_courses
    from learnalytics_desktop.core.model import list_models
    from learnalytics_desktop.core.outcomes import outcome_counts

    outcomes = outcome_counts(conn)
    offerings = [
        Offering(
            int(c.id),
            c.name or "",
            c.iri,
            getattr(c, "weeks", None),
            int(getattr(c, "students", 0) or 0),
            int(outcomes.get(c.id, 0)),
        )
        for c in list_courses(conn)
    ]
    return ModelsState(list_models(conn), offerings)


__all__ = ["ModelsState", "Offering", "models_state"]
