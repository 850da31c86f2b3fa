"""Read Caliper files: single events and entities, or envelopes whose ``data`` are cut into
one record per element (1.2 section 6, "Envelope": ``sensor``, ``sendTime``,
``dataVersion``, ``data``).

An envelope's entities are context for its events: an event that refers to an entity by IRI
(``"object": "https://..."``) gets the description the envelope holds for that IRI, so that
the statement knows the object's type and name.  Each entity is still a record of its own
(the converter skips it with its reason), so every element of ``data`` is counted once.
An envelope that breaks the rules of section 6 is one rejected record.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from learnalytics_desktop.core.ingest.caliper.validate import CaliperError, check_value
from learnalytics_desktop.core.ingest.caliper.vocab import CONTEXT, ENTITY_TYPES, EVENT_TYPES
from learnalytics_desktop.core.ingest.readers import Reader, ReadLimits, SourceFile
from learnalytics_desktop.core.ingest.textformats import Record

__all__ = ["CaliperReader", "open_source"]

_REFS = ("actor", "object", "generated", "target", "referrer", "edApp", "group", "membership", "session")


def open_source(source: SourceFile, limits: ReadLimits, options: dict[str, Any]) -> CaliperReader:
    """The record source of a Caliper file (``formats`` opener)."""
    return CaliperReader(source, limits)


class CaliperReader:
    """A JSON ``Reader`` whose envelope records are replaced by their elements."""

    def __init__(self, source: SourceFile, limits: ReadLimits | None = None) -> None:
        self._reader = Reader(source, limits)

    @property
    def notes(self) -> list[str]:
        return self._reader.notes

    @property
    def sha256(self) -> str | None:
        return self._reader.sha256

    @property
    def bytes_done(self) -> int:
        return self._reader.bytes_done

    def blocks(self) -> Iterator[list[Record]]:
        for block in self._reader.blocks():
            if not any(r[1] is not None and b'"sensor"' in r[1] for r in block):
                yield block
                continue
            out: list[Record] = []
            for rec in block:
                out.extend(_expand(rec) if rec[1] is not None and b'"sensor"' in rec[1] else (rec,))
            yield out


def _where(loc: int | str) -> str:
    return f"line {loc}" if isinstance(loc, int) else loc


def _expand(rec: Record) -> list[Record]:
    loc, data = rec[0], rec[1]
    try:
        env = orjson.loads(data)  # type: ignore[arg-type]
    except orjson.JSONDecodeError:
        return [rec]  # the converter rejects it as malformed JSON
    if type(env) is not dict or "data" not in env:
        return [rec]
    try:
        check_envelope(env)
    except CaliperError as exc:
        where = f" (at {exc.place})" if exc.place else ""
        return [
            (_where(loc), None, exc.rule, f"the envelope breaks Caliper 1.2 section 6: {exc.reason}{where}")
        ]
    items = env["data"]
    known = {
        e["id"]: e
        for e in items
        if type(e) is dict and e.get("type") in ENTITY_TYPES and type(e.get("id")) is str
    }
    out: list[Record] = []
    for i, item in enumerate(items):
        if type(item) is dict and item.get("type") in EVENT_TYPES:
            item = dict(item)
            item.setdefault("@context", env.get("dataVersion"))
            for key in _REFS:
                ref = item.get(key)
                if type(ref) is str and ref in known:
                    item[key] = known[ref]
        out.append((f"{_where(loc)} data[{i}]", orjson.dumps(item), None, None))
    if not items:
        out.append(
            (_where(loc), None, "caliper.envelope", "the envelope's data is empty: it holds no events")
        )
    return out


def check_envelope(env: dict[str, Any]) -> None:
    """The envelope's own properties (1.2 section 6)."""
    for prop in ("sensor", "sendTime", "dataVersion", "data"):
        if env.get(prop) is None:
            raise CaliperError("caliper.envelope", f"an envelope must have {prop}", prop)
    check_value(env["sensor"], "iri", "sensor")
    check_value(env["sendTime"], "dt", "sendTime")
    if env["dataVersion"] != CONTEXT:
        raise CaliperError("caliper.context", f"dataVersion must be {CONTEXT}", "dataVersion")
    if type(env["data"]) is not list:
        raise CaliperError("caliper.envelope", "data must be a list of events and entities", "data")
