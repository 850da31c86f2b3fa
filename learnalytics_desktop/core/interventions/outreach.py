"""Outreach status per student: has this student already been contacted, and how far did it get?

The risk list shows it beside every student so that nobody is written to twice. A student's
status is the furthest any of their interventions in the offering has come:

=============  ==================================================================
``sent``       an exported message the advisor confirmed as sent (status ``done``)
``exported``   written to an ``.eml`` file or a mail-merge CSV, not yet confirmed
``approved``   approved, not yet exported
``drafted``    a draft waiting for review
``held back``  in a randomised hold-out: deliberately not contacted (do not write
               to them now, or the comparison on the Impact page is lost)
(empty)        no intervention (dismissed drafts do not count)
=============  ==================================================================

with the date it got there: when the status changed (from the intervention log in
``audit_log``), or when the draft was made (``interventions.created_at``, real time, never
the as-of date). Only interventions dated on or before the week shown count
(``interventions.date`` <= the as-of date), so replaying an earlier week shows the outreach
as it stood then.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

# intervention status -> (outreach status, rank: higher is further along)
OUTREACH: dict[str, tuple[str, int]] = {
    "done": ("sent", 5),
    "exported": ("exported", 4),
    "approved": ("approved", 3),
    "draft": ("drafted", 2),
    "held_out": ("held back", 1),
}
OUTREACH_FILTERS: dict[str, tuple[str, ...] | None] = {
    "Any outreach": None,
    "Not contacted yet": ("",),
    "Drafted or approved": ("drafted", "approved"),
    "Exported or sent": ("exported", "sent"),
    "Held back": ("held back",),
}


def outreach_status(conn: sqlite3.Connection, course_id: int, as_of: datetime | None = None) -> pd.DataFrame:
    """One row per student with an intervention in the offering (index ``actor``): columns
    ``outreach`` (see the module docstring), ``outreach_at`` (ISO date-time UTC of that
    status) and ``outreach_text`` ("sent 2026-10-27"). ``as_of``: only interventions dated
    on or before that day count."""
    import pandas as pd

    day = None if as_of is None else as_of.date().isoformat()
    rows = conn.execute(
        "SELECT id, actor, status, created_at, date FROM interventions WHERE course = ? AND arm != 'external'",
        (int(course_id),),
    ).fetchall()
    changed = _status_times(conn, [int(r[0]) for r in rows])
    best: dict[int, tuple[int, str, str]] = {}
    for iid, actor, status, created, date in rows:
        if status not in OUTREACH or (day is not None and str(date) > day):
            continue
        name, rank = OUTREACH[status]
        when = changed.get((int(iid), status), created) if status not in ("draft", "held_out") else created
        old = best.get(int(actor))
        if old is None or (rank, when) > (old[0], old[2]):
            best[int(actor)] = (rank, name, str(when))
    frame = pd.DataFrame(
        [(a, name, when, f"{name} {when[:10]}") for a, (_r, name, when) in best.items()],
        columns=["actor", "outreach", "outreach_at", "outreach_text"],
    )
    return frame.set_index("actor")


def _status_times(conn: sqlite3.Connection, ids: list[int]) -> dict[tuple[int, str], str]:
    """(intervention id, status) -> when it last moved to that status (audit log)."""
    if not ids:
        return {}
    wanted = set(ids)
    out: dict[tuple[int, str], str] = {}
    for iid, to, at in conn.execute(
        "SELECT json_extract(detail, '$.id'), json_extract(detail, '$.to'), at FROM audit_log "
        "WHERE action = 'intervention' AND json_extract(detail, '$.to') IS NOT NULL ORDER BY id"
    ):
        if iid is not None and int(iid) in wanted:
            out[(int(iid), str(to))] = str(at)
    return out


__all__ = ["OUTREACH", "OUTREACH_FILTERS", "outreach_status"]
