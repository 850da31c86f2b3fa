"""The impact report as one self-contained HTML page (no scripts, no external resources).

Every piece of text from data passes through :func:`html.escape`. The markup sticks to what
Qt's ``QTextDocument`` renders (tables, headings, inline ``style``/``<style>`` with simple
selectors), so the GUI can print the same string to PDF with ``QPdfWriter``.
"""

from __future__ import annotations

import base64
import html
import math
from datetime import datetime
from typing import TYPE_CHECKING, Any

from learnalytics_desktop.core.impact import wording
from learnalytics_desktop.core.impact.wording import fmt

if TYPE_CHECKING:  # pragma: no cover
    from learnalytics_desktop.core.impact.analysis import ImpactResult
    from learnalytics_desktop.core.impact.estimates import Estimate

CSS = """
body { font-family: sans-serif; font-size: 10pt; color: #222; }
h1 { font-size: 16pt; } h2 { font-size: 12pt; margin-top: 16px; }
table { border-collapse: collapse; margin: 6px 0; }
th, td { border: 1px solid #bbb; padding: 3px 6px; text-align: left; }
th { background: #eee; }
td.num { text-align: right; }
p.verdict { font-size: 11pt; background: #eef5ff; padding: 8px; border: 1px solid #9bc; }
p.warn { color: #8a4b00; }
p.headline { color: #7a2800; background: #fff1e0; padding: 6px; border: 1px solid #e0a060; font-weight: bold; }
"""

# Column widths (percent of the page) of the estimate tables: Estimate, Value, CI low, CI
# high, p, Method. Labels and methods are the long texts and share most of the width; the
# numbers get what "-12.345" and the headers need on an A4 page at 10 pt.
ESTIMATE_WIDTHS = [29, 9, 10, 10, 11, 31]


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _n(x: Any, d: int = 2) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "&ndash;"
    if isinstance(x, int):
        return str(x)
    return _e(fmt(float(x), d))


def _p(p: float | None) -> str:
    if p is None:
        return "&ndash;"
    return "&lt;&nbsp;0.001" if p < 0.001 else f"{p:.3f}"  # never split over two lines


