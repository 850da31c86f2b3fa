"""Parse, validate, hash and extract records, in worker processes or in-process.

The importer cuts files into batches of records; :func:`process_batch` turns each record
into either a row tuple for the store (see ``core.ingest.writer.ROW_FIELDS``) or a reject
``(index, rule, reason, statement_id)``, and returns the actors, verbs, activities and
courses seen in the batch.  :class:`Pipeline` runs batches on a pool of *spawned* processes (never
forked: the GUI has threads) with a bounded number in flight, and yields results in input
order, so "first one wins" for duplicate ids means first in the files.

Each record is handled alone: whatever it holds (malformed JSON, 1,000 levels of nesting, a
type no validator expected), it ends as a row or a reject with a reason, never as an
exception that stops the import.
"""

from __future__ import annotations

import gc
import os
import re
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any

import orjson

from learnalytics_desktop.core.ingest.convert import Reject, Skip
from learnalytics_desktop.core.ingest.formats import get_format, load
from learnalytics_desktop.core.ingest.xapi.canonical import canonical_bytes, content_hash, derived_id
from learnalytics_desktop.core.ingest.xapi.fields import ExtractConfig, Extractor
from learnalytics_desktop.core.ingest.xapi.validate import InvalidStatement, validate_statement

__all__ = ["Pipeline", "check_record", "init_worker", "process_batch"]

Item = tuple[Any, bytes | None, str | None, str | None]  # location, data, rule, reason
Entities = tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]
# A batch's source format: None for xAPI, else (format name, sorted option items).
Spec = tuple[str, tuple[tuple[str, Any], ...]] | None

_EXTRACTOR: Extractor | None = None
_CONVERTERS: dict[Any, Any] = {}


def _converter(spec: Spec) -> Any:
    if spec is None:
        return None
    conv = _CONVERTERS.get(spec)
    if conv is None:
        fmt = get_format(spec[0])
        if fmt.converter is None:
            return None
        conv = _CONVERTERS[spec] = load(fmt.converter)(dict(spec[1]))
    return conv


def init_worker(config: ExtractConfig) -> None:
    """Set up a worker process for ``config`` (the in-process mode uses its own Extractor)."""
    global _EXTRACTOR
    _EXTRACTOR = Extractor(config)
    # Parsed statements hold no reference cycles: reference counting frees them, and the
    # cyclic collector would only cost time scanning millions of short-lived dicts.
    gc.disable()


def _kind(value: Any) -> str:
    return {
        list: "an array",
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "true or false",
        type(None): "null",
    }.get(type(value), type(value).__name__)


_SECTION = re.compile(r"\((xAPI [^()]*)\)$")


def withheld_reason(rule: str, path: str, reason: str) -> str:
    """The reject reason of a pseudonymised import: the rule, the field and the spec section,
    never the offending value (which may be an e-mail address or a name)."""
    section = _SECTION.search(reason)
    where = path or "the statement"
    tail = f" ({section.group(1)})" if section else ""
    return f"{where} breaks the rule {rule}{tail}; the value is not shown (pseudonymised import)"


def _parse(data: bytes, hint: str | None) -> tuple[Any, Any]:
    """``(value, None)``, or ``(None, (rule, reason, None))`` when ``data`` is not JSON."""
    try:
        return orjson.loads(data), None
    except orjson.JSONDecodeError as exc:
        if hint == "json.truncated":
            return None, (
                "json.truncated",
                "the last line has no line end and is not complete "
                f"JSON ({exc}); the file was probably cut off",
                None,
            )
        rule = "json.depth" if "depth limit" in str(exc) else "json.malformed"
        return None, (rule, f"not valid JSON: {exc}", None)


