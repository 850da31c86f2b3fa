"""Database jobs of the Model page (plain functions, no Qt; wrapped with ``db_job``)."""

from __future__ import annotations

import sqlite3
from typing import Any

from learnalytics_desktop.core.jobs import NullReporter, Reporter
from learnalytics_desktop.core.model.catalog import ModelsState, Offering, models_state

# The page's state is core.model.catalog's (re-exported under the names the page uses).
load_state = models_state


def load_card(conn: sqlite3.Connection, model_id: str) -> dict[str, Any]:
    """The stored card of ``model_id``."""
    from learnalytics_desktop.core.model import get_card

    return get_card(conn, model_id)


def train(
    conn: sqlite3.Connection,
    course_ids: list[int],
    week: int | None,
    kind: str = "auto",
    use_attributes: bool = False,
    exclude_features: list[str] | None = None,
    *,
    report: Reporter = NullReporter(),
) -> tuple[str, dict[str, Any]]:
    """Train and register a model (``core.model.train_model``); returns its id and card.
    ``week`` 0 or None: one model for every week."""
    from learnalytics_desktop.core.model import train_model

    result = train_model(
        conn,
        list(course_ids),
        int(week) if week else None,
        kind=kind,
        use_attributes=use_attributes,
        exclude_features=list(exclude_features or ()),
        report=report,
    )
    return result.model_id, result.card


def recalibrate(
    conn: sqlite3.Connection, model_id: str, *, report: Reporter = NullReporter()
) -> tuple[str, dict[str, Any]]:
    """Recalibrate ``model_id`` on the latest finished offering it has not seen
    (``core.model.recalibrate_model``); returns the new model's id and card."""
    from learnalytics_desktop.core.model import recalibrate_model

    result = recalibrate_model(conn, model_id, report=report)
    return result.model_id, result.card


def make_active(conn: sqlite3.Connection, model_id: str | None) -> ModelsState:
    """Pin ``model_id`` for scoring (``None``: the latest trained is used); returns the new state."""
    from learnalytics_desktop.core.model import set_active_model

    set_active_model(conn, model_id)
    return load_state(conn)


__all__ = ["ModelsState", "Offering", "load_card", "load_state", "make_active", "recalibrate", "train"]
