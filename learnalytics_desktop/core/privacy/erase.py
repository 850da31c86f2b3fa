"""Right to erasure: delete one learner everywhere, leaving no trace in the database files.

Every table with an ``actor`` column loses the learner's rows (statements, enrolments,
outcomes, attributes, scores, interventions, training records, and any table added later
that follows the same convention). Rows keyed by the learner's statement ids (voids,
conflicts) go too, and quarantined records whose text mentions one of the learner's
identifiers. Then the learner's ``actors`` row is removed.

SQLite keeps deleted bytes in free pages and in the write-ahead log, so deleting rows is not
enough: the connection runs with ``secure_delete`` (freed content is overwritten), the WAL is
checkpointed and truncated, the file is rebuilt with ``VACUUM``, and the WAL truncated again.
The erasure is written to the audit log with row counts only, never the identifier.

What it cannot reach (issue 15, finding 8): copies *outside* the database file. Backups,
exported files (CSV, ``.eml`` drafts, subject-access files, reports) and the source files that
were imported still hold the learner. :func:`outside_copies` lists them from the database's
own records: the imported files that held the learner's statements, and every export and
backup the audit log recorded since the learner's data first arrived. Decision: the export log
never names a learner, so an export is listed when it happened after the first import holding
them (all exports when they came only from a class list or gradebook); the list can name an
export that did not include them, never miss one the log recorded.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

# Finding the learner is core.learners' (exact, key-aware); re-exported for callers of old.
from learnalytics_desktop.core.learners import LearnerNotFound, actor_tables, candidate_ifis, find_learner
from learnalytics_desktop.core.store.db import audit, transaction

NOT_REACHED = (
    "Erasure reaches this database file only. Copies outside it still hold the learner: "
    "backups, exported files (CSV, .eml drafts, subject-access files, reports) and the files "
    "that were imported. Delete or correct them separately."
)


@dataclass
class OutsideCopies:
    """Files outside the database that may still hold a learner (see the module docstring)."""

    sources: list[str] = field(default_factory=list)  # imported files with their statements
    exports: list[dict[str, Any]] = field(default_factory=list)  # {at, what, path}: exports and backups

    def lines(self) -> list[str]:
        """One line per file, for a terminal or a dialog."""
        out = [f"imported file: {p}" for p in self.sources]
        out += [f"{e['what']} ({e['at'][:10]}): {e['path']}" for e in self.exports]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"sources": list(self.sources), "exports": [dict(e) for e in self.exports]}


def outside_copies(conn: sqlite3.Connection, actor_id: int) -> OutsideCopies:
    """The files outside the database that may hold the learner (read before erasing)."""
    import json

    sources = [
        r[0]
        for r in conn.execute(
            "SELECT source FROM imports WHERE id IN (SELECT DISTINCT import_id FROM statements WHERE actor = ?) "
            "ORDER BY id",
            (actor_id,),
        )
    ]
    since = conn.execute(
        "SELECT min(started_at) FROM imports WHERE id IN (SELECT DISTINCT import_id FROM statements WHERE actor = ?)",
        (actor_id,),
    ).fetchone()[0]
    exports = []
    for at, action, detail in conn.execute(
        "SELECT at, action, detail FROM audit_log WHERE action IN ('export', 'backup') AND at >= ? ORDER BY id",
        (since or "",),
    ):
        try:
            d = json.loads(detail)
        except ValueError:
            continue
        path = d.get("path") or d.get("dest") or d.get("target")
        if path:
            exports.append({"at": at, "what": d.get("what") or action, "path": str(path)})
    return OutsideCopies(list(dict.fromkeys(sources)), exports)


@dataclass
class ErasureResult:
    rows_deleted: dict[str, int] = field(default_factory=dict)
    not_reached: OutsideCopies = field(default_factory=OutsideCopies)

    @property
    def total(self) -> int:
        return sum(self.rows_deleted.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows_deleted": dict(self.rows_deleted),
            "total": self.total,
            "not_reached": {"note": NOT_REACHED, **self.not_reached.to_dict()},
        }


def _identifiers(conn: sqlite3.Connection, actor_id: int) -> list[str]:
    row = conn.execute(
        "SELECT ifi, label, name, email, email_sha1 FROM actors WHERE id = ?", (actor_id,)
    ).fetchone()
    if row is None:
        raise LearnerNotFound(f"No learner with id {actor_id}.")
    idents = set()
    ifi = row[0]
    idents.add(ifi)
    # the raw value inside the canonical identifier, e.g. the account name or the address
    if ":" in ifi:
        value = ifi.split(":", 1)[1]
        idents.add(value)
        if "|" in value:
            idents.add(value.rsplit("|", 1)[1])
        if value.startswith("mailto:"):
            idents.add(value[len("mailto:") :])
    for v in row[1:]:
        if v:
            idents.add(v)
    return sorted(i for i in idents if len(i) >= 3)


def erase_learner(conn: sqlite3.Connection, actor_id: int) -> ErasureResult:
    """Delete the learner everywhere, then scrub free pages and the WAL. Not undoable."""
    idents = _identifiers(conn, actor_id)
    result = ErasureResult(not_reached=outside_copies(conn, actor_id))
    conn.execute("PRAGMA secure_delete = ON")
    with transaction(conn):
        stmt_ids = [r[0] for r in conn.execute("SELECT id FROM statements WHERE actor = ?", (actor_id,))]
        if stmt_ids:
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS _erase_ids(id TEXT PRIMARY KEY)")
            conn.execute("DELETE FROM _erase_ids")
            conn.executemany("INSERT OR IGNORE INTO _erase_ids VALUES (?)", [(i,) for i in stmt_ids])
            for table, column in (
                ("voids", "target_id"),
                ("voids", "voiding_id"),
                ("conflicts", "statement_id"),
                ("rejects", "statement_id"),
            ):
                cur = conn.execute(f"DELETE FROM {table} WHERE {column} IN (SELECT id FROM _erase_ids)")
                if cur.rowcount:
                    result.rows_deleted[table] = result.rows_deleted.get(table, 0) + cur.rowcount
            conn.execute("DROP TABLE _erase_ids")
        for ident in idents:
            cur = conn.execute("DELETE FROM rejects WHERE instr(excerpt, ?) > 0", (ident,))
            if cur.rowcount:
                result.rows_deleted["rejects"] = result.rows_deleted.get("rejects", 0) + cur.rowcount
        # free text elsewhere (e.g. a dismissal reason in the audit log) that names the learner
        for ident in idents:
            cur = conn.execute(
                'UPDATE audit_log SET detail = \'{"redacted": "learner erased"}\' '
                "WHERE instr(lower(detail), lower(?)) > 0",
                (ident,),
            )
            if cur.rowcount:
                result.rows_deleted["audit_log (redacted)"] = (
                    result.rows_deleted.get("audit_log (redacted)", 0) + cur.rowcount
                )
        _flag_models_trained_on(conn, actor_id)
        for table in actor_tables(conn):
            cur = conn.execute(f'DELETE FROM "{table}" WHERE actor = ?', (actor_id,))
            if cur.rowcount:
                result.rows_deleted[table] = cur.rowcount
        conn.execute("DELETE FROM actors WHERE id = ?", (actor_id,))
        result.rows_deleted["actors"] = 1
        audit(conn, "erase", rows_deleted=result.rows_deleted)
    scrub(conn)
    return result


def _flag_models_trained_on(conn: sqlite3.Connection, actor_id: int) -> None:
    """A fitted model cannot forget a learner: count the erasure on the card of every model
    trained on them (``erased_since_training``), so the Model page advises training anew."""
    import json

    rows = conn.execute(
        "SELECT id, card FROM models WHERE id IN (SELECT model_id FROM training_rows WHERE actor = ?)",
        (actor_id,),
    ).fetchall()
    for model_id, text in rows:
        try:
            card = json.loads(text)
        except ValueError:
            continue
        card["erased_since_training"] = int(card.get("erased_since_training", 0)) + 1
        conn.execute("UPDATE models SET card = ? WHERE id = ?", (json.dumps(card), model_id))


def scrub(conn: sqlite3.Connection) -> None:
    """Leave no deleted bytes behind: checkpoint and truncate the WAL, VACUUM, truncate again."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


__all__ = ["ErasureResult", "LearnerNotFound", "candidate_ifis", "erase_learner", "find_learner"]
