"""Recalibrating a model on the latest finished offering (issue 11: calibration did not carry
over to the next offering; the card showed 0.007-0.046 within the training offering, 0.12-0.30
on the next).

``recalibrate_model`` keeps the model's ranking and re-maps its probabilities to what the
latest finished offering (one with outcomes the model was not trained on) says they should
be: **Platt scaling of the log-odds**, ``p' = sigmoid(a * logit(p) + b)``, fitted by logistic
regression on that offering's students (at every week the model was trained for; a student is
one group). Two numbers, so a few hundred students are enough, and increasing (``a > 0`` is
required), so the order of students, the monotonic directions and the reasons are unchanged.
The result is a **new model** (new id, signed file, card with a ``recalibration`` section);
the old one stays. Its figures: calibration error, Brier and ROC AUC on that offering before,
and after **cross-validated** (5 folds grouped by student: each fold's map is fitted on the
other four), so the improvement shown is not measured on the students it was fitted on.

Refused with a :class:`TrainingDataError` when there is no finished offering the model has
not seen, when it has too few students of either outcome, or when the fitted slope is not
positive (the model's ranking does not hold there: retrain instead).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

from learnalytics_desktop.core.jobs import NullReporter, Reporter
from learnalytics_desktop.core.model.estimators import TrainingDataError

METHOD = "Platt scaling of the log-odds (p' = sigmoid(a logit p + b)), fitted on the offering's students"


def finished_offerings(conn: sqlite3.Connection) -> list[Any]:
    """Offerings with final outcomes, oldest first (by start)."""
    from learnalytics_desktop.core.model.data import course_start, get_course

    ids = [int(r[0]) for r in conn.execute("SELECT DISTINCT course FROM outcomes")]
    return sorted((get_course(conn, c) for c in ids), key=course_start)


def pick_offering(conn: sqlite3.Connection, card: dict[str, Any], course_id: int | None) -> Any:
    """The offering to recalibrate on: ``course_id``, else the latest finished offering the
    model was not trained on."""
    from learnalytics_desktop.core.model.data import get_course

    trained = {c.get("iri") for c in card.get("courses") or []}
    if course_id is not None:
        course = get_course(conn, int(course_id))
        if course.iri in trained:
            raise TrainingDataError(
                f"the model was trained on {course.label}; recalibrating on the same students would "
                "only repeat its training. Choose a finished offering it has not seen"
            )
        return course
    unseen = [c for c in finished_offerings(conn) if c.iri not in trained]
    if not unseen:
        raise TrainingDataError(
            "there is no finished offering (one with final outcomes) that this model was not trained on; "
            "import the outcomes of the latest offering first"
        )
    return unseen[-1]


def platt(z: Any, y: Any) -> tuple[float, float]:
    """``(a, b)`` of the logistic regression of ``y`` on the log-odds ``z`` (almost unpenalised)."""
    from sklearn.linear_model import LogisticRegression

    fit = LogisticRegression(C=1e4, max_iter=1000).fit(z.reshape(-1, 1), y)
    return float(fit.coef_[0, 0]), float(fit.intercept_[0])


def _apply(z: Any, a: float, b: float) -> Any:
    import numpy as np

    return 1.0 / (1.0 + np.exp(-(a * z + b)))


def recalibrate_model(
    conn: sqlite3.Connection,
    model_id: str | None = None,
    course_id: int | None = None,
    *,
    report: Reporter | None = None,
) -> Any:
    """Recalibrate ``model_id`` (default: the active model) on ``course_id`` (default: the
    latest finished offering it has not seen); returns the new model's ``TrainResult``."""
    import numpy as np
    from sklearn.model_selection import GroupKFold

    from learnalytics_desktop.core.model.bundle import TrainedModel
    from learnalytics_desktop.core.model.card import json_safe
    from learnalytics_desktop.core.model.data import build_training_data
    from learnalytics_desktop.core.model.estimators import check_class_counts, single_thread
    from learnalytics_desktop.core.model.hgb import Recalibrated
    from learnalytics_desktop.core.model.metrics import binary_metrics
    from learnalytics_desktop.core.model.registry import active_model_id, get_card, load_model
    from learnalytics_desktop.core.model.train import TrainResult, _register, new_model_id

    report = report or NullReporter()
    model_id = model_id or active_model_id(conn)
    card = get_card(conn, str(model_id))
    course = pick_offering(conn, card, course_id)  # refusals first: they need no model file
    model = load_model(conn, model_id)
    report.progress(0.0, f"features of {course.label}")
    with single_thread():
        data = build_training_data(
            conn,
            [course.id],
            None if model.any_week else model.week,
            report,
            weeks=list(model.weeks) if model.any_week else None,
        )
        y = data.labels.to_numpy().astype(int)
        students = data.labels[~data.labels.index.duplicated()].to_numpy().astype(int)
        check_class_counts(students, course.label)
        report.check()
        report.progress(0.5, "predicting with the current model")
        X = model.design(data.features, data.attributes if model.attributes else None)
        p = np.clip(model.predict(X), 1e-6, 1 - 1e-6)
        z = np.log(p / (1 - p))
        groups = data.groups
        after = np.empty(len(y))
        for tr, te in GroupKFold(n_splits=min(5, len(set(groups.tolist())))).split(z, y, groups):
            if len(set(y[tr].tolist())) < 2:
                after[te] = p[te]
                continue
            a, b = platt(z[tr], y[tr])
            after[te] = _apply(z[te], a, b)
        a, b = platt(z, y)
    if not a > 0:
        raise TrainingDataError(
            f"on {course.label} the model's risks rank students the wrong way round (slope {a:.2f}); "
            "recalibrating cannot fix that: train a new model that includes this offering"
        )
    report.progress(0.8, "saving the recalibrated model")
    created = datetime.now(UTC)
    new = TrainedModel(
        kind=model.kind,
        estimator=Recalibrated(model.estimator, a, b),
        features=list(model.features),
        week=model.week,
        weeks=list(model.weeks),
        attributes=dict(model.attributes),
        model_id=new_model_id(created),
    )
    before_m = binary_metrics(y, p, curves=False)
    after_m = binary_metrics(y, after, curves=False)
    new_card = json_safe(
        {
            **card,
            "model_id": new.model_id,
            "created_at": created.isoformat(timespec="seconds"),
            "recalibration": {
                "from_model": str(model_id),
                "course": course.iri,
                "course_name": course.name,
                "students": int(len(students)),
                "rows": int(len(y)),
                "method": METHOD,
                "slope": round(a, 4),
                "intercept": round(b, 4),
                "before": before_m,
                "after": after_m,
                "after_method": "5-fold cross-validation grouped by student (each fold mapped by the other four)",
            },
        }
    )
    new.card = new_card
    _register(conn, new, data, new_card)
    # the new model carries what the old one learned: erasure must reach those students too
    from learnalytics_desktop.core.store.db import audit, transaction

    with transaction(conn):
        conn.execute(
            "INSERT OR IGNORE INTO training_rows(model_id, actor, label) "
            "SELECT ?, actor, label FROM training_rows WHERE model_id = ?",
            (new.model_id, str(model_id)),
        )
        audit(
            conn,
            "recalibrate",
            model_id=new.model_id,
            from_model=str(model_id),
            course=course.iri,
            calibration_error_before=before_m["calibration_error"],
            calibration_error_after=after_m["calibration_error"],
        )
    report.progress(1.0, "done")
    return TrainResult(model_id=str(new.model_id), kind=new.kind, card=new_card, model=new)


__all__ = ["finished_offerings", "pick_offering", "recalibrate_model"]
