"""Plain-language phrases for features, with the student's real values.

Each phrase states a fact an advisor can check ("no activity for 12 days", "quiz average
41%, falling", "watched 20% of videos (course median 65%)"); the explanation adds whether
it raises or lowers the risk. Units follow ``core.features``: times in minutes, rates and
scores as fractions 0-1 (shown as percentages), trends in score fraction per attempt (shown
as percentage points; ``core.features`` sets the trend to 0 below three attempts, so no
trend is claimed then). A feature without its own template gets a generic phrase built
from its column name; ``events_<category>`` columns read "N <category> events".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

TREND_FLAT = 0.02  # |trend| below 2 points per quiz counts as steady
TREND_MIN_ATTEMPTS = 3  # core.features: the trend is 0 with fewer attempts
CATEGORY_WORDS = {"navigation": "course navigation", "assessment": "assessment", "other": "other"}
# what the offering's calendar items are called (core.features.assessments.assessment_word):
# the explanation puts it in the row under this key; without a calendar "assessment"
WORD_KEY = "_assessment_word"


def _word(row: Mapping[str, Any], n: float = 2) -> str:
    """ "assignment", "quizzes"... for the offering's calendar items, singular when n is 1."""
    w = str(row.get(WORD_KEY) or "assessment")
    if not _missing(n) and round(float(n)) == 1:
        return w
    return "quizzes" if w == "quiz" else w + "s"


def _scored_word(row: Mapping[str, Any]) -> str:
    """What scored work is called: the calendar's kind, else plain "score"."""
    w = row.get(WORD_KEY)
    return str(w) if w and w != "assessment" else "score"


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _num(v: float) -> str:
    if _missing(v):
        return "n/a"
    v = float(v)
    if abs(v - round(v)) < 1e-9:
        return f"{int(round(v)):,}"
    return f"{v:,.1f}" if abs(v) >= 10 else f"{v:.2f}".rstrip("0").rstrip(".")


def _pct(v: float) -> str:
    return "n/a" if _missing(v) else f"{100 * float(v):.0f}%"


def _minutes(v: float) -> str:
    if _missing(v):
        return "n/a"
    v = float(v)
    if v >= 120:
        return f"{v / 60:.1f} hours"
    return f"{v:.0f} minute{'s' if round(v) != 1 else ''}"


def _median(m: float, fmt: Callable[[float], str]) -> str:
    return "" if _missing(m) else f" (course median {fmt(m)})"


def _plural(v: float, one: str, many: str) -> str:
    return one if not _missing(v) and round(float(v)) == 1 else many


def _few_attempts(row: Mapping[str, Any]) -> bool:
    count: Any = row.get("quiz_count")
    return not _missing(count) and float(count) < TREND_MIN_ATTEMPTS


def _days_since(v: float, m: float, row: Mapping[str, Any]) -> str:
    if _missing(v):
        return "no activity recorded yet"
    d = float(v)
    events: Any = row.get("total_events")
    if not _missing(events) and float(events) == 0:
        return f"no activity at all in the {d:.0f} days since the course started"
    if d >= 7:
        return f"no activity for {d:.0f} days"
    if d < 1:
        return "active in the last day"
    return f"last active {d:.0f} {_plural(d, 'day', 'days')} ago"


def _quiz_avg(v: float, m: float, row: Mapping[str, Any]) -> str:
    if _missing(v):
        return "nothing scored yet"
    trend: Any = row.get("quiz_score_trend")
    how = ""
    if not _missing(trend) and not _few_attempts(row):
        how = ", falling" if trend < -TREND_FLAT else (", rising" if trend > TREND_FLAT else ", steady")
    what = "average score" if _scored_word(row) == "score" else f"{_scored_word(row)} average"
    return f"{what} {_pct(v)}{how}{_median(m, _pct)}"


def _quiz_trend(v: float, m: float, row: Mapping[str, Any]) -> str:
    if _missing(v) or _few_attempts(row):
        return "too few scores to see a trend"
    pts = 100 * float(v)
    if abs(float(v)) < TREND_FLAT:
        return "scores steady"
    return f"scores {'falling' if v < 0 else 'rising'} ({abs(pts):.0f} points per scored attempt)"


def _video_rate(v: float, m: float, row: Mapping[str, Any]) -> str:
    if _missing(v):
        return "no videos started"
    return f"watched {_pct(v)} of videos{_median(m, _pct)}"


def _regularity(v: float, m: float, row: Mapping[str, Any]) -> str:
    if _missing(v):
        return "too little activity to judge study regularity"
    word = "regular" if _missing(m) or v >= m else "irregular"
    return f"{word} study pattern (regularity {_pct(v)}{'' if _missing(m) else f', course median {_pct(m)}'})"


def _count(
    noun_one: str, noun_many: str, verb: str = "", zero: str | None = None
) -> Callable[[float, float, Mapping[str, Any]], str]:
    def phrase(v: float, m: float, row: Mapping[str, Any]) -> str:
        if zero is not None and not _missing(v) and float(v) == 0:
            return f"{zero}{_median(m, lambda x: f'{_num(x)} {_plural(x, noun_one, noun_many)}')}"
        return f"{_num(v)} {_plural(v, noun_one, noun_many)}{verb}{_median(m, _num)}"

    return phrase


def _time(what: str) -> Callable[[float, float, Mapping[str, Any]], str]:
    def phrase(v: float, m: float, row: Mapping[str, Any]) -> str:
        return f"{_minutes(v)} {what}{_median(m, _minutes)}"

    return phrase


