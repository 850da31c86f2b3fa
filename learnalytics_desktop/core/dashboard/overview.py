"""The Overview page's numbers: students, activity, scoring status, risk levels, completion by
content category and weekly engagement quartiles (definitions in :mod:`core.dashboard`)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from learnalytics_desktop.core.jobs import NullReporter, Reporter

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

WEEK_MS = 7 * 86_400_000
COMPLETION_CATEGORIES = ("video", "reading", "assessment", "assignment")
LEVELS = ("low", "moderate", "high")
ADL = "http://adlnet.gov/expapi/verbs/"
ATTEMPT_DONE_VERBS = frozenset({ADL + "passed", ADL + "failed", ADL + "completed", ADL + "scored"})


@dataclass(frozen=True)
class ScoringStatus:
    """Whether this week of the offering has been scored by the active model, in plain words."""

    state: str  # "no_model" | "other_week" | "not_scored" | "scored"
    message: str
    model_id: str | None = None
    model_week: int | None = None
    run_id: int | None = None
    run_as_of: str | None = None
    run_created: str | None = None
    stale: bool = False  # scored, but the offering's data changed after the run

    @property
    def can_score(self) -> bool:
        """True when "Score now" would work (the active model is for this week)."""
        return self.state in ("not_scored", "scored")


def _calendar(conn: sqlite3.Connection, course_id: int, week: int) -> datetime:
    from learnalytics_desktop.core.courses import CourseError, course_calendar

    start, _ = course_calendar(conn, course_id)
    if start is None:
        raise CourseError("This course has no statements yet, so it has no calendar: import data first.")
    if isinstance(week, bool) or not isinstance(week, int) or week < 0:
        raise CourseError(f"The week must be a whole number 0 or more, got {week!r}.")
    return datetime(start.year, start.month, start.day, tzinfo=UTC) + timedelta(days=7 * week)


def scoring_status(conn: sqlite3.Connection, course_id: int, week: int) -> ScoringStatus:
    """The run of the active model that counts for week ``week`` (``core.model.runs.select_run``),
    or why there is none."""
    from learnalytics_desktop.core.model.registry import active_model_id

    model_id = active_model_id(conn, required=False)
    if model_id is None:
        return ScoringStatus("no_model", "No at-risk model yet: train one on the Model page, then score.")
    import json

    from learnalytics_desktop.core.model.runs import select_run

    week_row, card_text = conn.execute("SELECT week, card FROM models WHERE id = ?", (model_id,)).fetchone()
    model_week = int(week_row)
    try:
        any_week = bool(json.loads(card_text).get("any_week"))
    except (TypeError, ValueError, AttributeError):
        any_week = False
    trained_for = "any week" if any_week else f"week {model_week}"
    _calendar(conn, course_id, week)  # a clear message without a calendar or with a bad week
    run = select_run(conn, course_id, week=week, model=model_id)
    if run is not None:
        stale = data_changed_since(conn, course_id, run.created_at)
        return ScoringStatus(
            "scored",
            f"Scored {run.created_at[:16].replace('T', ' ')} UTC by model {model_id} ({trained_for})."
            + (" Data were imported since." if stale else ""),
            model_id,
            model_week,
            run.id,
            run.as_of.isoformat(),
            run.created_at,
            stale,
        )
    if model_week != week and not any_week:
        return ScoringStatus(
            "other_week",
            f"The active model {model_id} was trained for week {model_week}; it cannot score week {week}. "
            f"Choose week {model_week}, or train a week-{week} model on the Model page.",
            model_id,
            model_week,
        )
    return ScoringStatus(
        "not_scored",
        f"Week {week} has not been scored yet with the active model {model_id}.",
        model_id,
        model_week,
    )


def data_changed_since(conn: sqlite3.Connection, course_id: int, created: str) -> bool:
    """Whether the offering's data changed after the instant ``created`` (ISO, UTC): an
    import that stored statements of the offering finished later, or its class list,
    outcomes or calendar were changed later (the audit log records each)."""
    row = conn.execute(
        "SELECT max(i.finished_at) FROM imports i WHERE i.stored > 0 AND i.finished_at IS NOT NULL "
        "AND EXISTS (SELECT 1 FROM statements s WHERE s.import_id = i.id AND s.course = ?)",
        (int(course_id),),
    ).fetchone()
    newest = row[0] if row else None
    return newest is not None and str(newest) > str(created)


def ensure_scored(
    conn: sqlite3.Connection, course_id: int, week: int, *, report: Reporter | None = None
) -> ScoringStatus:
    """Score week ``week`` with the active model when it has no run yet, or when the
    offering's data are newer than its run (:func:`data_changed_since`); otherwise leave it.

    This is what makes the risk list follow the week picker without retraining: a model for
    every week scores the week picked the first time it is shown, and re-scores it after an
    import. A week that is not over yet, a model of another week, or no model: the status
    says so and nothing is scored."""
    from learnalytics_desktop.core.model.signing import ModelFileError

    status = scoring_status(conn, course_id, week)
    if not status.can_score or week < 1:
        return status
    if status.state == "scored" and not status.stale:
        return status
    try:
        return score_now(conn, course_id, week, report=report)
    except (ValueError, LookupError, ModelFileError) as exc:
        # e.g. the week is not over yet, or the model file is gone: this runs by itself when a
        # page is shown, so it says why in the status instead of raising an error dialog
        return replace(status, message=f"{status.message} Not scored: {str(exc).rstrip('.')}.")


def score_now(
    conn: sqlite3.Connection, course_id: int, week: int, *, report: Reporter | None = None
) -> ScoringStatus:
    """Score the offering at week ``week`` with the active model (``core.model.score_course``,
    which stores and audits the run); returns the new status."""
    from learnalytics_desktop.core.model.scoring import score_course

    score_course(conn, course_id, week=week, report=report or NullReporter())
    return scoring_status(conn, course_id, week)


@dataclass
class Overview:
    """The Overview page's numbers for one offering and week (see the module docstring)."""

    course_id: int
    week: int
    as_of: datetime
    threshold: int
    students: int
    active_this_week: int
    avg_engagement: float
    status: ScoringStatus
    at_risk: int | None
    levels: pd.DataFrame  # level, students, share (empty when not scored)
    completion: pd.DataFrame  # category, items, completion, students_completing
    weekly: pd.DataFrame  # see weekly_engagement
    notes: list[str] = field(default_factory=list)
    withdrawn: int = 0  # students withdrawn by the as-of instant (not counted at risk)

    def count_text(self, count: int | None) -> str:
        """A people count as shown: "<5" under the small-cell threshold, "—" when unknown."""
        from learnalytics_desktop.core.privacy.suppress import format_count

        return "—" if count is None else format_count(int(count), self.threshold)

    @property
    def small_course(self) -> bool:
        """The offering itself is a small cell: rates over it are hidden."""
        return 0 < self.students < self.threshold


