"""Gradebook outcomes and class lists (rosters): read, match to learners, store; at-risk labels.

**Matching a row to a learner** (the same for both files). A row's student id is compared
with the ``name`` of ``account`` identifiers; its e-mail (lower-cased, ``mailto:`` removed)
with the address of ``mbox`` actors and, as SHA-1 of ``mailto:<address>``, with
``mbox_sha1sum`` actors. In a pseudonymised database (given the key) the same identifiers
are pseudonymised with :func:`core.ingest.pseudonym.pseudonymize_ifi` and looked up; an id
needs the account's home page for that, taken from ``home_pages`` or from the accounts the
database holds in clear. A row whose candidates are several people is narrowed to the
people of this offering (enrolled or with a statement in it); still several → *ambiguous*
(reported, not stored). A second row for a person already matched is a *duplicate row*
(reported, the first one is kept). Nothing is dropped silently: every row is matched,
created (roster), unmatched, ambiguous or a duplicate, and the report also lists the
offering's learners who have no row.

**Roster students with no statement** are created as actors so that they appear in every
table (they are often the ones most at risk): an ``account`` on the home page the
offering's accounts use (so their statements, if any arrive later, join them), else an
``mbox`` actor when the row has an e-mail, else an account on ``urn:learnalytics:roster``.
In a pseudonymised database they are created under their pseudonym (the key is required).

**Storing** happens in one transaction (a bad value anywhere means nothing is written). An
outcomes import replaces the offering's earlier outcomes; a roster import replaces its
earlier roster enrolments. Columns the user marks as attributes (demographics and the
like) go to ``attributes``, never to features.

**Enrolment status on the class list** (optional columns): a status word (active,
enrolled, withdrawn, dropped, unregistered...), a registration date and a withdrawal date.
Dates are ``YYYY-MM-DD`` (00:00 UTC), an ISO date-time, or a whole number of days from the
offering's start (what OULAD and some student systems export; needs the start, set or found
from the data). A column named by the user must hold such values (else nothing is imported
and the message lists the bad rows); a column only *recognised* from its header that does not
is left unused with a warning in the report (a "Status" column may mean something else).
What the status means as of a date is in :mod:`core.outcomes.status`.

**At-risk label** (settings key ``at_risk_label``): ``withdrew_or_failed`` (default: 1 when
withdrawn or not passed, 0 when passed), ``failed`` (1 failed, 0 passed, withdrawn left out),
``withdrew`` (1 withdrawn, 0 finished), or ``grade_below:<mark>`` (1 when the grade is below
the mark or the student withdrew). Without a result or passed column, ``passed`` is taken
from the grade and ``pass_mark`` (default 40).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from learnalytics_desktop.core.labels import MAX_LABEL, clean_label
from learnalytics_desktop.core.outcomes.matching import (
    ROSTER_HOME_PAGE,
    LearnerIndex,
    Matched,
    MatchReport,
    OutcomesError,
    RowIssue,
    bad_values,
    clean_email,
    column_for,
    course_learners,
    match_rows,
)
from learnalytics_desktop.core.outcomes.status import (
    enrolment_status,
    load_enrolment_verbs,
    save_enrolment_verbs,
    withdrawn_before,
)
from learnalytics_desktop.core.store.settings import Setting, register
from learnalytics_desktop.core.tabular import CsvError, CsvTable, parse_flag, parse_number, read_csv

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "AT_RISK_RULES",
    "REGISTERED_NAMES",
    "ROSTER_HOME_PAGE",
    "STATUS_NAMES",
    "WITHDRAWN_NAMES",
    "LearnerIndex",
    "MatchReport",
    "OutcomesError",
    "RowIssue",
    "at_risk_labels",
    "at_risk_rule",
    "check_at_risk_rule",
    "clean_email",
    "course_learners",
    "enrolment_status",
    "load_enrolment_verbs",
    "outcome_counts",
    "save_enrolment_verbs",
    "withdrawn_before",
    "import_outcomes",
    "import_roster",
    "set_at_risk_rule",
]

AT_RISK_SETTING = "at_risk_label"
DEFAULT_AT_RISK = "withdrew_or_failed"
AT_RISK_RULES = ("withdrew_or_failed", "failed", "withdrew", "grade_below:<mark>")

ID_NAMES = (
    "student id",
    "student_id",
    "studentid",
    "student number",
    "id number",
    "username",
    "user name",
    "login",
    "user id",
    "userid",
    "account",
    "matriculation number",
    "id",
)
EMAIL_NAMES = ("email", "e-mail", "email address", "e-mail address", "mail")
GRADE_NAMES = ("final grade", "grade", "final mark", "mark", "total", "final score", "score")
RESULT_NAMES = ("result", "final result", "outcome", "final outcome", "status")
PASSED_NAMES = ("passed", "pass")
WITHDREW_NAMES = ("withdrew", "withdrawn")
# class list (roster) enrolment columns
STATUS_NAMES = ("status", "enrolment status", "enrollment status", "registration status", "student status")
REGISTERED_NAMES = (
    "registered",
    "registered on",
    "registration date",
    "date registered",
    "date registration",
    "enrolment date",
    "enrollment date",
    "enrolled on",
)
WITHDRAWN_NAMES = (
    "withdrawn",
    "withdrawn on",
    "withdrawal date",
    "date withdrawn",
    "date unregistration",
    "unregistration date",
    "unregistered on",
    "date unenrolled",
)

# result words -> (passed, withdrew)
RESULT_WORDS: dict[str, tuple[int, int]] = {
    **{
        w: (1, 0)
        for w in (
            "pass",
            "passed",
            "p",
            "distinction",
            "merit",
            "credit",
            "high distinction",
            "complete",
            "completed",
            "satisfactory",
            "s",
        )
    },
    **{w: (0, 0) for w in ("fail", "failed", "f", "incomplete", "not passed", "unsatisfactory", "u")},
    **{
        w: (0, 1)
        for w in ("withdrawn", "withdrew", "withdraw", "w", "wd", "dropped", "dropped out", "dropout")
    },
}


# --- reading the columns ---------------------------------------------------------------------


def _column(table: CsvTable, given: str | None, names: tuple[str, ...], what: str) -> int | None:
    return column_for(table, given, names, what)


def _course(conn: sqlite3.Connection, course_id: int) -> tuple[int, str]:
    row = conn.execute(
        "SELECT id, coalesce(name, iri) FROM courses WHERE id = ?", (int(course_id),)
    ).fetchone()
    if row is None:
        raise OutcomesError(f"There is no course offering with id {course_id} in this database.")
    return int(row[0]), row[1]


def _read(path: str | Path) -> CsvTable:
    try:
        return read_csv(path)
    except CsvError as exc:
        raise OutcomesError(str(exc)) from None


def _attribute_columns(table: CsvTable, names: Sequence[str]) -> list[tuple[str, int]]:
    out = []
    for name in names:
        if not str(name).strip():
            raise OutcomesError(f"{table.path.name}: an attribute column was given without a name.")
        i = _column(table, name, (), "attribute")
        assert i is not None  # a column named by the user is found, or _column raised
        out.append((table.header[i], i))
    return out


# matched gradebook/roster rows: (line, actor id, cells)
Rows = list[tuple[int, int, list[str]]]


def _resolve_actors(conn: sqlite3.Connection, m: Matched) -> list[tuple[int, int, list[str]]]:
    ids = []
    for _, (ifi, kind, label, email, sha1) in m.new_actors:
        conn.execute(
            "INSERT INTO actors(ifi, kind, label, email, email_sha1) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(ifi) DO NOTHING",
            (ifi, kind, clean_label(label, ifi[:MAX_LABEL]), email, sha1),
        )
        ids.append(conn.execute("SELECT id FROM actors WHERE ifi = ?", (ifi,)).fetchone()[0])
    return [(line, ids[-aid - 1] if aid < 0 else aid, cells) for line, aid, cells in m.rows]


def _store_attributes(
    conn: sqlite3.Connection, course_id: int, rows: Rows, attrs: list[tuple[str, int]]
) -> None:
    for name, _ in attrs:
        conn.execute("DELETE FROM attributes WHERE course = ? AND key = ?", (course_id, name))
    conn.executemany(
        "INSERT OR REPLACE INTO attributes(course, actor, key, value) VALUES (?, ?, ?, ?)",
        [(course_id, aid, name, cells[i] or None) for _, aid, cells in rows for name, i in attrs],
    )


def _enrolment_values(
    conn: sqlite3.Connection,
    table: CsvTable,
    cid: int,
    rows: Rows,
    cols: dict[str, tuple[int | None, bool]],
    warnings: list[tuple[str, str]],
) -> dict[int, tuple[int | None, int | None, str | None]]:
    """actor -> (registered_ms, withdrawn_ms, status word) from the roster's optional columns.
    ``cols``: role -> (column, given by the user)."""
    from learnalytics_desktop.core.courses import course_start, to_ms
    from learnalytics_desktop.core.outcomes.status import ENROLLED_WORDS, WITHDRAWN_WORDS
    from learnalytics_desktop.core.tabular import parse_date_ms

    start = course_start(conn, cid)
    start_ms = None if start is None else to_ms(datetime(start.year, start.month, start.day, tzinfo=UTC))
    words = ENROLLED_WORDS | WITHDRAWN_WORDS
    parsed: dict[str, dict[int, object]] = {}
    errors: list[str] = []
    for role, (col, given) in cols.items():
        if col is None:
            continue
        values: dict[int, object] = {}
        bad: list[str] = []
        for line, aid, cells in rows:
            text = cells[col].strip()
            if role == "status":
                word = " ".join(text.lower().split())
                if word and word not in words:
                    bad.append(f"line {line}: status {text!r} is not a known word")
                values[aid] = word or None
            else:
                try:
                    values[aid] = parse_date_ms(text, start_ms)
                except ValueError:
                    offset = "" if start_ms is not None else " (day numbers need the offering's start date)"
                    bad.append(f"line {line}: {role} date {text!r} is not YYYY-MM-DD{offset}")
        if bad and given:
            errors += bad
        elif bad:
            warnings.append(
                (
                    role,
                    f"The column {table.header[col]!r} was not used as the {role} column "
                    f"({len(bad)} value(s) such as {bad[0].split(': ', 1)[1]}); choose it explicitly to see every row.",
                )
            )
        else:
            parsed[role] = values
    if errors:
        if any("status" in e for e in errors):
            errors.append(
                "status words are: "
                + ", ".join(sorted(ENROLLED_WORDS))
                + "; and for withdrawn: "
                + ", ".join(sorted(WITHDRAWN_WORDS))
            )
        raise bad_values(table.path.name, errors)
    return {
        aid: (
            parsed.get("registered", {}).get(aid),  # type: ignore[misc]
            parsed.get("withdrawn", {}).get(aid),
            parsed.get("status", {}).get(aid),
        )
        for _, aid, _ in rows
    }


def _store_names(
    conn: sqlite3.Connection, table: CsvTable, rows: Rows, email_col: int | None, key: bytes | None
) -> int:
    """First/last names and e-mails of the matched rows (``core.people.store_people``); never
    in a pseudonymised import."""
    from learnalytics_desktop.core.people import name_cells, store_people

    if key is not None:
        return 0
    return store_people(
        conn,
        [
            (aid, *name_cells(table, cells), clean_email(cells[email_col]) if email_col is not None else None)
            for _, aid, cells in rows
        ],
    )


def import_roster(
    conn: sqlite3.Connection,
    course_id: int,
    csv_path: str | Path,
    *,
    id_column: str | None = None,
    email_column: str | None = None,
    status_column: str | None = None,
    registered_column: str | None = None,
    withdrawn_column: str | None = None,
    attribute_columns: Sequence[str] = (),
    pseudonymize_key: bytes | None = None,
    home_pages: Sequence[str] = (),
) -> MatchReport:
    """Enrol the students of a class list in an offering (creating those with no statements).

    Columns not named (None) are recognised from common headers ("Student ID", "Email", ...);
    ``""`` means the role is not used. The optional status, registration-date and
    withdrawal-date columns are described in the module docstring.
    Replaces the offering's earlier roster enrolments; one transaction."""
    from learnalytics_desktop.core.store.db import audit, transaction

    table = _read(csv_path)
    id_col = _column(table, id_column, ID_NAMES, "student id")
    email_col = _column(table, email_column, EMAIL_NAMES, "e-mail")
    enrol_cols = {
        role: (_column(table, given, names, f"{role} date" if role != "status" else "status"), bool(given))
        for role, given, names in (
            ("status", status_column, STATUS_NAMES),
            ("registered", registered_column, REGISTERED_NAMES),
            ("withdrawn", withdrawn_column, WITHDRAWN_NAMES),
        )
    }
    used = {id_col, email_col}
    enrol_cols = {r: (c if c not in used else None, g) for r, (c, g) in enrol_cols.items()}
    attrs = _attribute_columns(table, attribute_columns)
    roles = (("id", id_col), ("email", email_col), *((r, c) for r, (c, _) in enrol_cols.items()))
    columns = {r: table.header[c] for r, c in roles if c is not None}
    columns.update({f"attribute:{n}": n for n, _ in attrs})
    cid, cname = _course(conn, course_id)
    with transaction(conn):
        m = match_rows(
            conn,
            cid,
            cname,
            table,
            "roster",
            id_col,
            email_col,
            columns,
            pseudonymize_key,
            home_pages,
            create=True,
        )
        rows = _resolve_actors(conn, m)
        warnings: list[tuple[str, str]] = []
        enrol = _enrolment_values(conn, table, cid, rows, enrol_cols, warnings)
        for role, w in warnings:
            m.report.warnings.append(w)
            m.report.columns.pop(role, None)
        conn.execute("DELETE FROM enrolments WHERE course = ? AND source = 'roster'", (cid,))
        conn.executemany(
            "INSERT INTO enrolments(course, actor, source, registered_ms, withdrawn_ms, status) "
            "VALUES (?, ?, 'roster', ?, ?, ?) ON CONFLICT(course, actor) DO UPDATE SET source = 'roster', "
            "registered_ms = excluded.registered_ms, withdrawn_ms = excluded.withdrawn_ms, status = excluded.status",
            [(cid, aid, *enrol[aid]) for _, aid, _ in rows],
        )
        _store_attributes(conn, cid, rows, attrs)
        named = _store_names(conn, table, rows, email_col, pseudonymize_key)
        audit(
            conn,
            "import_roster",
            course=cid,
            file=Path(csv_path).name,
            rows=m.report.rows,
            matched=m.report.matched,
            created=m.report.created,
            unmatched=len(m.report.unmatched),
            withdrawn=sum(1 for v in enrol.values() if v[1] is not None),
            named=named,
        )
    return m.report


