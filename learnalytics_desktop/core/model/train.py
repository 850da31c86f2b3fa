"""Training an at-risk model: data as of week k, two candidates, honest validation, signed file.

``train_model`` runs the whole job (see :mod:`core.model.data`, :mod:`core.model.estimators`,
:mod:`core.model.validation`, :mod:`core.model.explain`, :mod:`core.model.fairness`):

1. features as of week k of each past offering, joined to at-risk labels; features with no
   data in those rows (missing, or one value, for every student) and those the user
   excluded are left out and listed on the card (``unused_features``);
2. the same stratified folds for both candidates (cancellable between folds), plus
   validation on the latest offering when there are two or more;
3. the better candidate (or the one the user picked) is refitted on all students;
4. permutation importance on held-out folds, fairness per marked attribute;
5. the model is saved signed under ``paths.models_dir()``; the card, the training rows
   (who the model learned from, so erasure can reach them) and an audit entry are written
   in one transaction.

All numerical work runs with one thread (threadpoolctl), so the app stays responsive on a
2-core laptop.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from learnalytics_desktop.core.jobs import NullReporter, Reporter
from learnalytics_desktop.core.model.bundle import TrainedModel
from learnalytics_desktop.core.model.data import TrainingData, build_training_data
from learnalytics_desktop.core.model.estimators import (
    KINDS,
    SEED,
    TrainingDataError,
    check_class_counts,
    make_estimator,
    n_folds,
    screen_features,
    settings_summary,
    single_thread,
    splits,
)

REQUESTS = ("auto", *KINDS)
# where the features of a model trained from the database came from (the card's feature_source)
DESKTOP_SOURCE = {"engine": "desktop", "from": "the statements in this database (core.features)"}


@dataclass
class TrainResult:
    """What training returns: the new model's id, its card, and the fitted model."""

    model_id: str
    kind: str
    card: dict[str, Any]
    model: TrainedModel


def new_model_id(now: datetime) -> str:
    """A sortable, readable id such as ``m20250314-101502-3fa9c1``."""
    return f"m{now.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"


def train_model(
    conn: sqlite3.Connection,
    course_ids: list[int],
    week: int | None = None,
    *,
    kind: str = "auto",
    use_attributes: bool = False,
    exclude_features: Sequence[str] = (),
    report: Reporter | None = None,
) -> TrainResult:
    """Train, validate, save and register an at-risk model.

    ``week=None`` (the default, the app and ``learnalytics train`` without ``--week``): one
    model for every week, trained on each student at each week of the past offerings with
    the course week as an input (:func:`core.model.data.build_training_data`); it scores any
    week of an offering. ``week=k``: a model of week k only (scores week k).

    ``course_ids`` are past offerings with outcomes; ``kind`` is ``"auto"`` (the better of
    the two on validation data), ``"hgb"`` or ``"logreg"``; demographic attributes become
    features only with ``use_attributes=True``; ``exclude_features`` names features the
    model must not use (each is listed on the card as "excluded by the user"; features with
    no data in the training rows are left out and listed as "no data"). Raises :class:`TrainingDataError` when the
    data cannot support a model, ``Cancelled`` when the user stops it.
    """
    report = report or NullReporter()
    if kind not in REQUESTS:
        raise ValueError(f"unknown model kind {kind!r}; choose one of {', '.join(REQUESTS)}")
    with single_thread():
        report.progress(0.0, "loading features and outcomes")
        data = build_training_data(conn, course_ids, week, report)
        return fit_and_register(
            conn,
            data,
            week,
            kind=kind,
            use_attributes=bool(use_attributes),
            exclude_features=exclude_features,
            report=report,
        )


def fit_and_register(
    conn: sqlite3.Connection,
    data: TrainingData,
    week: int | None,
    *,
    kind: str = "auto",
    use_attributes: bool = False,
    exclude_features: Sequence[str] = (),
    feature_source: dict[str, Any] | None = None,
    report: Reporter | None = None,
) -> TrainResult:
    """Steps 2-5 of training on already assembled :class:`TrainingData` (tests and
    benchmarks call this with synthetic tables; ``train_model`` with real ones).
    ``feature_source`` says on the card where the features came from (default: computed
    from the statements in this database)."""
    report = report or NullReporter()
    if kind not in REQUESTS:
        raise ValueError(f"unknown model kind {kind!r}; choose one of {', '.join(REQUESTS)}")
    with single_thread():
        return _fit(conn, data, week, kind, use_attributes, tuple(exclude_features), report, feature_source)