def course_overview(
    conn: sqlite3.Connection, course_id: int, week: int, *, report: Reporter | None = None
) -> Overview:
    """Everything the Overview page shows for offering ``course_id`` as of week ``week``."""
    import numpy as np

    from learnalytics_desktop.core.courses import course_start
    from learnalytics_desktop.core.features.compute import features_from_events
    from learnalytics_desktop.core.features.engagement import engagement_score, load_weights
    from learnalytics_desktop.core.features.events import load_events
    from learnalytics_desktop.core.outcomes.status import withdrawn_before
    from learnalytics_desktop.core.privacy.suppress import format_count, small_cell_threshold

    report = report or NullReporter()
    as_of = _calendar(conn, course_id, week)
    threshold = small_cell_threshold(conn)
    report.progress(0.05, "features")
    # The statements are read once, for the features (as compute_features: the start known
    # before as_of) and the weekly engagement alike.
    events = load_events(conn, course_id, as_of, start=course_start(conn, course_id, before=as_of))
    features = features_from_events(events)
    weights = load_weights(conn)
    engagement = engagement_score(features, weights)
    report.check()
    status = scoring_status(conn, course_id, week)
    gone = withdrawn_before(conn, course_id, as_of)
    levels = risk_levels(conn, status.run_id, threshold, exclude=gone) if status.run_id is not None else None
    report.progress(0.3, "completion")
    completion = completion_by_category(conn, course_id, as_of, students=features.index)
    report.check()
    report.progress(0.5, "weekly engagement")
    weekly = weekly_engagement(conn, course_id, as_of, weights, report=report, events=events)
    del events
    n = len(features)
    notes = []
    small = 0 < n < threshold
    if small:
        completion["completion"] = np.nan
        notes.append(f"Fewer than {threshold} students: rates are hidden (small-cell rule).")
    if gone:
        notes.append(
            f"{format_count(len(gone), threshold)} withdrawn student{'s' if len(gone) != 1 else ''} "
            "not counted at risk (class list or leaving statements)."
        )
    completion["students_completing"] = completion["students_completing"].astype("int64")
    return Overview(
        course_id=int(course_id),
        week=int(week),
        as_of=as_of,
        threshold=threshold,
        students=n,
        active_this_week=int((features["events_last_7_days"] > 0).sum()),
        avg_engagement=float("nan") if n == 0 or small else float(engagement.mean()),
        status=status,
        at_risk=None if levels is None else int(levels.loc[levels["level"] == "high", "students"].sum()),
        levels=levels if levels is not None else risk_levels(conn, None, threshold),
        completion=completion,
        weekly=weekly,
        notes=notes,
        withdrawn=len(gone),
    )


