"""Worker-side jobs of the Import page. Plain functions (no Qt): each runs on the task
runner's database thread, or for :func:`run_import` in a child process (``.in_process()``:
everything it returns is pickled back, so it stays small), and opens its own connection.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from learnalytics_desktop.core.jobs import NullReporter, Reporter

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

COUNT_KEYS = ("read", "stored", "duplicates", "conflicts", "rejected", "skipped", "voided")


@dataclass
class ImportOutcome:
    """An import run as the page shows it: the importer's report plus details from the store."""

    report: Any  # core.ingest.importer.ImportReport
    sources: list[str]
    import_ids: list[int]
    rejects_by_rule: list[dict[str, Any]] = field(default_factory=list)  # rule, count, example reason
    conflicts: list[dict[str, Any]] = field(default_factory=list)  # statement_id, source, location
    frames: dict[str, Any] = field(default_factory=dict)  # "rejects", "conflicts": DataFrames for the tables

    def counts(self) -> dict[str, int]:
        """The integer counts (read = stored + duplicates + conflicts + rejected + skipped)."""
        return {k: int(getattr(self.report, k, 0) or 0) for k in COUNT_KEYS}

    def formats(self) -> list[tuple[str, str]]:
        """``(file name, what it was read as)`` for each file of the run."""
        from learnalytics_desktop.core.ingest.formats import FORMAT_NAMES, get_format

        out = []
        for f in getattr(self.report, "files", None) or ():
            name = getattr(f, "format", "xapi")
            title = get_format(name).title if name in FORMAT_NAMES else "no known format"
            out.append((Path(str(f.source)).name, title))
        return out

    def skip_reasons(self) -> list[tuple[str, int]]:
        """Why records were skipped, most frequent first."""
        got = getattr(self.report, "skips_by_reason", None) or {}
        return sorted(got.items(), key=lambda kv: (-kv[1], kv[0]))

    def notes(self) -> list[str]:
        """The importer's notes: on the run, then per file (prefixed with the file name)."""
        out = [str(n) for n in getattr(self.report, "notes", None) or ()]
        for f in getattr(self.report, "files", None) or ():
            name = Path(str(f.source)).name
            out += [f"{name}: {n}" for n in getattr(f, "notes", None) or ()]
            if getattr(f, "status", "done") == "failed" and getattr(f, "message", None):
                out.append(f"{name}: {f.message}")
        return out


def core_import(db_path: Path, paths: Sequence[Path], **kw: Any) -> Any:
    """``core.ingest.importer.import_paths`` (imported on the worker: it is not light)."""
    from learnalytics_desktop.core.ingest.importer import import_paths

    return import_paths(db_path, list(paths), **kw)


def run_import(
    db_path: str | os.PathLike[str],
    paths: Sequence[str | os.PathLike[str]],
    *,
    key_file: str | os.PathLike[str] | None = None,
    course_fallback: str | None = None,
    source_format: str | None = None,
    format_options: dict[str, Any] | None = None,
    importer: Callable[..., Any] = core_import,
    report: Reporter = NullReporter(),
) -> ImportOutcome:
    """Import ``paths`` into the database, then collect the run's rejects and conflicts.

    ``key_file`` (pseudonymisation) is read with ``core.ingest.pseudonym.load_key``, whose
    errors name the file and what is wrong with it.
    """
    from learnalytics_desktop.core.ingest import quarantine
    from learnalytics_desktop.core.store.db import open_db

    db = Path(db_path)
    pseudonymize_key = None
    if key_file is not None:
        from learnalytics_desktop.core.ingest.pseudonym import load_key

        pseudonymize_key = load_key(key_file)
    conn = open_db(db)
    try:
        before = quarantine.last_import_id(conn)
    finally:
        conn.close()
    kw: dict[str, Any] = {"report": report}
    if pseudonymize_key is not None:
        kw["pseudonymize_key"] = pseudonymize_key
    if course_fallback:
        kw["course_fallback"] = course_fallback
    if source_format:
        kw["source_format"] = source_format
    if format_options:
        kw["format_options"] = dict(format_options)
    result = importer(db, [Path(p) for p in paths], **kw)
    conn = open_db(db)
    try:
        ids = _run_import_ids(conn, result, before)
        outcome = ImportOutcome(
            report=result,
            sources=[str(p) for p in paths],
            import_ids=ids,
            rejects_by_rule=quarantine.rejects_by_rule(
                conn, ids, getattr(result, "rejects_by_rule", None) or {}
            ),
            conflicts=quarantine.conflicts_of(conn, ids),
        )
    finally:
        conn.close()
    # The tables' DataFrames are built here, on the worker: the first pandas import costs
    # the better part of a second, which must not be spent on the GUI thread.
    import pandas as pd

    outcome.frames = {
        "rejects": pd.DataFrame(outcome.rejects_by_rule, columns=["rule", "count", "example"]),
        "conflicts": pd.DataFrame(outcome.conflicts, columns=["statement_id", "source", "location"]),
    }
    return outcome


