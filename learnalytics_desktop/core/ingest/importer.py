"""Import xAPI statement files into the store: the public entry points.

``import_paths(db, paths, ...)`` reads files and folders (see ``readers``), parses and
validates every record (``pipeline``, on worker processes for large inputs), and writes the
outcomes in chunked transactions (``writer``).  ``validate_paths(paths)`` does the same
checks without a database.

Resuming (decision): one call is one *run* over a set of files.  Each file gets an
``imports`` row, all created up front with status ``pending`` and tagged with the run's key
(``batch``: a hash of the files' paths and fingerprints, the pseudonymisation key's
fingerprint and the course fallback).  Every committed chunk moves the file's ``resume_at``
forward in the same transaction.  If the process is killed, or the run cancelled, calling
``import_paths`` again with the same files finds the unfinished run by its key and continues
it: finished files are not read again, the interrupted file skips the records already
committed, the others start.  The final counts then equal those of an uninterrupted run.
Once a run completes, its key is closed (``<key>@<first row id>``), so importing the same files
again later is a new run in which everything is a duplicate.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from learnalytics_desktop.core.ingest.pipeline import Pipeline, default_workers
from learnalytics_desktop.core.ingest.readers import ReadLimits, SourceFile, discover, format_location
from learnalytics_desktop.core.ingest.report import FileResult, ImportReport
from learnalytics_desktop.core.ingest.sourcing import Plan, open_records, plan_files
from learnalytics_desktop.core.ingest.writer import Writer, finish_import
from learnalytics_desktop.core.ingest.xapi.fields import COURSE_TYPES, LATE_SUFFIXES, ExtractConfig
from learnalytics_desktop.core.jobs import Cancelled, NullReporter, Reporter
from learnalytics_desktop.core.store.db import (
    DatabaseError,
    audit,
    get_setting,
    open_db,
    storage_problem,
    utc_now_iso,
)

__all__ = ["ValidationResult", "import_paths", "validate_paths", "CHUNK_RECORDS"]

CHUNK_RECORDS = 20_000  # records per transaction (measured: 20k writes ~10% cheaper than 10k)
BATCH_RECORDS = 1_000  # records per worker task
POOL_MIN_BYTES = 16 * 1024 * 1024  # below this, worker processes cost more than they save


@dataclass
class _Batch:
    items: list[tuple[Any, bytes | None, str | None, str | None]]
    spec: Any = None  # the source format for the workers (``sourcing.spec_of``)


class ValidationResult(NamedTuple):
    """One record's verdict from :func:`validate_paths`.

    A skipped record (valid, not learner activity) has ``ok`` True, ``skipped`` True and its
    reason in ``reason``.
    """

    source: str
    location: str
    statement_id: str | None
    ok: bool
    rule: str | None
    reason: str | None
    skipped: bool = False
    format: str = "xapi"


def _batches(
    blocks: Iterable[list[Any]], size: int = BATCH_RECORDS, skip: int = 0, spec: Any = None
) -> Iterator[_Batch]:
    """Regroup the reader's blocks of records into batches of ``size``, after ``skip`` records."""
    items: list[Any] = []
    for block in blocks:
        if skip:
            if skip >= len(block):
                skip -= len(block)
                continue
            block, skip = block[skip:], 0
        items.extend(block)
        while len(items) >= size:
            yield _Batch(items[:size], spec)
            items = items[size:]
    if items:
        yield _Batch(items, spec)


def _extract_config(
    conn: sqlite3.Connection | None, key: bytes | None, fallback: str | None
) -> ExtractConfig:
    late_iris: frozenset[str] = frozenset()
    suffixes = LATE_SUFFIXES
    course_types = COURSE_TYPES
    if conn is not None:
        if fallback is None:
            from learnalytics_desktop.core.ingest.category_usage import course_fallback

            fallback = course_fallback(conn) or None
        late = get_setting(conn, "late_extensions", None) or {}
        late_iris = frozenset(late.get("iris", ()))
        suffixes = tuple(late.get("suffixes", suffixes))
        course_types = COURSE_TYPES | frozenset(get_setting(conn, "course_types", None) or ())
    return ExtractConfig(
        now_ms=int(time.time() * 1000),
        pseudonym_key=key,
        course_fallback=fallback or None,
        course_types=course_types,
        late_iris=late_iris,
        late_suffixes=suffixes,
    )


