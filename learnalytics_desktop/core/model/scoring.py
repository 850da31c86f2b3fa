"""Scoring a current offering, keeping every run, and reading risk history back.

A model for every week (``TrainedModel.any_week``, the default since issue 11) scores any
week k >= 1 (as of the end of week k) or any as-of instant after week 1: its week input is
the number of weeks complete then, weeks past the last trained week read as that week. A
model of one week k scores an offering as of the end of its week k (the default), or
as of any instant during week k + 1 (weeks 1..k complete, week k + 1 not): the model's
features mean "k weeks in", so scoring at another point is refused with a message. Every
run is stored (``score_runs`` + one ``scores`` row per student with risk, level and
reasons) and audited, so an advisor can see how a student's risk moved.

Levels: ``score_course`` follows the advisor-capacity mode saved on the Settings page
(``core.model.levels.get_capacity``, settings ``risk_capacity``) when its caller passes no
``capacity``, so every path that scores (the dashboard's "Score now", the command line, the
self-test) gives the same levels; an explicit ``capacity=N`` overrides it for that run.
Without a saved capacity the thresholds decide. The capacity used is in the run's audit
entry and ``frame.attrs["capacity"]``. (``score_features``, the lower level, takes the
capacity as given: ``None`` there means thresholds.)
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from learnalytics_desktop.core.jobs import NullReporter, Reporter
from learnalytics_desktop.core.learners import actor_labels  # re-exported: who the ids are

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from learnalytics_desktop.core.model.bundle import TrainedModel

KEY_FEATURES = (
    "days_since_last_activity",
    "active_days",
    "total_events",
    "total_time_minutes",
    "video_completion_rate",
    "quiz_avg_score",
    "quiz_score_trend",
    "forum_posts",
    "late_submissions",
)


class ScoringError(ValueError):
    """Scoring cannot be done as asked; the message says why."""


STALE_DAYS = 2


def _resolve_as_of(
    course: Any,
    model_week: int,
    week: int | None,
    as_of: datetime | None,
    now: datetime | None = None,
    *,
    any_week: bool = False,
) -> datetime:
    when = _pick_as_of(course, model_week, week, as_of, any_week=any_week)
    now = now or datetime.now(UTC)
    if when > now and as_of is not None:
        raise ScoringError(f"the as-of date {as_of.isoformat()} is in the future (now is {now.isoformat()})")
    if when > now:
        shown = week if any_week and week is not None else model_week
        raise ScoringError(
            f"week {shown} of {course.label} is not over yet (it ends {when.isoformat()}); "
            "score an earlier week"
        )
    return when


def _pick_as_of(
    course: Any, model_week: int, week: int | None, as_of: datetime | None, *, any_week: bool = False
) -> datetime:
    if week is not None and as_of is not None:
        raise ScoringError("give either a week or an as-of date, not both")
    if any_week:
        if as_of is None:
            if week is None:
                raise ScoringError("this model scores any week: give the week (or an as-of date) to score")
            if isinstance(week, bool) or not isinstance(week, int) or week < 1:
                raise ScoringError(f"the week must be a whole number of at least 1, got {week!r}")
            end_of_week: datetime = course.as_of_week(week)
            return end_of_week
        if as_of.tzinfo is None or as_of.utcoffset() is None:
            raise ScoringError(f"the as-of date {as_of.isoformat()} has no time zone; give it in UTC")
        if as_of < course.as_of_week(1):
            raise ScoringError(
                f"the as-of date {as_of.isoformat()} is before the end of week 1 of {course.label} "
                f"({course.as_of_week(1).isoformat()}); there is nothing to score yet"
            )
        return as_of
    if as_of is None:
        wk = model_week if week is None else week
        if wk != model_week:
            raise ScoringError(
                f"the model was trained on students as of week {model_week}; scoring at week {wk} would "
                f"apply it at a different point in the course. Train a model for week {wk}, or score at week {model_week}"
            )
        end_of_model_week: datetime = course.as_of_week(wk)
        return end_of_model_week
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ScoringError(f"the as-of date {as_of.isoformat()} has no time zone; give it in UTC")
    lo = course.as_of_week(model_week)
    hi = lo + timedelta(days=7)
    if not lo <= as_of < hi:
        raise ScoringError(
            f"the model is for week {model_week}: the as-of date must fall between {lo.isoformat()} and "
            f"{hi.isoformat()} (weeks 1-{model_week} complete), got {as_of.isoformat()}"
        )
    return as_of


def score_course(
    conn: sqlite3.Connection,
    course_id: int,
    week: int | None = None,
    as_of: datetime | None = None,
    model_id: str | None = None,
    *,
    capacity: int | None = None,
    report: Reporter | None = None,
) -> pd.DataFrame:
    """Score every student of an offering and store the run.

    Uses ``model_id`` or the active model. Returns one row per student, highest risk
    first, columns ``student`` (label), ``actor``, ``risk_score`` (0-1), ``risk_level``,
    ``status`` (enrolment status as of the date: ``active``, ``not started`` or
    ``withdrawn (YYYY-MM-DD)``, see ``core.outcomes.status``; withdrawn students do not take
    a place of the advisor capacity), ``reasons`` (list of plain-language strings) and the key features present. Levels: with
    ``capacity=N`` the top N are "high"; with ``capacity=None`` (the default) the advisor
    capacity saved in Settings applies (``levels.get_capacity``), and when none is saved the
    thresholds decide. ``frame.attrs`` carries ``run_id``, ``model_id``, ``course_id``,
    ``week``, ``as_of``, ``capacity`` (the one used, or None) and, when the
    offering's data end more than 2 days before the as-of date, ``warnings``. A week that
    is not over yet (by ``core.clock.now``: the real clock, or the database's fixed "today",
    as the demo's) is refused.
    """
    from learnalytics_desktop.core import clock
    from learnalytics_desktop.core.features import compute_features
    from learnalytics_desktop.core.model.data import get_course, load_attributes
    from learnalytics_desktop.core.model.levels import check_capacity, get_capacity
    from learnalytics_desktop.core.model.registry import load_model
    from learnalytics_desktop.core.outcomes.status import enrolment_status

    report = report or NullReporter()
    capacity = get_capacity(conn) if capacity is None else check_capacity(capacity)
    report.progress(0.0, "loading the model")
    model = load_model(conn, model_id)
    course = get_course(conn, course_id)
    when = _resolve_as_of(course, model.week, week, as_of, now=clock.now(conn), any_week=model.any_week)
    report.check()
    report.progress(0.1, "computing features")
    features = compute_features(conn, course.id, when)
    scored_week = int(course.weeks_complete(when)) if model.any_week else int(model.week)
    if len(features) == 0:
        raise ScoringError(f"{course.name or course.iri} has no students as of {when.isoformat()}")
    attributes = load_attributes(conn, course.id) if model.attributes else None
    status = enrolment_status(conn, course.id, when)
    out = score_features(
        conn,
        model,
        int(course.id),
        when,
        features,
        attributes,
        course_label=course.iri,
        capacity=capacity,
        withdrawn=status.index[status["status"] == "withdrawn"],
        week=scored_week,
        report=report,
    )
    out.insert(4, "status", status["label"].reindex(out["actor"].to_numpy()).fillna("active").to_numpy())
    last = course.last_statement
    if last is not None and (when - last).total_seconds() > STALE_DAYS * 86400:
        out.attrs["warnings"] = [
            f"the data of {course.label} ends {last.isoformat(timespec='minutes')}, "
            f"{(when - last).days} days before the as-of date: recent activity may not be imported yet, "
            "so days without activity may be overstated"
        ]
    return out


def score_features(
    conn: sqlite3.Connection,
    model: TrainedModel,
    course_id: int,
    as_of: datetime,
    features: pd.DataFrame,
    attributes: pd.DataFrame | None = None,
    *,
    course_label: str = "",
    capacity: int | None = None,
    withdrawn: Any = None,
    week: int | None = None,
    report: Reporter | None = None,
) -> pd.DataFrame:
    """Score, explain, level and store one offering's feature table (``score_course``
    after it has resolved the model, the as-of date and the features). ``withdrawn``: actor
    ids withdrawn as of the date, left out of the capacity ranking. ``week`` is the course
    week scored (weeks complete at ``as_of``; the model's week when omitted); an any-week
    model gets it as its week input."""
    import numpy as np
    import pandas as pd

    from learnalytics_desktop.core.model.bundle import WEEK_COLUMN
    from learnalytics_desktop.core.model.estimators import single_thread
    from learnalytics_desktop.core.model.explain import explain_students
    from learnalytics_desktop.core.model.levels import get_thresholds, levels_by_capacity, risk_level
    from learnalytics_desktop.core.store.db import audit, transaction, utc_now_iso

    report = report or NullReporter()
    features = features.copy()
    features.index = features.index.astype("int64")
    week = int(model.week if week is None else week)
    if model.any_week:
        features[WEEK_COLUMN] = float(model.week_input(max(1, week)))
    report.check()
    report.progress(0.3, "scoring and explaining")
    with single_thread():
        X = model.design(features, attributes)
        probs = model.predict(X)
        expl = explain_students(model, features, attributes)
    thresholds = get_thresholds(conn)
    levels: list[str] | np.ndarray = risk_level(probs, thresholds)
    if capacity is not None:
        # the advisor's capacity goes to students still enrolled: withdrawn ones keep the
        # threshold level and are off the advisor's list by default (core.outcomes.status)
        gone = features.index.isin(list(withdrawn) if withdrawn is not None else [])
        levels = np.array(levels, dtype=object)
        if (~gone).any():
            levels[~gone] = levels_by_capacity(probs[~gone], capacity, thresholds)
    reasons = with_high_reasons(expl, features.index, np.asarray(levels, dtype=object))
    labels = actor_labels(conn, features.index.tolist())
    out = pd.DataFrame(
        {
            "student": [labels.get(int(a), str(a)) for a in features.index],
            "actor": features.index.to_numpy(),
            "risk_score": probs.round(4),
            "risk_level": levels,
            "reasons": reasons,
        }
    )
    for col in KEY_FEATURES:
        if col in features.columns:
            out[col] = features[col].astype(float).round(3).to_numpy()
    out = out.sort_values(["risk_score", "student"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )
    report.check()
    report.progress(0.9, "saving the run")
    created = utc_now_iso()
    with transaction(conn):
        cur = conn.execute(
            "INSERT INTO score_runs(model_id, course, week, as_of, created_at) VALUES (?,?,?,?,?)",
            (model.model_id, int(course_id), week, as_of.isoformat(), created),
        )
        run_id = int(cur.lastrowid or 0)
        conn.executemany(
            "INSERT INTO scores(run_id, actor, risk, level, reasons) VALUES (?,?,?,?,?)",
            [
                (run_id, int(a), float(r), lv, json.dumps(rs))
                for a, r, lv, rs in zip(
                    out["actor"], out["risk_score"], out["risk_level"], out["reasons"], strict=True
                )
            ],
        )
        audit(
            conn,
            "score",
            run_id=run_id,
            model_id=model.model_id,
            course=course_label or int(course_id),
            week=week,
            as_of=as_of.isoformat(),
            students=len(out),
            high=int((out["risk_level"] == "high").sum()),
            capacity=capacity,
        )
    out.attrs.update(
        {
            "warnings": [],
            "run_id": run_id,
            "model_id": model.model_id,
            "course_id": int(course_id),
            "week": week,
            "as_of": as_of.isoformat(),
            "capacity": capacity,
        }
    )
    report.progress(1.0, "done")
    return out


NO_SINGLE_FACTOR = (
    "no single factor stands out: many small differences from the course's typical student add up "
    "(raises risk)"
)


def with_high_reasons(expl: Any, index: Any, levels: Any) -> list[list[str]]:
    """Each student's reasons, where a **high**-risk student never has none: below the usual
    threshold (a factor moving the log-odds by 0.1), their strongest raising factor is given;
    when not even one raises their risk against the course median (the risk comes from the
    model's base for this week), :data:`NO_SINGLE_FACTOR` says so."""
    reasons = [list(r) for r in expl.reasons.reindex(index).tolist()]
    fallback = (
        expl.fallback.reindex(index).tolist()
        if getattr(expl, "fallback", None) is not None
        else [[]] * len(index)
    )
    for i, level in enumerate(levels):
        if level == "high" and not reasons[i]:
            reasons[i] = list(fallback[i] or [NO_SINGLE_FACTOR])
    return reasons


def risk_history(conn: sqlite3.Connection, actor_id: int, course_id: int) -> pd.DataFrame:
    """Every stored score of one student in one offering, oldest first.

    Columns: ``run_id``, ``as_of``, ``week``, ``model_id``, ``created_at``, ``risk_score``,
    ``risk_level``, ``reasons`` (list).
    """
    import pandas as pd

    rows = conn.execute(
        "SELECT r.id, r.as_of, r.week, r.model_id, r.created_at, s.risk, s.level, s.reasons "
        "FROM scores s JOIN score_runs r ON r.id = s.run_id "
        "WHERE s.actor = ? AND r.course = ? ORDER BY r.as_of, r.created_at, r.id",
        (int(actor_id), int(course_id)),
    ).fetchall()
    cols = ["run_id", "as_of", "week", "model_id", "created_at", "risk_score", "risk_level", "reasons"]
    frame = pd.DataFrame([(*r[:7], json.loads(r[7])) for r in rows], columns=cols)
    return frame


def latest_run(conn: sqlite3.Connection, course_id: int) -> pd.DataFrame:
    """The most recently made run of the active model for an offering
    (``core.model.runs.select_run`` with no week or moment; same columns as
    :func:`risk_history`, plus ``actor`` and ``student``), highest risk first; empty when
    never scored."""
    import pandas as pd

    from learnalytics_desktop.core.model.runs import select_run

    run = select_run(conn, course_id)
    cols = [
        "run_id",
        "as_of",
        "week",
        "model_id",
        "created_at",
        "actor",
        "student",
        "risk_score",
        "risk_level",
        "reasons",
    ]
    if run is None:
        return pd.DataFrame(columns=cols)
    rows = conn.execute(
        "SELECT r.id, r.as_of, r.week, r.model_id, r.created_at, s.actor, a.label, s.risk, s.level, s.reasons "
        "FROM scores s JOIN score_runs r ON r.id = s.run_id JOIN actors a ON a.id = s.actor "
        "WHERE r.id = ? ORDER BY s.risk DESC, a.label",
        (run.id,),
    ).fetchall()
    return pd.DataFrame([(*r[:9], json.loads(r[9])) for r in rows], columns=cols)


__all__ = [
    "KEY_FEATURES",
    "ScoringError",
    "actor_labels",
    "latest_run",
    "risk_history",
    "score_course",
    "score_features",
]
