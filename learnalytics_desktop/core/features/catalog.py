"""What every feature column means (shown in the app, the model card and the CSV export).

All features of a student are computed **as of** an instant: only statements with a
timestamp strictly before it count, voided and voiding statements never do (``v_events``).
Times come from ``result.duration``, read to the millisecond; a duration over 24 hours counts
as 24 hours (one statement's time on task beyond a day is a platform reporting a whole
enrolment, or a clock error, and would dwarf a term of real study). Days are UTC calendar days.
The course start (for students without statements) is the user's date, else the one the
data before the as-of instant gives (``core.courses``), so nothing after it is ever used. Categories come from the
verb/activity-type mapping (``core.ingest.categories``).

Missing values, on purpose: a rate or average with nothing to average is NaN (not 0, which
would claim a score): ``avg_session_minutes`` without sessions, ``video_completion_rate``
without a started video, ``quiz_avg_score`` without a scored quiz. Counts and times are 0.
``quiz_score_trend`` is 0 (flat) with fewer than three scored attempts. The ``quiz_*``
columns keep their names but count every scored statement, whatever the activity.
Deliberately without a direction: ``assessments_due`` (the same for everyone in an offering)
and ``first_missed_weeks_ago`` (an old miss may have been made up for since).
"""

from __future__ import annotations

SESSION_GAP_MINUTES = 30
MAX_DURATION_MS = 86_400_000  # durations are capped at one day
TREND_MIN_ATTEMPTS = 3

# name -> plain-language description (units in the text)
FEATURES: dict[str, str] = {
    "total_events": "Statements the student produced in the course so far.",
    "active_days": "Distinct days (UTC) with at least one statement.",
    "total_time_minutes": "Sum of reported durations (result.duration) of all statements, in minutes.",
    "video_time_minutes": "Sum of reported durations of video statements, in minutes.",
    "sessions": (
        f"Study sessions: a student's statements split wherever more than {SESSION_GAP_MINUTES} minutes pass "
        "between two of them."
    ),
    "avg_session_minutes": (
        "Mean session length in minutes: time from a session's first to its last statement plus the duration "
        "of the last statement (a session ending on a 'played' or an opened page would otherwise end at that "
        "instant; for platforms that stamp statements when an activity ends this counts at most one activity "
        "twice). NaN without sessions."
    ),
    "video_completion_rate": (
        "Share of the distinct videos the student started (any video statement) that they completed "
        "(a 'completed' statement on the video). NaN when no video was started."
    ),
    "quiz_count": "Scored attempts: statements with a score, on any activity (quizzes, assignments, exams).",
    "quiz_avg_score": (
        "Mean score of those attempts on a 0-1 scale: score.scaled when given, else (raw - min) / (max - min) "
        "with min 0 when absent; clipped to 0-1. NaN without a scored attempt."
    ),
    "quiz_score_trend": (
        f"Least-squares slope of the attempt scores (0-1) in time order, per attempt (0.05 = five points "
        f"better each attempt). 0 with fewer than {TREND_MIN_ATTEMPTS} attempts."
    ),
    "forum_posts": "Forum contributions: forum statements whose verb is a posting verb (post, reply, comment...).",
    "assignments_submitted": (
        "Distinct activities submitted: assignment statements with a submit verb, or any statement "
        "with a lateness flag."
    ),
    "late_submissions": "Distinct activities submitted late (lateness extension true), of any kind.",
    "days_since_last_activity": (
        "Days from the student's last statement to the as-of instant (fractional). For a student with no "
        "statement: days since the course started. Never the wall clock."
    ),
    "regularity_score": (
        "How evenly the student's active days are spread, 0-1: 1 - coefficient of variation of the gaps "
        "between consecutive active days, including the open gap from the last active day to the as-of day "
        "(so stopping lowers it); clipped at 0; 0 with fewer than two active days."
    ),
    "events_last_7_days": "Statements in the seven days before the as-of instant.",
    "events_video": "Video statements.",
    "events_assessment": "Assessment statements (quizzes, questions).",
    "events_assignment": "Assignment statements.",
    "events_reading": "Reading statements (pages, documents, experienced).",
    "events_forum": "Forum statements (reading and posting).",
    "events_navigation": "Course navigation statements (launched, initialized, terminated...).",
    "events_other": "Statements of no mapped category.",
    "registration_day": (
        "Day of the course the student registered on (0 = the start day, negative = before it), from the "
        "class list's registration date, else the first joining statement. NaN when unknown."
    ),
    # from the assessment calendar (core.features.assessments; 0 / NaN without a calendar)
    "assessments_due": "Calendar items (assignments, quizzes, exams) whose due date is before the as-of instant.",
    "assessments_on_time": "Calendar items with a due date that the student submitted by it (and not flagged late).",
    "assessments_late": "Calendar items submitted after their due date, or flagged late.",
    "assessments_missing": "Calendar items due so far that the student has not submitted.",
    "mean_days_late": (
        "Mean days from due date to first submission over the submitted items with a due date "
        "(negative = early). NaN without such a submission."
    ),
    "weighted_score": (
        "Weighted mean score (0-1) of the weighted calendar items due or submitted so far, a missing "
        "one counting 0. NaN when there is none."
    ),
    "first_missed_weeks_ago": (
        "Weeks from the due date of the earliest item still missing to the as-of instant. NaN when "
        "nothing due is missing."
    ),
}