def _run_key(
    sources: list[SourceFile],
    prints: dict[Path, str],
    key: bytes | None,
    fallback: str | None,
    plans: dict[str, Plan] | None = None,
) -> str:
    h = hashlib.sha256()
    for s in sorted(sources, key=lambda s: str(s.path)):
        h.update(f"{s.path}\0{prints[s.path]}\n".encode("utf-8", "surrogatepass"))
        plan = (plans or {}).get(s.display)
        if plan is not None and plan.spec is not None:  # xAPI runs keep the keys they had
            h.update(repr(plan.spec).encode("utf-8", "surrogatepass"))
    if key is not None:
        h.update(b"key:" + hmac.new(key, b"learnalytics import run", hashlib.sha256).digest())
    h.update(f"fallback:{fallback}".encode())
    return h.hexdigest()[:40]


def _open_run(
    conn: sqlite3.Connection,
    sources: list[SourceFile],
    run_key: str,
    prints: dict[Path, str],
    pseudonymized: bool,
    plans: dict[str, Plan],
) -> tuple[dict[str, dict[str, Any]], bool]:
    """The import rows of this run, by source: an unfinished run's, or new pending rows."""
    cols = (
        "id",
        "source",
        "status",
        "read",
        "stored",
        "duplicates",
        "conflicts",
        "rejected",
        "voided",
        "resume_at",
        "sha256",
        "skipped",
        "skips",
        "format",
    )
    rows = {
        r[1]: dict(zip(cols, r, strict=True))
        for r in conn.execute(
            f"SELECT {', '.join(cols)} FROM imports WHERE batch = ? ORDER BY id", (run_key,)
        )
    }
    # Rows still under the bare key belong to a run that was not closed (closing renames the
    # key), even when every file is done: killed between the last file and the closing.
    resumed = bool(rows)
    missing = [s for s in sources if s.display not in rows]
    if missing:
        conn.execute("BEGIN IMMEDIATE")
        try:
            now = utc_now_iso()
            for s in missing:
                fmt = plans[s.display].format
                cur = conn.execute(
                    "INSERT INTO imports(source, batch, fingerprint, started_at, status, pseudonymized, format) "
                    "VALUES (?,?,?,?, 'pending', ?, ?)",
                    (s.display, run_key, prints[s.path], now, int(pseudonymized), fmt),
                )
                rows[s.display] = {c: 0 for c in cols} | {
                    "id": cur.lastrowid,
                    "source": s.display,
                    "status": "pending",
                    "sha256": None,
                    "skips": None,
                    "format": fmt,
                }
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return rows, resumed


def _rules_of(conn: sqlite3.Connection, import_id: int) -> Counter[str]:
    return Counter(
        dict(
            conn.execute(
                "SELECT rule, count(*) FROM rejects WHERE import_id=? GROUP BY rule", (import_id,)
            ).fetchall()
        )
    )


