"""The source formats the importer reads, and how each plugs into the pipeline.

Every format is one :class:`SourceFormat` entry in :data:`FORMATS` (the only registry: spawned
worker processes import this module and find the same entries, so there is no run-time
registration).  An entry names, as ``"module:function"`` strings imported on first use:

* ``converter`` -- ``make(options) -> convert``; ``convert(record)`` takes one parsed source
  record (a JSON value) and returns an xAPI statement dict, a ``convert.Skip`` or a
  ``convert.Reject``.  It runs in the worker processes, so it must be a pure function of the
  record and the options.  ``None`` for xAPI itself (records are statements already).
* ``opener`` -- ``open(source, limits, options) -> RecordSource``: an object with
  ``blocks()`` (lists of ``(location, data, rule, reason)`` records, ``data`` the record's
  bytes: for tables, ``orjson.dumps`` of the row as an object), ``bytes_done``, ``sha256``
  (after reading) and ``notes``.  ``None``: the JSON reader (``readers.Reader``), which reads
  JSON, JSON Lines, arrays, gzip and zip.
* ``sniff_json`` -- ``looks(obj) -> bool`` for a parsed JSON record; ``sniff_table`` --
  ``looks(columns) -> bool`` for a table's header (lower-cased, stripped).  Used by
  ``detect`` when no ``--format`` is given.
* ``required`` -- option names the format cannot run without, with the message that says how
  to give them (e.g. Moodle's ``home_page``: "give the site URL with --home-page URL").

Options (``format_options``) are a flat JSON-able dict (strings, numbers, a mapping dict); they
are part of an import run's key, so the same files read with other options are another run.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FORMATS", "FORMAT_NAMES", "SourceFormat", "get_format", "load", "missing_options"]


@dataclass(frozen=True)
class SourceFormat:
    """One importable source format (see the module docstring)."""

    name: str  # the --format value
    title: str  # what the report and the Import page show
    converter: str | None = None
    opener: str | None = None
    sniff_json: str | None = None
    sniff_table: str | None = None
    required: dict[str, str] = field(default_factory=dict)  # option -> how to give it


FORMATS: tuple[SourceFormat, ...] = (
    SourceFormat("xapi", "xAPI statements"),
    SourceFormat(
        "caliper",
        "IMS Caliper 1.2 events",
        converter="learnalytics_desktop.core.ingest.caliper.convert:make",
        opener="learnalytics_desktop.core.ingest.caliper.envelope:open_source",
        sniff_json="learnalytics_desktop.core.ingest.caliper.convert:looks_like",
    ),
    SourceFormat(
        "edx",
        "Open edX tracking log",
        converter="learnalytics_desktop.core.ingest.edx.convert:make",
        sniff_json="learnalytics_desktop.core.ingest.edx.convert:looks_like",
    ),
    SourceFormat(
        "moodle",
        "Moodle standard log (logstore_standard_log)",
        converter="learnalytics_desktop.core.ingest.tables.moodle:make",
        opener="learnalytics_desktop.core.ingest.tables.reader:open_source",
        sniff_table="learnalytics_desktop.core.ingest.tables.moodle:looks_like",
        required={
            "home_page": "Moodle user ids are only unique within one site: give the site URL with --home-page URL (e.g. https://moodle.example.edu)"
        },
    ),
    SourceFormat(
        "events-csv",
        "Event table (CSV, TSV or Parquet) with a column mapping",
        converter="learnalytics_desktop.core.ingest.tables.events:make",
        opener="learnalytics_desktop.core.ingest.tables.events:open_source",
    ),
    SourceFormat(
        "oulad-vle",
        "OULAD studentVle daily clicks",
        converter="learnalytics_desktop.core.ingest.tables.events:make_oulad",
        opener="learnalytics_desktop.core.ingest.tables.events:open_oulad",
        sniff_table="learnalytics_desktop.core.ingest.tables.events:looks_like_oulad",
        required={
            "course_start": "OULAD dates count days from each presentation's start: give it with "
            "--course-start YYYY-MM-DD (or COURSE=YYYY-MM-DD per presentation, e.g. AAA-2013J=2013-10-05)"
        },
    ),
)

FORMAT_NAMES: tuple[str, ...] = tuple(f.name for f in FORMATS)
_BY_NAME = {f.name: f for f in FORMATS}
_LOADED: dict[str, Any] = {}


def get_format(name: str) -> SourceFormat:
    """The format called ``name``; ``ValueError`` naming the known ones otherwise."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown format {name!r}; the formats are: {', '.join(FORMAT_NAMES)}") from None


def load(ref: str) -> Callable[..., Any]:
    """The function a ``"module:function"`` reference names (imported once per process)."""
    fn = _LOADED.get(ref)
    if fn is None:
        module, _, attr = ref.partition(":")
        fn = _LOADED[ref] = getattr(importlib.import_module(module), attr)
    loaded: Callable[..., Any] = fn
    return loaded


def missing_options(fmt: SourceFormat, options: Mapping[str, Any] | None) -> list[str]:
    """The messages for the required options of ``fmt`` that ``options`` lacks."""
    options = options or {}
    return [msg for key, msg in fmt.required.items() if options.get(key) in (None, "")]
