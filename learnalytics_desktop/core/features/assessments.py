"""Features from the offering's assessment calendar (due dates), as of an instant.

The calendar (``core.outcomes.assessments``) lists the offering's assignments, quizzes and
exams with their activity, due date, weight and kind. A **submission** of an item is a
statement on its activity (before the as-of instant) that carries a score, a lateness flag,
a submit verb or a completing verb (``completed``, ``passed``, ``failed``, ``scored``,
``answered``): opening an assignment's page is not submitting it. The first submission
counts for timing, the best score for the score. An item is **due so far** when its due
date is before the as-of instant. Definitions of the columns are in
:mod:`core.features.catalog`. Vectorised over a students x items matrix (items are few).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from learnalytics_desktop.core.features.events import ADL, SUBMIT_VERBS

if TYPE_CHECKING:  # pragma: no cover
    from learnalytics_desktop.core.features.events import Events

DAY_MS = 86_400_000
WEEK_MS = 7 * DAY_MS
DONE_VERBS = frozenset(ADL + v for v in ("completed", "passed", "failed", "scored", "answered"))
COLUMNS = (
    "assessments_due",
    "assessments_on_time",
    "assessments_late",
    "assessments_missing",
    "mean_days_late",
    "weighted_score",
    "first_missed_weeks_ago",
)


def assessment_word(ev: Events) -> str:
    """What to call the offering's calendar items in a reason: ``assignment``, ``quiz`` or
    ``exam`` when they are all of that kind, else ``assessment``."""
    kinds = set(ev.cal_kind)
    return kinds.pop() if len(kinds) == 1 else "assessment"


def calendar_features(ev: Events) -> dict[str, Any]:
    """The :data:`COLUMNS` arrays (one value per student of ``ev``)."""
    import numpy as np

    n = ev.n
    k = 0 if ev.cal_obj is None else len(ev.cal_obj)
    out: dict[str, Any] = {c: np.zeros(n) for c in COLUMNS[:4]}
    out.update({c: np.full(n, np.nan) for c in COLUMNS[4:]})
    if k == 0 or n == 0:
        return out
    due = ev.cal_due
    has_due = due >= 0
    due_now = has_due & (due < ev.as_of_ms)
    # event -> item (activities named by the calendar); -1 for every other event
    known = ev.cal_obj >= 0
    item = np.full(len(ev.obj), -1, dtype=np.int64)
    if known.any() and len(ev.obj):
        ids = ev.cal_obj[known]
        order = np.argsort(ids, kind="stable")
        sorted_ids, positions = ids[order], np.flatnonzero(known)[order]
        at = np.minimum(np.searchsorted(sorted_ids, ev.obj), len(sorted_ids) - 1)
        item = np.where(sorted_ids[at] == ev.obj, positions[at], -1)
    submit = (item >= 0) & (
        ~np.isnan(ev.score) | ~np.isnan(ev.late) | ev.verb_mask(SUBMIT_VERBS | DONE_VERBS)
    )
    s, it = ev.sidx[submit], item[submit]
    first = np.full((n, k), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, (s, it), ev.ts[submit])
    flagged = np.zeros((n, k), dtype=bool)
    late_ev = ev.late[submit] == 1
    flagged[s[late_ev], it[late_ev]] = True
    best = np.full((n, k), np.nan)
    scored = ~np.isnan(ev.score[submit])
    np.fmax.at(best, (s[scored], it[scored]), np.clip(ev.score[submit][scored], 0.0, 1.0))
    submitted = first < np.iinfo(np.int64).max
    late = submitted & ((has_due[None, :] & (first > due[None, :])) | flagged)
    missing = due_now[None, :] & ~submitted
    out["assessments_due"] = np.full(n, float(due_now.sum()))
    out["assessments_on_time"] = (submitted & has_due[None, :] & ~late).sum(axis=1).astype(float)
    out["assessments_late"] = late.sum(axis=1).astype(float)
    out["assessments_missing"] = missing.sum(axis=1).astype(float)
    timed = submitted & has_due[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        days = np.where(timed, (first - due[None, :]) / DAY_MS, 0.0)
        count = timed.sum(axis=1)
        out["mean_days_late"] = np.where(count > 0, days.sum(axis=1) / np.maximum(count, 1), np.nan)
        w = np.nan_to_num(ev.cal_weight, nan=0.0)
        counted = (w > 0)[None, :] & (missing | (submitted & ~np.isnan(best)))
        value = np.where(missing, 0.0, np.nan_to_num(best, nan=0.0))
        den = (counted * w[None, :]).sum(axis=1)
        out["weighted_score"] = np.where(den > 0, (counted * value * w[None, :]).sum(axis=1) / den, np.nan)
        since = np.where(missing, (ev.as_of_ms - due[None, :]) / WEEK_MS, -np.inf).max(axis=1)
    out["first_missed_weeks_ago"] = np.where(np.isfinite(since), since, np.nan)
    return out


__all__ = ["COLUMNS", "assessment_word", "calendar_features"]