def import_paths(
    db: str | os.PathLike[str] | sqlite3.Connection,
    paths: Sequence[str | os.PathLike[str]],
    *,
    pseudonymize_key: bytes | None = None,
    course_fallback: str | None = None,
    report: Reporter | None = None,
    workers: int | None = None,
    limits: ReadLimits | None = None,
    chunk_records: int = CHUNK_RECORDS,
    source_format: str | None = None,
    format_options: Mapping[str, Any] | None = None,
) -> ImportReport:
    """Import statement files and folders into the database ``db`` (a path or a connection).

    ``source_format`` forces a format for every file (``formats.FORMAT_NAMES``; default:
    found from each file's content, see ``detect``) and ``format_options`` are the options
    its reader needs (``formats``); a bad format or a missing required option raises
    ``sourcing.FormatError`` before anything is written.

    ``pseudonymize_key`` (see ``pseudonym.load_key``) replaces learner identifiers by keyed
    pseudonyms and keeps no names, e-mails or reject texts.  ``course_fallback`` is the
    course IRI for statements whose context names no course (default: the database setting
    ``course_fallback``).  ``workers``: processes for parsing and validation (``None``:
    automatic, ``0``: none).  Cancelling through ``report.check()`` keeps every committed
    chunk and returns a report with ``cancelled=True``; the same call later resumes.
    Raises ``FileNotFoundError`` for a path that does not exist and
    ``core.store.db.DatabaseError`` when the database cannot be opened, or when the disk
    fails during the import (full, I/O error): the message says so, every chunk committed
    before is kept, and running the same import again continues it.
    """
    report = report or NullReporter()
    started = time.perf_counter()
    sources, skipped = discover(paths)
    plans = plan_files(sources, source_format, format_options, limits or ReadLimits())
    own = not isinstance(db, sqlite3.Connection)
    conn = db if isinstance(db, sqlite3.Connection) else open_db(db)
    try:
        if own:
            conn.execute("PRAGMA cache_size = -65536")  # 64 MiB: keeps the id index hot
        return _import(
            conn,
            sources,
            skipped,
            pseudonymize_key,
            course_fallback,
            report,
            workers,
            limits or ReadLimits(),
            chunk_records,
            started,
            plans,
            dict(format_options or {}),
        )
    except sqlite3.Error as exc:
        problem = storage_problem(exc, _db_file(conn) if isinstance(db, sqlite3.Connection) else db)
        if problem is None:
            raise
        raise DatabaseError(
            f"{problem}. The import stopped; everything written before it is kept. "
            "Free some space (or fix the disk) and run the same import again to continue "
            "where it stopped."
        ) from exc
    finally:
        if own:
            conn.close()


def _db_file(conn: sqlite3.Connection) -> str | None:
    try:
        return next((r[2] for r in conn.execute("PRAGMA database_list") if r[1] == "main" and r[2]), None)
    except sqlite3.Error:
        return None


def _check_same_privacy_mode(conn: sqlite3.Connection, pseudonymized: bool) -> None:
    """Refuse to mix pseudonymised and identified imports in one database.

    Mixing would store the same learner twice (once in clear, once as a pseudonym) and put
    names and e-mails into a database the data officer believes holds pseudonyms only.
    """
    modes = {r[0] for r in conn.execute("SELECT DISTINCT pseudonymized FROM imports WHERE stored > 0")}
    if pseudonymized and 0 in modes:
        raise DatabaseError(
            "This database already holds learners with their real identifiers; a pseudonymised "
            "import would store the same learners again under pseudonyms. Import into a new "
            "database, or import without pseudonymisation."
        )
    if not pseudonymized and 1 in modes:
        raise DatabaseError(
            "This database holds pseudonymised learners: import with the same key file "
            "(--pseudonymize --key-file KEY, or tick 'Pseudonymise' on the Import page), so "
            "that no names or e-mail addresses are stored in it."
        )


