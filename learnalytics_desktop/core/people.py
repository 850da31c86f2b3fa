"""People, not identifiers: a student's first name, last name and e-mail where they are known.

Advisors write to people. Every list, student page, draft and export shows the name and the
e-mail beside the label (the account name, address or pseudonym the data gave).

**Where a name comes from**, first found wins:

1. the class list or gradebook (``First name`` / ``Last name`` columns, or one ``Name``
   column split at the first space), stored in ``actors.first_name`` / ``last_name`` by
   :func:`store_people` when the file is imported;
2. the xAPI actor's ``name`` (``actors.name``), split at the first space ("Maria José
   Pereira" gives first name "Maria": the class list is the better source for such names).

**E-mail**: ``actors.email`` (from an ``mbox`` identifier, or from the class list or
gradebook, which fills it only when the statements did not give one).

**Pseudonymised databases** store neither names nor addresses (``actors.kind = 'pseudo'``):
the label is the pseudonym, and :data:`PSEUDONYM_NOTE` says why there is no name. An
import with a pseudonymisation key never stores names either.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

FIRST_NAMES = ("first name", "first_name", "firstname", "given name", "given_name", "forename", "first")
LAST_NAMES = ("last name", "last_name", "lastname", "surname", "family name", "family_name", "last")
FULL_NAMES = ("name", "full name", "full_name", "student name")
PSEUDONYM_NOTE = (
    "No name: this database is pseudonymised, so names and e-mail addresses are never stored. "
    "The label is the student's pseudonym; your own records link it to the person."
)
NO_NAME_NOTE = "No name known: add a class list with name columns (File ▸ Import gradebook or class list)."


@dataclass(frozen=True)
class Person:
    """What is known about one student's identity (None where unknown)."""

    actor: int
    label: str
    first_name: str | None
    last_name: str | None
    email: str | None
    pseudonymised: bool = False

    @property
    def full_name(self) -> str | None:
        """ "First Last", or None when no name is known."""
        parts = [p for p in (self.first_name, self.last_name) if p]
        return " ".join(parts) or None

    @property
    def display(self) -> str:
        """The name when known, else the label."""
        return self.full_name or self.label

    @property
    def note(self) -> str | None:
        """Why there is no name (None when there is one)."""
        if self.full_name:
            return None
        return PSEUDONYM_NOTE if self.pseudonymised else NO_NAME_NOTE


def looks_like_address(text: str) -> bool:
    """True for something shaped like an e-mail address (one @, text on both sides, no space)."""
    local, at, domain = text.rpartition("@")
    return bool(at and local and "." in domain and not any(c.isspace() for c in text))


def split_name(full: str | None) -> tuple[str | None, str | None]:
    """("Maria", "José Pereira") for "Maria José Pereira"; (None, None) for nothing."""
    text = " ".join((full or "").split())
    if not text:
        return None, None
    first, _, rest = text.partition(" ")
    return first, rest or None


def people(conn: sqlite3.Connection, actor_ids: Iterable[int]) -> dict[int, Person]:
    """A :class:`Person` for each known actor id (unknown ids are left out)."""
    ids = sorted({int(a) for a in actor_ids})
    out: dict[int, Person] = {}
    for i in range(0, len(ids), 900):
        chunk = ids[i : i + 900]
        marks = ",".join("?" * len(chunk))
        for aid, kind, label, name, email, first, last in conn.execute(
            f"SELECT id, kind, label, name, email, first_name, last_name FROM actors WHERE id IN ({marks})",
            chunk,
        ):
            pseudo = kind == "pseudo"
            if pseudo:
                first = last = email = None
            elif not first and not last:
                first, last = split_name(name)
            if email and not looks_like_address(email):
                email = None  # never put something that is not an address in a To: line
            out[int(aid)] = Person(int(aid), str(label), first or None, last or None, email or None, pseudo)
    return out


def store_people(
    conn: sqlite3.Connection,
    rows: Sequence[tuple[int, str | None, str | None, str | None]],
) -> int:
    """Record (actor, first name, last name, e-mail) from a class list or gradebook; returns
    how many students changed. Empty cells change nothing; an e-mail is only added where
    the statements gave none; pseudonymised actors are never given a name. Runs inside the
    caller's transaction."""
    changed = 0
    for aid, first, last, email in rows:
        first, last = (first or "").strip() or None, (last or "").strip() or None
        email = (email or "").strip().lower() or None
        if email and not looks_like_address(email):
            email = None  # not an address: never put it in a To: line
        if not (first or last or email):
            continue
        cur = conn.execute(
            "UPDATE actors SET first_name = coalesce(?, first_name), last_name = coalesce(?, last_name), "
            "email = coalesce(email, ?) WHERE id = ? AND kind != 'pseudo'",
            (first, last, email, int(aid)),
        )
        changed += cur.rowcount
    return changed


def name_cells(table: object, cells: Sequence[str]) -> tuple[str | None, str | None]:
    """(first, last) from one row of a class list or gradebook ``CsvTable``: the first and
    last name columns when the header has them, else a full-name column split at the first
    space, else (None, None)."""
    header = [h.strip().lower() for h in getattr(table, "header", [])]

    def find(names: tuple[str, ...]) -> int | None:
        return next((header.index(n) for n in names if n in header), None)

    fi, li = find(FIRST_NAMES), find(LAST_NAMES)
    if fi is not None or li is not None:
        first = cells[fi] if fi is not None and fi < len(cells) else None
        last = cells[li] if li is not None and li < len(cells) else None
        return (first or None), (last or None)
    full = find(FULL_NAMES)
    if full is not None and full < len(cells):
        return split_name(cells[full])
    return None, None


__all__ = [
    "FIRST_NAMES",
    "FULL_NAMES",
    "LAST_NAMES",
    "NO_NAME_NOTE",
    "PSEUDONYM_NOTE",
    "Person",
    "looks_like_address",
    "name_cells",
    "people",
    "split_name",
    "store_people",
]