def _run_import_ids(conn: Any, result: Any, before: int) -> list[int]:
    """The ``imports`` rows of this run: from the report's files (a resumed run's rows are
    older than the run), else those created during the run."""
    ids = [
        f.import_id for f in getattr(result, "files", None) or () if getattr(f, "import_id", None) is not None
    ]
    if ids:
        return sorted({int(i) for i in ids})
    from learnalytics_desktop.core.ingest.quarantine import imports_after

    return imports_after(conn, before)


def load_quarantine(db_path: str | os.PathLike[str], *, report: Reporter = NullReporter()) -> pd.DataFrame:
    """Every rejected record in the database (``core.ingest.quarantine.quarantine_frame``)."""
    from learnalytics_desktop.core.ingest.quarantine import quarantine_frame
    from learnalytics_desktop.core.store.db import open_db

    conn = open_db(db_path, create=False)
    try:
        return quarantine_frame(conn)
    finally:
        conn.close()


def report_rows(outcome: ImportOutcome) -> list[dict[str, Any]]:
    """The import report as rows ``section, name, count, detail`` (one CSV file)."""
    rows: list[dict[str, Any]] = []
    for key, value in outcome.counts().items():
        rows.append({"section": "count", "name": key, "count": value, "detail": ""})
    rate = getattr(outcome.report, "statements_per_second", None)
    if rate is not None:
        rows.append(
            {"section": "speed", "name": "statements per second", "count": round(float(rate)), "detail": ""}
        )
    if getattr(outcome.report, "cancelled", False):
        rows.append(
            {
                "section": "status",
                "name": "cancelled",
                "count": "",
                "detail": "run the import again to complete it",
            }
        )
    for src in outcome.sources:
        rows.append({"section": "source", "name": src, "count": "", "detail": ""})
    for name, title in outcome.formats():
        rows.append({"section": "format", "name": name, "count": "", "detail": title})
    for why, n in outcome.skip_reasons():
        rows.append({"section": "skipped records", "name": "", "count": n, "detail": why})
    for path, why in getattr(outcome.report, "skipped_files", None) or ():
        rows.append({"section": "skipped", "name": str(path), "count": "", "detail": why})
    for note in outcome.notes():
        rows.append({"section": "note", "name": "", "count": "", "detail": note})
    for r in outcome.rejects_by_rule:
        rows.append(
            {"section": "rejected by rule", "name": r["rule"], "count": r["count"], "detail": r["example"]}
        )
    for c in outcome.conflicts:
        rows.append(
            {
                "section": "conflict",
                "name": c["statement_id"],
                "count": "",
                "detail": f"{c['source']} {c['location']}",
            }
        )
    return rows


def export_report(
    db_path: str | os.PathLike[str],
    outcome: ImportOutcome,
    target: str | os.PathLike[str],
    *,
    report: Reporter = NullReporter(),
) -> int:
    """Write the import report as CSV (atomically) and log the export; returns the rows written."""
    from learnalytics_desktop.core.export import record_export, write_csv_atomic
    from learnalytics_desktop.core.store.db import open_db

    n = write_csv_atomic(target, report_rows(outcome), ["section", "name", "count", "detail"])
    conn = open_db(db_path, create=False)
    try:
        record_export(conn, "import report", target, n, imports=outcome.import_ids)
    finally:
        conn.close()
    return n


def export_quarantine(
    db_path: str | os.PathLike[str],
    frame: pd.DataFrame,
    target: str | os.PathLike[str],
    *,
    report: Reporter = NullReporter(),
) -> int:
    """Write the quarantine rows given as CSV and log it (``core.ingest.quarantine``)."""
    from learnalytics_desktop.core.ingest.quarantine import export_quarantine as core_export
    from learnalytics_desktop.core.store.db import open_db

    conn = open_db(db_path, create=False)
    try:
        return core_export(conn, frame, target)
    finally:
        conn.close()
