"""The words of impact results: one place for the wizard, the HTML/PDF report and the CLI.

Everything a person reads about an impact analysis that is not a sentence of the verdict is
built here: names of comparisons, outcomes, tests and variables; the unit of an estimate
("points on the 0-100 final grade", "percentage points of students passing"); how a value
is printed in that unit (a difference of proportions is shown in percentage points); and
the one-line summary of an estimate with its flags (withheld, unreliable, clamped).

Decision: yes/no outcomes are *stored* as proportions (0.12) in ``ImpactResult`` and its
JSON (so scripts keep the exact value) and *shown* in percentage points (12.0 pp) with the
unit spelled out; ratios (odds ratio) and standardised effects (Cohen's d) keep their own
scale and say so.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from learnalytics_desktop.core.impact.analysis import ImpactResult
    from learnalytics_desktop.core.impact.estimates import Estimate

SOURCES = {
    "holdout": "Treated vs randomised hold-out (interventions log)",
    "untreated": "Treated vs not treated (interventions log)",
    "csv": "Groups from a CSV file",
}
OUTCOME_TEXT = {
    "final_grade": "Final grade",
    "passed": "Passed",
    "withdrew": "Withdrew",
    "passed_not_withdrawn": "Passed (a withdrawal counts as not passing)",
}
TESTS = {"welch": "Welch's t-test", "student": "Student's t-test", "mann_whitney": "Mann-Whitney U"}
VARIABLES = {
    "risk_score": "Risk score (before the intervention)",
    "risk_at_drafting": "Risk score when the messages were drafted",
    "total_events": "Activity (statements so far)",
    "active_days": "Active days",
    "total_time_minutes": "Study time (minutes)",
    "video_time_minutes": "Video time (minutes)",
    "sessions": "Study sessions",
    "avg_session_minutes": "Average session (minutes)",
    "video_completion_rate": "Videos completed (share)",
    "quiz_count": "Quizzes taken",
    "quiz_avg_score": "Average quiz score",
    "quiz_score_trend": "Quiz score trend",
    "forum_posts": "Forum posts",
    "assignments_submitted": "Assignments submitted",
    "late_submissions": "Late submissions",
    "days_since_last_activity": "Days since last activity",
    "regularity_score": "Regularity of study",
    "events_last_7_days": "Activity in the last 7 days",
    "events_video": "Video activity",
    "events_assessment": "Assessment activity",
    "events_assignment": "Assignment activity",
    "events_reading": "Reading activity",
    "events_forum": "Forum activity",
    "events_navigation": "Navigation activity",
    "events_other": "Other activity",
    **OUTCOME_TEXT,
}
BINARY_SUBJECT = {
    "passed": "students passing",
    "withdrew": "students withdrawing",
    "passed_not_withdrawn": "students passing (withdrawals count as not passing)",
}
RATIO_KEYS = {"odds_ratio"}
STANDARDISED_KEYS = {"cohens_d", "hedges_g", "glass_delta"}


def variable_label(name: str) -> str:
    """A plain name for a column, e.g. ``total_events`` -> "Activity (statements so far)"."""
    if name in VARIABLES:
        return VARIABLES[name]
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def outcome_unit(outcome: str, kind: str, bounds: tuple[float, float] | None = None) -> str:
    """The unit in which differences of this outcome are shown."""
    if kind == "binary":
        return "percentage points of " + BINARY_SUBJECT.get(
            outcome, f"students with {variable_label(outcome).lower()}"
        )
    name = variable_label(outcome).lower()
    if bounds is not None:
        return f"points on the {fmt(bounds[0], 0)}-{fmt(bounds[1], 0)} {name}"
    return f"points of {name}"


def short_unit(kind: str) -> str:
    """The unit's abbreviation after a number ("pp" for percentage points, "points")."""
    return "pp" if kind == "binary" else "points"


def fmt(x: float | None, decimals: int) -> str:
    """A number rounded to ``decimals`` places, without a minus sign on zero; "n/a" for none."""
    if x is None or not math.isfinite(x):
        return "n/a"
    text = f"{x:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def scale_of(key: str, kind: str) -> float:
    """Factor from the stored value to the shown one (100 for differences of proportions)."""
    if key in RATIO_KEYS or key in STANDARDISED_KEYS:
        return 1.0
    return 100.0 if kind == "binary" else 1.0


def unit_of(key: str, result: ImpactResult) -> str:
    """The unit of estimate ``key`` of ``result`` in words."""
    if key in RATIO_KEYS:
        return "ratio of odds (1 = no difference)"
    if key in STANDARDISED_KEYS:
        return "standard deviations"
    return outcome_unit(result.outcome, result.kind, result.bounds)


