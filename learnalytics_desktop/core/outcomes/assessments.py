"""The assessment calendar of an offering: its assignments, quizzes and exams with due dates.

Imported from a CSV file (read by ``core.tabular.read_csv``) with a column mapping:

* **id** (required): the assessment's id in the file, or its activity IRI;
* **title**, **kind**, **due**, **weight** (percent of the final mark), **max score** (optional).

Which activity an item is (so its statements count as submissions): the id itself when it
is an IRI, else ``iri_template`` with ``{id}`` replaced (``https://lms.example/mod/assign/{id}``).
An item whose activity no statement names yet is kept: it is still due, and counts as
missing for everyone, until statements name it (the match is made again on every read).

**Kind** words (case-insensitive): assignment, TMA (tutor-marked), essay, homework, project,
report, coursework, portfolio -> ``assignment``; quiz, CMA (computer-marked), test, MCQ ->
``quiz``; exam, examination, final -> ``exam``. No kind column: every item is an assignment.
**Due** is ``YYYY-MM-DD`` (the due moment is the end of that day: 00:00 UTC of the next day,
so work handed in on the day is on time), an ISO date-time (that instant), or a whole number of
days from the offering's start (OULAD's ``date``; the same end-of-day rule). Blank: no due date
(OULAD leaves final exams undated).

The preset ``oulad`` names OULAD's ``assessments.csv`` columns (``id_assessment``,
``assessment_type``, ``date``, ``weight``). When the file has ``code_module`` and
``code_presentation`` columns holding more than one offering, ``where`` must pick one
(``{"code_module": "AAA", "code_presentation": "2014J"}``).

An import replaces the offering's earlier imported calendar in one transaction; a bad value
anywhere imports nothing and the message lists the rows. What the app learns from the data
without a file: the category of an activity (assignment or assessment) gives the word used in
reasons, but xAPI has no standard due-date field, so due dates come only from a calendar.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from learnalytics_desktop.core.outcomes.matching import OutcomesError, bad_values, column_for
from learnalytics_desktop.core.tabular import CsvError, parse_date_ms, parse_number, read_csv

KINDS = ("assignment", "quiz", "exam")
KIND_WORDS: dict[str, str] = {
    **{
        w: "assignment"
        for w in (
            "assignment",
            "tma",
            "essay",
            "homework",
            "project",
            "report",
            "coursework",
            "portfolio",
            "assign",
        )
    },
    **{w: "quiz" for w in ("quiz", "cma", "test", "mcq", "questionnaire")},
    **{w: "exam" for w in ("exam", "examination", "final", "final exam")},
}
ID_NAMES = ("id", "assessment id", "id assessment", "activity", "activity iri", "iri")
TITLE_NAMES = ("title", "name", "assessment", "assessment name")
KIND_NAMES = ("kind", "type", "assessment type", "category")
DUE_NAMES = ("due", "due date", "deadline", "date", "due at")
WEIGHT_NAMES = ("weight", "weighting", "percent")
MAX_NAMES = ("max score", "max", "maximum", "out of", "points")
PRESETS: dict[str, dict[str, str]] = {
    "oulad": {
        "id": "id_assessment",
        "kind": "assessment_type",
        "due": "date",
        "weight": "weight",
        "title": "",
    },
}
DAY_MS = 86_400_000


@dataclass
class CalendarReport:
    """What an assessment calendar import did."""

    course_id: int
    file: str
    columns: dict[str, str]
    items: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    with_due: int = 0
    matched_activities: int = 0  # items whose activity statements already name
    skipped_rows: int = 0  # rows of other offerings (``where``)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        kinds = ", ".join(f"{n} {k}{'s' if n != 1 else ''}" for k, n in sorted(self.by_kind.items()))
        return (
            f"assessment calendar: {self.items} items from {self.file} ({kinds or 'none'}); "
            f"{self.with_due} with a due date; {self.matched_activities} already have statements"
            + (f"; {self.skipped_rows} rows of other offerings skipped" if self.skipped_rows else "")
            + "."
            + "".join(f"\n  warning: {w}" for w in self.warnings)
        )


def _getter(cells: list[str], cols: dict[str, int | None]) -> Any:
    def get(role: str) -> str:
        i = cols[role]
        return cells[i].strip() if i is not None else ""

    return get


def _parse_rows(
    rows: list[tuple[int, list[str]]],
    cols: dict[str, int | None],
    iri_template: str | None,
    start_ms: int | None,
) -> tuple[list[tuple[Any, ...]], list[str]]:
    """The calendar items of the rows, and the errors (line by line)."""
    items, errors = [], []
    seen: set[str] = set()
    for line, cells in rows:
        get = _getter(cells, cols)
        key = get("id")
        if not key:
            errors.append(f"line {line}: no assessment id")
            continue
        iri = (
            key
            if ("://" in key or key.startswith("urn:"))
            else (iri_template.replace("{id}", key) if iri_template else key)
        )
        if iri in seen:
            errors.append(f"line {line}: assessment {key!r} appears twice")
            continue
        seen.add(iri)
        word = " ".join(get("kind").lower().split())
        kind = KIND_WORDS.get(word) if word else "assignment"
        if kind is None:
            errors.append(
                f"line {line}: kind {get('kind')!r} is not assignment, quiz or exam (or TMA, CMA, Exam)"
            )
            continue
        due_text = get("due")
        try:
            due = parse_date_ms(due_text, start_ms)
        except ValueError:
            hint = "" if start_ms is not None else " (day numbers need the offering's start date)"
            errors.append(
                f"line {line}: due date {due_text!r} is not YYYY-MM-DD, a date-time or a day number{hint}"
            )
            continue
        if due is not None and ("T" not in due_text and ":" not in due_text):
            due += DAY_MS  # a due day: work handed in on that day is on time
        try:
            weight = parse_number(get("weight")) if get("weight") else None
            top = parse_number(get("max_score")) if get("max_score") else None
        except ValueError:
            errors.append(f"line {line}: weight or max score is not a number")
            continue
        items.append((iri, get("title") or f"{kind} {key}", kind, due, weight, top))
    return items, errors


def import_assessments(
    conn: sqlite3.Connection,
    course_id: int,
    csv_path: str | Path,
    *,
    id_column: str | None = None,
    title_column: str | None = None,
    kind_column: str | None = None,
    due_column: str | None = None,
    weight_column: str | None = None,
    max_score_column: str | None = None,
    iri_template: str | None = None,
    preset: str | None = None,
    where: dict[str, str] | None = None,
) -> CalendarReport:
    """Import an offering's assessment calendar (see the module docstring). Columns not named
    (None) are recognised from common headers; ``""`` means the role is not used."""
    from learnalytics_desktop.core.courses import course_start, get_course
    from learnalytics_desktop.core.store.db import audit, transaction

    given = {
        "id": id_column,
        "title": title_column,
        "kind": kind_column,
        "due": due_column,
        "weight": weight_column,
        "max_score": max_score_column,
    }
    if preset is not None:
        if preset not in PRESETS:
            raise OutcomesError(f"unknown preset {preset!r}; use one of {', '.join(PRESETS)}")
        given = {r: (v if v is not None else PRESETS[preset].get(r)) for r, v in given.items()}
    if iri_template is not None and "{id}" not in iri_template:
        raise OutcomesError(f"the activity IRI pattern must contain {{id}}, got {iri_template!r}")
    try:
        table = read_csv(csv_path)
    except CsvError as exc:
        raise OutcomesError(str(exc)) from None
    course = get_course(conn, int(course_id))
    cols = {
        role: column_for(table, given[role], names, role.replace("_", " "))
        for role, names in (
            ("id", ID_NAMES),
            ("title", TITLE_NAMES),
            ("kind", KIND_NAMES),
            ("due", DUE_NAMES),
            ("weight", WEIGHT_NAMES),
            ("max_score", MAX_NAMES),
        )
    }
    if cols["id"] is None:
        raise OutcomesError(
            f"{table.path.name}: no assessment id column was given or recognised (--id-column). "
            f"Its columns are: {', '.join(repr(h) for h in table.header)}."
        )
    rows = table.rows
    try:
        filters = {k: table.index(k, "filter") for k in (where or {})}
    except CsvError as exc:
        raise OutcomesError(str(exc)) from None
    skipped = 0
    if filters:
        keep = [(ln, c) for ln, c in rows if all(c[i].strip() == str(where[k]) for k, i in filters.items())]  # type: ignore[index]
        skipped = len(rows) - len(keep)
        rows = keep
    else:
        for name in ("code_presentation", "code_module"):
            if name in table.header:
                values = {c[table.header.index(name)].strip() for _, c in rows}
                if len(values) > 1:
                    raise OutcomesError(
                        f"{table.path.name} holds several offerings ({name}: {', '.join(sorted(values)[:6])}); "
                        f"choose this offering's rows (--where {name}=...)"
                    )
    start = course_start(conn, course.id)
    start_ms = (
        None
        if start is None
        else int(datetime(start.year, start.month, start.day, tzinfo=UTC).timestamp() * 1000)
    )
    items, errors = _parse_rows(rows, cols, iri_template, start_ms)
    if errors:
        raise bad_values(table.path.name, errors)
    if not items:
        raise OutcomesError(f"{table.path.name}: no assessments to import.")
    report = CalendarReport(
        course_id=course.id,
        file=table.path.name,
        columns={r: table.header[c] for r, c in cols.items() if c is not None},
        skipped_rows=skipped,
        warnings=list(table.warnings),
    )
    with transaction(conn):
        conn.execute("DELETE FROM assessments WHERE course = ? AND source = 'csv'", (course.id,))
        for iri, title, kind, due, weight, top in items:
            act = conn.execute("SELECT id FROM activities WHERE iri = ?", (iri,)).fetchone()
            conn.execute(
                "INSERT INTO assessments(course, key, activity, title, kind, due_ms, weight, max_score, source) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'csv') ON CONFLICT(course, key) DO UPDATE SET "
                "activity = excluded.activity, title = excluded.title, kind = excluded.kind, "
                "due_ms = excluded.due_ms, weight = excluded.weight, max_score = excluded.max_score, source = 'csv'",
                (course.id, iri, act[0] if act else None, title, kind, due, weight, top),
            )
            report.items += 1
            report.by_kind[kind] = report.by_kind.get(kind, 0) + 1
            report.with_due += due is not None
            report.matched_activities += act is not None
        audit(conn, "import_assessments", course=course.id, file=table.path.name, items=report.items)
    if report.matched_activities == 0:
        report.warnings.append(
            "no statement names any of these assessments yet: check the activity IRI pattern "
            "(--iri-template) if statements have been imported"
        )
    return report


ROLES: tuple[tuple[str, str], ...] = (
    ("id", "Assessment id or activity IRI"),
    ("title", "Title"),
    ("kind", "Kind (assignment / quiz / exam)"),
    ("due", "Due date"),
    ("weight", "Weight (%)"),
    ("max_score", "Maximum score"),
)


def guess_columns(header: list[str]) -> dict[str, str]:
    """role -> header for the calendar's columns, recognised as :func:`import_assessments`
    does for a column that is not named (a header goes to one role at most); OULAD's
    ``assessments.csv`` is recognised by its own column names."""
    from learnalytics_desktop.core.tabular import CsvTable

    if {"id_assessment", "assessment_type", "date"} <= set(header):
        return {r: c for r, c in PRESETS["oulad"].items() if c}
    table = CsvTable(Path("calendar.csv"), "", ",", list(header), [])
    names = {
        "id": ID_NAMES,
        "title": TITLE_NAMES,
        "kind": KIND_NAMES,
        "due": DUE_NAMES,
        "weight": WEIGHT_NAMES,
        "max_score": MAX_NAMES,
    }
    out: dict[str, str] = {}
    for role, _ in ROLES:
        hit = table.guess(names[role])
        if hit is not None and hit not in out.values():
            out[role] = hit
    return out


def import_calendar_file(
    conn: sqlite3.Connection,
    course_id: int,
    csv_path: str | Path,
    mapping: dict[str, str],
    iri_template: str | None = None,
    where: dict[str, str] | None = None,
) -> tuple[CalendarReport, list[dict[str, Any]]]:
    """The app's import: ``mapping`` is role -> column ("" or missing = not used); returns
    the report and the calendar now stored."""
    report = import_assessments(
        conn,
        course_id,
        csv_path,
        **{f"{role}_column": mapping.get(role) or "" for role, _ in ROLES},
        iri_template=iri_template or None,
        where=where or None,
    )
    return report, list_assessments(conn, course_id)


def list_assessments(conn: sqlite3.Connection, course_id: int) -> list[dict[str, Any]]:
    """The offering's calendar, by due date (undated last): key, title, kind, due (ISO UTC or
    None), weight, max_score, source, and ``submissions`` (statements naming it)."""
    out = []
    for key, title, kind, due, weight, top, source, act in conn.execute(
        "SELECT c.key, c.title, c.kind, c.due_ms, c.weight, c.max_score, c.source, "
        "coalesce(c.activity, (SELECT a.id FROM activities a WHERE a.iri = c.key)) "
        "FROM assessments c WHERE c.course = ? ORDER BY c.due_ms IS NULL, c.due_ms, c.id",
        (int(course_id),),
    ):
        n = 0
        if act is not None:
            n = conn.execute(
                "SELECT count(*) FROM v_events WHERE course = ? AND object = ?", (int(course_id), act)
            ).fetchone()[0]
        when = None if due is None else datetime.fromtimestamp(due / 1000, UTC).isoformat(timespec="minutes")
        out.append(
            {
                "key": key,
                "title": title,
                "kind": kind,
                "due": when,
                "weight": weight,
                "max_score": top,
                "source": source,
                "statements": int(n),
            }
        )
    return out


__all__ = [
    "KINDS",
    "KIND_WORDS",
    "PRESETS",
    "ROLES",
    "CalendarReport",
    "guess_columns",
    "import_assessments",
    "import_calendar_file",
    "list_assessments",
]