FEATURE_COLUMNS: tuple[str, ...] = tuple(FEATURES)

# The direction each feature is known to push the risk of failing or withdrawing, all else
# being equal: -1 = more of it means lower risk, +1 = more of it means higher risk. The
# at-risk model is constrained to respect these (``core.model.estimators``) and an
# explanation that contradicts one is not shown as a reason (``core.model.explain``).
# Deliberately left out, because more of them can mean either thing: ``avg_session_minutes``
# (long sessions: absorbed, or stuck with a tab open), ``quiz_count`` (many attempts: diligent,
# or retrying after failing), ``events_navigation`` (moving around without doing anything)
# and ``events_other`` (unmapped statements).
LOWER_RISK, HIGHER_RISK = -1, 1
RISK_DIRECTION: dict[str, int] = {
    "total_events": LOWER_RISK,
    "active_days": LOWER_RISK,
    "total_time_minutes": LOWER_RISK,
    "video_time_minutes": LOWER_RISK,
    "sessions": LOWER_RISK,
    "video_completion_rate": LOWER_RISK,
    "quiz_avg_score": LOWER_RISK,
    "quiz_score_trend": LOWER_RISK,
    "forum_posts": LOWER_RISK,
    "assignments_submitted": LOWER_RISK,
    "regularity_score": LOWER_RISK,
    "events_last_7_days": LOWER_RISK,
    "events_video": LOWER_RISK,
    "events_assessment": LOWER_RISK,
    "events_assignment": LOWER_RISK,
    "events_reading": LOWER_RISK,
    "events_forum": LOWER_RISK,
    "late_submissions": HIGHER_RISK,
    "assessments_on_time": LOWER_RISK,
    "assessments_late": HIGHER_RISK,
    "assessments_missing": HIGHER_RISK,
    "mean_days_late": HIGHER_RISK,
    "weighted_score": LOWER_RISK,
    "registration_day": HIGHER_RISK,
    "days_since_last_activity": HIGHER_RISK,
}

# Percentile columns: pct_<feature> = percentile rank (0-100, ties averaged) of the feature
# among the offering's students in the same table; NaN where the feature is NaN.
PERCENTILE_OF: tuple[str, ...] = FEATURE_COLUMNS


def describe(column: str) -> str:
    """The description of a feature or ``pct_`` column (empty for an unknown column)."""
    if column.startswith("pct_") and column[4:] in FEATURES:
        return f"Percentile (0-100) of {column[4:]} within the course. " + FEATURES[column[4:]]
    return FEATURES.get(column, "")
