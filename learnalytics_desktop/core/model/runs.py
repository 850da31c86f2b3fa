"""Which stored scoring run counts: the one answer the dashboard, the Interventions page, the
drafts' risk gate, the impact covariates and the command line all use.

**The meaning (one, everywhere).** Ask for a course at a moment ``T``. The run that counts is
the most recently made run (``created_at``, then the higher id) of the *model* whose as-of
instant lies in the same course week as ``T`` and is not after ``T``:

    as_of_week(w) <= run.as_of <= T,   w = the number of weeks complete at T

* ``week=k`` means ``T = as_of_week(k)``, the instant weeks 1..k are complete (the week the
  context bar shows), so the run of week k is the one scored exactly as of the end of week k
  ("Score now" scores there). A run scored in the middle of week k+1 (``score --as-of``) is
  seen only by moments at or after it in that week; it never stands in for "week k".
* ``as_of=T`` is that moment; with ``week`` too, both must name the same rule: ``T`` is taken
  as given and the week bounds it from below (``as_of_week(k) <= run.as_of <= T``).
* Neither: the most recently made run of the model, whatever its week.
* ``model=None`` means the active model (pinned, else the latest trained:
  ``registry.active_model_id``). With no model at all, or when only runs of a model since
  deleted or replaced exist, **no run counts**: the Students at risk page says "not scored"
  and the Interventions page offers no high-risk list, rather than resting on a run of
  another model (the drift issue 10 describes).
* A run older than the week of ``T`` does not count (a week-3 score is not this week's risk);
  a run scored on data after ``T`` does not count either (nothing looks ahead: the impact
  covariates rely on it).
* An offering without a calendar (no start date and no statements) has no weeks: then the
  week bound is left out and the latest run not after ``T`` counts.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True)
class ScoreRun:
    """One row of ``score_runs``."""

    id: int
    model_id: str
    course: int
    week: int | None
    as_of: datetime
    created_at: str


def _instant(text: str) -> datetime | None:
    try:
        dt = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _aware(moment: datetime) -> datetime:
    if not isinstance(moment, datetime):
        raise TypeError(f"as_of must be a datetime, not {type(moment).__name__}")
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _week_start(conn: sqlite3.Connection, course: int, moment: datetime) -> datetime | None:
    """``as_of_week(w)`` for the week ``moment`` falls in (None without a calendar)."""
    from learnalytics_desktop.core.courses import course_calendar

    start, _ = course_calendar(conn, course)
    if start is None:
        return None
    origin = datetime(start.year, start.month, start.day, tzinfo=UTC)
    weeks = max(0, (moment - origin) // timedelta(days=7))
    return origin + timedelta(days=7 * weeks)


def _week_instant(conn: sqlite3.Connection, course: int, week: int) -> datetime | None:
    from learnalytics_desktop.core.courses import CourseError, course_calendar

    if isinstance(week, bool) or not isinstance(week, int) or week < 0:
        raise CourseError(f"The week must be a whole number 0 or more, got {week!r}.")
    start, _ = course_calendar(conn, course)
    if start is None:
        return None
    return datetime(start.year, start.month, start.day, tzinfo=UTC) + timedelta(days=7 * week)


def select_run(
    conn: sqlite3.Connection,
    course: int,
    *,
    week: int | None = None,
    as_of: datetime | None = None,
    model: str | None = None,
) -> ScoreRun | None:
    """The scoring run that counts for offering ``course`` (see the module docstring for the
    one meaning), or ``None`` when none does."""
    if model is None:
        from learnalytics_desktop.core.model.registry import active_model_id

        model = active_model_id(conn, required=False)
        if model is None:
            return None
    low: datetime | None = None
    high: datetime | None = None
    if week is not None:
        low = _week_instant(conn, int(course), week)
        high = low
    if as_of is not None:
        high = _aware(as_of)
        if week is None:
            low = _week_start(conn, int(course), high)
    rows = conn.execute(
        "SELECT id, model_id, course, week, as_of, created_at FROM score_runs WHERE course = ? AND model_id = ? "
        "ORDER BY created_at DESC, id DESC",
        (int(course), str(model)),
    ).fetchall()
    for run_id, model_id, run_course, run_week, text, created in rows:
        instant = _instant(text)
        if instant is None:
            continue
        if (low is not None and instant < low) or (high is not None and instant > high):
            continue
        return ScoreRun(
            int(run_id),
            str(model_id),
            int(run_course),
            None if run_week is None else int(run_week),
            instant,
            created,
        )
    return None


__all__ = ["ScoreRun", "select_run"]
