"""What the Overview, Students at risk and Student pages show, computed without Qt.

Every number the dashboard shows comes from here, so tests can check it against the store.
Definitions (decisions, shown to users in the pages' footnotes):

* **Students** of an offering as of an instant: enrolled (roster, outcomes) or with a
  statement before it (``core.features.compute_features``; groups are not students).
* **Active this week**: students with at least one statement in the seven days before the
  as-of instant (``events_last_7_days > 0``); at "as of week k" that is exactly week k.
* **At risk**: students whose level is *high* in the latest scoring run of the **active
  model** for this week (a run whose as-of instant falls in ``[as_of_week(k), as_of_week(k+1))``);
  *moderate* is reported beside it, not counted. No such run: no count (the page offers
  "Score now"); a model for every week (the default) scores any week, a model trained for
  one other week cannot score this one (``core.model.scoring``). ``ensure_scored`` scores the
  week shown when it has no run or its data are newer than the run (the Students at risk
  page calls it, so the list follows the week picker without retraining).
  Students who had **withdrawn** by the run's as-of date (``core.outcomes.status``) are not
  counted at risk whatever their level; the Overview shows how many there are instead
  (``Overview.withdrawn``), and the Students at risk list leaves them out unless the advisor
  asks for them (``risk_table`` has a ``status`` column; ``without_withdrawn``).
* **Average engagement**: mean engagement score (``core.features.engagement_score`` with the
  database's weights) over the students.
* **Completion** of a content category (video, reading, assessment, assignment): of the
  category's *items* (activities of that category some student used before the as-of
  instant: content nobody opened is invisible to xAPI), the share the average student
  completed, i.e. completed (student, item) pairs / (students x items). An item is
  *completed* by a student when one of their statements on it reports ``result.completion``
  true, or: video: an ADL ``completed`` statement; reading: any statement (opening a reading
  is reading it, readings rarely report completion); assessment: a scored attempt, ``passed``,
  ``failed`` or ``completed``; assignment: a submission (submit verb or a lateness flag, as
  ``core.features`` counts submissions). An item's category is the most common non-"other"
  category of its statements (``core.ingest.categories``).
* **Weekly engagement**: for each course week w up to the as-of week, the engagement score of
  every student *as of the end of week w* (only statements before it; the students of the
  offering at that instant), summarised by median and quartiles; and the study minutes
  (``result.duration``) each student logged in week w, summarised the same way.
* **Small cells**: people counts under the database's threshold (``core.privacy.suppress``)
  are shown as "<5" and rates over such a group are hidden.

Modules: :mod:`.overview` (``course_overview``, ``scoring_status``, ``score_now`` and the
parts of the overview), :mod:`.risk` (``risk_table``, ``export_risk_table``), :mod:`.student` (``student_timeline``,
``student_choices``). pandas is imported inside the functions.
"""

from __future__ import annotations

from learnalytics_desktop.core.dashboard.overview import (
    COMPLETION_CATEGORIES,
    LEVELS,
    Overview,
    ScoringStatus,
    completion_by_category,
    course_overview,
    data_changed_since,
    ensure_scored,
    risk_levels,
    score_now,
    scoring_status,
    weekly_engagement,
)
from learnalytics_desktop.core.dashboard.risk import (
    EXPORT_COLUMNS,
    TABLE_FEATURES,
    export_risk_table,
    is_withdrawn,
    risk_table,
    without_withdrawn,
)
from learnalytics_desktop.core.dashboard.student import (
    COMPARE,
    StudentTimeline,
    percentile_words,
    student_choices,
    student_timeline,
)

__all__ = [
    "COMPARE",
    "COMPLETION_CATEGORIES",
    "EXPORT_COLUMNS",
    "LEVELS",
    "TABLE_FEATURES",
    "Overview",
    "ScoringStatus",
    "StudentTimeline",
    "completion_by_category",
    "course_overview",
    "data_changed_since",
    "ensure_scored",
    "export_risk_table",
    "percentile_words",
    "risk_levels",
    "risk_table",
    "is_withdrawn",
    "without_withdrawn",
    "score_now",
    "scoring_status",
    "student_choices",
    "student_timeline",
    "weekly_engagement",
]