def shown(key: str, value: float | None, kind: str) -> float | None:
    """``value`` on the scale it is shown on (see :func:`scale_of`)."""
    return None if value is None else value * scale_of(key, kind)


def digits(kind: str) -> int:
    """Decimals for values shown on the outcome's scale."""
    return 1 if kind == "binary" else 2


def p_text(p: float | None) -> str:
    """A p-value as people read it ("< 0.001", "0.034", "n/a")."""
    if p is None or not math.isfinite(p):
        return "n/a"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def flags(e: Estimate) -> list[str]:
    """Words that must travel with an estimate: withheld, unreliable, clamped, population."""
    out = []
    if e.extra.get("withheld"):
        out.append("withheld: " + str(e.extra["withheld"]))
    if e.extra.get("reliable") is False:
        out.append("unreliable: " + str(e.extra.get("flag") or "see the diagnostics"))
    if e.extra.get("clamped"):
        out.append("interval cut to the possible range of the outcome")
    if e.extra.get("population"):
        out.append("about " + str(e.extra["population"]))
    return out


def estimate_line(key: str, e: Estimate, result: ImpactResult) -> str:
    """One line for the CLI (and plain-text places): label, value and CI in their unit, p, flags."""
    if e.estimate is None:
        body = "no estimate"
    else:
        d = 3 if key in RATIO_KEYS | STANDARDISED_KEYS else digits(result.kind)
        unit = "" if key in RATIO_KEYS | STANDARDISED_KEYS else " " + short_unit(result.kind)
        v, lo, hi = (shown(key, x, result.kind) for x in (e.estimate, e.ci_low, e.ci_high))
        body = f"{fmt(v, d)}{unit} (95% CI {fmt(lo, d)} to {fmt(hi, d)}), p {p_text(e.p_value)}"
    tail = "; ".join(flags(e))
    return f"{e.label}: {body}" + (f" [{tail}]" if tail else "")


def confounded_text(result: ImpactResult) -> str:
    """Whether the groups were comparable before the intervention, in words."""
    if result.confounded is None:
        return "Unknown: " + result.confounded_reason
    return ("Yes: " if result.confounded else "No: ") + result.confounded_reason


def headline_warnings(result: ImpactResult) -> list[str]:
    """Warnings to show prominently, before the verdict (withdrawals, overlap, withheld)."""
    return list(result.diagnostics.get("headline", []))


def describe_source(source: str, groups_path: str | None) -> str:
    """The comparison in words, e.g. "Groups from a CSV file (groups.csv)"."""
    from pathlib import Path

    text = SOURCES.get(source, source)
    return f"{text} ({Path(groups_path).name})" if source == "csv" and groups_path else text


def rd_summary(result: ImpactResult) -> str | None:
    """A plain paragraph on the regression discontinuity (None when there is none)."""
    rd: dict[str, Any] | None = result.diagnostics.get("rd")
    if not rd:
        return None
    if rd.get("withheld"):
        return "Regression discontinuity at the cut-off: not estimated. " + str(rd["withheld"])
    near = rd.get("n_in_bandwidth", {})
    dens = rd.get("density", {})
    text = (
        f"This is an effect for students near the threshold: it compares the {near.get('below', 0)} students "
        f"just below the cut-off {fmt(rd['cutoff'], 3)} with the {near.get('above', 0)} just above it "
        f"(bandwidth {fmt(rd['bandwidth'], 3)} either side, {rd['bandwidth_method']}). It says nothing about "
        "students far from the threshold."
    )
    if rd.get("design") == "fuzzy":
        text += (
            f" Not everyone above the cut-off was treated ({fmt(100 * rd['treated_share_above'], 0)}% above, "
            f"{fmt(100 * rd['treated_share_below'], 0)}% below), so the jump is scaled by the jump in the share "
            "treated (fuzzy design)."
        )
    if dens.get("p_value") is not None:
        text += f" Density test for manipulation of the risk score: p = {p_text(dens['p_value'])}" + (
            " - more students sit on one side of the cut-off than chance explains; the scores may have been "
            "nudged, so treat the estimate with caution."
            if dens.get("flagged")
            else " (no sign of students being pushed across the cut-off)."
        )
    return text


__all__ = [
    "OUTCOME_TEXT",
    "SOURCES",
    "TESTS",
    "VARIABLES",
    "confounded_text",
    "describe_source",
    "digits",
    "estimate_line",
    "flags",
    "fmt",
    "headline_warnings",
    "outcome_unit",
    "p_text",
    "rd_summary",
    "scale_of",
    "short_unit",
    "shown",
    "unit_of",
    "variable_label",
]