def check_record(data: bytes, hint: str | None, *, withhold: bool = False) -> tuple[Any, Any]:
    """Parse and validate one record.

    ``(statement, StatementTimes)`` when it is a valid statement, else ``(None, (rule,
    reason, id))``.  ``hint`` is the reader's "json.truncated" for a last line without a line
    end: it is only a reject (as truncated) if it does not parse.  ``withhold`` (pseudonymised
    imports) makes a validation reason name the rule and the field but not the value.
    """
    obj, bad = _parse(data, hint)
    if bad is not None:
        return None, bad
    if type(obj) is not dict:
        return None, ("record.not_object", f"a statement must be a JSON object, not {_kind(obj)}", None)
    sid = obj.get("id")
    sid = sid[:100] if type(sid) is str else None
    try:
        times = validate_statement(obj)
    except InvalidStatement as exc:
        if withhold:
            return None, (exc.rule, withheld_reason(exc.rule, exc.path, exc.reason), sid)
        return None, (exc.rule, exc.reason, sid)
    except RecursionError:
        return None, ("json.depth", "the statement is nested too deeply to check", sid)
    return obj, times


def convert_record(conv: Any, data: bytes, hint: str | None, *, withhold: bool = False) -> tuple[Any, Any]:
    """Parse a source record, convert it and validate the statement made from it.

    ``(statement, StatementTimes)``, or ``(None, (rule, reason, id))`` for a reject, or
    ``(None, Skip)``.  A converted statement that xAPI validation refuses is rejected with the
    validator's rule and "the statement made from this record ..." in the reason.
    ``withhold``: as for :func:`check_record`, reasons name the rule and place, not the value.
    """
    obj, bad = _parse(data, hint)
    if bad is not None:
        return None, bad
    try:
        out = conv(obj)
    except RecursionError:
        return None, ("json.depth", "the record is nested too deeply to read", None)
    if type(out) is Skip:
        return None, out
    if type(out) is Reject:
        if withhold:
            return None, (out.rule, withheld_reason(out.rule, out.place or "", out.reason), None)
        return None, (out.rule, out.message(), None)
    sid = out.get("id")
    try:
        times = validate_statement(out)
    except InvalidStatement as exc:
        if withhold:
            return None, (exc.rule, withheld_reason(exc.rule, exc.path, exc.reason), sid)
        return None, (exc.rule, f"the statement made from this record is not valid xAPI: {exc.reason}", sid)
    except RecursionError:
        return None, ("json.depth", "the record is nested too deeply to check", sid)
    return out, times


def _one(
    ex: Extractor, data: bytes | None, rule: str | None, reason: str | None, conv: Any = None
) -> tuple[Any, ...]:
    if data is None:
        return (rule, reason, None)
    withhold = ex.cfg.pseudonym_key is not None
    if conv is None:
        obj, times = check_record(data, rule, withhold=withhold)
    else:
        obj, times = convert_record(conv, data, rule, withhold=withhold)
    if obj is None:
        return (times.reason,) if type(times) is Skip else times
    sid = obj.get("id") if type(obj.get("id")) is str else None
    try:
        ts = times[0]
        canon = canonical_bytes(obj, ts)
        sid = sid.lower() if sid is not None else derived_id(canon)
        return ex.row(obj, sid, content_hash(canon), ts, times[1], times[2])
    except (RecursionError, ValueError, TypeError, KeyError, AttributeError) as exc:
        # The validator accepted it but it still cannot be stored: say so, never crash.
        if withhold:
            return (
                "record.unprocessable",
                f"the statement passed validation but could not be stored ({type(exc).__name__})",
                sid,
            )
        return (
            "record.unprocessable",
            f"the statement passed validation but could not be "
            f"stored ({type(exc).__name__}: {str(exc)[:200]})",
            sid,
        )


