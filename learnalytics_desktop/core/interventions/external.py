"""Importing interventions done outside the app from a CSV (``student, date, group[, channel, note]``).

* ``student`` is matched to ``actors`` by label, then by account name (the ``name`` part of an
  ``account`` identifier), then by e-mail (case-insensitive). A value matching several
  students is ambiguous unless exactly one of them belongs to the course.
* ``date`` is an ISO date (``YYYY-MM-DD``; a date-time is cut to its date). Day-first or
  month-first dates are refused rather than guessed.
* ``group``: ``treated`` (also intervention/yes/1/true), ``control`` (comparison/no/0/false)
  or ``holdout`` (a randomised hold-out kept outside the app).

Rows become ``interventions`` rows with ``rule = 'external'`` and one ``batch`` per import:
treated -> ``arm 'external'``, status ``done``; control -> ``arm 'control'``, status
``comparison``; holdout -> ``arm 'holdout'``, status ``held_out``. ``channel`` defaults to
``external``; ``note`` goes to the body.

All rows are checked first. With any bad row nothing is written (unless ``skip_bad=True``,
which writes the good rows and still lists the bad ones); the report names each problem
with its CSV row number (the header is row 1, as a spreadsheet shows it).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from learnalytics_desktop.core.interventions.context import InterventionError, course_name
from learnalytics_desktop.core.interventions.drafts import _log, _user
from learnalytics_desktop.core.store.db import transaction, utc_now_iso

if TYPE_CHECKING:  # pragma: no cover
    import sqlite3

GROUPS = {
    "treated": "treated",
    "intervention": "treated",
    "yes": "treated",
    "1": "treated",
    "true": "treated",
    "control": "control",
    "comparison": "control",
    "no": "control",
    "0": "control",
    "false": "control",
    "holdout": "holdout",
    "hold-out": "holdout",
    "held_out": "holdout",
    "held out": "holdout",
}
ARMS = {
    "treated": ("external", "done"),
    "control": ("control", "comparison"),
    "holdout": ("holdout", "held_out"),
}
MAX_FILE_BYTES = 50 * 1024 * 1024


@dataclass
class ExternalImport:
    """The match report of one import (or dry run)."""

    path: str
    batch: str | None
    rows_read: int = 0
    written: int = 0
    matched_by: dict[str, int] = field(default_factory=dict)
    groups: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    """``{"row", "student", "problem"}`` per bad row."""
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """True when no row was rejected."""
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict."""
        d = asdict(self)
        d["ok"] = self.ok
        return d


def read_table(path: str | os.PathLike[str]) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Read a small CSV with the core's one tabular reader (``core.tabular.read_csv``: UTF-8
    or UTF-16 with or without a byte-order mark, Windows-1252, any of its delimiters):
    lower-cased header and ``(line number, {column: text})`` per data row. Raises
    InterventionError with the reason (a column named twice, ignoring case, is refused: which
    one is meant cannot be guessed)."""
    from learnalytics_desktop.core.tabular import CsvError, read_csv

    p = Path(path)
    if not p.is_file():
        raise InterventionError(f"There is no file {p}.")
    if p.stat().st_size > MAX_FILE_BYTES:
        raise InterventionError(f"{p} is larger than {MAX_FILE_BYTES // 2**20} MB; is it the right file?")
    try:
        table = read_csv(p)
    except (CsvError, OSError) as exc:
        raise InterventionError(str(exc)) from exc
    cols = [h.strip().lower() for h in table.header]
    named = [h.lower() for h in table.header_as_written]
    dupes = sorted({c for c in named if named.count(c) > 1 and c})
    if dupes:
        raise InterventionError(f"{p}: the column(s) {dupes} appear more than once.")
    rows = [(line, dict(zip(cols, cells, strict=True))) for line, cells in table.rows]
    return cols, rows


def parse_date(text: str) -> date:
    """An ISO date (or the date part of an ISO date-time); ValueError with a plain message."""
    t = text.strip()
    try:
        return (
            date.fromisoformat(t[:10]) if len(t) >= 10 and t[4] == "-" else datetime.fromisoformat(t).date()
        )
    except ValueError:
        raise ValueError(f"date {text!r} is not an ISO date like 2024-03-15") from None


def actor_index(conn: sqlite3.Connection, course_id: int) -> tuple[dict[str, dict[str, set[int]]], set[int]]:
    """Lookup tables ``{"label"|"account"|"email": {text: actor ids}}`` and the course's actors."""
    index: dict[str, dict[str, set[int]]] = {"label": {}, "account": {}, "email": {}}
    for aid, label, ifi, email in conn.execute("SELECT id, label, ifi, email FROM actors"):
        index["label"].setdefault(label, set()).add(int(aid))
        if ifi.startswith("account:") and "|" in ifi:
            index["account"].setdefault(ifi.split("|", 1)[1], set()).add(int(aid))
        if email:
            index["email"].setdefault(email.lower(), set()).add(int(aid))
    in_course = {
        int(a) for (a,) in conn.execute("SELECT actor FROM enrolments WHERE course = ?", (course_id,))
    }
    in_course |= {
        int(a)
        for (a,) in conn.execute("SELECT DISTINCT actor FROM statements WHERE course = ?", (course_id,))
    }
    return index, in_course


