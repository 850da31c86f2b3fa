"""A gradebook or class list file as the import dialog handles it: how the core reads it
(a preview), which column plays which role, the import with the mapping the user chose, and
the match report as one CSV file.

* :func:`read_preview` reads the CSV with the core's reader (``core.tabular.read_csv``), so
  the encoding, delimiter and header handling shown are exactly what the import will use,
  and guesses each column's role with the core's own header names (:func:`guess_roles`).
* :func:`import_file` calls :func:`~learnalytics_desktop.core.outcomes.import_outcomes` /
  ``import_roster`` with the chosen mapping (a role set to "not used" is passed as ``""``).
* :func:`report_rows` / :func:`export_match_report` turn a ``MatchReport`` into one CSV file.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from learnalytics_desktop.core.jobs import NullReporter, Reporter

KINDS = ("outcomes", "roster")
#: role -> what the mapping form calls it, for each kind of file (in form order)
ROLES: dict[str, tuple[tuple[str, str], ...]] = {
    "outcomes": (
        ("id", "Student id"),
        ("email", "E-mail"),
        ("grade", "Final grade"),
        ("result", "Result"),
        ("passed", "Passed (yes/no)"),
        ("withdrew", "Withdrew (yes/no)"),
    ),
    "roster": (
        ("id", "Student id"),
        ("email", "E-mail"),
        ("status", "Status (active / withdrawn)"),
        ("registered", "Registration date"),
        ("withdrawn", "Withdrawal date"),
    ),
}
PREVIEW_ROWS = 25


@dataclass(frozen=True)
class CsvPreview:
    """The first rows of a CSV file as the core reads it, and the columns it would recognise."""

    path: Path
    encoding: str
    delimiter: str  # comma, semicolon, tab or bar
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (line number, cells) of the first PREVIEW_ROWS rows
    total_rows: int
    blank_lines: int
    warnings: list[str] = field(default_factory=list)
    guesses: dict[str, str] = field(default_factory=dict)  # role -> header (all roles of both kinds)

    def describe(self) -> str:
        """One line: how the file was read."""
        return (
            f"{self.total_rows:,} row{'s' if self.total_rows != 1 else ''} read as {self.encoding}, "
            f"{self.delimiter}-separated, {len(self.header)} columns"
            + (
                f"; {self.blank_lines} blank line{'s' if self.blank_lines != 1 else ''} skipped"
                if self.blank_lines
                else ""
            )
            + "."
        )


def guess_roles(header: Sequence[str]) -> dict[str, str]:
    """role -> header, recognised with the core's header names (the same guess the core makes
    for a column that is not named); a header is given to one role at most."""
    from learnalytics_desktop.core import outcomes as o
    from learnalytics_desktop.core.tabular import CsvTable

    table = CsvTable(Path("preview.csv"), "", ",", list(header), [])
    names = {
        "id": o.ID_NAMES,
        "email": o.EMAIL_NAMES,
        "grade": o.GRADE_NAMES,
        "result": o.RESULT_NAMES,
        "passed": o.PASSED_NAMES,
        "withdrew": o.WITHDREW_NAMES,
        "status": o.STATUS_NAMES,
        "registered": o.REGISTERED_NAMES,
        "withdrawn": o.WITHDRAWN_NAMES,
    }
    out: dict[str, str] = {}
    for kind in KINDS:  # a header goes to one role at most within each kind of file
        taken: set[str] = set()
        for role, _ in ROLES[kind]:
            if role in out:
                taken.add(out[role])
                continue
            hit = table.guess(names[role])
            if hit is not None and hit not in taken:
                out[role] = hit
                taken.add(hit)
    return out


def read_preview(path: str | os.PathLike[str], *, report: Reporter = NullReporter()) -> CsvPreview:
    """Read ``path`` with the core's CSV reader; raises ``OutcomesError`` (encoding, binary
    file, ragged rows...) or ``FileNotFoundError`` with a message naming the file."""
    from learnalytics_desktop.core.outcomes import OutcomesError
    from learnalytics_desktop.core.tabular import CsvError, read_csv

    report.progress(0.0, Path(path).name)
    try:
        table = read_csv(Path(path))
    except CsvError as exc:
        raise OutcomesError(str(exc)) from None
    report.check()
    return CsvPreview(
        path=Path(path),
        encoding=table.encoding,
        delimiter=table.delimiter_name,
        header=list(table.header),
        rows=[(line, list(cells)) for line, cells in table.rows[:PREVIEW_ROWS]],
        total_rows=len(table.rows),
        blank_lines=table.blank_lines,
        warnings=list(table.warnings),
        guesses=guess_roles(table.header),
    )


def import_file(
    conn: sqlite3.Connection,
    kind: str,
    course_id: int,
    csv_path: str | os.PathLike[str],
    mapping: Mapping[str, str | None],
    attributes: Sequence[str] = (),
    *,
    key_file: str | os.PathLike[str] | None = None,
    home_pages: Sequence[str] = (),
    report: Reporter = NullReporter(),
) -> Any:
    """Import a gradebook (``kind="outcomes"``) or class list (``"roster"``) into an offering
    and return the core's ``MatchReport``: the one use case behind the import dialog and
    ``learnalytics outcomes`` / ``roster``. ``mapping`` is role -> column: a column name;
    ``""`` (or a role left out) = "not used", as the dialog passes; ``None`` = let the core
    recognise the column by its header, as the command line does for an option not given.
    One transaction in the core: on any error nothing is written."""
    from learnalytics_desktop.core.outcomes import import_outcomes, import_roster

    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    key = None
    if key_file:
        from learnalytics_desktop.core.ingest.pseudonym import load_key

        key = load_key(key_file)
    columns: dict[str, Any] = {f"{role}_column": mapping.get(role, "") for role, _ in ROLES[kind]}
    report.progress(0.0, Path(csv_path).name)
    run = import_outcomes if kind == "outcomes" else import_roster
    result = run(
        conn,
        int(course_id),
        Path(csv_path),
        attribute_columns=list(attributes),
        pseudonymize_key=key,
        home_pages=home_pages,
        **columns,
    )
    report.progress(1.0, "done")
    return result


REPORT_COLUMNS = ["section", "row", "value", "reason", "candidates"]


def report_rows(result: Any) -> list[dict[str, Any]]:
    """A ``MatchReport`` as rows ``section, row, value, reason, candidates``: the summary
    counts, the columns used, every row not stored and every learner with no row."""
    rows: list[dict[str, Any]] = []

    def add(section: str, row: Any = "", value: Any = "", reason: str = "", candidates: str = "") -> None:
        rows.append(
            {"section": section, "row": row, "value": value, "reason": reason, "candidates": candidates}
        )

    add("file", value=result.file, reason=f"{result.encoding}, {result.delimiter}-separated")
    add("course", value=result.course)
    for name, value in (
        ("rows read", result.rows),
        ("matched", result.matched),
        ("created", result.created),
        ("unmatched", len(result.unmatched)),
        ("ambiguous", len(result.ambiguous)),
        ("duplicate rows", len(result.duplicates)),
        ("learners without a row", len(result.learners_without_row)),
    ):
        if name != "created" or result.kind == "roster":
            add("count", value=value, reason=name)
    for how, n in sorted(result.matched_by.items()):
        add("matched by", value=n, reason=how)
    for role, column in result.columns.items():
        add("column", value=column, reason=role)
    for section, items in (
        ("unmatched", result.unmatched),
        ("ambiguous", result.ambiguous),
        ("duplicate", result.duplicates),
    ):
        for it in items:
            add(section, it.row, it.value, it.reason, "; ".join(it.candidates))
    for learner in result.learners_without_row:
        add("learner without a row", value=learner["label"], reason="enrolled or active, but not in the file")
    for w in result.warnings:
        add("warning", reason=w)
    return rows


def export_match_report(
    conn: sqlite3.Connection,
    result: Any,
    target: str | os.PathLike[str],
    *,
    report: Reporter = NullReporter(),
) -> int:
    """Write the match report as CSV (atomically) and log the export; returns the rows written."""
    from learnalytics_desktop.core.export import record_export, write_csv_atomic

    n = write_csv_atomic(target, report_rows(result), REPORT_COLUMNS)
    record_export(conn, f"{result.kind} match report", target, n, course=result.course_id)
    return n


__all__ = [
    "KINDS",
    "REPORT_COLUMNS",
    "ROLES",
    "CsvPreview",
    "export_match_report",
    "guess_roles",
    "import_file",
    "read_preview",
    "report_rows",
]