def _import(
    conn: sqlite3.Connection,
    sources: list[SourceFile],
    skipped: list[tuple[str, str]],
    key: bytes | None,
    fallback: str | None,
    report: Reporter,
    workers: int | None,
    limits: ReadLimits,
    chunk: int,
    started: float,
    plans: dict[str, Plan],
    options: dict[str, Any],
) -> ImportReport:
    _check_same_privacy_mode(conn, key is not None)
    config = _extract_config(conn, key, fallback)
    prints = {s.path: s.fingerprint() for s in sources}
    run_key = _run_key(sources, prints, key, config.course_fallback, plans)
    rows, resumed = _open_run(conn, sources, run_key, prints, key is not None, plans)
    out = ImportReport(skipped_files=list(skipped), resumed=resumed, pseudonymized=key is not None)
    todo = [s for s in sources if rows[s.display]["status"] != "done"]
    total_bytes = sum(s.size for s in todo) or 1
    if workers is None:
        workers = default_workers() if total_bytes >= POOL_MIN_BYTES else 0
    writer = Writer(conn, keep_excerpts=key is None)
    done_bytes = 0
    with Pipeline(config, workers) as pipe:
        for source in sources:
            row = rows[source.display]
            if row["status"] == "done" or out.cancelled:
                fr = _result_from_row(row, _rules_of(conn, row["id"]))
                if out.cancelled:
                    fr.status = row["status"]
                out.add_file(fr)
                continue
            records = open_records(source, plans[source.display], limits, options)
            fr = _import_file(
                conn,
                pipe,
                writer,
                source,
                row,
                records,
                plans[source.display].spec,
                chunk,
                report,
                out,
                done_bytes,
                total_bytes,
            )
            fr.format = plans[source.display].format
            out.add_file(fr)
            done_bytes += source.size
        if pipe.fallback:
            out.notes.append(pipe.fallback)
    out.elapsed = time.perf_counter() - started
    out.statements_per_second = out.processed / out.elapsed if out.elapsed > 0 else 0.0
    if writer.void_ignored:
        out.notes.append(
            f"{writer.void_ignored} voiding statement(s) target a voiding statement and have "
            "no effect (a voiding statement cannot be voided, xAPI Data 2.3.2)"
        )
    complete = all(f.status == "done" for f in out.files)
    conn.execute("BEGIN IMMEDIATE")
    try:
        if complete and out.files:
            first = min(f.import_id for f in out.files if f.import_id is not None)
            conn.execute("UPDATE imports SET batch = batch || '@' || ? WHERE batch = ?", (first, run_key))
        audit(
            conn,
            "import",
            files=len(out.files),
            read=out.read,
            stored=out.stored,
            duplicates=out.duplicates,
            conflicts=out.conflicts,
            rejected=out.rejected,
            skipped=out.skipped,
            voided=out.voided,
            formats=sorted({f.format for f in out.files}),
            pseudonymized=out.pseudonymized,
            cancelled=out.cancelled,
            resumed=out.resumed,
            import_ids=[f.import_id for f in out.files],
        )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    report.progress(
        1.0,
        f"{out.read:,} records: {out.stored:,} stored, {out.rejected:,} rejected"
        + (f", {out.skipped:,} skipped" if out.skipped else ""),
    )
    return out


def _result_from_row(row: dict[str, Any], rules: Counter[str]) -> FileResult:
    fr = FileResult(
        source=row["source"],
        import_id=row["id"],
        status=row["status"],
        sha256=row["sha256"],
        rejects_by_rule=dict(rules),
        skips_by_reason=_skips_of(row),
        format=row.get("format") or "xapi",
        resumed_records=row["resume_at"],
    )
    for k in _COUNT_COLS:
        setattr(fr, k, int(row[k]))
    return fr


_COUNT_COLS = ("read", "stored", "duplicates", "conflicts", "rejected", "voided", "skipped")


def _skips_of(row: dict[str, Any]) -> dict[str, int]:
    return {str(k): int(v) for k, v in json.loads(row.get("skips") or "{}").items()}


