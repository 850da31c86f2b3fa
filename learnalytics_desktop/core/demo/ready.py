"""Make the demo database ready to use: a trained model, every week scored, a past outreach batch.

An advisor opening the demo should see the loop working at once (risk list, a student, a
draft, an export, and on the Impact page a comparison), not the data officer's set-up
steps. :func:`make_ready` runs once, at the end of :func:`core.demo.build_demo_database`:

1. **Train** an at-risk model for every week (``core.model.train_model`` with ``week=None``,
   kind "auto", as the Model page does) on the finished offering and make it the active model.
2. **Score** every complete week of both offerings with it (``core.model.score_course``).
   A week the model refuses (``ScoringError``: a model built for one week only) is left
   unscored and listed in the summary; it is not an error. The finished offering is scored
   by a model trained on its own outcomes: in the demo this shows how the list looked week
   by week, it is not a validation (the model card reports the honest figures).
3. **A past outreach batch** in the finished offering at the week the running offering has
   just completed (the demo's "today" is two days into the next week): every High student
   gets a draft (``draft_interventions``) with a randomised 30 % hold-out (a fixed seed, so
   the demo is reproducible), the treated drafts are approved, exported to a CSV in a temporary folder (the file is not kept) and confirmed as
   sent. The rules are signed with the demo advisor's name (Settings can change it). The Impact page can then compare the contacted and held-back students' final
   results. The demo's simulated students do not react to messages, so the honest answer
   there is "no clear difference" -- which is what the page should say.

When the data cannot support a model (a tiny demo built for tests: fewer than ten at-risk
students with outcomes) nothing is trained; the summary says why and the database stays a
plain demo. Everything is written through the same core functions the app and the CLI use.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Any

from learnalytics_desktop.core.jobs import NullReporter, Reporter

DEMO_ADVISOR = "Sam Lee (demo advisor)"
HOLDOUT_FRACTION = 0.3


def make_ready(
    conn: Any, *, seed: int = 7, today: Any = None, report: Reporter | None = None
) -> dict[str, Any]:
    """Train, score every complete week of every offering, and record a past outreach batch
    (see the module docstring). ``today`` is the demo's "now" (default: the demo setting).
    Returns a summary: ``model_id``, ``week``, ``scored`` ({course iri: [weeks]}),
    ``unscored`` ({course iri: [weeks]}), ``batch`` (id, treated, held back) or ``not_ready``
    (why nothing was trained)."""
    from learnalytics_desktop.core.courses import list_courses
    from learnalytics_desktop.core.demo import _Scaled, demo_today
    from learnalytics_desktop.core.model import ScoringError, TrainingDataError, set_active_model, train_model
    from learnalytics_desktop.core.store.db import audit, get_setting, set_setting, transaction

    report = report or NullReporter()
    now = today or demo_today(conn)
    courses = list_courses(conn)
    past = [c for c in courses if _has_outcomes(conn, c.id)]
    running = [c for c in courses if c not in past]
    summary: dict[str, Any] = {"scored": {}, "unscored": {}}
    past_weeks = past[0].weeks if past else None
    if past_weeks is None or now is None:
        summary["not_ready"] = "the demo needs a finished offering with outcomes and a running one"
        return summary
    week = max(1, min(running[0].weeks_complete(now) if running else past_weeks, past_weeks))
    report.progress(0.0, "training the at-risk model")
    try:
        # week=None: one model for every week (the course week is an input), as the app trains
        trained = train_model(conn, [c.id for c in past], None, report=_Scaled(report, 0.0, 0.6))
    except TrainingDataError as exc:
        summary["not_ready"] = str(exc)
        _remember(conn, summary)
        return summary
    set_active_model(conn, trained.model_id)
    summary.update(model_id=trained.model_id, week=week)
    plan = [(c, k) for c in courses for k in range(1, _complete_weeks(c, now) + 1)]
    for i, (course, k) in enumerate(plan):
        report.check()
        report.progress(0.6 + 0.3 * i / max(1, len(plan)), f"scoring {course.label}, week {k}")
        try:
            score_course(conn, course, k)
        except ScoringError:
            summary["unscored"].setdefault(course.iri, []).append(k)
        else:
            summary["scored"].setdefault(course.iri, []).append(k)
    report.progress(0.92, "recording last year's outreach")
    summary["batch"] = _past_outreach(conn, past[0], week, seed)
    _remember(conn, summary)
    with transaction(conn):
        audit(conn, "demo_ready", model_id=trained.model_id, week=week, batch=summary["batch"].get("batch"))
    info = get_setting(conn, "demo") or {}
    with transaction(conn):
        set_setting(
            conn, "demo", {**info, "open_week": _complete_weeks(running[0], now) if running else week}
        )
    report.progress(1.0, "demo ready")
    return summary


def score_course(conn: Any, course: Any, week: int) -> None:
    """Score ``course`` at ``week`` with the active model (``core.model.score_course``)."""
    from learnalytics_desktop.core.model import score_course as score

    score(conn, course.id, week=week)


def _has_outcomes(conn: Any, course_id: int) -> bool:
    return (
        conn.execute("SELECT 1 FROM outcomes WHERE course = ? LIMIT 1", (int(course_id),)).fetchone()
        is not None
    )


def _complete_weeks(course: Any, now: Any) -> int:
    return max(0, min(int(course.weeks), int(course.weeks_complete(now))))


def _remember(conn: Any, summary: dict[str, Any]) -> None:
    from learnalytics_desktop.core.store.db import get_setting, set_setting, transaction

    info = get_setting(conn, "demo") or {}
    with transaction(conn):
        set_setting(conn, "demo", {**info, "ready": {k: v for k, v in summary.items() if k != "batch"}})


def _past_outreach(conn: Any, course: Any, week: int, seed: int) -> dict[str, Any]:
    """Draft for the High students of ``course`` at ``week`` with a randomised hold-out,
    then approve, export and confirm the treated drafts (see the module docstring)."""
    from learnalytics_desktop.core.dashboard.overview import scoring_status
    from learnalytics_desktop.core.interventions import (
        approve,
        draft_interventions,
        export_csv,
        load_rules,
        mark_done,
        save_rules,
    )
    from learnalytics_desktop.core.interventions.context import InterventionError

    status = scoring_status(conn, course.id, week)
    if status.run_id is None:
        return {"skipped": status.message}
    high = [
        int(a)
        for (a,) in conn.execute(
            "SELECT actor FROM scores WHERE run_id = ? AND level = 'high' ORDER BY risk DESC",
            (status.run_id,),
        )
    ]
    if len(high) < 2:
        return {"skipped": "fewer than two High students: no comparison group can be drawn"}
    rules = load_rules(conn)
    if not rules.advisor:  # sign the demo's messages (the advisor can change it in the rules)
        save_rules(conn, dataclasses.replace(rules, advisor=DEMO_ADVISOR))
    try:
        batch = draft_interventions(
            conn,
            course.id,
            high,
            as_of=course.as_of_week(week),
            holdout_fraction=HOLDOUT_FRACTION,
            seed=seed,
            user=DEMO_ADVISOR,
        )
    except InterventionError as exc:
        return {"skipped": str(exc)}
    treated = list(batch.treated_ids)
    if treated:
        approve(conn, treated, user=DEMO_ADVISOR)
        with tempfile.TemporaryDirectory(prefix="learnalytics-demo-outreach-") as tmp:
            export_csv(conn, Path(tmp) / "outreach.csv", ids=treated, mark_exported=True, user=DEMO_ADVISOR)
        mark_done(conn, treated, user=DEMO_ADVISOR)
    return {
        "batch": batch.batch,
        "treated": len(batch.treated_actors),
        "held_out": len(batch.held_out_actors),
    }


__all__ = ["DEMO_ADVISOR", "HOLDOUT_FRACTION", "make_ready"]
