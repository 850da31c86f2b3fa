"""Ingest: source readers, xAPI validation, the importer, categories and pseudonymisation.

The stable entry points (imported lazily so that importing this package stays cheap):

* ``import_paths(db, paths, *, pseudonymize_key=None, course_fallback=None, report=...,
  source_format=None, format_options=None)`` and ``validate_paths(paths, ...)``
  (``core.ingest.importer``), ``ImportReport`` (``report``);
* ``validate_statement`` / ``InvalidStatement`` (``validate``);
* ``CATEGORIES``, ``load_mapping``, ``save_mapping`` (``categories``);
* ``pseudonymize_ifi``, ``load_key`` (``pseudonym``).

Sources other than xAPI (how a new reader plugs in)
---------------------------------------------------
Every source is converted, record by record, into xAPI statements that then take the xAPI
path unchanged (validation, canonical hash, pseudonymisation, chunked resumable writer,
duplicate / conflict / voiding semantics), so every guarantee holds for every source.

1. ``formats.FORMATS`` is the one registry: add a ``SourceFormat(name, title, converter=,
   opener=, sniff_json= / sniff_table=, required=)`` entry (dotted ``"module:function"``
   strings, imported on first use, also in the spawned worker processes).
2. ``converter``: ``make(options) -> convert``; ``convert(record)`` gets one parsed record
   (a JSON value; for tables the row as a ``{column: text}`` dict) and returns a statement
   dict, ``convert.Skip(reason)`` (valid but not learner activity; the reason is a category,
   never personal data) or ``convert.Reject(rule, reason, place)``.  Ids are deterministic:
   ``convert.derived_uuid(format, source event id or convert.content_key(record))``.
3. ``opener`` (optional; default the JSON reader ``readers.Reader``): ``open(source, limits,
   options)`` returns an object with ``blocks()`` -> lists of ``(location, bytes, rule,
   reason)`` records (a table row as ``orjson.dumps`` of its dict; ``rule``/``reason`` with
   ``bytes=None`` for text that cannot be cut into a record), ``bytes_done``, ``sha256`` (once
   read to the end) and ``notes``.  Stream: never read a file whole.  Tables use
   ``core.tabular``.
4. ``sniff_json(obj) -> bool`` / ``sniff_table(columns) -> bool`` let ``detect`` recognise the
   format from the content; ``required`` options (e.g. ``home_page``) are checked before
   anything is written (``sourcing.FormatError``, one clear line).  The CLI passes options
   from ``cli.ingest_cmds.format_options``; the Import page from its format box.
5. Emit verbs and activity types that ``categories`` maps (``categories.DEFAULT_VERBS`` / ``DEFAULT_TYPES``)
   and put the course in ``context.contextActivities.parent`` with type
   ``http://adlnet.gov/expapi/activities/course``.
6. Report: ``read = stored + duplicates + conflicts + rejected + skipped``; each file's
   ``format`` is recorded (``imports.format``, ``FileResult.format``).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "import_paths": "importer",
    "validate_paths": "importer",
    "ImportReport": "report",
    "FileResult": "report",
    "validate_statement": "validate",
    "InvalidStatement": "validate",
    "CATEGORIES": "categories",
    "load_mapping": "categories",
    "save_mapping": "categories",
    "pseudonymize_ifi": "pseudonym",
    "load_key": "pseudonym",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
