"""Subject access: everything the database holds on one learner, as one JSON document.

Covers the learner record and every row of every table with an ``actor`` column (statements
as stored typed columns with their verb, activity and course IRIs; enrolments, outcomes,
attributes, scores with their run, interventions, training records), so a data officer can
answer a subject access request from the app.
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from learnalytics_desktop.core.store.db import audit


def _rows(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
    cur = conn.execute(sql, args)
    cols = [d[0] for d in cur.description]
    out = []
    for row in cur:
        item = {}
        for c, v in zip(cols, row, strict=True):
            item[c] = v.hex() if isinstance(v, bytes) else v
        out.append(item)
    return out


def learner_data(conn: sqlite3.Connection, actor_id: int) -> dict[str, Any]:
    """All stored data about one learner (plain JSON-able dict)."""
    actor = _rows(conn, "SELECT * FROM actors WHERE id = ?", (actor_id,))
    if not actor:
        raise LookupError(f"No learner with id {actor_id}.")
    doc: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "learner": actor[0],
    }
    doc["statements"] = _rows(
        conn,
        "SELECT s.id, s.ts, datetime(s.ts / 1000, 'unixepoch') AS time_utc, v.iri AS verb, "
        "a.iri AS activity, a.type_iri AS activity_type, c.iri AS course, s.duration, s.score_raw, "
        "s.score_min, s.score_max, s.score_scaled, s.success, s.completion, s.response, "
        "s.registration, s.late, s.voided "
        "FROM statements s JOIN verbs v ON v.id = s.verb LEFT JOIN activities a ON a.id = s.object "
        "LEFT JOIN courses c ON c.id = s.course WHERE s.actor = ? ORDER BY s.ts",
        (actor_id,),
    )
    from learnalytics_desktop.core.learners import actor_tables

    for table in sorted(t for t in actor_tables(conn) if t not in ("statements", "actors")):
        doc[table] = _rows(conn, f'SELECT * FROM "{table}" WHERE actor = ?', (actor_id,))
    for item in doc.get("interventions", []):
        if isinstance(item.get("features"), str):
            try:
                item["features"] = json.loads(item["features"])
            except ValueError:
                pass
    return doc


def export_learner(conn: sqlite3.Connection, actor_id: int, path: str | os.PathLike[str]) -> Path:
    """Write :func:`learner_data` to ``path`` atomically and log the export (without the identifier)."""
    from learnalytics_desktop.core.export import atomic_write_text

    doc = learner_data(conn, actor_id)
    target = Path(path)
    atomic_write_text(target, json.dumps(doc, indent=2, ensure_ascii=False, default=str))
    audit(
        conn,
        "export",
        what="subject access",
        rows=sum(len(v) for v in doc.values() if isinstance(v, list)),
        path=str(target),
    )
    return target