def match_student(
    text: str, index: dict[str, dict[str, set[int]]], in_course: set[int]
) -> tuple[int | None, str]:
    """(actor id, how) or (None, problem) for one ``student`` value."""
    for how in ("label", "account", "email"):
        key = text.lower() if how == "email" else text
        found = index[how].get(key, set())
        if len(found) == 1:
            return next(iter(found)), how
        if len(found) > 1:
            local = found & in_course
            if len(local) == 1:
                return next(iter(local)), how
            return None, f"{text!r} matches {len(found)} students by {how}"
    return None, f"no student {text!r} (checked labels, account names and e-mails)"


def import_external(
    conn: sqlite3.Connection,
    course_id: int,
    path: str | os.PathLike[str],
    *,
    dry_run: bool = False,
    skip_bad: bool = False,
    user: str | None = None,
) -> ExternalImport:
    """Check a CSV of outside interventions and (unless ``dry_run`` or errors) log them.

    Returns the :class:`ExternalImport` report; ``report.ok`` is False when rows were
    rejected, in which case nothing was written unless ``skip_bad``.
    """
    course_name(conn, course_id)  # raises for an unknown course
    cols, rows = read_table(path)
    missing = [c for c in ("student", "date", "group") if c not in cols]
    if missing:
        raise InterventionError(
            f"{Path(path).name} has no column(s) {missing}; it needs student, date and group."
        )
    index, in_course = actor_index(conn, int(course_id))
    out = ExternalImport(path=str(path), batch=None, rows_read=len(rows), dry_run=dry_run)
    good: list[tuple[int, int, str, str, str, str]] = []
    group_of: dict[int, tuple[str, int]] = {}
    for line, rec in rows:
        student = rec.get("student", "")
        problems = []
        actor, how = (
            (None, "the student is empty") if not student else match_student(student, index, in_course)
        )
        if actor is None:
            problems.append(how)
        try:
            day = parse_date(rec.get("date", ""))
        except ValueError as exc:
            problems.append(str(exc))
        group = GROUPS.get(rec.get("group", "").strip().lower())
        if group is None:
            problems.append(f"group {rec.get('group', '')!r} is not treated, control or holdout")
        channel = rec.get("channel", "") or "external"
        if len(channel) > 60 or any(ch in channel for ch in "\r\n"):
            problems.append("channel must be one short line")
        if actor is not None and group is not None:
            earlier = group_of.get(actor)
            if earlier and earlier[0] != group:
                problems.append(f"the same student is {earlier[0]} in row {earlier[1]} and {group} here")
            group_of.setdefault(actor, (group, line))
        if problems:
            out.errors.append({"row": line, "student": student, "problem": "; ".join(problems)})
            continue
        assert actor is not None and group is not None
        out.matched_by[how] = out.matched_by.get(how, 0) + 1
        out.groups[group] = out.groups.get(group, 0) + 1
        if actor not in in_course:
            out.warnings.append(f"row {line}: {student!r} has no enrolment or activity in this course.")
        good.append((line, actor, day.isoformat(), group, channel, rec.get("note", "")[:5000]))
    if dry_run or (out.errors and not skip_bad) or not good:
        return out
    out.batch = f"import-{date.today().isoformat()}-{uuid.uuid4().hex[:10]}"
    who = _user(user)
    created = utc_now_iso()
    with transaction(conn):
        for _line, actor, day_iso, group, channel, note in good:
            arm, status = ARMS[group]
            conn.execute(
                "INSERT INTO interventions(batch, actor, course, created_at, date, rule, channel, arm, subject,"
                " body, status, user, risk, features) VALUES (?,?,?,?,?,'external',?,?,NULL,?,?,?,NULL,NULL)",
                (out.batch, actor, int(course_id), created, day_iso, channel, arm, note or None, status, who),
            )
        _log(
            conn,
            who,
            "import",
            what="external interventions",
            path=str(path),
            batch=out.batch,
            rows=len(good),
            rejected=len(out.errors),
            groups=out.groups,
        )
    out.written = len(good)
    return out


__all__ = ["ExternalImport", "import_external", "match_student", "parse_date", "read_table"]
