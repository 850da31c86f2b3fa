"""The model card in readable form: HTML for the card view, a table for the fairness report.

Reads the card JSON that ``core.model.train`` writes (see :mod:`core.model.card` for its
sections) and only formats it: every number shown is the card's own, rounded for reading
(metrics to 3 decimals, rates as percentages). No Qt here, so it is easy to test.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any

from learnalytics_desktop.gui.widgets.colours import header_background

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

KIND_NAMES = {"hgb": "Gradient boosting (calibrated)", "logreg": "Logistic regression"}
KIND_SHORT = {"hgb": "gradient boosting", "logreg": "logistic regression"}
RULE_NAMES = {
    "withdrew_or_failed": "withdrew or failed",
    "failed": "failed (withdrawn students left out)",
    "withdrew": "withdrew",
}
FEATURE_LABELS = {
    "total_events": "Learning events",
    "active_days": "Active days",
    "total_time_minutes": "Study time (min)",
    "video_time_minutes": "Video time (min)",
    "sessions": "Study sessions",
    "avg_session_minutes": "Session length (min)",
    "video_completion_rate": "Videos completed",
    "quiz_count": "Quizzes taken",
    "quiz_avg_score": "Quiz average",
    "quiz_score_trend": "Quiz score trend",
    "forum_posts": "Forum posts",
    "assignments_submitted": "Assignments submitted",
    "late_submissions": "Late submissions",
    "days_since_last_activity": "Days since last activity",
    "regularity_score": "Regular study",
    "events_last_7_days": "Events in the last 7 days",
    "events_video": "Video events",
    "events_assessment": "Assessment events",
    "events_assignment": "Assignment events",
    "events_reading": "Reading events",
    "events_forum": "Forum events",
    "events_navigation": "Navigation events",
    "events_other": "Other events",
}
# metric key -> (label, what it means, higher is better?)
METRICS: tuple[tuple[str, str, str], ...] = (
    ("roc_auc", "ROC AUC", "ranking: 0.5 = chance, 1 = perfect"),
    ("pr_auc", "PR AUC", "precision-recall; chance = the base rate"),
    ("brier", "Brier score", "mean squared error of the probability; lower is better"),
    ("brier_reference", "Brier of the base rate", "always predicting the base rate"),
    ("brier_skill", "Brier skill", "1 - Brier / reference; above 0 beats the base rate"),
    ("calibration_error", "Calibration error", "mean |predicted - observed| over 10 groups"),
    ("log_loss", "Log loss", "lower is better"),
)


def feature_label(name: str) -> str:
    """A readable name for a model input (``attr:Study mode`` -> ``Study mode (attribute)``)."""
    if name in FEATURE_LABELS:
        return FEATURE_LABELS[name]
    if name.startswith("attr:"):
        return f"{name[5:]} (attribute)"
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def num(value: Any, digits: int = 3) -> str:
    """A metric for reading ("—" when missing)."""
    if value is None:
        return "—"
    try:
        return f"{float(value):.{digits}f}"
    except (TypeError, ValueError):
        return str(value)


def pct(value: Any, digits: int = 0) -> str:
    """A fraction as a percentage ("—" when missing)."""
    if value is None:
        return "—"
    try:
        return f"{100 * float(value):.{digits}f} %"
    except (TypeError, ValueError):
        return str(value)


def day(iso: Any) -> str:
    """The date part of an ISO timestamp ("—" when missing)."""
    if not iso:
        return "—"
    try:
        return datetime.fromisoformat(str(iso)).date().isoformat()
    except ValueError:
        return str(iso)


def label_text(label: Any) -> str:
    """The at-risk label definition in words."""
    rule = label.get("rule") if isinstance(label, Mapping) else label
    if isinstance(rule, str) and rule.startswith("grade_below:"):
        return f"final grade below {rule.split(':', 1)[1]}, or withdrew"
    return RULE_NAMES.get(str(rule), str(rule))


def auc_with_sd(metrics: Mapping[str, Any]) -> str:
    """ROC AUC with the spread over folds, e.g. ``0.861 (folds 0.882 ± 0.154)``."""
    fold = metrics.get("fold_roc_auc") or {}
    text = num(metrics.get("roc_auc"))
    if fold.get("mean") is not None and fold.get("sd") is not None:
        text += f" <span style='color:#555'>(folds {num(fold['mean'])} ± {num(fold['sd'])})</span>"
    return text


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th align='left'>{h}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table cellspacing='0' cellpadding='3' border='0'><tr style='background:{header_background()}'>{head}</tr>{body}</table>"


def metrics_table(card: Mapping[str, Any]) -> str:
    """Both candidates' validation metrics side by side, the chosen one marked."""
    v = card.get("validation") or {}
    chosen = (card.get("chosen") or {}).get("kind", card.get("kind"))
    kinds = [k for k in ("hgb", "logreg") if k in v]
    headers = (
        ["Metric"]
        + [f"{KIND_NAMES[k]}{' ✔ chosen' if k == chosen else ''}" for k in kinds]
        + ["What it means"]
    )
    rows = []
    for key, label, meaning in METRICS:
        cells = [auc_with_sd(v[k]) if key == "roc_auc" else num(v[k].get(key)) for k in kinds]
        rows.append([label, *cells, f"<span style='color:#555'>{escape(meaning)}</span>"])
    return _table(headers, rows)


