"""The impact report as one self-contained HTML page (no scripts, no external resources).

Every piece of text from data passes through :func:`html.escape`. The markup sticks to what
Qt's ``QTextDocument`` renders (tables, headings, inline ``style``/``<style>`` with simple
selectors), so the GUI can print the same string to PDF with ``QPdfWriter``.
"""

from __future__ import annotations

import html
import math
from datetime import datetime
from typing import TYPE_CHECKING, Any

from learnalytics_desktop.core.impact.verdict import fmt

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
    width = (lambda i: f' width="{widths[i]}%"') if widths else (lambda i: "")
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


def _est_rows(items: dict[str, Estimate], digits: int, recommended: str | None = None) -> list[list[str]]:
    rows = []
    for key, e in items.items():
        label = ("Naive comparison: " if key == "naive" else "") + _e(e.label)
        label += " <b>(recommended)</b>" if key == recommended else ""
        rows.append(
            [
                label,
                _n(e.estimate, digits),
                _n(e.ci_low, digits),
                _n(e.ci_high, digits),
                _p(e.p_value),
                _e(e.method),
            ]
        )
    return rows


def render_report_html(
    result: ImpactResult, *, title: str | None = None, context: dict[str, Any] | None = None
) -> str:
    """The whole report as an HTML string; ``context`` adds rows such as course and date."""
    digits = 3 if result.kind == "binary" else 2
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(title or 'Impact report')}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>{_e(title or 'Impact report')}: {_e(result.outcome)}</h1>",
    ]
    info = [
        ["Outcome", _e(result.outcome) + f" ({_e(result.kind)})"],
        ["Design", _e(result.design)],
        ["Students", f"{result.n['treated']} treated, {result.n['control']} control"],
    ]
    for k, v in (context or {}).items():
        info.append([_e(k), _e(v)])
    info.append(["Generated", _e(datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"))])
    parts.append(_table(None, info))
    parts.append(f'<p class="verdict">{_e(result.verdict)}</p>')
    parts.append(f"<p><b>Which estimate to believe:</b> {_e(result.recommended_reason)}</p>")
    for w in result.warnings:
        parts.append(f'<p class="warn">&#9888; {_e(w)}</p>')
    heads = ["Estimate", "Value", "95% CI low", "95% CI high", "p", "Method"]
    nums = {1, 2, 3, 4}
    parts.append("<h2>Estimates</h2>")
    parts.append(
        _table(
            heads,
            _est_rows({**result.estimates, **result.sensitivity}, digits, result.recommended),
            nums,
            ESTIMATE_WIDTHS,
        )
    )
    parts.append("<h2>Tests and effect sizes</h2>")
    others = {
        k: v
        for k, v in {**result.tests, **result.effect_sizes}.items()
        if v.estimate is not None or v.p_value is not None
    }
    parts.append(_table(heads, _est_rows(others, digits), nums, ESTIMATE_WIDTHS))
    parts.append("<h2>Groups</h2>")
    if result.kind == "numeric":
        keys = ["n", "mean", "sd", "median", "q1", "q3", "min", "max"]
    else:
        keys = ["n", "events", "proportion", "ci_low", "ci_high"]
    rows = [
        [_e(g)] + [_n(result.descriptives[g].get(k), digits) for k in keys] for g in ("treated", "control")
    ]
    parts.append(_table(["Group", *keys], rows, set(range(1, len(keys) + 1))))
    if result.balance:
        parts.append("<h2>Balance before the intervention</h2>")
        parts.append(
            "<p>Standardised mean differences (SMD) above 0.1 in size (marked) mean the groups were not alike "
            "before the intervention.</p>"
        )
        weighted = "smd_weighted" in result.balance[0]
        heads_b = ["Covariate", "Mean treated", "Mean control", "SMD"] + (
            ["SMD after weighting"] if weighted else []
        )
        rows = []
        for r in result.balance:
            cells = [_e(r["covariate"]), _n(r["mean_treated"], 3), _n(r["mean_control"], 3)]
            for key in ("smd", "smd_weighted") if weighted else ("smd",):
                v = r.get(key)
                mark = v is not None and abs(v) > 0.1
                cells.append(
                    ("<span style='color:#a00'><b>" if mark else "")
                    + _n(v, 3)
                    + ("</b></span>" if mark else "")
                )
            rows.append(cells)
        parts.append(_table(heads_b, rows, set(range(1, len(heads_b)))))
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
            f"{_n(pw.get('min_detectable_difference'), digits)} (d = {_n(pw.get('min_detectable_d'), 2)}).</p>"
        )
    else:
        parts.append(
            f"<p>Smallest change this sample detects with 80% power at &alpha; = .05: from the control rate to "
            f"{_n(pw.get('rise_to'), 3)} (up) or {_n(pw.get('fall_to'), 3)} (down); {_e(pw.get('method', ''))}.</p>"
        )
    parts.append("</body></html>")
    return "\n".join(parts)


__all__ = ["render_report_html"]
