"""Judging the two candidates: cross-validation, later-offering validation, and the choice.

* **Cross-validation**: every candidate is fitted on each training split and predicts the
  students it did not see (out-of-fold); metrics are computed on the pooled out-of-fold
  predictions (plus per-fold ROC AUC mean and sd). Folds are the same for both candidates.
* **Later offering** (2+ past offerings): fitted on all earlier offerings, validated on the
  latest one, i.e. the situation the model is used in. Skipped, with the reason in the
  card, when the earlier offerings have too few students of a class or the latest has no
  student of one class.
* **Choice (kind="auto")**: the candidate with the lower Brier score wins, on the
  later-offering validation when there is one, else on cross-validation. Brier is used
  because the output is read as a probability (risk levels are probability thresholds), and
  Brier rewards both ranking and calibration. Within :data:`TIE_MARGIN` (0.002) the simpler
  logistic regression is kept. ROC AUC is reported beside it in the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from learnalytics_desktop.core.model.estimators import (
    KINDS,
    TrainingDataError,
    check_class_counts,
    make_estimator,
)

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

TIE_MARGIN = 0.002
KIND_NAMES = {"hgb": "gradient boosting (calibrated)", "logreg": "logistic regression"}


@dataclass
class CVResult:
    """Out-of-fold predictions and fold models of one candidate."""

    kind: str
    oof: np.ndarray
    models: list[Any] = field(default_factory=list)
    fold_aucs: list[float] = field(default_factory=list)


def cross_validate(
    X: pd.DataFrame,
    y: np.ndarray,
    folds: list[tuple[np.ndarray, np.ndarray]],
    report: Any,
    start: float,
    stop: float,
    groups: np.ndarray | None = None,
) -> dict[str, CVResult]:
    """Fit both candidates on every split; progress from ``start`` to ``stop``; cancellable between folds."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    out: dict[str, CVResult] = {}
    steps = len(KINDS) * len(folds)
    step = 0
    for kind in KINDS:
        res = CVResult(kind=kind, oof=np.full(len(y), np.nan))
        for f, (tr, te) in enumerate(folds):
            report.check()
            report.progress(
                start + (stop - start) * step / steps,
                f"validating {KIND_NAMES[kind]}: fold {f + 1} of {len(folds)}",
            )
            g = None if groups is None else groups[tr]
            est = make_estimator(kind, len(tr), columns=list(X.columns), groups=g).fit(X.iloc[tr], y[tr])
            res.oof[te] = est.predict_proba(X.iloc[te])[:, 1]
            res.models.append(est)
            res.fold_aucs.append(float(roc_auc_score(y[te], res.oof[te])))
            step += 1
        out[kind] = res
    report.check()
    return out


def later_offering(
    X: pd.DataFrame,
    y: np.ndarray,
    later: np.ndarray,
    report: Any,
    start: float,
    stop: float,
    groups: np.ndarray | None = None,
    weeks: np.ndarray | None = None,
) -> dict[str, Any]:
    """Train on rows with ``later == False``, validate on ``later == True``, for both kinds
    (with ``weeks``, one row per student and week: metrics per week too, ``by_week``)."""
    from learnalytics_desktop.core.model.metrics import binary_metrics, metrics_by_week

    y_tr, y_te = y[~later], y[later]
    try:
        check_class_counts(y_tr, "the earlier offerings")
    except TrainingDataError as exc:
        return {"skipped": str(exc)}
    if y_te.sum() == 0 or y_te.sum() == len(y_te):
        return {"skipped": "the latest offering has students of only one outcome class, so it cannot rank"}
    result: dict[str, Any] = {"train_students": int(len(y_tr)), "validation_students": int(len(y_te))}
    for i, kind in enumerate(KINDS):
        report.check()
        report.progress(
            start + (stop - start) * i / len(KINDS), f"validating {KIND_NAMES[kind]} on the latest offering"
        )
        g = None if groups is None else groups[~later]
        est = make_estimator(kind, len(y_tr), columns=list(X.columns), groups=g).fit(X[~later], y_tr)
        p = est.predict_proba(X[later])[:, 1]
        result[kind] = binary_metrics(y_te, p)
        if weeks is not None and len(set(weeks.tolist())) > 1:
            result[kind]["by_week"] = metrics_by_week(y_te, p, weeks[later])
    return result


def choose_kind(
    cv: dict[str, dict[str, Any]], later: dict[str, Any] | None, requested: str
) -> tuple[str, str]:
    """``(kind, reason)`` following the rule in the module docstring."""
    basis = later if later and "skipped" not in later else cv
    where = "on the latest offering" if basis is later else "in cross-validation"
    h, lr = basis["hgb"], basis["logreg"]

    def fmt(m: dict[str, Any]) -> str:
        return (
            f"Brier {m['brier']:.3f}, ROC AUC {m['roc_auc']:.3f}"
            if m.get("roc_auc") is not None
            else f"Brier {m['brier']:.3f}"
        )

    summary = f"gradient boosting {fmt(h)}; logistic regression {fmt(lr)} {where}"
    if requested in KINDS:
        return requested, f"picked by the user ({summary})"
    if h["brier"] < lr["brier"] - TIE_MARGIN:
        return "hgb", f"lower Brier score ({summary})"
    if lr["brier"] < h["brier"] - TIE_MARGIN:
        return "logreg", f"lower Brier score ({summary})"
    return "logreg", f"Brier scores within {TIE_MARGIN}, so the simpler model is kept ({summary})"


__all__ = ["CVResult", "TIE_MARGIN", "choose_kind", "cross_validate", "later_offering"]