def later_offering_html(later: Any) -> str:
    """The validation on the latest offering (or why it was skipped)."""
    if not later:
        return (
            "<p><b>Transfer to a new offering was not checked:</b> this model was trained on a single "
            "past offering, so every figure below comes from students of that same offering. Expect "
            "its probabilities to be less accurate on a new offering; train on two or more past "
            "offerings, or recalibrate it on the next finished one.</p>"
        )
    if "skipped" in later:
        return f"<p>Validation on the latest offering was skipped: {escape(str(later['skipped']))}.</p>"
    rows = [
        [
            KIND_NAMES[k],
            num(later[k].get("roc_auc")),
            num(later[k].get("brier")),
            num(later[k].get("calibration_error")),
        ]
        for k in ("hgb", "logreg")
        if k in later
    ]
    return (
        f"<p><b>On a new offering</b> (what to expect when the model is used): trained on the earlier "
        f"offerings ({later.get('train_students', '?')} students), validated on the latest "
        f"({later.get('validation_students', '?')} students):</p>"
        + _table(["Model", "ROC AUC", "Brier", "Calibration error"], rows)
    )


def by_week_html(card: Mapping[str, Any]) -> str:
    """For a model of every week: the chosen model's ROC AUC and calibration error per week
    (cross-validated, and on the latest offering when it was validated there)."""
    v = card.get("validation") or {}
    chosen = (card.get("chosen") or {}).get("kind", card.get("kind"))
    cv = {w["week"]: w for w in (v.get(chosen) or {}).get("by_week") or []}
    if not cv:
        return ""
    later = v.get("later_offering") or {}
    new = (
        {w["week"]: w for w in (later.get(chosen) or {}).get("by_week") or []}
        if "skipped" not in later
        else {}
    )
    headers = ["Week", "ROC AUC", "Calibration error"] + (
        ["On a new offering: ROC AUC", "Calibration error"] if new else []
    )
    rows = []
    for week, m in cv.items():
        row = [str(week), num(m.get("roc_auc")), num(m.get("calibration_error"))]
        if new:
            n = new.get(week) or {}
            row += [num(n.get("roc_auc")), num(n.get("calibration_error"))]
        rows.append(row)
    return "<p>The chosen model week by week (one model scores every week):</p>" + _table(headers, rows)


def recalibration_html(recal: Any) -> str:
    """The recalibration section: on which offering, and the calibration before and after."""
    if not recal:
        return ""
    before, after = recal.get("before") or {}, recal.get("after") or {}
    rows = [
        [label, num(before.get(key)), num(after.get(key))]
        for key, label in (
            ("calibration_error", "Calibration error"),
            ("brier", "Brier"),
            ("roc_auc", "ROC AUC"),
        )
    ]
    return (
        f"<h4>Recalibrated</h4><p>Model {escape(str(recal.get('from_model')))} recalibrated on "
        f"{escape(str(recal.get('course_name') or recal.get('course')))} ({recal.get('students', '?')} students): "
        f"{escape(str(recal.get('method', '')))}.</p>"
        + _table(["Metric", "Before", "After (cross-validated)"], rows)
    )