def _import_file(
    conn: sqlite3.Connection,
    pipe: Pipeline,
    writer: Writer,
    source: SourceFile,
    row: dict[str, Any],
    reader: Any,
    spec: Any,
    chunk: int,
    report: Reporter,
    out: ImportReport,
    done_bytes: int,
    total_bytes: int,
) -> FileResult:
    import_id = row["id"]
    counts = {k: int(row[k]) for k in _COUNT_COLS}
    rules = _rules_of(conn, import_id)
    skips: Counter[str] = Counter(_skips_of(row))
    resume_at = int(row["resume_at"])
    committed = resume_at
    conn.execute("UPDATE imports SET status='running' WHERE id=?", (import_id,))
    name = source.path.name
    t0 = time.perf_counter()
    status, message = "done", None
    try:
        batches = _batches(reader.blocks(), skip=resume_at, spec=spec)
        for batch, (rows, rejects, entities, skipped) in pipe.map(batches):
            writer.add(batch.items, rows, rejects, entities, skipped)
            if writer.pending >= chunk:
                committed += writer.pending
                writer.commit(import_id, source.display, counts, rules, committed, skips)
                rate = (committed - resume_at) / max(time.perf_counter() - t0, 1e-9)
                report.progress(
                    (done_bytes + min(reader.bytes_done, source.size)) / total_bytes,
                    f"{name}: {counts['read']:,} records, {rate:,.0f}/s",
                )
            report.check()
        if writer.pending:
            committed += writer.pending
            writer.commit(import_id, source.display, counts, rules, committed, skips)
    except Cancelled:
        status, message = "cancelled", "cancelled by the user; run the same import again to continue"
        out.cancelled = True
    except BaseException as exc:
        status, message = "failed", f"{type(exc).__name__}: {exc}"
        try:
            finish_import(conn, import_id, "failed", None, message)
        except sqlite3.Error:
            pass
        raise
    finally:
        out.processed += committed - resume_at
        writer.discard()
    sha = reader.sha256 if status == "done" else None
    notes = list(reader.notes)
    changed = _changed_while_read(source) if status == "done" else None
    if changed is not None:
        # The checksum would match no version of the file: record none (issue 15, finding 13).
        sha = None
        message = (
            f"the file changed while it was being read ({changed}): what was stored may mix two "
            "versions of it; import it again once it no longer changes"
        )
        notes.append(message)
    finish_import(conn, import_id, status, sha, message)
    fr = FileResult(
        source=source.display,
        import_id=import_id,
        status=status,
        sha256=sha,
        rejects_by_rule=dict(rules),
        skips_by_reason=dict(skips),
        resumed_records=resume_at,
        notes=notes,
        message=message,
    )
    for k, v in counts.items():
        setattr(fr, k, v)
    return fr


def _changed_while_read(source: SourceFile) -> str | None:
    """Why the file on disk is no longer the one found before reading it (size or modification
    time differ, or it is gone), else None."""
    try:
        st = os.stat(source.path)
    except OSError as exc:
        return f"it can no longer be read: {exc.strerror or exc}"
    if st.st_size != source.size:
        return f"its size went from {source.size:,} to {st.st_size:,} bytes"
    if st.st_mtime_ns != source.mtime_ns:
        return "it was modified"
    return None


def validate_paths(
    paths: list[str | os.PathLike[str]],
    *,
    report: Reporter | None = None,
    workers: int | None = None,
    limits: ReadLimits | None = None,
    source_format: str | None = None,
    format_options: Mapping[str, Any] | None = None,
) -> Iterator[ValidationResult]:
    """Check files without storing anything: one :class:`ValidationResult` per record.

    Raises ``FileNotFoundError`` (when iteration starts) for a path that does not exist, and
    ``sourcing.FormatError`` for an unknown format or a missing required option.
    """
    report = report or NullReporter()
    limits = limits or ReadLimits()
    sources, _skipped = discover(paths)
    plans = plan_files(sources, source_format, format_options, limits)
    total = sum(s.size for s in sources) or 1
    if workers is None:
        workers = default_workers() if total >= POOL_MIN_BYTES else 0
    config = _extract_config(None, None, None)
    done = 0
    with Pipeline(config, workers) as pipe:
        for source in sources:
            plan = plans[source.display]
            reader = open_records(source, plan, limits, format_options)
            for batch, (rows, rejects, _ent, skips) in pipe.map(_batches(reader.blocks(), spec=plan.spec)):
                bad = {r[0]: r for r in rejects}
                skipped = dict(skips)
                ok = iter(rows)
                for index, item in enumerate(batch.items):
                    where = format_location(item[0])
                    r = bad.get(index)
                    if index in skipped:
                        yield ValidationResult(
                            source.display, where, None, True, None, skipped[index], True, plan.format
                        )
                    elif r is None:
                        yield ValidationResult(
                            source.display, where, next(ok)[0], True, None, None, False, plan.format
                        )
                    else:
                        yield ValidationResult(
                            source.display, where, r[3], False, r[1], r[2], False, plan.format
                        )
                report.progress((done + min(reader.bytes_done, source.size)) / total, source.path.name)
                report.check()
            done += source.size
