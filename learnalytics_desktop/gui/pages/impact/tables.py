"""The impact result as tables and sentences for the wizard (pure functions, no widgets).

Every number shown comes from the core's :class:`~learnalytics_desktop.core.impact.ImpactResult`;
the frames keep the raw values (``estimate``, ``ci_low``, ``ci_high``, ``p_value``) beside the
text shown, so tests compare the wizard's numbers with the core's directly. Units, variable
names and the flags of an estimate (withheld, unreliable, about whom) come from
``core.impact.wording``, the words the report and the command line use too.
"""

from __future__ import annotations

import math
from html import escape
from typing import TYPE_CHECKING, Any

import pandas as pd

from learnalytics_desktop.core.impact import wording

if TYPE_CHECKING:  # pragma: no cover
    from learnalytics_desktop.core.impact.analysis import ImpactResult
    from learnalytics_desktop.core.impact.estimates import Estimate


EFFECT_NOTES = {
    "cohens_d": "difference / pooled SD",
    "hedges_g": "Cohen's d with the small-sample correction",
    "glass_delta": "difference / SD of the comparison group (the seed design's \u201cCohen's d\u201d)",
}
ROLE_TEXT = {
    "naive": "Plain comparison: ",
    "adjusted": "",
    "rd": "",
    "ipw": "Check: ",
    "doubly_robust": "Check: ",
    "overlap": "Check: ",
    "regression": "Check: ",
    "covariate_adjusted": "Precision: ",
}
SECTIONS = {
    "diff": "Difference",
    "tests": "Other tests",
    "measures": "Other measures",
    "effect": "Effect size (SDs)",
}


def group_names(source: str, randomised: bool) -> dict[str, str]:
    """What the two groups are called on screen."""
    control = "Hold-out" if source == "holdout" else "Control (randomised)" if randomised else "Comparison"
    return {"treated": "Intervention", "control": control}


def covariate_name(name: str) -> str:
    """A plain name for a column (``core.impact.wording.variable_label``)."""
    return wording.variable_label(name)


