"""The high-risk students of a course at a moment: what the Interventions page offers to
draft for, resting on the run that counts then (``core.model.runs.select_run``), the same
run the drafts' risk gate and the Students at risk page read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from learnalytics_desktop.core.interventions.context import as_of_instant

if TYPE_CHECKING:  # pragma: no cover
    import sqlite3


@dataclass
class HighRisk:
    """The high-risk students of a course as of a moment, from the run that counts then."""

    actors: list[int] = field(default_factory=list)
    scored: int = 0
    """Students in that score run."""
    run_as_of: str | None = None
    """The run's as-of instant (ISO), or None when the course was never scored before then."""

    @property
    def available(self) -> bool:
        """True when a score run exists at or before the moment."""
        return self.run_as_of is not None


def high_risk_students(conn: sqlite3.Connection, course_id: int, as_of: datetime | date) -> HighRisk:
    """Students whose risk level is "high" in the run that counts at ``as_of``.

    Uses the run that counts at that moment (``core.model.runs.select_run``), the one the
    drafting risk gate and the Students at risk page read, so they agree.
    """
    from learnalytics_desktop.core.model.runs import select_run

    run = select_run(conn, course_id, as_of=as_of_instant(as_of))
    if run is None:
        return HighRisk()
    rows = conn.execute(
        "SELECT s.actor, s.level FROM scores s JOIN actors a ON a.id = s.actor WHERE s.run_id = ? "
        "ORDER BY s.risk DESC, a.label",
        (run.id,),
    ).fetchall()
    return HighRisk(
        actors=[int(a) for a, level in rows if level == "high"],
        scored=len(rows),
        run_as_of=run.as_of.isoformat(),
    )


__all__ = ["HighRisk", "high_risk_students"]