def _table(
    headers: list[str] | None,
    rows: list[list[str]],
    numeric: set[int] | None = None,
    widths: list[int] | None = None,
) -> str:
    """A table; cells are already escaped. ``numeric`` column indexes are right-aligned.

    ``widths`` (percent of the page width, one per column) makes the table span the page
    with those column widths; without it Qt's text engine sizes columns by their content,
    which squeezes a column of long labels into a narrow strip when another column holds
    long text too (the estimates table's labels and methods).
    """
    numeric = numeric or set()
    if widths is not None and headers is not None and len(widths) != len(headers):
        raise ValueError(f"{len(widths)} column widths for {len(headers)} columns")

    def width(i: int) -> str:
        return f' width="{widths[i]}%"' if widths else ""

    head = (
        "<tr>" + "".join(f"<th{width(i)}>{_e(h)}</th>" for i, h in enumerate(headers)) + "</tr>"
        if headers
        else ""
    )
    body = "".join(
        "<tr>"
        + "".join((f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>") for i, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return f'<table width="100%">{head}{body}</table>' if widths else f"<table>{head}{body}</table>"


def _est_rows(
    items: dict[str, Estimate], result: ImpactResult, recommended: str | None = None
) -> list[list[str]]:
    rows = []
    for key, e in items.items():
        d = 3 if key in wording.RATIO_KEYS | wording.STANDARDISED_KEYS else wording.digits(result.kind)
        label = ("Plain comparison: " if key == "naive" else "") + _e(e.label)
        if key in wording.RATIO_KEYS | wording.STANDARDISED_KEYS:
            label += f" <i>({_e(wording.unit_of(key, result))})</i>"
        label += " <b>(recommended)</b>" if key == recommended else ""
        for flag in wording.flags(e):
            style = "color:#a00" if flag.startswith(("unreliable", "withheld")) else "color:#555"
            label += f"<br><span style='{style}'><b>{_e(flag)}</b></span>"
        v, lo, hi = (wording.shown(key, x, result.kind) for x in (e.estimate, e.ci_low, e.ci_high))
        rows.append([label, _n(v, d), _n(lo, d), _n(hi, d), _p(e.p_value), _e(e.method)])
    return rows


def _figure(png: bytes, caption: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    alt = _e(caption)
    return f'<p><img src="data:image/png;base64,{data}" width="560" alt="{alt}"></p><p>{_e(caption)}</p>'


def _rd_section(result: ImpactResult, figures: dict[str, tuple[bytes, str]]) -> list[str]:
    rd = result.diagnostics.get("rd")
    if not rd:
        return []
    parts = ["<h2>Regression discontinuity at the cut-off</h2>", f"<p>{_e(wording.rd_summary(result))}</p>"]
    if "rd" in figures:
        parts.append(_figure(*figures["rd"]))
    plot = rd.get("plot")
    if plot:
        scale = wording.scale_of("rd", result.kind)
        rows = [
            [side, _n(b["x"], 3), _n(b["y"] * scale, wording.digits(result.kind)), str(b["n"])]
            for side, key in (("below", "bins_below"), ("above", "bins_above"))
            for b in plot[key]
        ]
        parts.append(
            "<p>Mean outcome by risk band either side of the cut-off (the points of the RD plot):</p>"
            + _table(
                ["Side", "Mean risk", f"Mean {wording.variable_label(result.outcome).lower()}", "Students"],
                rows,
                {1, 2, 3},
            )
        )
    return parts


def _overlap_section(result: ImpactResult) -> list[str]:
    d = result.diagnostics
    ov = d.get("overlap")
    if not ov:
        return []
    if ov.get("level") == "none":
        text = f"None: {wording.variable_label(ov['separating']).lower()} separates the groups completely."
        return ["<h2>Overlap of the groups</h2>", f"<p>{_e(text)}</p>"]
    ess = d.get("effective_n", {})
    rows = [
        ["Overlap", _e(ov["level"])],
        ["Propensity scores below 0.05 or above 0.95", f"{d.get('extreme', 0)} of {sum(result.n.values())}"],
        [
            "Effective size under inverse-probability weights",
            f"treated {_n(ess.get('treated'), 0)} of {result.n['treated']}, "
            f"comparison {_n(ess.get('control'), 0)} of {result.n['control']}",
        ],
        [
            "Propensity model covariates",
            _e(", ".join(wording.variable_label(c) for c in d.get("propensity_covariates", []))),
        ],
    ]
    return ["<h2>Overlap of the groups</h2>", _table(None, rows)]


def render_report_html(
    result: ImpactResult,
    *,
    title: str | None = None,
    context: dict[str, Any] | None = None,
    figures: dict[str, tuple[bytes, str]] | None = None,
) -> str:
    """The whole report as an HTML string; ``context`` adds rows such as course and date;
    ``figures`` maps ``rd`` (the RD plot) and ``distribution`` to ``(png bytes, caption)``,
    embedded as data URIs so the file stays self-contained."""
    figures = figures or {}
    digits = wording.digits(result.kind)
    outcome = wording.variable_label(result.outcome)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(title or 'Impact report')}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>{_e(title or 'Impact report')}: {_e(outcome)}</h1>",
    ]
    info = [
        ["Outcome", _e(outcome) + f" (differences in {_e(result.unit)})"],
        ["Design", _e(result.design)],
        ["Groups differed before?", _e(wording.confounded_text(result))],
        ["Students", f"{result.n['treated']} treated, {result.n['control']} comparison"],
    ]
    for k, v in (context or {}).items():
        info.append([_e(k), _e(v)])
    info.append(["Generated", _e(datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"))])
    parts.append(_table(None, info))
    head = wording.headline_warnings(result)
    for w in head:
        parts.append(f'<p class="headline">&#9888; {_e(w)}</p>')
    parts.append(f'<p class="verdict">{_e(result.verdict)}</p>')
    parts.append(f"<p><b>Which estimate to believe:</b> {_e(result.recommended_reason)}</p>")
    for w in result.warnings:
        if w not in head:
            parts.append(f'<p class="warn">&#9888; {_e(w)}</p>')
    heads = ["Estimate", "Value", "95% CI low", "95% CI high", "p", "Method"]
    nums = {1, 2, 3, 4}
    parts.append("<h2>Estimates</h2>")
    parts.append(f"<p>Treated minus comparison, in {_e(result.unit)}.</p>")
    parts.append(
        _table(
            heads,
            _est_rows({**result.estimates, **result.sensitivity}, result, result.recommended),
            nums,
            ESTIMATE_WIDTHS,
        )
    )
    parts += _rd_section(result, figures)
    parts += _overlap_section(result)
    parts.append("<h2>Tests and effect sizes</h2>")
    others = {
        k: v
        for k, v in {**result.tests, **result.effect_sizes}.items()
        if v.estimate is not None or v.p_value is not None
    }
    parts.append(_table(heads, _est_rows(others, result), nums, ESTIMATE_WIDTHS))
    parts.append("<h2>Groups</h2>")
    if result.kind == "numeric":
        keys = ["n", "mean", "sd", "median", "q1", "q3", "min", "max"]
        names = ["Students", "Mean", "SD", "Median", "Lower quartile", "Upper quartile", "Lowest", "Highest"]
    else:
        keys = ["n", "events", "proportion", "ci_low", "ci_high"]
        names = ["Students", "Yes", "Share", "95% CI low", "95% CI high"]
    rows = [
        [_e("Treated" if g == "treated" else "Comparison")]
        + [_n(result.descriptives[g].get(k), digits if result.kind == "numeric" else 3) for k in keys]
        for g in ("treated", "control")
    ]
    parts.append(_table(["Group", *names], rows, set(range(1, len(keys) + 1))))
    parts += _balance_section(result)
    parts.append("<h2>Assumptions and power</h2>")
    norm = result.assumptions.get("normality", {})
    for g, d in norm.items():
        parts.append(
            f"<p>Normality ({_e(g)}): {_e(d.get('test'))} W = {_n(d.get('W'), 3)}, p = {_p(d.get('p_value'))}"
            + (f" &ndash; {_e(d['note'])}" if d.get("note") else "")
            + "</p>"
        )
    ev = result.assumptions.get("equal_variances")
    if ev:
        parts.append(
            f"<p>Equal variances: {_e(ev['test'])} W = {_n(ev['W'], 3)}, p = {_p(ev['p_value'])}</p>"
        )
    for note in result.assumptions.get("notes", []):
        parts.append(f"<p>{_e(note)}</p>")
    pw = result.power
    if result.kind == "numeric":
        parts.append(
            f"<p>Smallest difference this sample detects with 80% power at &alpha; = .05: "
            f"{_n(pw.get('min_detectable_difference'), digits)} {_e(result.unit)} "
            f"(d = {_n(pw.get('min_detectable_d'), 2)}).</p>"
        )
    else:
        parts.append(
            f"<p>Smallest change this sample detects with 80% power at &alpha; = .05: from the comparison group's "
            f"share to {_n(pw.get('rise_to'), 3)} (up) or {_n(pw.get('fall_to'), 3)} (down); "
            f"{_e(pw.get('method', ''))}.</p>"
        )
    if "distribution" in figures:
        parts.append("<h2>Distribution per group</h2>")
        parts.append(_figure(*figures["distribution"]))
    parts.append("</body></html>")
    return "\n".join(parts)


def _balance_section(result: ImpactResult) -> list[str]:
    if not result.balance:
        return []
    parts = ["<h2>Balance before the intervention</h2>"]
    parts.append(
        "<p>Standardised mean differences (SMD) above 0.1 in size (marked) mean the groups were not alike "
        "before the intervention.</p>"
    )
    chance = result.diagnostics.get("chance_imbalance")
    if chance:
        parts.append(
            f"<p>The groups were formed by chance, so some differences are expected: with groups this size about "
            f"{chance['expected']:.1f} of {chance['covariates']} measures differ by more than 0.1 by chance alone; "
            f"{chance['imbalanced']} do. No weighting is applied to a randomised comparison.</p>"
        )
    weighted = "smd_weighted" in result.balance[0]
    heads_b = ["Measure", "Mean treated", "Mean comparison", "SMD"] + (
        ["SMD after weighting"] if weighted else []
    )
    rows = []
    for r in result.balance:
        cells = [
            _e(wording.variable_label(r["covariate"])),
            _n(r["mean_treated"], 3),
            _n(r["mean_control"], 3),
        ]
        for key in ("smd", "smd_weighted") if weighted else ("smd",):
            v = r.get(key)
            mark = v is not None and abs(v) > 0.1
            cells.append(
                ("<span style='color:#a00'><b>" if mark else "") + _n(v, 3) + ("</b></span>" if mark else "")
            )
        rows.append(cells)
    parts.append(_table(heads_b, rows, set(range(1, len(heads_b)))))
    return parts


__all__ = ["ESTIMATE_WIDTHS", "render_report_html"]
