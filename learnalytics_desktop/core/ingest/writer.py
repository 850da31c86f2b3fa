"""Write processed records to the store in chunked transactions.

One :class:`Writer` per import connection.  Records arrive in file order as row tuples
(``ROW_FIELDS``) or rejects; :meth:`Writer.commit` writes a chunk in **one** transaction:
new actors / verbs / activities / courses, the statements, voiding, rejects, conflicts, and
the import row's counts and ``resume_at``.  A process killed at any moment therefore leaves
either the whole chunk or none of it, and ``resume_at`` always equals the number of records
whose outcome is in the database.

Duplicates and conflicts: the chunk is inserted with ``INSERT OR IGNORE`` in file order.  When
every row went in (the usual case) nothing else is needed.  Otherwise the chunk's ids are
looked up: an id stored before the chunk makes the record a duplicate (same content hash) or
a conflict (different hash, recorded in ``conflicts``; the stored statement stays); an id
first inserted by this chunk was inserted by its first occurrence, and later occurrences are
duplicates or conflicts of it.  Any other shortfall is an internal error, never a silent drop.

Voiding (xAPI Data 2.3.2): a stored voiding statement adds ``voids(target, voiding)`` and
marks its target ``voided = 1`` if the target is stored and is not itself a voiding
statement; a statement stored later whose id is in ``voids`` is marked at once.  So the order
of arrival does not matter.  A voiding statement that targets a voiding statement is stored
but has no effect (2.3.2.s2.b3 defines "voided" only for non-voiding statements); the report
counts those in a note.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter
from collections.abc import Sequence
from typing import Any

from learnalytics_desktop.core.ingest.readers import format_location
from learnalytics_desktop.core.labels import MAX_LABEL, clean_label
from learnalytics_desktop.core.store.db import utc_now_iso

__all__ = ["EXCERPT_MAX", "ROW_FIELDS", "Writer", "finish_import"]

ROW_FIELDS = (
    "id",
    "hash",
    "ifi",
    "verb",
    "object",
    "object_kind",
    "course",
    "ts",
    "stored_ts",
    "duration",
    "score_raw",
    "score_min",
    "score_max",
    "score_scaled",
    "success",
    "completion",
    "response",
    "registration",
    "late",
    "void_target",
)
EXCERPT_MAX = 16 * 1024
_COUNTS = ("read", "stored", "duplicates", "conflicts", "rejected", "voided", "skipped")
_INSERT = (
    "INSERT OR IGNORE INTO statements(id, hash, actor, verb, object, object_kind, course, ts, "
    "stored_ts, duration, score_raw, score_min, score_max, score_scaled, success, completion, "
    "response, registration, late, is_voiding, voided, import_id) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0,?)"
)
_MISSING = object()


class Writer:
    """Accumulates a chunk of outcomes and commits it with the import row's progress."""

    def __init__(self, conn: sqlite3.Connection, *, keep_excerpts: bool) -> None:
        self.conn = conn
        self.keep_excerpts = keep_excerpts
        # IRI / ifi -> database id, and what is known about each (to fill in missing names).
        self._aid: dict[str, int] = {}
        self._anamed: dict[str, bool] = {}
        self._vid: dict[str, int] = {}
        self._oid: dict[str, int] = {}
        self._oinfo: dict[str, tuple[Any, Any]] = {}
        self._cid: dict[str, int] = {}
        self._cname: dict[str, Any] = {}
        self._void_targets: set[str] = {r[0] for r in conn.execute("SELECT target_id FROM voids")}
        self._undo: list[tuple[Any, Any, Any]] = []
        self.void_ignored = 0
        self.discard()

    def discard(self) -> None:
        """Forget the queued, uncommitted chunk."""
        self._rows: list[tuple[Any, ...]] = []
        self._batches: list[tuple[list[Any], list[int]]] = []
        self._rejects: list[tuple[Any, ...]] = []
        self._skips: Counter[str] = Counter()
        self._ent: tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]] = ({}, {}, {}, {})
        self.pending = 0

    # -- collecting -----------------------------------------------------------------------

    def add(
        self,
        items: list[tuple[Any, ...]],
        rows: list[tuple[Any, ...]],
        rejects: list[tuple[int, str, str, str | None]],
        entities: tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]],
        skips: Sequence[tuple[int, str]] = (),
    ) -> None:
        """Queue one processed batch: the reader's ``items`` and what ``process_batch`` made of them."""
        self._rows.extend(rows)
        self._batches.append((items, [r[0] for r in rejects] + [k[0] for k in skips]))
        self._skips.update(reason for _i, reason in skips)
        for index, rule, reason, sid in rejects:
            item = items[index]
            self._rejects.append((item[0], sid, rule, reason, item[1]))
        self.pending += len(items)
        for mine, theirs in zip(self._ent, entities, strict=True):
            for key, value in theirs.items():
                old = mine.get(key, _MISSING)
                if old is _MISSING or (value is not None and _better(value, old)):
                    mine[key] = value

    def _row_locations(self) -> list[Any]:
        locs: list[Any] = []
        for items, rejected in self._batches:
            skip = set(rejected)
            locs.extend(item[0] for i, item in enumerate(items) if i not in skip)
        return locs

    # -- committing -----------------------------------------------------------------------

    def commit(
        self,
        import_id: int,
        source: str,
        counts: dict[str, int],
        rejects_by_rule: Counter[str],
        resume_at: int,
        skips_by_reason: Counter[str] | None = None,
    ) -> None:
        """Write the queued chunk and the import row's new counts in one transaction.

        ``counts`` / ``rejects_by_rule`` / ``skips_by_reason`` are updated in place only once
        the transaction has committed (a failure leaves them, and the caches, as they were,
        like the database).  The skip reasons' totals are kept on the import row (``skips``,
        JSON), so a resumed import reports them whole.
        """
        skips_total = Counter(skips_by_reason or {})
        skips_total.update(self._skips)
        conn = self.conn
        new = dict.fromkeys(_COUNTS, 0)
        new["read"] = self.pending
        by_rule: Counter[str] = Counter(r[2] for r in self._rejects)
        new_voids: set[str] = set()
        self._undo = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            self._write_entities()
            conflicts: list[tuple[Any, ...]] = []
            stored = self._write_statements(import_id, source, new, conflicts)
            ignored = self._apply_voiding(stored, new_voids, new)
            fresh = self._new_rejects(source)
            if fresh:
                conn.executemany(
                    "INSERT INTO rejects(import_id, source, location, statement_id, rule, reason, excerpt, digest) "
                    "VALUES (?,?,?,?,?,?,?,?)",
                    [
                        (
                            import_id,
                            source,
                            format_location(loc),
                            sid,
                            rule,
                            reason,
                            self._excerpt(data),
                            digest,
                        )
                        for (loc, sid, rule, reason, data), digest in fresh
                    ],
                )
            new["rejected"] = len(fresh)
            new["duplicates"] += len(self._rejects) - len(fresh)
            by_rule = Counter(r[2] for r, _digest in fresh)
            new["skipped"] = sum(self._skips.values())
            if conflicts:
                conn.executemany(
                    "INSERT INTO conflicts(import_id, statement_id, source, location, kept_hash, new_hash) "
                    "VALUES (?,?,?,?,?,?)",
                    conflicts,
                )
            total = {k: counts[k] + new[k] for k in _COUNTS}
            conn.execute(
                "UPDATE imports SET read=?, stored=?, duplicates=?, conflicts=?, rejected=?, voided=?, "
                "skipped=?, skips=?, resume_at=?, status='running' WHERE id=?",
                (
                    *(total[k] for k in _COUNTS),
                    json.dumps(dict(skips_total), ensure_ascii=False) if skips_total else None,
                    resume_at,
                    import_id,
                ),
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # SQLite has already rolled back after e.g. SQLITE_FULL
                conn.execute("ROLLBACK")
            for cache, key, old in reversed(self._undo):
                if old is _MISSING:
                    cache.pop(key, None)
                else:
                    cache[key] = old
            raise
        finally:
            self._undo = []
        counts.update(total)
        rejects_by_rule.update(by_rule)
        if skips_by_reason is not None:
            skips_by_reason.update(self._skips)
        self.void_ignored += ignored
        self._void_targets |= new_voids
        self.discard()

    def _new_rejects(self, source: str) -> list[tuple[tuple[Any, ...], bytes]]:
        """The queued rejects the quarantine does not hold yet, with their fingerprints.

        A record is the same when its bytes and rule are (or, for a record without bytes such
        as a damaged archive, its source, location and rule): seen again in this chunk or
        already quarantined by an earlier import, it counts as a duplicate."""
        out: list[tuple[tuple[Any, ...], bytes]] = []
        seen: set[bytes] = set()
        for reject in self._rejects:
            loc, _sid, rule, _reason, data = reject
            h = hashlib.sha256(rule.encode("utf-8", "replace") + b"\0")
            if data is None:
                h.update(b"at\0" + source.encode("utf-8", "replace") + b"\0" + format_location(loc).encode())
            else:
                h.update(b"bytes\0" + bytes(data))
            digest = h.digest()[:16]
            if digest in seen:
                continue
            seen.add(digest)
            out.append((reject, digest))
        if out:
            known: set[bytes] = set()
            digests = [d for _r, d in out]
            for i in range(0, len(digests), 500):
                part = digests[i : i + 500]
                known.update(
                    r[0]
                    for r in self.conn.execute(
                        f"SELECT digest FROM rejects WHERE digest IN ({','.join('?' * len(part))})", part
                    )
                )
            out = [(r, d) for r, d in out if d not in known]
        return out

    def _set(self, cache: dict[str, Any], key: str, value: Any) -> None:
        self._undo.append((cache, key, cache.get(key, _MISSING)))
        cache[key] = value

    def _excerpt(self, data: bytes | None) -> str | None:
        if data is None or not self.keep_excerpts:
            return None
        return data[:EXCERPT_MAX].decode("utf-8", "replace")

    def _write_entities(self) -> None:
        conn = self.conn
        actors, verbs, acts, courses = self._ent
        for ifi, (kind, label, name, email, sha1) in actors.items():
            if ifi not in self._aid:
                row = conn.execute("SELECT id, name IS NOT NULL FROM actors WHERE ifi=?", (ifi,)).fetchone()
                if row is None:
                    aid = conn.execute(
                        "INSERT INTO actors(ifi, kind, label, name, email, email_sha1) VALUES (?,?,?,?,?,?)",
                        (ifi, kind, clean_label(label, ifi[:MAX_LABEL]), clean_label(name), email, sha1),
                    ).lastrowid
                    row = (aid, name is not None)
                self._set(self._aid, ifi, row[0])
                self._set(self._anamed, ifi, bool(row[1]))
            if name is not None and not self._anamed[ifi]:
                conn.execute(
                    "UPDATE actors SET name=? WHERE id=? AND name IS NULL",
                    (clean_label(name), self._aid[ifi]),
                )
                self._set(self._anamed, ifi, True)
        for iri, display in verbs.items():
            if iri not in self._vid:
                row = conn.execute("SELECT id FROM verbs WHERE iri=?", (iri,)).fetchone()
                vid = (
                    row[0]
                    if row
                    else conn.execute(
                        "INSERT INTO verbs(iri, display) VALUES (?,?)", (iri, display)
                    ).lastrowid
                )
                self._set(self._vid, iri, vid)
        for iri, (type_iri, raw_name) in acts.items():
            name = clean_label(raw_name)  # shown in tables and terminals (core.labels)
            if iri not in self._oid:
                row = conn.execute("SELECT id, type_iri, name FROM activities WHERE iri=?", (iri,)).fetchone()
                if row is None:
                    row = (
                        conn.execute(
                            "INSERT INTO activities(iri, type_iri, name) VALUES (?,?,?)",
                            (iri, type_iri, name),
                        ).lastrowid,
                        type_iri,
                        name,
                    )
                self._set(self._oid, iri, row[0])
                self._set(self._oinfo, iri, (row[1], row[2]))
            known_type, known_name = self._oinfo[iri]
            if (known_type is None and type_iri) or (known_name is None and name):
                info = (known_type or type_iri, known_name or name)
                conn.execute("UPDATE activities SET type_iri=?, name=? WHERE id=?", (*info, self._oid[iri]))
                self._set(self._oinfo, iri, info)
        for iri, raw_name in courses.items():
            name = clean_label(raw_name)
            if iri not in self._cid:
                row = conn.execute("SELECT id, name FROM courses WHERE iri=?", (iri,)).fetchone()
                if row is None:
                    row = (
                        conn.execute("INSERT INTO courses(iri, name) VALUES (?,?)", (iri, name)).lastrowid,
                        name,
                    )
                self._set(self._cid, iri, row[0])
                self._set(self._cname, iri, row[1])
            if self._cname[iri] is None and name:
                conn.execute("UPDATE courses SET name=? WHERE id=?", (name, self._cid[iri]))
                self._set(self._cname, iri, name)

    def _write_statements(
        self, import_id: int, source: str, new: dict[str, int], conflicts: list[tuple[Any, ...]]
    ) -> list[tuple[Any, ...]]:
        rows = self._rows
        if not rows:
            return []
        conn = self.conn
        A, V, Ob, C = self._aid, self._vid, self._oid, self._cid
        params = [
            (
                r[0],
                r[1],
                A[r[2]],
                V[r[3]],
                None if r[4] is None else Ob[r[4]],
                r[5],
                None if r[6] is None else C[r[6]],
                r[7],
                r[8],
                r[9],
                r[10],
                r[11],
                r[12],
                r[13],
                r[14],
                r[15],
                r[16],
                r[17],
                r[18],
                0 if r[19] is None else 1,
                import_id,
            )
            for r in rows
        ]
        before_max = conn.execute("SELECT coalesce(max(rowid), 0) FROM statements").fetchone()[0]
        before = conn.total_changes
        conn.executemany(_INSERT, params)
        inserted = conn.total_changes - before
        if inserted == len(rows):
            new["stored"] += inserted
            return rows
        found = _lookup(conn, [r[0] for r in rows])
        stored: list[tuple[Any, ...]] = []
        firsts: set[str] = set()
        for r, loc in zip(rows, self._row_locations(), strict=True):
            got = found.get(r[0])
            if got is None:  # never drop a record silently
                raise RuntimeError(f"internal error: statement {r[0]} was neither stored nor found")
            digest, rowid = got
            if rowid > before_max and r[0] not in firsts:
                firsts.add(r[0])
                stored.append(r)
            elif digest == r[1]:
                new["duplicates"] += 1
            else:
                new["conflicts"] += 1
                conflicts.append((import_id, r[0], source, format_location(loc), digest, r[1]))
        if len(stored) != inserted:
            raise RuntimeError(f"internal error: {inserted} statements inserted but {len(stored)} found")
        new["stored"] += inserted
        return stored

    def _apply_voiding(self, stored: list[tuple[Any, ...]], new_voids: set[str], new: dict[str, int]) -> int:
        conn = self.conn
        ignored = 0
        targets = self._void_targets
        for r in [r for r in stored if r[19] is not None]:  # voiding statements
            target, sid = r[19], r[0]
            if sid in targets or sid in new_voids:
                ignored += 1  # an earlier statement voids this voiding statement: no effect
            if conn.execute(
                "INSERT OR IGNORE INTO voids(target_id, voiding_id) VALUES (?,?)", (target, sid)
            ).rowcount:
                new_voids.add(target)
            row = conn.execute("SELECT is_voiding FROM statements WHERE id=?", (target,)).fetchone()
            if row is not None and row[0]:
                ignored += 1
                continue
            new["voided"] += conn.execute(
                "UPDATE statements SET voided=1 WHERE id=? AND is_voiding=0 AND voided=0", (target,)
            ).rowcount
        if targets or new_voids:
            for r in stored:
                if r[19] is None and (r[0] in targets or r[0] in new_voids):
                    new["voided"] += conn.execute(
                        "UPDATE statements SET voided=1 WHERE id=? AND voided=0", (r[0],)
                    ).rowcount
        return ignored


def _better(new: Any, old: Any) -> bool:
    """An entity description with more filled-in fields replaces one with fewer."""
    if old is None:
        return True
    if isinstance(new, tuple) and isinstance(old, tuple):
        return sum(v is not None for v in new) > sum(v is not None for v in old)
    return False


def _lookup(conn: sqlite3.Connection, ids: list[str]) -> dict[str, tuple[bytes, int]]:
    """(hash, rowid) of the stored statements among ``ids``."""
    out: dict[str, tuple[bytes, int]] = {}
    unique = list(dict.fromkeys(ids))
    for i in range(0, len(unique), 500):
        part = unique[i : i + 500]
        marks = ",".join("?" * len(part))
        for sid, digest, rowid in conn.execute(
            f"SELECT id, hash, rowid FROM statements WHERE id IN ({marks})", part
        ):
            out[sid] = (digest, rowid)
    return out


def finish_import(
    conn: sqlite3.Connection, import_id: int, status: str, sha256: str | None, message: str | None = None
) -> None:
    """Mark an import row finished (done, cancelled or failed) in its own small transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "UPDATE imports SET status=?, finished_at=?, sha256=coalesce(?, sha256), message=? WHERE id=?",
            (status, utc_now_iso(), sha256, message, import_id),
        )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
