"""The model card: a JSON document stored with every model (``models.card``).

Sections: ``model_id``, ``created_at``, ``kind`` (chosen), ``week``, ``courses`` (per
offering: id, IRI, name, as-of date, students, trained on, at risk, excluded without
outcome / without features, first and last statement used), ``data_range``, ``counts``,
``base_rate``, ``label``, ``features`` (used), ``unused_features`` (``{feature, reason}``:
"no data", "no data: every student has the same value, V" or "excluded by the user") and
``ignored_columns``, ``use_attributes``,
``validation`` (method, folds, notes, metrics for both candidates with calibration and ROC
points, later-offering validation), ``chosen`` (kind, reason, picked by), ``importance``,
``explanations`` (the method), ``fairness``, ``thresholds`` (in force for the fairness
flags), ``settings`` (hyper-parameters, calibration rule, seed), ``versions`` (app, Python,
scikit-learn, numpy, pandas, joblib) and ``training_seconds``. No learner identifier is
ever written into a card.
"""

from __future__ import annotations

import math
import platform
from typing import Any


def versions() -> dict[str, str]:
    """Library versions the model was trained with."""
    import joblib
    import numpy
    import pandas
    import sklearn

    from learnalytics_desktop import __version__

    return {
        "learnalytics": __version__,
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "joblib": joblib.__version__,
    }


def json_safe(obj: Any) -> Any:
    """Recursively turn numpy scalars into Python numbers and NaN/inf into ``None``."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if hasattr(obj, "item") and type(obj).__module__.startswith("numpy"):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def data_range(courses: list[dict[str, Any]]) -> dict[str, Any]:
    """Earliest and latest statement used over all training offerings."""
    firsts = [c["first_statement"] for c in courses if c.get("first_statement")]
    lasts = [c["last_statement"] for c in courses if c.get("last_statement")]
    return {
        "first_statement": min(firsts) if firsts else None,
        "last_statement": max(lasts) if lasts else None,
        "as_of": [c["as_of"] for c in courses],
    }


def when(card: dict[str, Any]) -> str:
    """ "for every week (trained on weeks 1-13)" or "at week 6"."""
    weeks = card.get("weeks") or []
    if card.get("any_week") and weeks:
        return f"for every week (trained on weeks {weeks[0]}-{weeks[-1]})"
    return f"at week {card.get('week')}"


def summary_lines(card: dict[str, Any]) -> list[str]:
    """A short human-readable summary (the CLI prints it; the GUI may show it)."""
    v = card.get("validation", {})
    lines = [
        f"model {card['model_id']}: {card['chosen']['kind']} {when(card)}, "
        f"trained on {card['counts']['trained_on']} students ({card['counts']['at_risk']} at risk, "
        f"base rate {card['base_rate']:.1%}) from {len(card['courses'])} offering(s)",
        f"excluded: {card['counts']['excluded_no_outcome']} without an outcome",
    ]
    later = v.get("later_offering")
    if later and "skipped" not in later:
        for kind in ("hgb", "logreg"):
            m = later[kind]
            lines.append(
                f"  on a new offering (trained on the earlier, validated on the latest): {kind:<6} "
                f"ROC AUC {m.get('roc_auc')}  Brier {m.get('brier')}  calibration error {m.get('calibration_error')}"
            )
    elif later:
        lines.append(f"  later-offering validation skipped: {later['skipped']}")
    else:
        lines.append(
            "  transfer to a new offering was not checked: trained on a single past offering "
            "(train on two or more, or recalibrate on the next finished one)"
        )
    lines.append(f"validation within the training data: {v.get('method')}")
    for kind in ("hgb", "logreg"):
        m = v.get(kind) or {}
        auc = m.get("roc_auc")
        fa = m.get("fold_roc_auc") or {}
        lines.append(
            f"  {kind:<6} ROC AUC {auc if auc is None else f'{auc:.3f}'}"
            + (f" (sd {fa['sd']:.3f})" if fa.get("sd") is not None else "")
            + f"  PR AUC {m.get('pr_auc')}  Brier {m.get('brier')} (reference {m.get('brier_reference')})"
        )
    lines.append(f"chosen: {card['chosen']['kind']} ({card['chosen']['reason']})")
    for item in card.get("unused_features") or []:
        lines.append(f"not used: {item['feature']} ({item['reason']})")
    for note in v.get("notes", []):
        lines.append(f"note: {note}")
    fair = card.get("fairness") or {}
    for w in fair.get("warnings", []):
        lines.append(f"fairness warning: {w}")
    return lines


__all__ = ["when", "data_range", "json_safe", "summary_lines", "versions"]
