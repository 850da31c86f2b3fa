"""Enrolment status as of a date: *active*, *not started* or *withdrawn (date)* per student.

Where the facts come from (decisions):

* **The class list** (``import_roster``) may carry a registration date, a withdrawal date
  and a status word per student (stored on ``enrolments``). A withdrawal date counts from
  00:00 UTC of that day. A status word meaning withdrawn (:data:`WITHDRAWN_WORDS`) with no
  date means *withdrawn, date unknown*: the registrar says the student left and not when,
  so the student counts as withdrawn at every as-of date (a data officer who wants the
  earlier weeks counted gives the date).
* **xAPI statements** whose verb means leaving the course (:data:`DEFAULT_LEAVE_VERBS`, the
  TinCan registry's ``unregistered`` and Activity Streams' ``leave``) set a withdrawal at
  their time; a later statement whose verb means joining (:data:`DEFAULT_JOIN_VERBS`: ADL
  ``registered``, Activity Streams ``join``) before the as-of instant undoes it
  (re-registration). cmi5's ``abandoned`` and ADL's ``exited`` end a *session*, not an
  enrolment, so they are not leaving verbs. The lists are editable (settings key
  ``enrolment_verbs``: ``{"join": [iri...], "leave": [iri...]}``; the Settings page and
  :func:`save_enrolment_verbs`), matched as whole IRIs.
* When both give a withdrawal, the earlier date is shown.
* **Active** = not withdrawn and at least one statement in the offering before the as-of
  instant other than a joining or leaving one (registering is not studying). **Not
  started** = not withdrawn and no such statement (enrolled students who have done nothing
  are the most at risk, so they stay on every list).

Cost: the per-student statement counts come from the covering index; the joining/leaving
statements are read only when the database knows one of those verbs at all.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

SETTING_KEY = "enrolment_verbs"
DEFAULT_LEAVE_VERBS: tuple[str, ...] = (
    "http://id.tincanapi.com/verb/unregistered",
    "http://activitystrea.ms/schema/1.0/leave",
)
DEFAULT_JOIN_VERBS: tuple[str, ...] = (
    "http://adlnet.gov/expapi/verbs/registered",
    "http://activitystrea.ms/schema/1.0/join",
)
# class-list status words (lower case) -> withdrawn?
WITHDRAWN_WORDS = frozenset(
    {
        "withdrawn",
        "withdrew",
        "withdraw",
        "w",
        "wd",
        "dropped",
        "dropped out",
        "dropout",
        "unregistered",
        "deregistered",
        "unenrolled",
        "unenroled",
        "cancelled",
        "canceled",
        "left",
    }
)
ENROLLED_WORDS = frozenset(
    {
        "active",
        "enrolled",
        "enroled",
        "registered",
        "current",
        "continuing",
        "in progress",
        "studying",
        "ok",
        "a",
        "completed",
        "complete",
        "passed",
        "failed",
        "finished",
    }
)
ACTIVE, NOT_STARTED, WITHDRAWN = "active", "not started", "withdrawn"
DAY_MS = 86_400_000


class EnrolmentVerbsError(ValueError):
    """The joining/leaving verb lists are not usable; the message says why."""


@dataclass(frozen=True)
class EnrolmentVerbs:
    """The verbs that mean joining and leaving an offering (whole IRIs)."""

    join: tuple[str, ...] = DEFAULT_JOIN_VERBS
    leave: tuple[str, ...] = DEFAULT_LEAVE_VERBS

    def to_dict(self) -> dict[str, list[str]]:
        return {"join": list(self.join), "leave": list(self.leave)}


def check_verbs(iris: Any, what: str) -> tuple[str, ...]:
    """The IRIs cleaned (duplicates dropped), or EnrolmentVerbsError naming the bad one."""
    if isinstance(iris, str) or not isinstance(iris, Iterable):
        raise EnrolmentVerbsError(f"the {what} verbs must be a list of IRIs")
    out = []
    for iri in iris:
        text = str(iri).strip() if isinstance(iri, str) else ""
        if not text or ":" not in text or any(c.isspace() for c in text):
            raise EnrolmentVerbsError(f"{iri!r} is not a verb IRI (for example {DEFAULT_LEAVE_VERBS[0]})")
        out.append(text)
    return tuple(dict.fromkeys(out))


def load_enrolment_verbs(conn: sqlite3.Connection) -> EnrolmentVerbs:
    """The saved joining/leaving verbs, else the defaults."""
    from learnalytics_desktop.core.store.db import get_setting

    saved = get_setting(conn, SETTING_KEY, None)
    if not isinstance(saved, dict):
        return EnrolmentVerbs()
    try:
        return EnrolmentVerbs(
            join=check_verbs(saved.get("join", DEFAULT_JOIN_VERBS), "joining"),
            leave=check_verbs(saved.get("leave", DEFAULT_LEAVE_VERBS), "leaving"),
        )
    except EnrolmentVerbsError:
        return EnrolmentVerbs()


def save_enrolment_verbs(
    conn: sqlite3.Connection, *, join: Iterable[str] | None = None, leave: Iterable[str] | None = None
) -> EnrolmentVerbs:
    """Validate and save the joining and leaving verbs (None keeps the current list); a verb
    may not be in both lists. Audited."""
    from learnalytics_desktop.core.store.db import audit, set_setting, transaction

    cur = load_enrolment_verbs(conn)
    new = EnrolmentVerbs(
        join=cur.join if join is None else check_verbs(join, "joining"),
        leave=cur.leave if leave is None else check_verbs(leave, "leaving"),
    )
    both = sorted(set(new.join) & set(new.leave))
    if both:
        raise EnrolmentVerbsError(f"a verb cannot mean both joining and leaving: {', '.join(both)}")
    with transaction(conn):
        set_setting(conn, SETTING_KEY, new.to_dict())
        audit(conn, "enrolment_verbs", join=len(new.join), leave=len(new.leave))
    return new


def _verb_ids(conn: sqlite3.Connection, iris: tuple[str, ...]) -> list[int]:
    if not iris:
        return []
    q = f"SELECT id FROM verbs WHERE iri IN ({','.join('?' * len(iris))})"
    return [int(r[0]) for r in conn.execute(q, iris)]


def _ms(as_of: datetime) -> int:
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    return int(round(as_of.timestamp() * 1000))


def _date(ms: int | None) -> Any:
    if ms is None:
        return None
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(ms))).date()


def enrolment_status(conn: sqlite3.Connection, course_id: int, as_of: datetime) -> pd.DataFrame:
    """Each student's status in offering ``course_id`` as of ``as_of`` (see the module docstring).

    One row per student enrolled or with a statement before ``as_of`` (the students of
    ``compute_features``), index ``actor`` (int64, sorted); columns ``status`` (``"active"``,
    ``"not started"``, ``"withdrawn"``), ``withdrawn_on`` (a ``date``, None when not withdrawn
    or the date is unknown), ``withdrawn_by`` (``"class list"``, ``"statement"`` or None),
    ``registered_on`` (the class list's date or the first joining statement, None when
    neither) and ``label`` (``"withdrawn (2014-03-02)"``, ``"withdrawn"`` when the date is
    unknown, else the status)."""
    import pandas as pd

    cid, cut = int(course_id), _ms(as_of)
    verbs = load_enrolment_verbs(conn)
    join_ids, leave_ids = _verb_ids(conn, verbs.join), _verb_ids(conn, verbs.leave)
    counts = dict(
        conn.execute(
            "SELECT actor, count(*) FROM statements WHERE course = ? AND ts < ? AND voided = 0 "
            "AND is_voiding = 0 GROUP BY actor",
            (cid, cut),
        ).fetchall()
    )
    groups = {r[0] for r in conn.execute("SELECT id FROM actors WHERE kind = 'group'")}
    roster = {
        int(a): (reg, wd, (st or "").strip().lower())
        for a, reg, wd, st in conn.execute(
            "SELECT actor, registered_ms, withdrawn_ms, status FROM enrolments WHERE course = ?", (cid,)
        )
        if a not in groups
    }
    students = sorted((set(counts) - groups) | set(roster))
    enrol_events: dict[int, list[tuple[int, bool]]] = {}
    if join_ids or leave_ids:
        ids = join_ids + leave_ids
        leave_set = set(leave_ids)
        for actor, ts, verb in conn.execute(
            f"SELECT actor, ts, verb FROM v_events WHERE course = ? AND ts < ? AND verb IN ({','.join('?' * len(ids))}) "
            "ORDER BY ts",
            (cid, cut, *ids),
        ):
            enrol_events.setdefault(int(actor), []).append((int(ts), verb in leave_set))
    rows = []
    for actor in students:
        reg_ms, wd_ms, word = roster.get(actor, (None, None, ""))
        events = enrol_events.get(actor, [])
        learning = counts.get(actor, 0) - len(events)
        left_at: int | None = None
        for ts, leaving in events:  # time order: the last word before as_of counts
            left_at = ts if leaving else None
        by, when, withdrawn = None, None, False
        if wd_ms is not None and wd_ms < cut:
            withdrawn, by, when = True, "class list", int(wd_ms)
        elif word in WITHDRAWN_WORDS and wd_ms is None:
            withdrawn, by = True, "class list"
        if left_at is not None and (when is None or left_at < when):
            withdrawn, by, when = True, "statement", left_at
        if reg_ms is None:
            joins = [ts for ts, leaving in events if not leaving]
            reg_ms = joins[0] if joins else None
        status = WITHDRAWN if withdrawn else (ACTIVE if learning > 0 else NOT_STARTED)
        day = _date(when)
        label = f"withdrawn ({day.isoformat()})" if withdrawn and day else status
        rows.append((actor, status, day, by if withdrawn else None, _date(reg_ms), label))
    frame = pd.DataFrame(
        rows, columns=["actor", "status", "withdrawn_on", "withdrawn_by", "registered_on", "label"]
    ).set_index("actor")
    frame.index = frame.index.astype("int64")
    return frame


def withdrawn_before(conn: sqlite3.Connection, course_id: int, as_of: datetime) -> set[int]:
    """Actor ids withdrawn from the offering before ``as_of`` (see :func:`enrolment_status`)."""
    st = enrolment_status(conn, course_id, as_of)
    return {int(a) for a in st.index[st["status"] == WITHDRAWN]}


__all__ = [
    "ACTIVE",
    "DEFAULT_JOIN_VERBS",
    "DEFAULT_LEAVE_VERBS",
    "ENROLLED_WORDS",
    "NOT_STARTED",
    "WITHDRAWN",
    "WITHDRAWN_WORDS",
    "EnrolmentVerbs",
    "check_verbs",
    "EnrolmentVerbsError",
    "enrolment_status",
    "load_enrolment_verbs",
    "save_enrolment_verbs",
    "withdrawn_before",
]
