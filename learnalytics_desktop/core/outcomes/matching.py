"""Matching gradebook and roster rows to learners, and the report of what happened to each row.

Part of :mod:`learnalytics_desktop.core.outcomes` (whose docstring gives the rules).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from learnalytics_desktop.core.tabular import CsvTable

ROSTER_HOME_PAGE = "urn:learnalytics:roster"


class OutcomesError(ValueError):
    """An outcomes or roster file cannot be imported; the message names the file, column or row."""


def bad_values(file_name: str, errors: list[str]) -> OutcomesError:
    """The error for a file with bad values: nothing is imported, the first ten rows are named."""
    shown = "; ".join(errors[:10]) + (f"; and {len(errors) - 10} more" if len(errors) > 10 else "")
    return OutcomesError(f"{file_name}: nothing was imported because of bad values: {shown}.")


def column_for(table: CsvTable, given: str | None, names: tuple[str, ...], what: str) -> int | None:
    """The column for a role: ``given`` by name, ``None`` = recognise it from the header,
    ``""`` = the role is not used (no guessing: the app's column mapping says so)."""
    from learnalytics_desktop.core.tabular import CsvError

    if given == "":
        return None
    try:
        if given:
            return table.index(given, what)
        guess = table.guess(names)
        return None if guess is None else table.index(guess, what)
    except CsvError as exc:
        raise OutcomesError(str(exc)) from None


@dataclass
class RowIssue:
    """A row that did not end up stored, and why."""

    row: int  # line number in the file (header = 1)
    value: str  # the id and/or e-mail it carried
    reason: str
    candidates: list[str] = field(default_factory=list)  # labels, for ambiguous rows


@dataclass
class MatchReport:
    """What an outcomes or roster import did with every row (see the module docstring)."""

    kind: str  # "outcomes" | "roster"
    course_id: int
    course: str
    file: str
    encoding: str
    delimiter: str
    columns: dict[str, str]  # role -> column used
    rows: int = 0
    matched: int = 0
    created: int = 0
    matched_by: dict[str, int] = field(default_factory=dict)  # account / email / email_sha1 / pseudonym
    unmatched: list[RowIssue] = field(default_factory=list)
    ambiguous: list[RowIssue] = field(default_factory=list)
    duplicates: list[RowIssue] = field(default_factory=list)
    learners_without_row: list[dict[str, Any]] = field(default_factory=list)  # {"actor", "label"}
    blank_lines: int = 0
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (for --json and the app's export)."""
        return asdict(self)

    def summary(self) -> str:
        """A few plain lines for the command line."""
        lines = [
            f"{self.kind} for {self.course}: {self.rows} rows read from {self.file} "
            f"({self.encoding}, {self.delimiter}); {self.matched} matched"
            + (f", {self.created} added as new students" if self.kind == "roster" else "")
            + f", {len(self.unmatched)} unmatched, {len(self.ambiguous)} ambiguous, "
            f"{len(self.duplicates)} duplicate rows; {len(self.learners_without_row)} learners have no row.",
        ]
        for title, items in (
            ("unmatched", self.unmatched),
            ("ambiguous", self.ambiguous),
            ("duplicate", self.duplicates),
        ):
            for it in items[:20]:
                extra = f" (candidates: {', '.join(it.candidates)})" if it.candidates else ""
                lines.append(f"  {title} row {it.row}: {it.value or '(empty)'}: {it.reason}{extra}")
            if len(items) > 20:
                lines.append(f"  ... and {len(items) - 20} more {title} rows")
        if self.learners_without_row:
            shown = ", ".join(d["label"] for d in self.learners_without_row[:20])
            more = len(self.learners_without_row) - 20
            lines.append(f"  learners with no row: {shown}" + (f" and {more} more" if more > 0 else ""))
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


# --- learners and matching ------------------------------------------------------------------


def _sha1_mailto(email: str) -> str:
    return hashlib.sha1(f"mailto:{email}".encode(), usedforsecurity=False).hexdigest()


def clean_email(text: str) -> str:
    """An address as the store keeps it: trimmed, lower-case, without ``mailto:``."""
    t = text.strip()
    if t[:7].lower() == "mailto:":
        t = t[7:]
    return t.strip().lower()


def course_learners(conn: sqlite3.Connection, course_id: int) -> dict[int, str]:
    """Actor id -> label of everyone enrolled in or active in an offering (not groups)."""
    rows = conn.execute(
        "SELECT a.id, a.label FROM actors a WHERE a.kind != 'group' AND a.id IN "
        "(SELECT actor FROM enrolments WHERE course = ?1 UNION SELECT actor FROM v_events WHERE course = ?1)",
        (int(course_id),),
    ).fetchall()
    return dict(rows)


class LearnerIndex:
    """Lookup tables from ids and e-mails to actor ids (see the module docstring)."""

    def __init__(
        self, conn: sqlite3.Connection, course_id: int, key: bytes | None, home_pages: Sequence[str]
    ) -> None:
        self.key = key
        self.by_account: dict[str, set[int]] = {}
        self.by_email: dict[str, set[int]] = {}
        self.by_sha1: dict[str, set[int]] = {}
        self.by_ifi: dict[str, int] = {}
        self.labels: dict[int, str] = {}
        homes: dict[str, int] = {}
        self.course = course_learners(conn, course_id)
        for aid, ifi, kind, label, email, sha1 in conn.execute(
            "SELECT id, ifi, kind, label, email, email_sha1 FROM actors WHERE kind != 'group'"
        ):
            self.labels[aid] = label
            if kind == "pseudo":
                self.by_ifi[ifi] = aid
                continue
            if kind == "account":
                home, _, name = ifi[len("account:") :].partition("|")
                self.by_account.setdefault(name, set()).add(aid)
                homes[home] = homes.get(home, 0) + (3 if aid in self.course else 1)
            if email:
                self.by_email.setdefault(email, set()).add(aid)
            if sha1:
                self.by_sha1.setdefault(sha1, set()).add(aid)
        from learnalytics_desktop.core.learners import is_pseudonymised

        self.pseudonymised = bool(self.by_ifi) or is_pseudonymised(conn)
        found = [h for h, _ in sorted(homes.items(), key=lambda kv: -kv[1]) if h != ROSTER_HOME_PAGE]
        self.home_pages = list(dict.fromkeys([*home_pages, *found]))

    def _pseudo(self, ifi: str) -> str:
        from learnalytics_desktop.core.ingest.pseudonym import pseudonymize_ifi

        return pseudonymize_ifi(self.key, ifi)  # type: ignore[arg-type]

    def candidates(self, sid: str, email: str) -> dict[int, str]:
        """Actor id -> how it matched, for one row."""
        found: dict[int, str] = {}
        if sid:
            for aid in self.by_account.get(sid, ()):
                found.setdefault(aid, "account")
        if email:
            for aid in self.by_email.get(email, ()):
                found.setdefault(aid, "email")
            for aid in self.by_sha1.get(_sha1_mailto(email), ()):
                found.setdefault(aid, "email_sha1")
        if self.key is not None and self.by_ifi:
            ifis = [f"account:{h}|{sid}" for h in [*self.home_pages, ROSTER_HOME_PAGE]] if sid else []
            if email:
                ifis += [f"mbox:mailto:{email}", f"mbox_sha1sum:{_sha1_mailto(email)}"]
            for ifi in ifis:
                hit = self.by_ifi.get(self._pseudo(ifi))
                if hit is not None:
                    found.setdefault(hit, "pseudonym")
        return found

    def new_identity(self, sid: str, email: str) -> tuple[str, str, str, str | None, str | None]:
        """(ifi, kind, label, email, email_sha1) for a roster student with no actor yet."""
        if sid and (self.home_pages or not email):
            home = self.home_pages[0] if self.home_pages else ROSTER_HOME_PAGE
            ident = (
                f"account:{home}|{sid}",
                "account",
                sid,
                email or None,
                _sha1_mailto(email) if email else None,
            )
        else:
            ident = (f"mbox:mailto:{email}", "mbox", email, email, _sha1_mailto(email))
        if self.pseudonymised:
            if self.key is None:
                raise OutcomesError(
                    "This database is pseudonymised: give the key file (--key-file) so that roster students "
                    "without statements can be added under their pseudonyms."
                )
            pseudo = self._pseudo(ident[0])
            return (pseudo, "pseudo", pseudo[7:19], None, None)
        return ident


@dataclass
class Matched:
    """The rows to store (actor ids; negative = the n-th new actor) and the report so far."""

    report: MatchReport
    rows: list[tuple[int, int, list[str]]]  # (line, actor id, cells) of matched or created rows
    new_actors: list[tuple[int, tuple[Any, ...]]]  # (line, identity) to create


def match_rows(
    conn: sqlite3.Connection,
    cid: int,
    cname: str,
    table: CsvTable,
    kind: str,
    id_col: int | None,
    email_col: int | None,
    columns: dict[str, str],
    key: bytes | None,
    home_pages: Sequence[str],
    create: bool,
) -> Matched:
    """Match every row of ``table`` (see the module docstring of ``core.outcomes``)."""
    if id_col is None and email_col is None:
        cols = ", ".join(repr(h) for h in table.header)
        raise OutcomesError(
            f"{table.path.name}: no student id or e-mail column was given or recognised; name one "
            f"(--id-column / --email-column). Its columns are: {cols}."
        )
    report = MatchReport(
        kind,
        cid,
        cname,
        str(table.path),
        table.encoding,
        table.delimiter_name,
        columns,
        rows=len(table.rows),
        blank_lines=table.blank_lines,
    )
    index = LearnerIndex(conn, cid, key, home_pages)
    if index.pseudonymised and key is None:
        report.warnings.append(
            "This database is pseudonymised and no key was given: no row can be matched "
            "to a pseudonym; give the key file (--key-file)."
        )
    taken: dict[int, int] = {}
    new_by_ident: dict[str, int] = {}
    out = Matched(report, [], [])
    for line, cells in table.rows:
        sid = cells[id_col] if id_col is not None else ""
        email = clean_email(cells[email_col]) if email_col is not None else ""
        shown = " / ".join(v for v in (sid, email) if v)
        if not sid and not email:
            report.unmatched.append(RowIssue(line, "", "the row has no student id and no e-mail"))
            continue
        found = index.candidates(sid, email)
        if len(found) > 1:
            narrowed = {a: how for a, how in found.items() if a in index.course}
            found = narrowed or found
        if len(found) > 1:
            labels = sorted(index.labels.get(a, str(a)) for a in found)
            report.ambiguous.append(RowIssue(line, shown, "matches more than one person", labels))
            continue
        if not found:
            if not create:
                report.unmatched.append(RowIssue(line, shown, "no learner has this id or e-mail"))
                continue
            ident = index.new_identity(sid, email)
            if ident[0] in new_by_ident:
                report.duplicates.append(
                    RowIssue(line, shown, f"same student as row {new_by_ident[ident[0]]}")
                )
                continue
            new_by_ident[ident[0]] = line
            out.new_actors.append((line, ident))
            out.rows.append((line, -len(out.new_actors), cells))  # negative: resolved after insert
            report.created += 1
            continue
        ((aid, how),) = found.items()
        if aid in taken:
            report.duplicates.append(RowIssue(line, shown, f"same student as row {taken[aid]}"))
            continue
        taken[aid] = line
        report.matched += 1
        report.matched_by[how] = report.matched_by.get(how, 0) + 1
        out.rows.append((line, aid, cells))
    report.learners_without_row = [
        {"actor": a, "label": lab}
        for a, lab in sorted(index.course.items(), key=lambda kv: kv[1])
        if a not in taken
    ]
    report.warnings = table.warnings + report.warnings
    return out