GRADE_SCALE_MAX = 100.0  # final grades are read as percentages (the pass mark is 40 by default)
GRADE_IMPLAUSIBLE = 1e6  # above this a "grade" is an error in the file, not a bonus


def _outcome_values(
    table: CsvTable,
    rows: Rows,
    grade_col: int | None,
    result_col: int | None,
    passed_col: int | None,
    withdrew_col: int | None,
    pass_mark: float,
    warnings: list[str] | None = None,
) -> list[tuple[int, float | None, str | None, int | None, int | None]]:
    """The outcome rows of a gradebook; bad values raise one error listing every line.

    Decision (issue 15, finding 15): final grades are percentages. A negative grade, or one
    above a million (``1e308``), is an error naming the line; a grade above 100 (bonus points,
    or another scale) is kept with a warning listing the lines, since the pass mark and the
    analytics assume 0-100."""
    values, errors = [], []
    above: list[str] = []
    for line, aid, cells in rows:
        grade_text = cells[grade_col] if grade_col is not None else ""
        try:
            grade = parse_number(grade_text) if grade_col is not None else None
        except ValueError:
            errors.append(f"line {line}: grade {grade_text!r} is not a number")
            continue
        if grade is not None and grade < 0:
            errors.append(f"line {line}: grade {grade_text.strip()!r} is below 0")
            continue
        if grade is not None and grade > GRADE_IMPLAUSIBLE:
            errors.append(f"line {line}: grade {grade_text.strip()[:30]!r} is not a plausible final grade")
            continue
        if grade is not None and grade > GRADE_SCALE_MAX:
            above.append(f"{line} ({grade:g})")
        result = cells[result_col].strip() if result_col is not None else ""
        passed = withdrew = None
        if result:
            pair = RESULT_WORDS.get(result.lower())
            if pair is None:
                errors.append(
                    f"line {line}: result {result!r} is not one of Pass, Distinction, Merit, "
                    "Fail, Withdrawn (or their usual abbreviations)"
                )
                continue
            passed, withdrew = pair
        try:
            if passed_col is not None and cells[passed_col].strip():
                passed = parse_flag(cells[passed_col])
            if withdrew_col is not None and cells[withdrew_col].strip():
                withdrew = parse_flag(cells[withdrew_col])
                if withdrew == 1:
                    passed = 0
        except ValueError as exc:
            errors.append(f"line {line}: {str(exc)!r} is not yes/no, true/false or 1/0")
            continue
        if passed is None and result_col is None and passed_col is None and grade is not None:
            passed = int(grade >= pass_mark)
        values.append((aid, grade, result or None, passed, withdrew))
    if errors:
        raise bad_values(table.path.name, errors)
    if above and warnings is not None:
        shown = ", ".join(above[:5]) + (f" and {len(above) - 5} more" if len(above) > 5 else "")
        warnings.append(
            f"{len(above)} grade(s) above 100 (line {shown}): grades are read as percentages "
            f"(pass mark {pass_mark:g}); check that the grade column uses a 0-100 scale."
        )
    return values


