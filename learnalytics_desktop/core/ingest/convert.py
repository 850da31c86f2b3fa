"""What a source reader's converter returns for one record, and helpers converters share.

A converter (one per source format, see ``formats``) turns one parsed source record into

* an xAPI statement ``dict`` -- it then goes through the same validation, canonical hash,
  pseudonymisation and writer as an imported xAPI statement, so every guarantee holds;
* :class:`Skip` -- a *valid* record that is not learner activity (a server event, an entity
  description, a teacher's action); it is counted as ``skipped`` with its reason;
* :class:`Reject` -- an *invalid* record; it is counted as ``rejected`` with its rule, its
  reason and the place inside the record, and kept in the quarantine like an xAPI reject.

Decisions that every converter follows (the tabular readers too):

* **Deterministic ids.**  The statement id is :func:`derived_uuid` of the format name and the
  source's own event id when it has one, else of the canonical source content
  (:func:`content_key`), so re-importing the same file adds nothing (every record is then a
  duplicate), and the same event exported twice is one statement.
* **Skip reasons are categories, not records.**  They are counted per reason text, so a reason
  never holds a learner identifier or a record-specific value -- only the kind of record
  ("Open edX server event edx.grades.*: not a learner action").  The same holds for reject
  *rules*; reject *reasons* may quote the record's values (they stay in the quarantine, and
  the quarantine keeps no excerpt of a pseudonymised import).
* **Times** are converted to ISO 8601 with an explicit UTC offset, milliseconds kept.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

__all__ = ["Reject", "Skip", "content_key", "derived_uuid", "iso_utc", "SOURCE_NAMESPACE"]

# Fixed forever: converted statements' ids depend on it (re-imports must find them again).
SOURCE_NAMESPACE = uuid.UUID("3c9b0a52-7f0e-5d1c-8b7a-4c6561726e62")
_NS = SOURCE_NAMESPACE.bytes


@dataclass(frozen=True, slots=True)
class Skip:
    """A valid record that is not learner activity; ``reason`` is a category (no personal data)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Reject:
    """An invalid record: a dotted ``rule`` (``caliper.required``), a ``reason`` and the ``place``
    in the record (``actor.id``, ``data[2].eventTime``) when there is one."""

    rule: str
    reason: str
    place: str | None = None

    def message(self) -> str:
        """The reason with its place, as the quarantine shows it."""
        return f"{self.reason} (at {self.place})" if self.place else self.reason


def derived_uuid(fmt: str, key: str) -> str:
    """The statement id for the source record with key ``key`` in format ``fmt``: the UUID 5
    (RFC 4122 section 4.3) of ``fmt NUL key`` in :data:`SOURCE_NAMESPACE`, built directly from
    the SHA-1 (``uuid.uuid5`` gives the same text, at twice the cost on the hot path)."""
    b = bytearray(hashlib.sha1(_NS + f"{fmt}\x00{key}".encode("utf-8", "surrogatepass")).digest()[:16])
    b[6] = (b[6] & 0x0F) | 0x50
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def content_key(obj: Any) -> str:
    """A key for a record with no event id of its own: its canonical JSON (sorted keys)."""
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode("utf-8", "replace")


def iso_utc(text: Any, *, naive_is_utc: bool = True) -> str | None:
    """``text`` (ISO 8601 date and time) as UTC ``YYYY-MM-DDTHH:MM:SS.mmmZ``, or None when it
    is not one.  A time without an offset is UTC when ``naive_is_utc`` (tracking logs are
    written in UTC), else refused."""
    if type(text) is not str or not 16 <= len(text) <= 40 or text[4:5] != "-" or text[10:11] not in "Tt ":
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None:
        if not naive_is_utc:
            return None
        when = when.replace(tzinfo=UTC)
    when = when.astimezone(UTC)
    if not 1900 <= when.year <= 2199:
        return None
    if len(text) == 24 and text[23] == "Z" and text[19] == "." and text[10] == "T":
        return text  # already YYYY-MM-DDTHH:MM:SS.mmmZ (the usual case: no formatting)
    return f"{when:%Y-%m-%dT%H:%M:%S}.{when.microsecond // 1000:03d}Z"