def is_number(x: Any) -> bool:
    """A finite float or int (not bool)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(float(x))


def fmt_value(key: str, value: float | None, kind: str, *, signed: bool = True) -> str:
    """One estimate in its unit: percentage points (binary differences), ratio, or plain."""
    if not is_number(value):
        return "–"
    v = float(value)  # type: ignore[arg-type]
    if key in wording.RATIO_KEYS:
        return f"{v:.2f}"
    if key in wording.STANDARDISED_KEYS:
        return f"{v:+.2f} SD" if signed else f"{v:.2f} SD"
    shown = v * wording.scale_of(key, kind)
    d = wording.digits(kind)
    unit = wording.short_unit(kind)
    return f"{shown:+.{d}f} {unit}" if signed else f"{shown:.{d}f} {unit}"


def fmt_p(p: float | None) -> str:
    """p-value as people write it."""
    if not is_number(p):
        return "–"
    return "< 0.001" if float(p) < 0.001 else f"{float(p):.3f}"  # type: ignore[arg-type]


def _row(
    section: str,
    key: str,
    e: Estimate,
    kind: str,
    recommended: str,
    label: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    ci = (
        f"{fmt_value(key, e.ci_low, kind)} to {fmt_value(key, e.ci_high, kind)}"
        if is_number(e.ci_low) and is_number(e.ci_high)
        else "–"
    )
    mark = key == recommended and section == SECTIONS["diff"]
    flags = wording.flags(e)
    return {
        "section": section,
        "key": key,
        "label": (label or e.label)
        + (" ✔ recommended" if mark else "")
        + (" ⚠ unreliable" if e.extra.get("reliable") is False else ""),
        "value_text": "withheld" if e.extra.get("withheld") else fmt_value(key, e.estimate, kind),
        "ci_text": ci,
        "p_text": fmt_p(e.p_value),
        "note": "; ".join([*flags, note or e.method]),
        "estimate": e.estimate,
        "ci_low": e.ci_low,
        "ci_high": e.ci_high,
        "p_value": e.p_value,
        "recommended": mark,
    }


def estimates_frame(result: ImpactResult, test: str = "welch") -> pd.DataFrame:
    """Every estimate, test and effect size of the result, recommended one marked."""
    rows = []
    diff = SECTIONS["diff"]
    for key, e in {**result.estimates, **result.sensitivity}.items():
        label = f"{ROLE_TEXT.get(key, '')}{e.label}"
        rows.append(_row(diff, key, e, result.kind, result.recommended, label))
    if result.kind == "numeric":
        for key, e in result.tests.items():
            if key != test:
                rows.append(_row(SECTIONS["tests"], key, e, result.kind, result.recommended))
    else:
        for key in ("odds_ratio",):
            if key in result.effect_sizes:
                rows.append(
                    _row(SECTIONS["measures"], key, result.effect_sizes[key], result.kind, result.recommended)
                )
        if "fisher" in result.tests:
            rows.append(
                _row(SECTIONS["measures"], "fisher", result.tests["fisher"], result.kind, result.recommended)
            )
    for key in ("cohens_d", "hedges_g", "glass_delta"):
        if key in result.effect_sizes:
            e = result.effect_sizes[key]
            rows.append(
                _row(
                    SECTIONS["effect"],
                    key,
                    e,
                    result.kind,
                    result.recommended,
                    note=f"{EFFECT_NOTES[key]}; {e.method}",
                )
            )
    cols = [
        "section",
        "key",
        "label",
        "value_text",
        "ci_text",
        "p_text",
        "note",
        "estimate",
        "ci_low",
        "ci_high",
        "p_value",
        "recommended",
    ]
    return pd.DataFrame(rows, columns=cols)


def descriptives_frame(result: ImpactResult, names: dict[str, str]) -> pd.DataFrame:
    """One row per group: n and the summary of the outcome."""
    rows = []
    for g in ("treated", "control"):
        d = result.descriptives[g]
        if result.kind == "numeric":
            rows.append(
                {
                    "group": names[g],
                    "n": d.get("n"),
                    "mean": d.get("mean"),
                    "sd": d.get("sd"),
                    "median": d.get("median"),
                    "iqr": f"{d.get('q1', 0):.1f} – {d.get('q3', 0):.1f}",
                    "range": f"{d.get('min', 0):.1f} – {d.get('max', 0):.1f}",
                }
            )
        else:
            ci = (
                f"{100 * d['ci_low']:.1f}% – {100 * d['ci_high']:.1f}%"
                if is_number(d.get("ci_low")) and is_number(d.get("ci_high"))
                else "–"
            )
            rows.append(
                {
                    "group": names[g],
                    "n": d.get("n"),
                    "events": d.get("events"),
                    "proportion": d.get("proportion"),
                    "ci": ci,
                }
            )
    return pd.DataFrame(rows)


def balance_frame(result: ImpactResult, limit: float = 0.1) -> pd.DataFrame:
    """The balance table: means per group, SMD (and after weighting), imbalance in words."""
    rows = []
    for r in result.balance:
        smd = r.get("smd")
        rows.append(
            {
                "covariate": covariate_name(str(r["covariate"])),
                "name": r["covariate"],
                "mean_treated": r.get("mean_treated"),
                "mean_control": r.get("mean_control"),
                "smd": smd,
                "smd_weighted": r.get("smd_weighted"),
                "imbalanced": "⚠ yes" if is_number(smd) and abs(float(smd)) > limit else "no",
            }
        )
    cols = ["covariate", "name", "mean_treated", "mean_control", "smd", "smd_weighted", "imbalanced"]
    return pd.DataFrame(rows, columns=cols)


def confounding_text(result: ImpactResult, limit: float = 0.1) -> str:
    """A plain warning when a non-randomised comparison is confounded ("" otherwise)."""
    if result.randomised or not result.confounded:
        return ""
    bad = sorted(
        (r for r in result.balance if is_number(r.get("smd")) and abs(float(r["smd"])) > limit),
        key=lambda r: -abs(float(r["smd"])),
    )
    worst = ", ".join(
        f"{covariate_name(str(r['covariate'])).lower()} (SMD {float(r['smd']):+.2f})" for r in bad[:3]
    )
    adj = result.estimates.get("adjusted")
    if "rd" in result.estimates:
        adjusted = "The next step compares students just either side of the risk cut-off instead."
    elif adj is not None and adj.estimate is not None:
        adjusted = "The next step shows an adjusted estimate that accounts for these measured differences."
    elif adj is not None:
        adjusted = "The adjusted estimate is withheld: " + str(adj.extra.get("withheld", ""))
    else:
        adjusted = (
            "There are too few students to adjust for them, so no estimate here can be read as an effect."
        )
    return (
        f"The groups were not alike before the intervention: they differed in {len(bad)} of "
        f"{len(result.balance)} measures, most in {worst}. Comparing them directly mixes the effect of the "
        f"messages with the reasons these students were chosen, so the plain difference is confounded. {adjusted}"
    )


def power_text(result: ImpactResult, names: dict[str, str]) -> str:
    """The smallest effect this sample could reliably detect, in words."""
    p = result.power
    n1, n2 = result.n["treated"], result.n["control"]
    sizes = f"{n1} in the {names['treated'].lower()} group and {n2} in the {names['control'].lower()} group"
    if result.kind == "numeric":
        diff, d = p.get("min_detectable_difference"), p.get("min_detectable_d")
        if not is_number(diff):
            return ""
        return (
            f"With {sizes}, a difference of about {float(diff):.1f} (d = {float(d):.2f}) or larger would be "
            "detected 80% of the time at the 5% level; smaller effects could easily go unseen."
        )
    base = result.descriptives["control"].get("proportion")
    up, down = p.get("rise_to"), p.get("fall_to")
    if not is_number(base):
        return ""
    parts = []
    if is_number(up):
        parts.append(f"a rise from {100 * float(base):.0f}% to {100 * float(up):.0f}%")
    if is_number(down):
        parts.append(f"a fall to {100 * float(down):.0f}%")
    return (
        f"With {sizes}, only {' or '.join(parts)} or more would be detected 80% of the time at the 5% level."
    )


def assumptions_html(result: ImpactResult, names: dict[str, str]) -> str:
    """The assumption checks in words (normality per group, equal variances, notes)."""
    a = result.assumptions
    items = []
    for g, d in (a.get("normality") or {}).items():
        if d.get("p_value") is None:
            items.append(f"Normality ({escape(names.get(g, g))}): {escape(str(d.get('note', 'not run')))}.")
        else:
            verdict = "looks roughly normal" if d["p_value"] >= 0.05 else "departs from normal"
            items.append(
                f"Normality ({escape(names.get(g, g))}): Shapiro-Wilk W = {d['W']:.3f}, "
                f"p = {fmt_p(d['p_value'])}, {verdict}."
            )
    ev = a.get("equal_variances")
    if ev:
        same = "similar" if ev["p_value"] >= 0.05 else "different"
        items.append(
            f"Spread: {escape(ev['test'])} W = {ev['W']:.3f}, p = {fmt_p(ev['p_value'])} (variances look "
            f"{same}; Welch's test does not need them equal)."
        )
    items += [escape(n) for n in a.get("notes", [])]
    return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


__all__ = [
    "assumptions_html",
    "balance_frame",
    "confounding_text",
    "covariate_name",
    "descriptives_frame",
    "estimates_frame",
    "fmt_p",
    "fmt_value",
    "group_names",
    "power_text",
]
