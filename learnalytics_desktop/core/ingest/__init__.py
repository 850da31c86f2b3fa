"""xAPI ingest: validation, readers, the importer, categories and pseudonymisation.

The stable entry points (imported lazily so that importing this package stays cheap):

* ``import_paths(db, paths, *, pseudonymize_key=None, course_fallback=None, report=...)``
  and ``validate_paths(paths)`` (``core.ingest.importer``), ``ImportReport`` (``report``);
* ``validate_statement`` / ``InvalidStatement`` (``validate``);
* ``CATEGORIES``, ``load_mapping``, ``save_mapping`` (``categories``);
* ``pseudonymize_ifi``, ``load_key`` (``pseudonym``).
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
