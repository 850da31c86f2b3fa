"""Validation metrics and curve points for the model card (JSON-ready, NaN-free).

* ``roc_auc``: ranking quality (0.5 = chance). ``pr_auc``: average precision, which, unlike
  ROC AUC, reflects how rare the at-risk class is (chance = the base rate).
* ``brier``: mean squared error of the probability; ``brier_reference`` is the Brier score of
  always predicting the base rate (= base rate x (1 - base rate), the label variance), and
  ``brier_skill`` = 1 - brier / reference (> 0 means better than knowing only the rate).
* ``calibration``: points ``{predicted, observed, n}`` from up to 10 equal-count bins of the
  predicted probability, for a reliability plot; ``calibration_error`` is the count-weighted
  mean of ``|predicted - observed|`` over those bins.
* ``roc``: up to 50 ``{fpr, tpr, threshold}`` points for a ROC plot.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

CAL_BINS = 10
ROC_POINTS = 50


def _r(x: float, nd: int = 4) -> float | None:
    x = float(x)
    return None if not math.isfinite(x) else round(x, nd)


def calibration_points(y: np.ndarray, p: np.ndarray, bins: int = CAL_BINS) -> list[dict[str, Any]]:
    """Equal-count bins of ``p``: mean predicted vs observed rate per bin, with counts."""
    import numpy as np

    order = np.argsort(p, kind="stable")
    out = []
    for chunk in np.array_split(order, min(bins, len(p))):
        if len(chunk) == 0:
            continue
        out.append({"predicted": _r(p[chunk].mean()), "observed": _r(y[chunk].mean()), "n": int(len(chunk))})
    return out


def roc_points(y: np.ndarray, p: np.ndarray, points: int = ROC_POINTS) -> list[dict[str, Any]]:
    """A thinned ROC curve (always including both ends)."""
    import numpy as np
    from sklearn.metrics import roc_curve

    fpr, tpr, thr = roc_curve(y, p)
    keep = np.unique(np.linspace(0, len(fpr) - 1, min(points, len(fpr))).round().astype(int))
    return [{"fpr": _r(fpr[i]), "tpr": _r(tpr[i]), "threshold": _r(min(thr[i], 1.0))} for i in keep]


def binary_metrics(y: np.ndarray, p: np.ndarray, *, curves: bool = True) -> dict[str, Any]:
    """ROC AUC, PR AUC, Brier (+ reference and skill), log loss, calibration and ROC points."""
    import numpy as np
    from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    base = float(y.mean())
    brier = float(brier_score_loss(y, p))
    ref = base * (1.0 - base)
    both = 0 < y.sum() < len(y)
    cal = calibration_points(y, p)
    out: dict[str, Any] = {
        "n": int(len(y)),
        "at_risk": int(y.sum()),
        "base_rate": _r(base),
        "roc_auc": _r(roc_auc_score(y, p)) if both else None,
        "pr_auc": _r(average_precision_score(y, p)) if both else None,
        "brier": _r(brier),
        "brier_reference": _r(ref),
        "brier_skill": _r(1.0 - brier / ref) if ref > 0 else None,
        "log_loss": _r(log_loss(y, np.clip(p, 1e-6, 1 - 1e-6), labels=[0, 1])),
        "mean_predicted": _r(p.mean()),
        "calibration_error": _r(
            sum(abs(c["predicted"] - c["observed"]) * c["n"] for c in cal) / max(1, len(y))
        ),
    }
    if curves:
        out["calibration"] = cal
        out["roc"] = roc_points(y, p) if both else []
    return out


def metrics_by_week(y: np.ndarray, p: np.ndarray, weeks: np.ndarray) -> list[dict[str, Any]]:
    """ROC AUC, Brier and calibration error of the rows of each course week (an any-week
    model is judged week by week as well as pooled), oldest week first."""
    import numpy as np

    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    weeks = np.asarray(weeks, dtype=int)
    out = []
    for w in np.unique(weeks):
        m = binary_metrics(y[weeks == w], p[weeks == w], curves=False)
        out.append(
            {
                "week": int(w),
                "n": m["n"],
                "roc_auc": m["roc_auc"],
                "pr_auc": m["pr_auc"],
                "brier": m["brier"],
                "calibration_error": m["calibration_error"],
            }
        )
    return out


def fold_auc_summary(aucs: list[float]) -> dict[str, Any]:
    """Mean and standard deviation of per-fold AUCs."""
    import numpy as np

    arr = np.asarray([a for a in aucs if a is not None and math.isfinite(a)], dtype=float)
    if arr.size == 0:
        return {"mean": None, "sd": None, "folds": []}
    return {
        "mean": _r(arr.mean()),
        "sd": _r(arr.std(ddof=1) if arr.size > 1 else 0.0),
        "folds": [_r(a) for a in arr],
    }


__all__ = ["metrics_by_week", "binary_metrics", "calibration_points", "fold_auc_summary", "roc_points"]
