"""Who a learner is, and finding one from what a person types: the one lookup the erasure,
the subject access export, the Settings page's "One learner" box and the command line use.

**What matches (exactly, never a pattern).** The typed text, stripped, is compared to:

* the learner's label (what the app shows), exactly;
* the stored canonical identifier (``mbox:mailto:…``, ``account:<homePage>|<name>``,
  ``openid:…``, ``pseudo:…``: see ``core.ingest.xapi.fields``), exactly;
* the e-mail address, ignoring case (addresses are stored lower-case), also as its
  ``mbox_sha1sum`` form;
* an account name: ``name`` finds ``account:<any homePage>|name``; ``homePage|name`` the
  one account; ``home_pages`` adds candidates for a bare name.

Characters such as ``_``, ``%`` or ``*`` are plain characters: ``ann_lee`` never finds
``ann.lee`` and ``b%`` never finds ``bob.stone`` (SQL ``LIKE`` did: issue 15, finding 2).

**Pseudonymised databases** store only ``pseudo:<HMAC>`` and a label derived from it. With
the data officer's key (``key``, or ``key_file``), every candidate identifier above is also
hashed the way the import did (``core.ingest.pseudonym.pseudonymize_ifi``), so an e-mail
address or account name finds the learner; without the key the message says so.

**Several matches** (the same account name under two home pages, a label equal to another
learner's account name): :class:`AmbiguousLearner` lists each match (label and stored
identifier) and nothing is done; the person retypes one of the full identifiers.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field

from learnalytics_desktop.core.labels import clean_label


class LearnerNotFound(LookupError):
    """No learner matches what was typed; the message says what to try."""


class AmbiguousLearner(LearnerNotFound):
    """Several learners match; :attr:`matches` lists them (nothing was done)."""

    def __init__(self, text: str, matches: list[tuple[str, str]]) -> None:
        self.matches = matches
        listed = "; ".join(f"{label} ({ifi})" for label, ifi in matches)
        super().__init__(
            f"{len(matches)} learners match {text!r}: {listed}. Nothing was done: "
            "type one of these full identifiers."
        )


@dataclass(frozen=True)
class LearnerSummary:
    """Who a typed identifier resolves to, and how much the database holds on them."""

    actor_id: int
    label: str
    statements: int
    courses: int
    other_rows: int  # rows in other tables with an actor column (outcomes, scores, ...)
    tables: dict[str, int] = field(default_factory=dict)
    """Rows per table with an ``actor`` column (statements included)."""
    outside: tuple[str, ...] = ()
    """Files outside the database that may hold them, which erasure cannot reach
    (``core.privacy.erase.outside_copies``); filled by :func:`lookup_learner`."""


def actor_tables(conn: sqlite3.Connection) -> list[str]:
    """Every table with an ``actor`` column (learner data, including tables added later that
    follow the convention), ``statements`` last."""
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    out = [t for t in names if "actor" in {r[1] for r in conn.execute(f'PRAGMA table_info("{t}")')}]
    out.sort(key=lambda name: name == "statements")
    return out


def candidate_ifis(text: str, home_pages: Sequence[str] = ()) -> list[str]:
    """Canonical identifiers (see ``core.ingest.xapi.fields``) that ``text`` may stand for."""
    t = text.strip()
    out = [t]
    if "@" in t and " " not in t:
        address = t[7:] if t.lower().startswith("mailto:") else t
        address = address.lower()
        out.append("mbox:mailto:" + address)
        out.append("mbox_sha1sum:" + hashlib.sha1(("mailto:" + address).encode()).hexdigest())
    if t.startswith(("http://", "https://")):
        out.append("openid:" + t)
    if "|" in t:
        out.append("account:" + t)
    out.extend(f"account:{home}|{t}" for home in home_pages)
    return list(dict.fromkeys(out))


def is_pseudonymised(conn: sqlite3.Connection) -> bool:
    """True when the database holds pseudonymised learners or a pseudonymised import: then
    an e-mail address or account name finds a learner only with the key."""
    return bool(
        conn.execute("SELECT 1 FROM actors WHERE kind = 'pseudo' LIMIT 1").fetchone()
        or conn.execute("SELECT 1 FROM imports WHERE pseudonymized = 1 LIMIT 1").fetchone()
    )


def _key(key: bytes | None, key_file: str | os.PathLike[str] | None) -> bytes | None:
    if key is not None or not key_file or not str(key_file).strip():
        return key
    from learnalytics_desktop.core.ingest.pseudonym import load_key

    return load_key(key_file)  # KeyFileError (a ValueError) says what is wrong with the file


def matching_learners(
    conn: sqlite3.Connection, text: str, *, key: bytes | None = None, home_pages: Sequence[str] = ()
) -> list[int]:
    """Every actor id ``text`` matches exactly (see the module docstring), ascending."""
    t = text.strip()
    if not t:
        return []
    rows = conn.execute(
        "SELECT id FROM actors WHERE label = ? OR ifi = ? OR email = lower(?) "
        "OR (length(ifi) > length(?) + 1 AND substr(ifi, -length(?) - 1) = '|' || ?)",
        (t, t, t, t, t, t),
    ).fetchall()
    ids = {int(r[0]) for r in rows}
    shown = clean_label(t)  # labels are stored cleaned (core.labels): typed text is compared so too
    if shown and shown != t:
        ids.update(int(r[0]) for r in conn.execute("SELECT id FROM actors WHERE label = ?", (shown,)))
    candidates = candidate_ifis(t, home_pages)
    if key is not None:
        from learnalytics_desktop.core.ingest.pseudonym import pseudonymize_ifi

        candidates += [pseudonymize_ifi(key, ifi) for ifi in candidates]
    for ifi in dict.fromkeys(candidates):
        row = conn.execute("SELECT id FROM actors WHERE ifi = ?", (ifi,)).fetchone()
        if row:
            ids.add(int(row[0]))
    return sorted(ids)


def find_learner(
    conn: sqlite3.Connection,
    text: str,
    *,
    key: bytes | None = None,
    key_file: str | os.PathLike[str] | None = None,
    home_pages: Sequence[str] = (),
) -> int:
    """The one actor id ``text`` stands for; :class:`LearnerNotFound` when none,
    :class:`AmbiguousLearner` (listing them) when several."""
    if not text.strip():
        raise LearnerNotFound("Type the learner's label, e-mail address or account name first.")
    key = _key(key, key_file)
    ids = matching_learners(conn, text, key=key, home_pages=home_pages)
    if not ids:
        hint = ""
        if key is None and is_pseudonymised(conn):
            hint = " This database is pseudonymised: give the key file to look learners up by e-mail or id."
        raise LearnerNotFound(f"No learner matches {text.strip()!r}.{hint}")
    if len(ids) > 1:
        marks = ",".join("?" * len(ids))
        rows = conn.execute(f"SELECT label, ifi FROM actors WHERE id IN ({marks}) ORDER BY label, id", ids)
        raise AmbiguousLearner(text.strip(), [(str(a), str(b)) for a, b in rows])
    return ids[0]


def actor_labels(conn: sqlite3.Connection, actor_ids: list[int] | None = None) -> dict[int, str]:
    """``actors.label`` (what people see) for each id; every learner's when ``actor_ids`` is
    None."""
    if actor_ids is None:
        return {int(a): str(lab) for a, lab in conn.execute("SELECT id, label FROM actors")}
    out: dict[int, str] = {}
    ids = [int(a) for a in actor_ids]
    for i in range(0, len(ids), 900):
        chunk = ids[i : i + 900]
        q = f"SELECT id, label FROM actors WHERE id IN ({','.join('?' * len(chunk))})"
        out.update({int(a): str(lab) for a, lab in conn.execute(q, chunk)})
    return out


def actors_by_label(conn: sqlite3.Connection, labels: Sequence[str]) -> tuple[dict[str, int], list[str]]:
    """The actor id of each label, exactly (``{label: id}``), and the labels no learner has."""
    wanted = list(dict.fromkeys(str(x) for x in labels))
    found: dict[str, int] = {}
    for i in range(0, len(wanted), 900):
        chunk = wanted[i : i + 900]
        q = f"SELECT label, id FROM actors WHERE label IN ({','.join('?' * len(chunk))})"
        found.update({str(lab): int(a) for lab, a in conn.execute(q, chunk)})
    return found, [w for w in wanted if w not in found]


def learner_summary(conn: sqlite3.Connection, actor_id: int) -> LearnerSummary:
    """The learner's label and how many rows the database holds on them, per table."""
    row = conn.execute("SELECT label FROM actors WHERE id = ?", (int(actor_id),)).fetchone()
    if row is None:
        raise LearnerNotFound(f"No learner with id {actor_id}.")
    tables = {
        t: int(conn.execute(f'SELECT count(*) FROM "{t}" WHERE actor = ?', (int(actor_id),)).fetchone()[0])
        for t in actor_tables(conn)
    }
    courses = conn.execute("SELECT count(DISTINCT course) FROM statements WHERE actor = ?", (int(actor_id),))
    return LearnerSummary(
        actor_id=int(actor_id),
        label=str(row[0]),
        statements=tables.get("statements", 0),
        courses=int(courses.fetchone()[0]),
        other_rows=sum(n for t, n in tables.items() if t != "statements"),
        tables=tables,
    )


def lookup_learner(
    conn: sqlite3.Connection,
    text: str,
    *,
    key_file: str | os.PathLike[str] | None = None,
    home_pages: Sequence[str] = (),
) -> LearnerSummary:
    """:func:`find_learner` then :func:`learner_summary`: what the erase and export buttons
    show before anything is done, with the recorded copies outside the database."""
    from dataclasses import replace

    from learnalytics_desktop.core.privacy.erase import outside_copies

    summary = learner_summary(conn, find_learner(conn, text, key_file=key_file, home_pages=home_pages))
    return replace(summary, outside=tuple(outside_copies(conn, summary.actor_id).lines()))


__all__ = [
    "AmbiguousLearner",
    "actor_labels",
    "actors_by_label",
    "LearnerNotFound",
    "LearnerSummary",
    "actor_tables",
    "candidate_ifis",
    "find_learner",
    "is_pseudonymised",
    "learner_summary",
    "lookup_learner",
    "matching_learners",
]