def _fit(
    conn: sqlite3.Connection,
    data: TrainingData,
    week: int | None,
    kind: str,
    use_attributes: bool,
    exclude: tuple[str, ...],
    report: Reporter,
    feature_source: dict[str, Any] | None = None,
) -> TrainResult:
    import time

    import numpy as np

    from learnalytics_desktop.core.model.card import data_range, json_safe, versions
    from learnalytics_desktop.core.model.explain import fold_permutation_importance, summarise_importance
    from learnalytics_desktop.core.model.fairness import fairness_report
    from learnalytics_desktop.core.model.levels import get_thresholds, risk_level
    from learnalytics_desktop.core.model.metrics import binary_metrics, fold_auc_summary, metrics_by_week
    from learnalytics_desktop.core.model.validation import choose_kind, cross_validate, later_offering
    from learnalytics_desktop.core.privacy.suppress import small_cell_threshold

    started = time.perf_counter()
    y = data.labels.to_numpy().astype(int)
    if len(y) == 0:
        raise TrainingDataError(
            "none of the students in the chosen offerings has an outcome; import the outcomes "
            "(final results) of a past offering first"
        )
    per_student = data.labels[~data.labels.index.duplicated(keep="last")].to_numpy().astype(int)
    pos, neg = check_class_counts(per_student, "the training data")
    if week is None and not data.weeks:
        data = replace(data, weeks=sorted({int(w) for w in data.week_of_row}))
    last_week = int(week if week is not None else max(data.weeks))
    if not data.feature_columns:
        raise TrainingDataError("the feature table has no numeric feature columns to learn from")
    used, unused = screen_features(data.features, data.feature_columns, exclude)
    if len(used) < len(data.feature_columns):
        data = replace(data, features=data.features[used], feature_columns=used)
    encoding: dict[str, list[str]] = {}
    if use_attributes:
        if data.attributes.shape[1] == 0:
            raise TrainingDataError(
                "demographic attributes were requested as features, but none are marked for these offerings"
            )
        encoding = {
            str(k): sorted({str(v) for v in data.attributes[k].dropna().tolist()})
            for k in data.attributes.columns
        }
    template = TrainedModel(
        kind="hgb", estimator=None, features=data.feature_columns, week=last_week, attributes=encoding
    )
    X = template.design(data.features, data.attributes)
    groups = data.groups
    weeks = data.week_of_row
    pooled = len(set(weeks.tolist())) > 1
    folds = splits(y, groups)

    cv = cross_validate(X, y, folds, report, 0.15, 0.7, groups=groups if pooled else None)
    cv_metrics = {}
    for k, res in cv.items():
        cv_metrics[k] = {**binary_metrics(y, res.oof), "fold_roc_auc": fold_auc_summary(res.fold_aucs)}
        if pooled:
            cv_metrics[k]["by_week"] = metrics_by_week(y, res.oof, weeks)
    later = None
    if len(data.courses) >= 2:
        later = later_offering(
            X,
            y,
            data.course_of_row == data.latest_course,
            report,
            0.7,
            0.78,
            groups=groups if pooled else None,
            weeks=weeks if pooled else None,
        )
    chosen, reason = choose_kind(cv_metrics, later, kind)

    report.check()
    report.progress(0.78, "fitting the chosen model on all students")
    estimator = make_estimator(
        chosen, len(y), columns=list(X.columns), groups=groups if pooled else None
    ).fit(X, y)
    created = datetime.now(UTC)
    model = TrainedModel(
        kind=chosen,
        estimator=estimator,
        features=data.feature_columns,
        week=last_week,
        weeks=list(data.weeks) if pooled else [last_week],
        attributes=encoding,
        model_id=new_model_id(created),
    )

    per_fold = []
    for f, ((_, te), fold_model) in enumerate(zip(folds, cv[chosen].models, strict=True)):
        report.check()
        report.progress(
            0.85 + 0.1 * f / len(folds), f"importance of each feature: fold {f + 1} of {len(folds)}"
        )
        per_fold.append(fold_permutation_importance(fold_model, X.iloc[te], y[te], SEED + f))
    importance = summarise_importance(model.columns, per_fold, model.units())

    thresholds = get_thresholds(conn)
    oof = cv[chosen].oof
    # fairness counts people: an any-week model is judged on one row per student, at the
    # middle trained week (an early week has few signals, the last one is nearly the outcome)
    fair_week = int(data.weeks[len(data.weeks) // 2]) if pooled else last_week
    one = weeks == fair_week if pooled else np.ones(len(y), dtype=bool)
    fairness = fairness_report(
        y[one],
        oof[one],
        np.asarray(risk_level(oof[one], thresholds)) == "high",
        data.attributes[one],
        small_cell_threshold(conn),
        f"risk level high (predicted risk >= {thresholds['high']})",
    )
    notes = []
    n_fold = n_folds(y)
    if pooled:
        notes.append(
            f"one model for every week: each student appears once per trained week ({len(data.weeks)} "
            f"weeks, {data.weeks[0]} to {data.weeks[-1]}) with the week as an input; folds keep a "
            f"student's weeks together; fairness is reported at week {fair_week}"
        )
    if n_fold < 5:
        notes.append(
            f"only {min(pos, neg)} students in the smaller outcome class, so {n_fold} folds were used instead of 5"
        )
    if data.attributes.shape[1] and not use_attributes:
        notes.append("demographic attributes were used for the fairness report only, not as features")
    counts = {
        "trained_on": int(len(per_student)),
        "rows": int(len(y)),
        "at_risk": pos,
        "not_at_risk": neg,
        "excluded_no_outcome": sum(c["excluded_no_outcome"] for c in data.courses),
        "excluded_no_features": sum(c["excluded_no_features"] for c in data.courses),
    }
    card = json_safe(
        {
            "model_id": model.model_id,
            "created_at": created.isoformat(timespec="seconds"),
            "kind": chosen,
            "week": week,
            "weeks": list(model.weeks),
            "any_week": pooled,
            "courses": data.courses,
            "data_range": data_range(data.courses),
            "counts": counts,
            "base_rate": pos / len(per_student),
            "label": data.label,
            "features": data.feature_columns,
            "feature_source": feature_source or DESKTOP_SOURCE,
            "unused_features": unused,
            "ignored_columns": data.ignored_columns,
            "use_attributes": use_attributes,
            "attribute_features": encoding,
            "validation": {
                "method": f"{n_fold}-fold stratified cross-validation (seed {SEED})"
                + (", grouped by student" if len(set(data.groups.tolist())) < len(y) else "")
                + "; metrics on pooled out-of-fold predictions",
                "folds": n_fold,
                "notes": notes,
                "hgb": cv_metrics["hgb"],
                "logreg": cv_metrics["logreg"],
                "later_offering": later,
                "transfer": transfer_text(later, data.courses),
            },
            "chosen": {"kind": chosen, "reason": reason, "picked_by": "user" if kind in KINDS else "auto"},
            "importance": {
                "method": "permutation, drop in ROC AUC on held-out folds",
                "features": importance,
            },
            "explanations": (
                "per student: change in the log-odds of risk when one feature is set to the course median "
                "at the same week (core.model.explain)"
            ),
            "fairness": fairness,
            "thresholds": thresholds,
            "settings": settings_summary(len(y), list(X.columns)),
            "versions": versions(),
            "training_seconds": round(time.perf_counter() - started, 1),
        }
    )
    model.card = card
    report.check()
    report.progress(0.97, "saving the model")
    _register(conn, model, data, card)
    report.progress(1.0, "done")
    return TrainResult(model_id=str(model.model_id), kind=chosen, card=card, model=model)


def transfer_text(later: dict[str, Any] | None, courses: list[dict[str, Any]]) -> str:
    """Whether the card's figures say anything about a new offering, in one plain sentence."""
    if later and "skipped" not in later:
        latest = courses[-1].get("name") or courses[-1].get("iri")
        return f"checked: trained on the earlier offerings and validated on the latest, {latest}"
    if later:
        return f"not checked: {later['skipped']}"
    return (
        "not checked: trained on a single past offering, so transfer to a new offering was not checked; "
        "the figures come from students of that same offering"
    )


def _register(
    conn: sqlite3.Connection, model: TrainedModel, data: TrainingData, card: dict[str, Any]
) -> None:
    """Save the signed file, then the models row, training rows and audit entry."""
    import contextlib
    import json

    from learnalytics_desktop.core import paths
    from learnalytics_desktop.core.model.signing import save_signed, sidecar_path
    from learnalytics_desktop.core.store.db import audit, transaction

    path = paths.models_dir() / f"{model.model_id}.joblib"
    save_signed(model.to_payload(), path)
    labels: dict[int, int] = {}
    for (_course, actor), label in data.labels.items():  # ordered by offering start: latest wins
        labels[int(actor)] = int(label)
    try:
        with transaction(conn):
            conn.execute(
                "INSERT INTO models(id, created_at, kind, week, courses, card, file, active) VALUES (?,?,?,?,?,?,?,0)",
                (
                    model.model_id,
                    card["created_at"],
                    model.kind,
                    model.week,
                    json.dumps([c["iri"] for c in data.courses]),
                    json.dumps(card, sort_keys=True),
                    str(path),
                ),
            )
            conn.executemany(
                "INSERT INTO training_rows(model_id, actor, label) VALUES (?,?,?)",
                [(model.model_id, a, lab) for a, lab in labels.items()],
            )
            audit(
                conn,
                "train",
                model_id=model.model_id,
                kind=model.kind,
                week=model.week,
                courses=[c["iri"] for c in data.courses],
                students=card["counts"]["trained_on"],
                roc_auc=card["validation"][model.kind].get("roc_auc"),
            )
    except BaseException:
        for p in (path, sidecar_path(path)):
            with contextlib.suppress(OSError):
                p.unlink()
        raise


__all__ = ["TrainResult", "TrainingDataError", "fit_and_register", "train_model"]