def risk_levels(
    conn: sqlite3.Connection, run_id: int | None, threshold: int, exclude: Any = None
) -> pd.DataFrame:
    """Students per level (low, moderate, high) of a scoring run, with their share; the share
    of a level under the small-cell threshold is hidden (NaN). Empty without a run.
    ``exclude``: actor ids left out of the counts (students withdrawn by then)."""
    import numpy as np
    import pandas as pd

    from learnalytics_desktop.core.privacy.suppress import is_small

    if run_id is None:
        return pd.DataFrame(
            {
                "level": pd.Series(dtype=object),
                "students": pd.Series(dtype="int64"),
                "share": pd.Series(dtype="float64"),
            }
        )
    skip = {int(a) for a in exclude or ()}
    counts: dict[str, int] = {}
    for actor, level in conn.execute("SELECT actor, level FROM scores WHERE run_id = ?", (int(run_id),)):
        if actor not in skip:
            counts[level] = counts.get(level, 0) + 1
    unknown = sorted(set(counts) - set(LEVELS))
    if unknown:
        raise ValueError(f"scoring run {run_id} has unknown risk level(s) {unknown}; expected {LEVELS}")
    students = np.array([int(counts.get(lv, 0)) for lv in LEVELS], dtype=np.int64)
    total = int(students.sum())
    share = students / total if total else np.full(3, np.nan)
    hidden = np.array([is_small(int(c), threshold) for c in students]) | is_small(total, threshold)
    return pd.DataFrame(
        {"level": list(LEVELS), "students": students, "share": np.where(hidden, np.nan, share)}
    )