def process_batch(
    items: list[Item], spec: Spec = None
) -> tuple[list[tuple[Any, ...]], list[tuple[int, str, str, str | None]], Entities, list[tuple[int, str]]]:
    """``(rows, rejects, entities, skips)`` for a batch of reader records in format ``spec``.

    ``rows`` are the statements' row tuples in order (``writer.ROW_FIELDS``), ``rejects`` are
    ``(index in the batch, rule, reason, statement id)``, ``entities`` the actors, verbs,
    activities and courses seen, ``skips`` ``(index in the batch, reason)``.
    """
    ex = _EXTRACTOR
    if ex is None:
        raise RuntimeError("init_worker() was not called")
    conv = _converter(spec)
    rows: list[tuple[Any, ...]] = []
    rejects: list[tuple[int, str, str, str | None]] = []
    skips: list[tuple[int, str]] = []
    for index, (_loc, data, rule, reason) in enumerate(items):
        out = _one(ex, data, rule, reason, conv)
        n = len(out)
        if n == 3:
            rejects.append((index, out[0], out[1], out[2]))
        elif n == 1:
            skips.append((index, out[0]))
        else:
            rows.append(out)
    return rows, rejects, ex.take_entities(), skips


class Pipeline:
    """Ordered map of :func:`process_batch` over batches, in processes when ``workers`` > 0.

    If the worker processes cannot start or die (a frozen app without multiprocessing
    support, a script read from stdin, the OOM killer), the batches in flight and all later
    ones are processed in this process instead, and ``fallback`` says why.
    """

    def __init__(self, config: ExtractConfig, workers: int) -> None:
        self.workers = workers
        self.fallback: str | None = None
        self._local = Extractor(config)
        self._pool: ProcessPoolExecutor | None = None
        if workers > 0:
            try:
                self._pool = ProcessPoolExecutor(
                    max_workers=workers,
                    mp_context=get_context("spawn"),
                    initializer=init_worker,
                    initargs=(config,),
                )
            except (OSError, ValueError, NotImplementedError) as exc:  # pragma: no cover - platform
                self.fallback = f"worker processes could not start ({exc}); the import ran in one process"

    def _here(self, items: list[Item], spec: Spec = None) -> Any:
        global _EXTRACTOR
        saved, _EXTRACTOR = _EXTRACTOR, self._local
        try:
            return process_batch(items, spec)
        finally:
            _EXTRACTOR = saved

    def _result(self, batch: Any, fut: Future[Any]) -> Any:
        try:
            return fut.result()
        except BrokenProcessPool as exc:
            self.fallback = f"the worker processes stopped ({exc}); the rest of the import ran in one process"
            self.close()
            return self._here(batch.items, _spec(batch))

    def map(self, batches: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        """Yield ``(batch, process_batch(batch.items))`` in order; ``batch.items`` is the input."""
        limit = max(self.workers * 3, 1)
        pending: deque[tuple[Any, Future[Any] | None]] = deque()
        for batch in batches:
            if self._pool is None:
                while pending:
                    b, fut = pending.popleft()
                    yield b, (self._result(b, fut) if fut is not None else self._here(b.items, _spec(b)))
                yield batch, self._here(batch.items, _spec(batch))
                continue
            try:
                pending.append((batch, self._pool.submit(process_batch, batch.items, _spec(batch))))
            except (BrokenProcessPool, RuntimeError) as exc:
                self.fallback = (
                    f"the worker processes stopped ({exc}); the rest of the import ran in one process"
                )
                self.close()
                pending.append((batch, None))
            if len(pending) >= limit:
                b, fut = pending.popleft()
                yield b, (self._result(b, fut) if fut is not None else self._here(b.items, _spec(b)))
        while pending:
            b, fut = pending.popleft()
            yield b, (self._result(b, fut) if fut is not None else self._here(b.items, _spec(b)))

    def close(self) -> None:
        """Stop the workers (pending batches are dropped)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _spec(batch: Any) -> Spec:
    return getattr(batch, "spec", None)


def default_workers() -> int:
    """Worker processes for a large import: one per core beyond the writer, at least 1, at most 4."""
    return max(1, min(4, (os.cpu_count() or 1)))
