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
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from learnalytics_desktop.core.store.db import audit, transaction


@dataclass
class ErasureResult:
    rows_deleted: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows_deleted.values())

    def to_dict(self) -> dict:
        return {"rows_deleted": dict(self.rows_deleted), "total": self.total}


class LearnerNotFound(LookupError):
    pass


def find_learner(conn: sqlite3.Connection, text: str) -> int:
    """Resolve a label, e-mail, account name or canonical identifier to one actor id."""
    t = text.strip()
    rows = conn.execute(
        "SELECT id FROM actors WHERE label = ? OR ifi = ? OR email = lower(?) "
        "OR ifi LIKE '%|' || ? OR ifi = 'mbox:mailto:' || lower(?)",
        (t, t, t, t, t),
    ).fetchall()
    ids = sorted({r[0] for r in rows})
    if not ids:
        raise LearnerNotFound(f"No learner matches {text!r}.")
    if len(ids) > 1:
        raise LearnerNotFound(f"{len(ids)} learners match {text!r}; give the full identifier.")
    return ids[0]


def _actor_tables(conn: sqlite3.Connection) -> list[str]:
    tables = [
        r[0]
        for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    ]
    out = []
    for t in tables:
        cols = {r[1] for r in conn.execute(f'PRAGMA table_info("{t}")')}
        if "actor" in cols:
            out.append(t)
    # statements last among actor tables: other tables may reference its ids first
    out.sort(key=lambda name: name == "statements")
    return out


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
            idents.add(value[len("mailto:"):])
    for v in row[1:]:
        if v:
            idents.add(v)
    return sorted(i for i in idents if len(i) >= 3)


def erase_learner(conn: sqlite3.Connection, actor_id: int) -> ErasureResult:
    """Delete the learner everywhere, then scrub free pages and the WAL. Not undoable."""
    idents = _identifiers(conn, actor_id)
    result = ErasureResult()
    conn.execute("PRAGMA secure_delete = ON")
    with transaction(conn):
        stmt_ids = [r[0] for r in conn.execute("SELECT id FROM statements WHERE actor = ?", (actor_id,))]
        if stmt_ids:
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS _erase_ids(id TEXT PRIMARY KEY)")
            conn.execute("DELETE FROM _erase_ids")
            conn.executemany("INSERT OR IGNORE INTO _erase_ids VALUES (?)", [(i,) for i in stmt_ids])
            for table, column in (("voids", "target_id"), ("voids", "voiding_id"), ("conflicts", "statement_id"),
                                  ("rejects", "statement_id")):
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
                "UPDATE audit_log SET detail = '{\"redacted\": \"learner erased\"}' "
                "WHERE instr(lower(detail), lower(?)) > 0",
                (ident,),
            )
            if cur.rowcount:
                result.rows_deleted["audit_log (redacted)"] = result.rows_deleted.get("audit_log (redacted)", 0) + cur.rowcount
        for table in _actor_tables(conn):
            cur = conn.execute(f'DELETE FROM "{table}" WHERE actor = ?', (actor_id,))
            if cur.rowcount:
                result.rows_deleted[table] = cur.rowcount
        conn.execute("DELETE FROM actors WHERE id = ?", (actor_id,))
        result.rows_deleted["actors"] = 1
        audit(conn, "erase", rows_deleted=result.rows_deleted)
    scrub(conn)
    return result


def scrub(conn: sqlite3.Connection) -> None:
    """Leave no deleted bytes behind: checkpoint and truncate the WAL, VACUUM, truncate again."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
