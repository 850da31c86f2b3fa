"""What the rules and templates need to know about each student at a point in time.

* **Features** come from ``core.features.compute_features(conn, course_id, as_of)`` unless
  the caller passes the frame it already has (the GUI does, from the dashboard).
* **Risk** comes from the caller's frame (``score`` output: columns ``actor``, ``risk_score``,
  ``risk_level``, ``reasons``) or else from the stored run that counts at ``as_of``
  (``core.model.runs.select_run``, the same run the Students at risk page shows). A student
  with no risk score keeps ``risk=None``; nothing is invented.
* **Who** comes from ``core.people`` (label, first and last name, e-mail) and the course
  name from ``courses``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import sqlite3

    import pandas as pd


class InterventionError(ValueError):
    """An intervention request that cannot be carried out; the message says why."""


@dataclass
class StudentContext:
    """One student's facts at the drafting instant."""

    actor: int
    label: str
    name: str | None
    email: str | None
    risk: float | None = None
    risk_level: str | None = None
    reasons: list[str] = field(default_factory=list)
    features: dict[str, float | None] = field(default_factory=dict)
    first_name: str | None = None
    last_name: str | None = None


def as_of_instant(as_of: datetime | date) -> datetime:
    """A timezone-aware UTC instant. A plain ``date`` means the end of that day (the next
    midnight, exclusive, as everywhere in the app); a naive datetime is taken as UTC."""
    if isinstance(as_of, datetime):
        return as_of.replace(tzinfo=UTC) if as_of.tzinfo is None else as_of.astimezone(UTC)
    if isinstance(as_of, date):
        return datetime.combine(as_of + timedelta(days=1), time(0, 0), tzinfo=UTC)
    raise InterventionError(f"The as-of moment must be a date or datetime, not {type(as_of).__name__}.")


def intervention_date(as_of: datetime) -> str:
    """The ISO calendar date of an as-of instant (the last complete day before it)."""
    return (as_of - timedelta(microseconds=1)).date().isoformat()


def course_name(conn: sqlite3.Connection, course_id: int) -> str:
    """The course's name (its IRI when unnamed); InterventionError when there is no such course."""
    row = conn.execute("SELECT name, iri FROM courses WHERE id = ?", (int(course_id),)).fetchone()
    if row is None:
        raise InterventionError(f"There is no course with id {course_id} in this database.")
    name: str = row[0] or row[1]
    return name


def stored_risk(
    conn: sqlite3.Connection, course_id: int, as_of: datetime
) -> dict[int, tuple[float, str, list[str]]]:
    """actor -> (risk, level, reasons) from the run that counts at ``as_of``
    (``core.model.runs.select_run``: the active model's run of that week, not after it)."""
    from learnalytics_desktop.core.model.runs import select_run

    run = select_run(conn, course_id, as_of=as_of)
    if run is None:
        return {}
    out = {}
    for actor, risk, level, reasons in conn.execute(
        "SELECT actor, risk, level, reasons FROM scores WHERE run_id = ?", (run.id,)
    ):
        try:
            parsed = json.loads(reasons)
        except (TypeError, ValueError):
            parsed = [str(reasons)]
        out[int(actor)] = (
            float(risk),
            str(level),
            [str(r) for r in parsed] if isinstance(parsed, list) else [str(parsed)],
        )
    return out


def _risk_from_frame(frame: pd.DataFrame) -> dict[int, tuple[float, str, list[str]]]:
    df = frame.reset_index() if "actor" not in frame.columns else frame
    missing = [c for c in ("actor", "risk_score") if c not in df.columns]
    if missing:
        raise InterventionError(f"The risk table has no column(s) {missing}; it needs actor and risk_score.")
    out = {}
    for rec in df.to_dict("records"):
        reasons = rec.get("reasons")
        if isinstance(reasons, str):
            try:
                loaded = json.loads(reasons)
                reasons = loaded if isinstance(loaded, list) else [reasons]
            except ValueError:
                reasons = [reasons]
        elif reasons is None or (isinstance(reasons, float) and math.isnan(reasons)):
            reasons = []
        out[int(rec["actor"])] = (
            float(rec["risk_score"]),
            str(rec.get("risk_level") or ""),
            [str(r) for r in reasons],
        )
    return out


def _clean(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def gather(
    conn: sqlite3.Connection,
    course_id: int,
    actor_ids: list[int] | None,
    as_of: datetime,
    *,
    risk: pd.DataFrame | None = None,
    features: pd.DataFrame | None = None,
) -> dict[int, StudentContext]:
    """Facts for each student (all students with features when ``actor_ids`` is None).

    Raises :class:`InterventionError` naming unknown actor ids.
    """
    if features is None:
        from learnalytics_desktop.core.features import compute_features

        features = compute_features(conn, course_id, as_of)
    if "actor" in features.columns:
        features = features.set_index("actor")
    risk_map = _risk_from_frame(risk) if risk is not None else stored_risk(conn, course_id, as_of)
    ids = [int(a) for a in features.index] if actor_ids is None else [int(a) for a in actor_ids]
    if len(set(ids)) != len(ids):
        raise InterventionError("The same student was selected twice.")
    from learnalytics_desktop.core.people import people as find_people

    people = find_people(conn, ids)
    unknown = [a for a in ids if a not in people]
    if unknown:
        raise InterventionError(f"No student with actor id(s) {unknown[:10]} in this database.")
    numeric = features.select_dtypes(include="number")
    out = {}
    for a in ids:
        who = people[a]
        row = numeric.loc[a].to_dict() if a in numeric.index else {}
        r = risk_map.get(a)
        out[a] = StudentContext(
            actor=a,
            label=who.label,
            name=who.full_name,
            email=who.email,
            first_name=who.first_name,
            last_name=who.last_name,
            risk=r[0] if r else None,
            risk_level=(r[1] or None) if r else None,
            reasons=list(r[2]) if r else [],
            features={str(k): _clean(v) for k, v in row.items()},
        )
    return out


def template_values(student: StudentContext, *, course: str, advisor: str, when: str) -> dict[str, Any]:
    """The placeholder values for one student (None where unknown, left visible by render)."""
    real = (student.name or "").strip()
    display = real or student.label
    f = student.features
    days = f.get("days_since_last_activity")
    video = f.get("video_completion_rate")
    trend = f.get("quiz_score_trend")
    return {
        "name": display,
        # no stored name (pseudonymised, or an identifier without one): leave {first_name}
        # visible so the advisor writes the greeting instead of "Dear 5f3a9c..."
        "first_name": student.first_name or (real.split()[0] if real else None),
        "label": student.label,
        "course": course,
        "reasons": "; ".join(student.reasons)
        if student.reasons
        else (None if student.risk is None else "none given"),
        "risk": None if student.risk is None else f"{student.risk * 100:.0f}%",
        "risk_level": student.risk_level,
        "days_inactive": None if days is None else str(int(math.floor(days))),
        "video_completion": None if video is None else f"{video * 100:.0f}%",
        "quiz_trend": None if trend is None else f"{trend:+.2f}",
        "advisor": advisor.strip() or None,
        "date": when,
    }


__all__ = [
    "InterventionError",
    "StudentContext",
    "as_of_instant",
    "course_name",
    "gather",
    "intervention_date",
    "stored_risk",
    "template_values",
]
