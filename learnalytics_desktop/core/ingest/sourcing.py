"""Per file: which format it is read as, and the record source that reads it.

``plan_files`` runs before anything is written: it detects each file's format (or takes the
one the user forced), and raises :class:`FormatError` with one clear line when a format needs
an option that was not given (e.g. Moodle's site URL), so an import never stops half-way for
a missing setting.  ``open_records`` gives the importer the object whose ``blocks()`` it reads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from learnalytics_desktop.core.ingest.detect import detect_format
from learnalytics_desktop.core.ingest.formats import FORMAT_NAMES, get_format, load, missing_options
from learnalytics_desktop.core.ingest.readers import Reader, ReadLimits, SourceFile
from learnalytics_desktop.core.ingest.textformats import Record

__all__ = ["FormatError", "Plan", "UNKNOWN", "open_records", "plan_files", "spec_of"]

UNKNOWN = "unknown"


class FormatError(ValueError):
    """The files cannot be read as asked: an unknown --format, or a required option missing."""


@dataclass(frozen=True)
class Plan:
    """How one file is read: ``format`` (a format name or ``unknown``), the worker ``spec``
    and a ``note`` from detection (what an unknown file looks like)."""

    format: str
    spec: Any
    note: str | None = None


def spec_of(fmt: str, options: Mapping[str, Any] | None) -> Any:
    """The picklable, hashable description of a format and its options that workers get."""
    if fmt in ("xapi", UNKNOWN):
        return None
    items = tuple(sorted((k, _freeze(v)) for k, v in (options or {}).items()))
    return (fmt, items)


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def plan_files(
    sources: list[SourceFile],
    source_format: str | None,
    options: Mapping[str, Any] | None,
    limits: ReadLimits,
) -> dict[str, Plan]:
    """The plan for each file (by ``SourceFile.display``); raises :class:`FormatError`."""
    if source_format is not None and source_format not in FORMAT_NAMES:
        raise FormatError(f"unknown format {source_format!r}; the formats are: {', '.join(FORMAT_NAMES)}")
    plans: dict[str, Plan] = {}
    for s in sources:
        if source_format is not None:
            name, note = source_format, None
        else:
            found = detect_format(s, limits)
            name, note = found.format or UNKNOWN, found.note
        if name != UNKNOWN:
            missing = missing_options(get_format(name), options)
            if missing:
                raise FormatError(f"{s.display} is read as {get_format(name).title}: {'; '.join(missing)}")
            _check_options(name, options, s)
        plans[s.display] = Plan(name, spec_of(name, options), note)
    return plans


def _check_options(name: str, options: Mapping[str, Any] | None, source: SourceFile) -> None:
    """Build the format's converter once, so that unusable options (a column mapping without
    the student, an unknown time zone) stop the import before anything is written: a
    converter's ``make`` raises ``ValueError`` with the message for them."""
    fmt = get_format(name)
    if fmt.converter is None:
        return
    try:
        load(fmt.converter)(dict(options or {}))
    except ValueError as exc:
        raise FormatError(f"{source.display} is read as {fmt.title}: {exc}") from None


class _Unknown:
    """A file in no known format: one rejected record that says what it looks like."""

    def __init__(self, source: SourceFile, reason: str) -> None:
        self.source = source
        self.reason = reason
        self.notes: list[str] = []
        self.sha256: str | None = None
        self.bytes_done = 0

    def blocks(self) -> Iterator[list[Record]]:
        h = hashlib.sha256()
        try:
            with open(self.source.path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
                    self.bytes_done += len(block)
        except OSError as exc:
            yield [("file", None, "file.unreadable", f"the file cannot be read: {exc.strerror or exc}")]
            return
        self.sha256 = h.hexdigest()
        yield [("file", None, "format.unknown", f"the file {self.reason}")]


def open_records(
    source: SourceFile, plan: Plan, limits: ReadLimits, options: Mapping[str, Any] | None
) -> Any:
    """The record source for ``source`` read as ``plan.format`` (see ``formats``)."""
    if plan.format == UNKNOWN:
        return _Unknown(source, plan.note or "is not in a known format")
    fmt = get_format(plan.format)
    if fmt.opener is None:
        reader = Reader(source, limits)
    else:
        reader = load(fmt.opener)(source, limits, dict(options or {}))
    if plan.note:
        reader.notes.append(plan.note)
    return reader
