"""What a course offers the impact wizard: comparison groups and outcomes with their counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import sqlite3


@dataclass
class SourceInfo:
    """What a course offers the wizard: comparison groups and outcomes with their counts."""

    course_id: int
    course_name: str
    holdout_treated: int = 0
    """Students in the treated arm of batches that had a randomised hold-out."""
    holdout_control: int = 0
    holdout_batches: int = 0
    treated: int = 0
    """Students with an intervention that left the app (exported or done)."""
    outcomes: dict[str, int] = field(default_factory=dict)
    """Outcome name -> students with a value."""
    kinds: dict[str, str] = field(default_factory=dict)
    """Outcome name -> ``numeric`` or ``binary``."""


def source_info(conn: sqlite3.Connection, course_id: int) -> SourceInfo:
    """Counts for the first wizard page (see :class:`SourceInfo`)."""
    from learnalytics_desktop.core.interventions.context import course_name

    info = SourceInfo(int(course_id), course_name(conn, int(course_id)))
    rows = conn.execute(
        "SELECT batch, actor, arm, status FROM interventions WHERE course = ? ORDER BY date, id",
        (int(course_id),),
    ).fetchall()
    randomised = {b for b, _a, arm, _s in rows if arm == "holdout" and b}
    info.holdout_batches = len(randomised)
    first_arm: dict[int, str] = {}
    for b, a, arm, _s in rows:
        if b in randomised and arm in {"treated", "holdout", "external"}:
            first_arm.setdefault(int(a), arm)
    info.holdout_control = sum(1 for arm in first_arm.values() if arm == "holdout")
    info.holdout_treated = len(first_arm) - info.holdout_control
    info.treated = len(
        {int(a) for _b, a, arm, s in rows if s in {"exported", "done"} and arm in {"treated", "external"}}
    )
    for name in ("final_grade", "passed", "withdrew", "passed_not_withdrawn"):
        if name == "passed_not_withdrawn":
            (count,) = conn.execute(
                "SELECT COUNT(*) FROM outcomes WHERE course = ? AND (withdrew = 1 OR passed IS NOT NULL)",
                (int(course_id),),
            ).fetchone()
            info.outcomes[name], info.kinds[name] = int(count), "binary"
            continue
        values = [
            v
            for (v,) in conn.execute(f"SELECT {name} FROM outcomes WHERE course = ?", (int(course_id),))
            if v is not None
        ]
        info.outcomes[name] = len(values)
        info.kinds[name] = "numeric" if name == "final_grade" else "binary"
    for key, n, distinct in conn.execute(
        "SELECT key, COUNT(value), COUNT(DISTINCT value) FROM attributes WHERE course = ? AND value IS NOT NULL "
        "AND value != '' GROUP BY key ORDER BY key",
        (int(course_id),),
    ):
        values = [
            v
            for (v,) in conn.execute(
                "SELECT DISTINCT value FROM attributes WHERE course = ? AND key = ? AND value IS NOT NULL AND value != ''",
                (int(course_id), key),
            )
        ]
        try:
            numbers = {float(v) for v in values}
        except (TypeError, ValueError):
            continue  # a text attribute (e.g. study mode) is not an outcome
        info.outcomes[str(key)] = int(n)
        info.kinds[str(key)] = "binary" if numbers <= {0.0, 1.0} and distinct <= 2 else "numeric"
    return info


__all__ = ["SourceInfo", "source_info"]