def _sessions(v: float, m: float, row: Mapping[str, Any]) -> str:
    if _missing(v):
        return "no study sessions yet"
    return f"study sessions last {_minutes(v)} on average{_median(m, _minutes)}"


def _late(v: float, m: float, row: Mapping[str, Any]) -> str:
    if _missing(v) or float(v) == 0:
        return "no late submissions"
    return f"{_num(v)} late {_plural(v, 'submission', 'submissions')}{_median(m, _num)}"


def _due_count(v: float, row: Mapping[str, Any], some: str, zero: str) -> str:
    due: Any = row.get("assessments_due")
    if _missing(due) or float(due) == 0:
        return f"no {_word(row, 1)} due yet"
    text = some if not _missing(v) and float(v) > 0 else zero
    return text.format(v=_num(v), due=_num(due), w=_word(row, due))


def _days_late(v: float, m: float, row: Mapping[str, Any]) -> str:
    if _missing(v):
        return f"no {_word(row, 1)} with a due date handed in yet"
    d = float(v)
    if abs(d) < 0.5:
        return "hands work in on the due day on average"
    return f"hands work in {abs(d):.0f} {_plural(abs(d), 'day', 'days')} {'late' if d > 0 else 'early'} on average"


def _first_missed(v: float, m: float, row: Mapping[str, Any]) -> str:
    if _missing(v):
        return "no missed deadline"
    w = float(v)
    if w < 1:
        return "missed a deadline this week"
    return f"first missed deadline {w:.0f} {_plural(w, 'week', 'weeks')} ago"


def _registered(v: float, m: float, row: Mapping[str, Any]) -> str:
    if _missing(v):
        return "registration date not known"
    d = float(v)
    if abs(d) < 1:
        return "registered on the first day"
    return (
        f"registered {abs(d):.0f} {_plural(abs(d), 'day', 'days')} {'after' if d > 0 else 'before'} the start"
    )


TEMPLATES: dict[str, Callable[[float, float, Mapping[str, Any]], str]] = {
    "days_since_last_activity": _days_since,
    "total_events": _count("learning event", "learning events", zero="no learning activity at all"),
    "active_days": _count("active day", "active days", zero="not active on any day"),
    "total_time_minutes": _time("of study time"),
    "video_time_minutes": _time("of video watched"),
    "avg_session_minutes": _sessions,
    "video_completion_rate": _video_rate,
    "quiz_count": _count("scored attempt", "scored attempts", zero="nothing scored yet"),
    "quiz_avg_score": _quiz_avg,
    "quiz_score_trend": _quiz_trend,
    "forum_posts": _count("forum post", "forum posts", zero="no forum posts"),
    "sessions": _count("study session", "study sessions", zero="no study sessions"),
    "assignments_submitted": _count(
        "assignment submitted", "assignments submitted", zero="no assignment submitted"
    ),
    "events_last_7_days": _count(
        "learning event",
        "learning events",
        " in the last 7 days",
        zero="no learning activity in the last 7 days",
    ),
    "late_submissions": _late,
    "regularity_score": _regularity,
    "assessments_due": lambda v, m, row: f"{_num(v)} {_word(row, v)} due so far",
    "assessments_missing": lambda v, m, row: _due_count(
        v, row, "missed {v} of the {due} {w} due so far", "missed none of the {due} {w} due so far"
    ),
    "assessments_on_time": lambda v, m, row: _due_count(
        v,
        row,
        "{v} of the {due} {w} due so far handed in on time",
        "none of the {due} {w} due so far handed in on time",
    ),
    "assessments_late": lambda v, m, row: (
        f"handed in {_num(v)} {_word(row, v)} late" if v else f"no {_word(row, 1)} handed in late"
    ),
    "mean_days_late": _days_late,
    "weighted_score": lambda v, m, row: (
        "no weighted work due or marked yet"
        if _missing(v)
        else f"weighted score so far {_pct(v)}{_median(m, _pct)}"
    ),
    "first_missed_weeks_ago": _first_missed,
    "registration_day": _registered,
}


def humanise(name: str) -> str:
    """``"reading_events"`` -> ``"reading events"``; ``"attr:gender"`` -> ``"gender"``."""
    return name.split(":", 1)[-1].replace("_", " ").strip()


def describe(feature: str, value: Any, median: Any, row: Mapping[str, Any]) -> str:
    """The phrase for one feature of one student (``row`` gives related values)."""
    template = TEMPLATES.get(feature)
    if template is not None:
        return template(value, median, row)
    if feature.startswith("attr:"):
        return f"{humanise(feature)}: {value if not _missing(value) else 'not recorded'}"
    if feature.startswith("events_"):
        cat = feature[len("events_") :]
        word = CATEGORY_WORDS.get(cat, cat.replace("_", " "))
        return f"{_num(value)} {word} {_plural(value, 'event', 'events')}{_median(median, _num)}"
    label = humanise(feature)
    if feature.endswith(("_rate", "_share", "_fraction")):
        return f"{label} {_pct(value)}{_median(median, _pct)}"
    if feature.endswith("_minutes"):
        return f"{label.removesuffix(' minutes')}: {_minutes(value)}{_median(median, _minutes)}"
    return f"{label}: {_num(value)}{_median(median, _num)}"


__all__ = ["TEMPLATES", "WORD_KEY", "describe", "humanise"]