def card_html(card: Mapping[str, Any], *, active: bool = False) -> str:
    """The whole card as HTML for a QTextBrowser."""
    kind = card.get("kind", "")
    counts = card.get("counts") or {}
    chosen = card.get("chosen") or {}
    v = card.get("validation") or {}
    dr = card.get("data_range") or {}
    th = card.get("thresholds") or {}
    badge = " <span style='background:#1b5e20;color:white'>&nbsp;active&nbsp;</span>" if active else ""
    erased = int(card.get("erased_since_training") or 0)
    parts = [
        f"<h3>{escape(KIND_NAMES.get(kind, kind))}, "
        + (
            f"for every week (trained on weeks {card['weeks'][0]}-{card['weeks'][-1]})"
            if card.get("any_week") and card.get("weeks")
            else f"as of week {card.get('week')}"
        )
        + f"{badge}</h3>",
        (
            f"<p style='color:#b71c1c'><b>{erased} learner{'s' if erased != 1 else ''} this model was trained on "
            f"{'have' if erased != 1 else 'has'} since been erased.</b> The model still carries what it learned "
            "from them: train a new model and make it active.</p>"
        )
        if erased
        else "",
        f"<p>Model <code>{escape(str(card.get('model_id')))}</code>, trained {escape(day(card.get('created_at')))}. "
        f"Why this model: {escape(str(chosen.get('reason', '')))}.</p>",
        "<h4>Data</h4>",
        f"<p>{counts.get('trained_on', '?')} students with a final outcome, of whom {counts.get('at_risk', '?')} "
        f"ended at risk (base rate <b>{pct(card.get('base_rate'), 1)}</b>); "
        f"{counts.get('excluded_no_outcome', 0)} left out without an outcome"
        + (
            f", {counts['excluded_no_features']} outcomes without activity"
            if counts.get("excluded_no_features")
            else ""
        )
        + f". At risk means: <b>{escape(label_text(card.get('label')))}</b>.<br>"
        f"Statements used: {day(dr.get('first_statement'))} to {day(dr.get('last_statement'))}, "
        + (
            f"each offering as of the end of week {card.get('week')}.</p>"
            if card.get("week") is not None
            else f"each offering as of the end of every week {card['weeks'][0]}-{card['weeks'][-1]}.</p>"
            if card.get("weeks")
            else "each offering as of the end of every week.</p>"
        ),
    ]
    offerings = [
        [
            escape(str(c.get("name") or c.get("iri"))),
            day(c.get("as_of")),
            str(c.get("students", "")),
            str(c.get("trained_on", "")),
            str(c.get("at_risk", "")),
            f"{int(c.get('statements', 0)):,}",
        ]
        for c in card.get("courses") or []
    ]
    if offerings:
        parts.append(
            _table(["Offering", "As of", "Students", "Trained on", "At risk", "Statements"], offerings)
        )
    parts += [
        "<h4>Validation</h4>",
        later_offering_html(v.get("later_offering")),
        f"<p>Within the training data: {escape(str(v.get('method', '')))}.</p>",
        metrics_table(card),
        by_week_html(card),
        recalibration_html(card.get("recalibration")),
    ]
    for note in v.get("notes") or []:
        parts.append(f"<p>Note: {escape(str(note))}.</p>")
    parts.append(
        f"<p>Risk levels when this model was trained: moderate from {pct(th.get('moderate'))}, "
        f"high from {pct(th.get('high'))}.</p>"
    )
    fair = card.get("fairness") or {}
    if fair.get("available"):
        warnings = fair.get("warnings") or []
        parts.append("<h4>Fairness</h4>")
        parts.append(
            f"<p>{len(warnings)} warning{'s' if len(warnings) != 1 else ''} (see the Fairness tab)"
            + (
                ":</p><ul>" + "".join(f"<li>{escape(w)}</li>" for w in warnings) + "</ul>"
                if warnings
                else ".</p>"
            )
        )
    else:
        parts.append(f"<h4>Fairness</h4><p>{escape(str(fair.get('note', 'not computed')))}.</p>")
    features = card.get("features") or []
    parts.append(
        f"<h4>Inputs</h4><p>{len(features)} features: "
        + escape(", ".join(feature_label(f) for f in features))
        + ".</p>"
    )
    unused = card.get("unused_features") or []
    if unused:
        parts.append(
            "<p>Not used: "
            + escape("; ".join(f"{feature_label(u['feature'])} ({u['reason']})" for u in unused))
            + ".</p>"
        )
    versions = card.get("versions") or {}
    if versions:
        parts.append(
            "<h4>Software</h4><p>" + escape(", ".join(f"{k} {val}" for k, val in versions.items())) + ".</p>"
        )
    return "\n".join(parts)


FAIRNESS_METRICS = ("base_rate", "roc_auc", "calibration_gap", "flag_rate", "fpr", "fnr")


def fairness_frame(card: Mapping[str, Any]) -> pd.DataFrame:
    """One row per attribute group: count (``"<5"`` for small cells) and the metrics.

    Hidden values stay missing (shown as a dash); a group whose count is hidden to protect a
    small group (secondary suppression) shows "hidden".
    """
    import pandas as pd

    fair = card.get("fairness") or {}
    rows = []
    for attribute, block in (fair.get("attributes") or {}).items():
        for g in block.get("groups") or []:
            n = g.get("n")
            count = "hidden" if n == "suppressed" else str(n) if isinstance(n, str) else f"{int(n):,}"
            row = {"attribute": attribute, "group": g.get("group"), "students": count}
            for key in FAIRNESS_METRICS:
                value = g.get(key)
                row[key] = float(value) if isinstance(value, int | float) else None
            row["note"] = (
                ""
                if not g.get("suppressed")
                else (
                    "small group: numbers hidden"
                    if g.get("suppressed") == "small cell"
                    else "count hidden to protect a small group"
                )
            )
            rows.append(row)
    columns = ["attribute", "group", "students", *FAIRNESS_METRICS, "note"]
    return pd.DataFrame(rows, columns=columns).astype({k: "float64" for k in FAIRNESS_METRICS})


__all__ = [
    "FEATURE_LABELS",
    "KIND_NAMES",
    "KIND_SHORT",
    "card_html",
    "fairness_frame",
    "feature_label",
    "label_text",
    "metrics_table",
    "num",
    "pct",
]
