"""The plain-language verdict of an impact analysis.

Rules: only a randomised comparison or an adjusted estimate may be described as something
"the messages" did, and the adjusted one always carries the caveat that unmeasured
differences remain; a naive non-randomised difference is described as a difference between
groups and explicitly not as an effect. Numbers are rounded to the precision the CI
supports (one significant step of a quarter of its width).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from learnalytics_desktop.core.impact.wording import fmt

if TYPE_CHECKING:  # pragma: no cover
    from learnalytics_desktop.core.impact.analysis import ImpactResult

BINARY_NAMES = {
    "passed": "the pass rate",
    "withdrew": "the withdrawal rate",
    "passed_not_withdrawn": "the pass rate (withdrawals counted as not passing)",
}


def _decimals(lo: float | None, hi: float | None) -> int:
    if lo is None or hi is None or not math.isfinite(hi - lo) or hi - lo <= 0:
        return 2
    return int(min(max(-math.floor(math.log10((hi - lo) / 4)), 0), 4))


def _subject(outcome: str, kind: str) -> tuple[str, str]:
    """(what is measured, unit) for the sentence."""
    if kind == "binary":
        return BINARY_NAMES.get(
            outcome, f"the share of students with {outcome.replace('_', ' ')}"
        ), " percentage points"
    name = outcome.replace("_", " ")
    unit = " points" if any(w in outcome for w in ("grade", "score", "mark", "points")) else ""
    return (name + "s" if name.endswith("grade") else name), unit


def verdict_text(result: ImpactResult) -> str:
    """One short paragraph for the results page and the report."""
    est = result.estimates[result.recommended]
    if est.estimate is None:
        reason = str(est.extra.get("withheld") or "the analysis could not produce an estimate for this data.")
        naive = result.estimates["naive"]
        tail = ""
        if naive.estimate is not None and result.recommended != "naive":
            scale = 100.0 if result.kind == "binary" else 1.0
            _what, unit = _subject(result.outcome, result.kind)
            dec = _decimals(*(None if v is None else v * scale for v in (naive.ci_low, naive.ci_high)))
            tail = (
                f" The plain difference between the groups ({fmt(naive.estimate * scale, dec)}{unit}) mixes any "
                "effect with the reasons students were chosen, so it does not show what the messages did."
            )
        return "No trustworthy estimate of the effect: " + reason[0].lower() + reason[1:] + tail
    scale = 100.0 if result.kind == "binary" else 1.0
    e, lo, hi = (None if v is None else v * scale for v in (est.estimate, est.ci_low, est.ci_high))
    assert e is not None
    dec = _decimals(lo, hi)
    what, unit = _subject(result.outcome, result.kind)
    ci = f"(95% CI {fmt(lo, dec)} to {fmt(hi, dec)})"
    dec_e = dec + 1 if e != 0 and round(e, dec) == 0 else dec  # never call 0.5 "0"
    size = fmt(abs(e), dec_e)
    direction = "raised" if e > 0 else "lowered"
    clear = est.excludes_zero
    # the minimum detectable effect is that of the plain two-group comparison
    mde = _mde_phrase(result, dec, unit) if result.recommended == "naive" else ""
    if result.recommended == "naive" and not result.randomised:
        comp = "higher" if e > 0 else "lower"
        text = (
            f"Students who got the intervention had {what} {size}{unit} {comp} on average than those who did not {ci}. "
            "The groups were not comparable to begin with (those who get messages are chosen because they are at "
            "risk), so this difference does not show what the messages did."
        )
        return text
    if result.randomised:
        lead, caveat = "", ""
    elif result.recommended == "rd":
        cutoff = result.diagnostics.get("rd", {}).get("cutoff")
        lead = f"For students near the risk cut-off ({fmt(cutoff, 2)}), "
        caveat = " This is an effect at the threshold only: students far above or below it may respond differently."
    else:
        lead = "After accounting for how the groups differed before the intervention, "
        caveat = (
            " This is not a randomised comparison: differences that were not measured could still explain "
            "part of it. A randomised hold-out would settle it."
        )
        if result.diagnostics.get("poor_overlap"):
            caveat += (
                " The groups overlap poorly, so the estimate is about the students comparable across groups "
                "(overlap weights), not about every treated student."
            )
    if clear:
        verb = f"the messages appear to have {direction}" if lead else f"the messages {direction}"
        body = f"{verb} {what} by about {size}{unit} {ci}."
    else:
        body = (
            f"there is no clear effect of the messages on {what}: the difference was {fmt(e, dec_e)}{unit} {ci}, "
            f"so the data fit anything from {_span(lo, hi, dec, unit)}.{mde}"
        )
    sentence = lead + body
    return sentence[0].upper() + sentence[1:] + caveat


def _span(lo: float | None, hi: float | None, dec: int, unit: str) -> str:
    def part(v: float | None) -> str:
        if v is None:
            return "n/a"
        if v < 0:
            return f"a drop of {fmt(-v, dec)}{unit}"
        return f"a rise of {fmt(v, dec)}{unit}" if v > 0 else "no change"

    return f"{part(lo)} to {part(hi)}"


def _mde_phrase(result: ImpactResult, dec: int, unit: str) -> str:
    p: dict[str, Any] = result.power
    if result.kind == "numeric" and p.get("min_detectable_difference") is not None:
        v = p["min_detectable_difference"]
        if math.isfinite(v):
            return f" With groups this size only a difference of about {fmt(v, dec)}{unit} or more would reliably show."
    if result.kind == "binary" and p.get("rise_to") is not None:
        base = result.descriptives["control"].get("proportion")
        if base is not None:
            rise = (p["rise_to"] - base) * 100
            return f" With groups this size only a change of about {fmt(rise, dec)}{unit} or more would reliably show."
    return ""


__all__ = ["fmt", "verdict_text"]