def import_outcomes(
    conn: sqlite3.Connection,
    course_id: int,
    csv_path: str | Path,
    *,
    id_column: str | None = None,
    email_column: str | None = None,
    grade_column: str | None = None,
    result_column: str | None = None,
    passed_column: str | None = None,
    withdrew_column: str | None = None,
    attribute_columns: Sequence[str] = (),
    pseudonymize_key: bytes | None = None,
    home_pages: Sequence[str] = (),
    pass_mark: float = 40.0,
) -> MatchReport:
    """Import a gradebook's final grades and results for an offering and report the matching.

    Columns not named (None) are recognised from common headers; ``""`` means the role is not
    used. At least one of grade, result, passed or withdrew must be there. Replaces the
    offering's earlier outcomes; one transaction."""
    from learnalytics_desktop.core.store.db import audit, transaction

    table = _read(csv_path)
    id_col = _column(table, id_column, ID_NAMES, "student id")
    email_col = _column(table, email_column, EMAIL_NAMES, "e-mail")
    grade_col = _column(table, grade_column, GRADE_NAMES, "grade")
    result_col = _column(table, result_column, RESULT_NAMES, "result")
    passed_col = _column(table, passed_column, PASSED_NAMES, "passed")
    withdrew_col = _column(table, withdrew_column, WITHDREW_NAMES, "withdrew")
    if grade_col is None and result_col is None and passed_col is None and withdrew_col is None:
        cols = ", ".join(repr(h) for h in table.header)
        raise OutcomesError(
            f"{table.path.name}: no grade, result, passed or withdrew column was given or "
            f"recognised (--grade-column / --result-column). Its columns are: {cols}."
        )
    attrs = _attribute_columns(table, attribute_columns)
    roles = (
        ("id", id_col),
        ("email", email_col),
        ("grade", grade_col),
        ("result", result_col),
        ("passed", passed_col),
        ("withdrew", withdrew_col),
    )
    columns = {r: table.header[c] for r, c in roles if c is not None}
    columns.update({f"attribute:{n}": n for n, _ in attrs})
    cid, cname = _course(conn, course_id)
    with transaction(conn):
        m = match_rows(
            conn,
            cid,
            cname,
            table,
            "outcomes",
            id_col,
            email_col,
            columns,
            pseudonymize_key,
            home_pages,
            create=False,
        )
        values = _outcome_values(
            table, m.rows, grade_col, result_col, passed_col, withdrew_col, pass_mark, m.report.warnings
        )
        conn.execute("DELETE FROM outcomes WHERE course = ?", (cid,))
        conn.executemany(
            "INSERT INTO outcomes(course, actor, final_grade, result, passed, withdrew) VALUES (?, ?, ?, ?, ?, ?)",
            [(cid, *v) for v in values],
        )
        conn.execute("DELETE FROM enrolments WHERE course = ? AND source = 'outcomes'", (cid,))
        conn.executemany(
            "INSERT OR IGNORE INTO enrolments(course, actor, source) VALUES (?, ?, 'outcomes')",
            [(cid, v[0]) for v in values],
        )
        _store_attributes(conn, cid, m.rows, attrs)
        named = _store_names(conn, table, m.rows, email_col, pseudonymize_key)
        audit(
            conn,
            "import_outcomes",
            course=cid,
            file=Path(csv_path).name,
            rows=m.report.rows,
            matched=m.report.matched,
            unmatched=len(m.report.unmatched),
            named=named,
        )
    return m.report


