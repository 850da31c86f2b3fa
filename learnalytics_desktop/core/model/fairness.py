"""Fairness section of the model card: how the model behaves for each demographic group.

Computed on the out-of-fold (validation) predictions of the chosen model, i.e. for students
the predicting model had not seen, for every attribute the user marked at outcomes/roster
import (table ``attributes``). Per group (missing values form the group "(not recorded)"):

* ``n``, ``base_rate`` (observed at-risk share), ``roc_auc`` (within the group),
* calibration: ``mean_predicted`` vs ``observed`` and their difference ``calibration_gap``,
* ``flag_rate``: share flagged, where flagged means risk level "high" under the thresholds
  in force at training time,
* ``fpr``: flagged among students who were not at risk; ``fnr``: not flagged among those
  who were.

**Small cells.** A group with fewer than the small-cell threshold (settings
``small_cell_threshold``, default 5) has its count shown as ``"<5"`` and every metric hidden.
When exactly one group of an attribute is hidden, the next smallest group's count is hidden
too (``"suppressed"``), or the hidden count could be worked out by subtraction from the
total. A rate whose denominator (e.g. the group's not-at-risk students for FPR) is below the
threshold is not shown. Rates are rounded to 2 decimals.

**Warning rule** (:data:`MARKED`): among shown values, a warning is raised when ROC AUC,
FPR or FNR differ by more than 0.10 between two groups, when a group's calibration gap
exceeds 0.10 in absolute value, or when the lowest flag rate is under four fifths of the
highest (the "four-fifths" screening rule; differing base rates can explain this one, so
its message shows them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

MARKED = 0.10
FOUR_FIFTHS = 0.8
NOT_RECORDED = "(not recorded)"


def _rate(num: float, den: int, threshold: int) -> float | None:
    return None if den < threshold or den == 0 else round(float(num) / den, 2)


def group_metrics(y: np.ndarray, p: np.ndarray, flagged: np.ndarray, threshold: int) -> dict[str, Any]:
    """Metrics of one group (no suppression of the count here)."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    n = int(len(y))
    pos = int(y.sum())
    neg = n - pos
    auc = None
    if pos >= threshold and neg >= threshold:
        auc = round(float(roc_auc_score(y, p)), 2)
    return {
        "n": n,
        "base_rate": _rate(pos, n, threshold),
        "roc_auc": auc,
        "mean_predicted": _rate(float(p.sum()), n, threshold),
        "observed": _rate(pos, n, threshold),
        "calibration_gap": None if n < threshold else round(float(p.mean() - y.mean()), 2),
        "flag_rate": _rate(int(flagged.sum()), n, threshold),
        "fpr": _rate(int(np.sum(flagged & (y == 0))), neg, threshold),
        "fnr": _rate(int(np.sum(~flagged & (y == 1))), pos, threshold),
    }


def _hide(group: dict[str, Any], threshold: int) -> dict[str, Any]:
    return {"group": group["group"], "n": f"<{threshold}", "suppressed": "small cell"}


def _warnings(key: str, groups: list[dict[str, Any]]) -> list[str]:
    shown = [g for g in groups if g.get("suppressed") != "small cell"]
    out = []
    for metric, label in (
        ("roc_auc", "ROC AUC"),
        ("fpr", "false-positive rate"),
        ("fnr", "false-negative rate"),
    ):
        vals = [(g["group"], g[metric]) for g in shown if g.get(metric) is not None]
        if len(vals) >= 2:
            lo, hi = min(vals, key=lambda t: t[1]), max(vals, key=lambda t: t[1])
            if hi[1] - lo[1] > MARKED:
                out.append(
                    f"{key}: {label} differs markedly between groups ({hi[0]} {hi[1]:.2f} vs {lo[0]} {lo[1]:.2f})"
                )
    for g in shown:
        gap = g.get("calibration_gap")
        if gap is not None and abs(gap) > MARKED:
            word = "over" if gap > 0 else "under"
            out.append(
                f"{key}: the model {word}-estimates risk for {g['group']} "
                f"(predicted {g['mean_predicted']:.2f} vs observed {g['observed']:.2f})"
            )
    rates = [(g["group"], g["flag_rate"], g["base_rate"]) for g in shown if g.get("flag_rate") is not None]
    if len(rates) >= 2:
        low, high = min(rates, key=lambda t: t[1]), max(rates, key=lambda t: t[1])
        if high[1] > 0 and low[1] < FOUR_FIFTHS * high[1]:
            out.append(
                f"{key}: flag rates differ ({high[0]} {high[1]:.2f} vs {low[0]} {low[1]:.2f}; observed at-risk "
                f"rates {high[2]:.2f} vs {low[2]:.2f})"
            )
    return out


def fairness_report(
    y: np.ndarray,
    p: np.ndarray,
    flagged: np.ndarray,
    attributes: pd.DataFrame,
    threshold: int,
    flag_definition: str,
) -> dict[str, Any]:
    """The card's fairness section (see the module docstring for every rule)."""
    import numpy as np

    if attributes is None or attributes.shape[1] == 0:
        return {
            "available": False,
            "note": "no demographic attributes were marked for the training offerings",
        }
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    flagged = np.asarray(flagged, dtype=bool)
    report: dict[str, Any] = {
        "available": True,
        "computed_on": "out-of-fold validation predictions of the chosen model",
        "flag_definition": flag_definition,
        "small_cell_threshold": int(threshold),
        "warning_rule": (
            f"ROC AUC, FPR or FNR differing by more than {MARKED:.2f} between groups; a calibration gap "
            f"above {MARKED:.2f}; a flag rate under {FOUR_FIFTHS:.0%} of the highest"
        ),
        "attributes": {},
        "warnings": [],
    }
    for key in attributes.columns:
        values = (
            attributes[key].astype(object).where(attributes[key].notna(), NOT_RECORDED).astype(str).to_numpy()
        )
        groups = []
        for value in sorted(set(values.tolist())):
            mask = values == value
            groups.append({"group": value, **group_metrics(y[mask], p[mask], flagged[mask], threshold)})
        small = [g for g in groups if 0 < g["n"] < threshold]
        shown = []
        for g in groups:
            shown.append(_hide(g, threshold) if 0 < g["n"] < threshold else g)
        if len(small) == 1:
            rest = [g for g in shown if g.get("suppressed") is None]
            if rest:
                victim = min(rest, key=lambda g: g["n"])
                victim["n"] = "suppressed"
                victim["suppressed"] = "secondary (protects a small group's count)"
        warnings = _warnings(str(key), shown)
        report["attributes"][str(key)] = {"groups": shown, "warnings": warnings}
        report["warnings"].extend(warnings)
    return report


__all__ = ["MARKED", "fairness_report", "group_metrics"]
