"""The words people read for an intervention's status, arm and channel.

Kept in one place, next to the data, so the Interventions page, its tests, the exports and
any later report say the same thing.
"""

from __future__ import annotations

STATUS_TEXT = {
    "draft": "Draft",
    "approved": "Approved",
    "dismissed": "Dismissed",
    "exported": "Exported (not sent yet)",
    "done": "Sent",
    "held_out": "Held out (no message)",
    "comparison": "Comparison (outside)",
}
ARM_TEXT = {
    "treated": "Message",
    "holdout": "Hold-out",
    "external": "Done outside the app",
    "control": "Comparison (outside)",
}
CHANNEL_TEXT = {
    "email": "E-mail",
    "content": "Content recommendation",
    "instructor_alert": "Instructor alert",
    "external": "Outside the app",
}
REVIEW_STATUSES = ("draft", "approved")
"""Rows an advisor still has to act on."""


OP_WORDS = {">": "more than", ">=": "at least", "<": "less than", "<=": "at most"}
# feature -> (sentence with {op} and {value}, how the threshold reads)
RULE_WORDS: dict[str, tuple[str, str]] = {
    "days_since_last_activity": ("no activity for {op} {value} days", "number"),
    "video_completion_rate": ("watched {op} {value} of the videos", "percent"),
    "quiz_avg_score": ("a quiz average of {op} {value}", "percent"),
    "quiz_score_trend": (
        "quiz scores changing by {op} {value} per quiz (0 = steady, below 0 = falling)",
        "signed",
    ),
    "events_last_7_days": ("{op} {value} learning events in the last 7 days", "number"),
    "active_days": ("active on {op} {value} days", "number"),
    "assignments_submitted": ("{op} {value} assignments submitted", "number"),
    "late_submissions": ("{op} {value} late submissions", "number"),
    "forum_posts": ("{op} {value} forum posts", "number"),
    "total_time_minutes": ("{op} {value} minutes of study", "number"),
}


def rule_in_words(feature: str, op: str, threshold: float) -> str:
    """A rule's condition as people say it: ``video_completion_rate < 0.3`` reads "watched
    less than 30% of the videos"; a feature without a sentence of its own reads "days since
    last activity is more than 7"."""
    words = OP_WORDS.get(op, op)
    sentence, kind = RULE_WORDS.get(feature, ("", "number"))
    if kind == "percent":
        value = f"{threshold * 100:g}%"
    elif kind == "signed":
        value = f"{threshold:+g}"
    else:
        value = f"{threshold:g}"
    if sentence:
        return sentence.format(op=words, value=value)
    return f"{feature.replace('_', ' ')} is {words} {value}"


__all__ = [
    "ARM_TEXT",
    "CHANNEL_TEXT",
    "OP_WORDS",
    "REVIEW_STATUSES",
    "RULE_WORDS",
    "STATUS_TEXT",
    "rule_in_words",
]