# --- labels ----------------------------------------------------------------------------------


def outcome_counts(conn: sqlite3.Connection) -> dict[int, int]:
    """Students with a final-outcome row, per course offering (offerings without any are
    left out): what tells the Model page and ``train`` which offerings a model can learn
    from."""
    return {int(c): int(n) for c, n in conn.execute("SELECT course, count(*) FROM outcomes GROUP BY course")}


def check_at_risk_rule(rule: str) -> str:
    """``rule`` if it is one of :data:`AT_RISK_RULES`, else a ValueError naming them."""
    if rule in ("withdrew_or_failed", "failed", "withdrew"):
        return rule
    if isinstance(rule, str) and rule.startswith("grade_below:"):
        try:
            float(rule.split(":", 1)[1])
            return rule
        except ValueError:
            pass
    raise ValueError(f"unknown at-risk label {rule!r}; use one of {', '.join(AT_RISK_RULES)}")


def set_at_risk_rule(conn: sqlite3.Connection, rule: str) -> None:
    """Store the at-risk label definition (validated) in the settings, with an audit row."""
    AT_RISK_RULE.write(conn, rule)


def at_risk_rule(conn: sqlite3.Connection) -> str:
    """The saved at-risk label definition (settings ``at_risk_label``), else withdrew_or_failed."""
    return str(AT_RISK_RULE.read(conn))