def completion_by_category(
    conn: sqlite3.Connection, course_id: int, as_of: datetime, students: Any = None
) -> pd.DataFrame:
    """Completion per content category (see the module docstring): columns ``category``,
    ``items``, ``completion`` (0-1, NaN without items) and ``students_completing`` (students
    who completed at least one item). ``students`` are the actor ids counted (default: those
    of ``compute_features``)."""
    import numpy as np
    import pandas as pd

    from learnalytics_desktop.core.courses import to_ms
    from learnalytics_desktop.core.features.events import COMPLETED_VERBS, SUBMIT_VERBS
    from learnalytics_desktop.core.ingest.categories import load_mapping

    if students is None:
        from learnalytics_desktop.core.features.compute import compute_features

        students = compute_features(conn, course_id, as_of).index
    ids = np.asarray(students, dtype=np.int64)
    # Grouped on the integer keys; verb IRIs and activity types are looked up afterwards, once
    # per distinct key (joining them per statement costs seconds on millions of rows).
    rows = conn.execute(
        """SELECT actor, object, verb, max(ifnull(completion, 0)),
                  max(score_scaled IS NOT NULL OR score_raw IS NOT NULL), max(late IS NOT NULL)
           FROM v_events WHERE course = ? AND ts < ? AND object IS NOT NULL GROUP BY actor, object, verb""",
        (int(course_id), to_ms(as_of)),
    ).fetchall()
    df = pd.DataFrame(rows, columns=["actor", "object", "verb", "completion", "scored", "late"])
    df = df[df["actor"].isin(ids)]
    verb_iri = dict(conn.execute("SELECT id, iri FROM verbs").fetchall())
    objects = [int(o) for o in df["object"].unique()]
    type_of: dict[int, Any] = {}
    for i in range(0, len(objects), 500):
        part = objects[i : i + 500]
        type_of.update(
            conn.execute(
                f"SELECT id, type_iri FROM activities WHERE id IN ({','.join('?' * len(part))})", part
            ).fetchall()
        )
    df = df[df["object"].isin(list(type_of))]  # as an inner join with activities would
    df = df.assign(verb=df["verb"].map(verb_iri), type=df["object"].map(type_of))
    df = df[["actor", "object", "verb", "type", "completion", "scored", "late"]]
    df["category"] = load_mapping(conn).categorize(df["verb"], df["type"]).astype(object).to_numpy()
    named = df[df["category"] != "other"]
    tally = named.groupby(["object", "category"]).size().reset_index(name="n")
    tally = tally.sort_values(["object", "n", "category"], ascending=[True, False, True], kind="stable")
    item_cat = tally.drop_duplicates("object").set_index("object")["category"]
    df["item_category"] = df["object"].map(item_cat).fillna("other")
    cat = df["item_category"]
    done = df["completion"].astype(bool) | (
        ((cat == "video") & df["verb"].isin(COMPLETED_VERBS))
        | (cat == "reading")
        | ((cat == "assessment") & (df["scored"].astype(bool) | df["verb"].isin(ATTEMPT_DONE_VERBS)))
        | (
            (cat == "assignment")
            & (df["verb"].isin(SUBMIT_VERBS | COMPLETED_VERBS) | df["late"].astype(bool))
        )
    )
    pairs = df.loc[done, ["actor", "object", "item_category"]].drop_duplicates(["actor", "object"])
    out = []
    for name in COMPLETION_CATEGORIES:
        items = int(item_cat.eq(name).sum()) if len(item_cat) else 0
        mine = pairs[pairs["item_category"] == name]
        rate = len(mine) / (len(ids) * items) if items and len(ids) else float("nan")
        out.append((name, items, rate, int(mine["actor"].nunique())))
    return pd.DataFrame(out, columns=["category", "items", "completion", "students_completing"])


def _week_events(ev: Any, end_ms: int, enrolled: Any) -> Any:
    """``ev`` cut at ``end_ms``: the statements before it and the students of that instant."""
    import numpy as np

    m = ev.ts < end_ms
    active = np.zeros(ev.n, dtype=bool)
    active[ev.sidx[m]] = True
    keep = active | np.isin(ev.students, enrolled)
    new_pos = np.cumsum(keep) - 1
    return replace(
        ev,
        students=ev.students[keep],
        sidx=new_pos[ev.sidx[m]],
        ts=ev.ts[m],
        dur=ev.dur[m],
        cat=ev.cat[m],
        verb=ev.verb[m],
        obj=ev.obj[m],
        score=ev.score[m],
        late=ev.late[m],
        as_of_ms=int(end_ms),
    )


