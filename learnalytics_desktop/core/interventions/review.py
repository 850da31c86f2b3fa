"""Reviewing drafts: read, edit, approve, dismiss; the allowed status changes.

Status moves (anything else raises :class:`InterventionError` naming the row):

=========  ===========================================
from       to
=========  ===========================================
draft      approved, dismissed
approved   draft (un-approve), dismissed, exported
dismissed  draft (restore)
exported   done (the advisor confirms it was sent), approved (re-export)
held_out   (none: the randomised comparison must stay intact)
done       (none)
=========  ===========================================

Every change is one ``audit_log`` row (action ``intervention``) in the same transaction as
the change, which is the status history (see ``drafts`` for why).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from learnalytics_desktop.core.interventions.context import InterventionError
from learnalytics_desktop.core.interventions.drafts import _log, _user
from learnalytics_desktop.core.interventions.templates import PLACEHOLDERS, _fields

if TYPE_CHECKING:  # pragma: no cover
    import sqlite3

    import pandas as pd

TRANSITIONS: dict[str, set[str]] = {
    "draft": {"approved", "dismissed"},
    "approved": {"draft", "dismissed", "exported"},
    "dismissed": {"draft"},
    "exported": {"done", "approved"},
    "held_out": set(),
    "done": set(),
}
EDITABLE = {"draft", "approved"}
MAX_SUBJECT = 250
MAX_BODY = 20_000
COLUMNS = (
    "id",
    "batch",
    "actor",
    "course",
    "created_at",
    "date",
    "rule",
    "channel",
    "arm",
    "subject",
    "body",
    "status",
    "user",
    "risk",
    "features",
)


@dataclass
class Intervention:
    """One row of the interventions log (``student`` is the actor's label)."""

    id: int
    batch: str | None
    actor: int
    course: int | None
    created_at: str
    date: str
    rule: str
    channel: str
    arm: str
    subject: str | None
    body: str | None
    status: str
    user: str
    risk: float | None
    features: str | None
    student: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict."""
        return asdict(self)


def get_intervention(conn: sqlite3.Connection, intervention_id: int) -> Intervention:
    """One intervention by id (InterventionError if there is none)."""
    row = conn.execute(
        f"SELECT {', '.join('i.' + c for c in COLUMNS)}, a.label FROM interventions i "
        "JOIN actors a ON a.id = i.actor WHERE i.id = ?",
        (int(intervention_id),),
    ).fetchone()
    if row is None:
        raise InterventionError(f"There is no intervention with id {intervention_id}.")
    return Intervention(*row[:-1], student=row[-1])  # type: ignore[misc]  # row: COLUMNS, then the label


def list_interventions(
    conn: sqlite3.Connection,
    course_id: int | None = None,
    *,
    statuses: Iterable[str] | None = None,
    batch: str | None = None,
    ids: Iterable[int] | None = None,
) -> pd.DataFrame:
    """The interventions log as a DataFrame (columns of the table plus ``student``), by id."""
    import pandas as pd

    where: list[str] = []
    params: list[Any] = []
    if course_id is not None:
        where.append("i.course = ?")
        params.append(int(course_id))
    if statuses is not None:
        st = list(statuses)
        where.append(f"i.status IN ({','.join('?' * len(st))})" if st else "0")
        params += st
    if batch is not None:
        where.append("i.batch = ?")
        params.append(batch)
    sql = (
        f"SELECT {', '.join('i.' + c for c in COLUMNS)}, a.label AS student FROM interventions i "
        "JOIN actors a ON a.id = i.actor"
    )
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY i.id"
    frame = pd.DataFrame(conn.execute(sql, params).fetchall(), columns=[*COLUMNS, "student"])
    if ids is not None:
        wanted = {int(i) for i in ids}
        frame = frame[frame["id"].isin(wanted)].reset_index(drop=True)
    return frame


def transition(conn: sqlite3.Connection, iid: int, to: str, who: str, **detail: Any) -> None:
    """Move one row to status ``to`` and log it; the caller holds the transaction."""
    row = conn.execute(
        "SELECT status, batch, subject, body FROM interventions WHERE id = ?", (int(iid),)
    ).fetchone()
    if row is None:
        raise InterventionError(f"There is no intervention with id {iid}.")
    status, batch, subject, body = row
    if to not in TRANSITIONS.get(status, set()):
        allowed = sorted(TRANSITIONS.get(status, set()))
        extra = (
            " (held-out rows keep the randomised comparison intact)"
            if status == "held_out"
            else f" (from {status} it can become: {', '.join(allowed)})"
            if allowed
            else ""
        )
        raise InterventionError(f"Intervention {iid} is {status}; it cannot become {to}{extra}.")
    if to == "approved":
        left = [f for f, _s, _c in _fields((subject or "") + "\n" + (body or "")) if f in PLACEHOLDERS]
        if left:
            raise InterventionError(
                f"Intervention {iid} still contains {', '.join('{' + f + '}' for f in left)}; "
                "edit the text before approving it."
            )
    conn.execute("UPDATE interventions SET status = ? WHERE id = ?", (to, int(iid)))
    _log(conn, who, "intervention", id=int(iid), batch=batch, **{"from": status, "to": to}, **detail)


def _set_status(
    conn: sqlite3.Connection, ids: Iterable[int], to: str, user: str | None, **detail: Any
) -> int:
    from learnalytics_desktop.core.store.db import transaction

    who = _user(user)
    wanted = [int(i) for i in ids]
    if not wanted:
        return 0
    with transaction(conn):
        for iid in wanted:
            transition(conn, iid, to, who, **detail)
    return len(wanted)


def approve(conn: sqlite3.Connection, ids: int | Iterable[int], *, user: str | None = None) -> int:
    """Approve drafts (all or none). Refuses texts that still show a ``{placeholder}``."""
    return _set_status(conn, [ids] if isinstance(ids, int) else ids, "approved", user)


def dismiss(
    conn: sqlite3.Connection, ids: int | Iterable[int], *, user: str | None = None, reason: str | None = None
) -> int:
    """Dismiss drafts (all or none); ``reason`` is kept in the history."""
    extra = {"reason": reason[:500]} if reason else {}
    return _set_status(conn, [ids] if isinstance(ids, int) else ids, "dismissed", user, **extra)


def restore(conn: sqlite3.Connection, ids: int | Iterable[int], *, user: str | None = None) -> int:
    """Put dismissed or approved rows back to draft."""
    return _set_status(conn, [ids] if isinstance(ids, int) else ids, "draft", user)


def mark_done(conn: sqlite3.Connection, ids: int | Iterable[int], *, user: str | None = None) -> int:
    """Record that exported messages were actually sent by the advisor."""
    return _set_status(conn, [ids] if isinstance(ids, int) else ids, "done", user)


def update_draft(
    conn: sqlite3.Connection,
    intervention_id: int,
    *,
    subject: str | None = None,
    body: str | None = None,
    user: str | None = None,
) -> Intervention:
    """Edit the subject and/or body of a draft or approved row; returns the updated row.

    The subject must be one line (a line break in a subject is how header injection starts,
    so it is refused here already, not only at export).
    """
    from learnalytics_desktop.core.store.db import transaction

    current = get_intervention(conn, intervention_id)
    if current.status not in EDITABLE:
        raise InterventionError(
            f"Intervention {intervention_id} is {current.status}; only drafts and approved rows can be edited."
        )
    if subject is not None:
        if any(c in subject for c in "\r\n\x0b\x0c\x85\u2028\u2029\0"):
            raise InterventionError("The subject must be a single line.")
        if len(subject) > MAX_SUBJECT:
            raise InterventionError(
                f"The subject is {len(subject)} characters long; the limit is {MAX_SUBJECT}."
            )
    if body is not None and len(body) > MAX_BODY:
        raise InterventionError(f"The message is {len(body)} characters long; the limit is {MAX_BODY}.")
    if subject is None and body is None:
        return current
    changed = []
    with transaction(conn):
        if subject is not None and subject != current.subject:
            conn.execute("UPDATE interventions SET subject = ? WHERE id = ?", (subject, int(intervention_id)))
            changed.append("subject")
        if body is not None and body != current.body:
            conn.execute("UPDATE interventions SET body = ? WHERE id = ?", (body, int(intervention_id)))
            changed.append("body")
        if changed:
            _log(
                conn, _user(user), "intervention", id=int(intervention_id), batch=current.batch, edit=changed
            )
    return get_intervention(conn, intervention_id)


def fill_placeholder(
    conn: sqlite3.Connection, ids: Iterable[int], name: str, value: str, *, user: str | None = None
) -> int:
    """Replace a ``{name}`` left visible in the given *draft* rows by ``value``; returns how
    many rows changed. For example, after setting the advisor's name in the rules, fill
    ``{advisor}`` in the drafts made before. Each change is logged like an edit."""
    from learnalytics_desktop.core.store.db import transaction

    if name not in PLACEHOLDERS:
        raise InterventionError(f"{{{name}}} is not a placeholder.")
    if not isinstance(value, str) or not value.strip() or any(c in value for c in "\r\n\0"):
        raise InterventionError("The value must be one non-empty line of text.")
    token = "{" + name + "}"
    who = _user(user)
    changed = 0
    with transaction(conn):
        for iid in [int(i) for i in ids]:
            row = conn.execute(
                "SELECT status, batch, subject, body FROM interventions WHERE id = ?", (iid,)
            ).fetchone()
            if row is None:
                raise InterventionError(f"There is no intervention with id {iid}.")
            status, batch, subject, body = row
            if status != "draft" or token not in (subject or "") + (body or ""):
                continue
            conn.execute(
                "UPDATE interventions SET subject = ?, body = ? WHERE id = ?",
                (
                    (subject or "").replace(token, value) if subject is not None else None,
                    (body or "").replace(token, value) if body is not None else None,
                    iid,
                ),
            )
            _log(conn, who, "intervention", id=iid, batch=batch, edit=["fill " + name])
            changed += 1
    return changed


def history(conn: sqlite3.Connection, intervention_id: int) -> list[dict[str, Any]]:
    """The status/edit history of one intervention, oldest first (``at``, ``user`` + detail)."""
    import json

    row = get_intervention(conn, intervention_id)
    out: list[dict[str, Any]] = []
    for at, user, detail in conn.execute(
        "SELECT at, user, detail FROM audit_log WHERE action = 'intervention' "
        "AND json_extract(detail, '$.id') = ? ORDER BY id",
        (int(intervention_id),),
    ):
        out.append({"at": at, "user": user, **json.loads(detail)})
    first = next((h.get("from") for h in out if "from" in h), row.status)
    out.insert(
        0,
        {"at": row.created_at, "user": row.user, "id": row.id, "batch": row.batch, "from": None, "to": first},
    )
    return out


__all__ = [
    "TRANSITIONS",
    "Intervention",
    "approve",
    "dismiss",
    "fill_placeholder",
    "get_intervention",
    "history",
    "list_interventions",
    "mark_done",
    "restore",
    "transition",
    "update_draft",
]