AT_RISK_RULE = register(Setting(AT_RISK_SETTING, DEFAULT_AT_RISK, check_at_risk_rule))


def at_risk_labels(conn: sqlite3.Connection, course_id: int, rule: str | None = None) -> pd.Series:
    """1 (at risk) / 0 per actor with an outcome in the offering, under ``rule`` (default: the
    setting ``at_risk_label``, else withdrew_or_failed). Students whose outcome does not decide
    the label (e.g. no result and no grade) are left out."""
    import numpy as np
    import pandas as pd

    rule = check_at_risk_rule(rule) if rule else at_risk_rule(conn)
    df = pd.DataFrame(
        conn.execute(
            "SELECT actor, final_grade, passed, withdrew FROM outcomes WHERE course = ?", (int(course_id),)
        ).fetchall(),
        columns=["actor", "grade", "passed", "withdrew"],
    ).set_index("actor")
    df = df.astype("float64")
    w, p, g = df["withdrew"], df["passed"], df["grade"]
    if rule == "withdrew_or_failed":
        label = np.where((w == 1) | (p == 0), 1.0, np.where(p == 1, 0.0, np.nan))
    elif rule == "failed":
        label = np.where(w == 1, np.nan, np.where(p == 0, 1.0, np.where(p == 1, 0.0, np.nan)))
    elif rule == "withdrew":
        label = np.where(w == 1, 1.0, np.where((w == 0) | p.notna(), 0.0, np.nan))
    else:
        mark = float(rule.split(":", 1)[1])
        label = np.where((w == 1) | (g < mark), 1.0, np.where(g >= mark, 0.0, np.nan))
    out = pd.Series(label, index=df.index, name="at_risk").dropna().astype("int64")
    out.index = out.index.astype("int64")
    out.index.name = "actor"
    return out.sort_index()