def weekly_engagement(
    conn: sqlite3.Connection,
    course_id: int,
    as_of: datetime,
    weights: Any = None,
    *,
    report: Reporter | None = None,
    events: Any = None,
) -> pd.DataFrame:
    """Per course week 1..k (k: the week ``as_of`` falls in, as ``weekly_series``): ``students``,
    ``active`` (students with a statement that week), quartiles ``engagement_q25/median/q75`` of
    the engagement score as of the week's end, and ``minutes_q25/median/q75`` of the minutes
    logged that week (see the module docstring). One read of the statements, none when
    ``events`` (``core.features.events.load_events`` of the same offering and ``as_of``) is given."""
    import numpy as np
    import pandas as pd

    from learnalytics_desktop.core.courses import course_calendar, to_ms
    from learnalytics_desktop.core.features.compute import features_from_events
    from learnalytics_desktop.core.features.engagement import engagement_score
    from learnalytics_desktop.core.features.events import load_events

    report = report or NullReporter()
    start, weeks = course_calendar(conn, course_id)
    cols = [
        "week",
        "students",
        "active",
        "engagement_q25",
        "engagement_median",
        "engagement_q75",
        "minutes_q25",
        "minutes_median",
        "minutes_q75",
    ]
    if start is None:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in cols})
    if events is not None and events.as_of_ms == to_ms(as_of):
        ev = replace(events, start=start)  # the start only places weeks and "days since the start"
    else:
        ev = load_events(conn, course_id, as_of, start=start)
    start_ms = to_ms(datetime(start.year, start.month, start.day, tzinfo=UTC))
    k = max(0, -(-(ev.as_of_ms - start_ms) // WEEK_MS))
    k = min(k, weeks) if weeks is not None else k
    enrolled = np.asarray(
        [r[0] for r in conn.execute("SELECT actor FROM enrolments WHERE course = ?", (int(course_id),))],
        dtype=np.int64,
    )
    week_of = (
        np.clip((ev.ts - start_ms) // WEEK_MS, 0, None) + 1
    )  # statements before the start count in week 1
    out = []
    for w in range(1, k + 1):
        report.check()
        report.progress(0.5 + 0.5 * w / max(k, 1), f"week {w}")
        sub = _week_events(ev, min(start_ms + w * WEEK_MS, ev.as_of_ms), enrolled)
        eng = engagement_score(features_from_events(sub), weights).to_numpy(dtype=float)
        in_week = week_of[ev.ts < sub.as_of_ms] == w
        minutes = (
            np.bincount(sub.sidx[in_week], weights=np.nan_to_num(sub.dur[in_week], nan=0.0), minlength=sub.n)
            / 60.0
        )
        events = np.bincount(sub.sidx[in_week], minlength=sub.n)
        out.append((w, sub.n, int((events > 0).sum()), *_quartiles(eng), *_quartiles(minutes)))
    frame = pd.DataFrame(out, columns=cols)
    return frame.astype({"week": "int64", "students": "int64", "active": "int64"})


__all__ = [
    "COMPLETION_CATEGORIES",
    "LEVELS",
    "Overview",
    "ScoringStatus",
    "completion_by_category",
    "course_overview",
    "risk_levels",
    "score_now",
    "scoring_status",
    "weekly_engagement",
]


def _quartiles(values: np.ndarray) -> np.ndarray:
    """The 25th, 50th and 75th percentiles of ``values`` (NaN for an empty week)."""
    import numpy as np

    return np.quantile(values, [0.25, 0.5, 0.75]) if len(values) else np.full(3, np.nan)
