"""Suggesting and drafting interventions (nothing is ever sent).

:func:`suggest` lists, for each student, the risk gate and the rules that fire.
:func:`draft_interventions` turns a selection into draft rows in ``interventions``: one row
per (student, firing rule), with the rendered subject and body, the risk and the features at
that moment (JSON, the impact analysis reads them back as pre-intervention covariates).

**Hold-out.** With ``holdout_fraction > 0`` the eligible students of the batch are split at
random (stratified by risk level, seed recorded): the held-back students still get their rows,
written exactly as they would have been sent, but with ``arm = 'holdout'`` and
``status = 'held_out'``; they can never be approved or exported. The randomisation unit is the
student, so all rows of one student share an arm.

**History.** Decision: the status history lives in ``audit_log`` (action
``intervention``, detail ``{"id", "batch", "from", "to"}``, plus ``"edit"`` for text
changes), not in an extra column; the batch itself is logged once with action
``intervention_batch`` (seed, fraction, counts per stratum). No learner identifiers go into
either: only intervention ids, which erasure deletes together with the rows.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, cast

from learnalytics_desktop.core.interventions.context import (
    InterventionError,
    StudentContext,
    as_of_instant,
    course_name,
    gather,
    intervention_date,
    template_values,
)
from learnalytics_desktop.core.interventions.holdout import draw_holdout
from learnalytics_desktop.core.interventions.rules import RuleSet, load_rules
from learnalytics_desktop.core.interventions.templates import missing_placeholders, render
from learnalytics_desktop.core.jobs import NullReporter, Reporter
from learnalytics_desktop.core.store.db import current_user, transaction, utc_now_iso
from learnalytics_desktop.core.text import plural

if TYPE_CHECKING:  # pragma: no cover
    import sqlite3

    import pandas as pd


@dataclass
class Batch:
    """The result of one drafting run."""

    batch: str
    course_id: int
    as_of: str
    date: str
    holdout_fraction: float
    seed: int | None
    treated_ids: list[int] = field(default_factory=list)
    """Intervention row ids drafted for the treated arm."""
    held_out_ids: list[int] = field(default_factory=list)
    treated_actors: list[int] = field(default_factory=list)
    held_out_actors: list[int] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    """``{"actor", "student", "reason"}`` for each selected student who got no row."""
    by_stratum: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict."""
        return asdict(self)


def _log(conn: sqlite3.Connection, user: str, action: str, **detail: Any) -> None:
    conn.execute(
        "INSERT INTO audit_log(at, user, action, detail) VALUES (?, ?, ?, ?)",
        (utc_now_iso(), user, action, json.dumps(detail, sort_keys=True, default=str)),
    )


def _user(user: str | None) -> str:
    return (user or "").strip() or current_user()


def _eligibility(
    student: StudentContext, rules: RuleSet, ignore_risk_gate: bool
) -> tuple[list[Any], str | None]:
    """(firing rules, reason for skipping or None)."""
    gate = rules.passes_gate(student.risk)
    if not ignore_risk_gate:
        if gate is None:
            return [], "no risk score as of this date (score the course first, or ignore the risk gate)"
        if not gate:
            return [], f"risk {student.risk:.2f} is below the threshold {rules.risk_threshold:.2f}"
    hits, unknown = rules.matching(student.features)
    if not hits:
        if not student.features:
            return [], "no features for this student as of this date (not enrolled or no activity)"
        extra = f" (could not check: {', '.join(r.feature for r in unknown)})" if unknown else ""
        return [], "no rule applies" + extra
    return hits, None


def suggest(
    conn: sqlite3.Connection,
    course_id: int,
    *,
    as_of: datetime | date,
    actor_ids: list[int] | None = None,
    rules: RuleSet | None = None,
    risk: pd.DataFrame | None = None,
    features: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per student: ``actor, student, risk_score, risk_level, gate, rules, unchecked, reasons``.

    ``gate`` is True/False (risk at/above the threshold) or None when the risk is unknown;
    ``rules`` lists the keys of the rules that fire; ``unchecked`` the features that were
    missing. Sorted by risk, highest first.
    """
    import pandas as pd

    rules = rules or load_rules(conn)
    when = as_of_instant(as_of)
    facts = gather(conn, course_id, actor_ids, when, risk=risk, features=features)
    rows = []
    for s in facts.values():
        hits, unknown = rules.matching(s.features)
        rows.append(
            {
                "actor": s.actor,
                "student": s.label,
                "risk_score": s.risk,
                "risk_level": s.risk_level,
                "gate": rules.passes_gate(s.risk),
                "rules": [r.key for r in hits],
                "unchecked": [r.feature for r in unknown],
                "reasons": list(s.reasons),
            }
        )
    cols = ["actor", "student", "risk_score", "risk_level", "gate", "rules", "unchecked", "reasons"]
    frame = pd.DataFrame(rows, columns=cols)
    return frame.sort_values("risk_score", ascending=False, na_position="last", kind="stable").reset_index(
        drop=True
    )


def draft_interventions(
    conn: sqlite3.Connection,
    course_id: int,
    actor_ids: list[int],
    *,
    as_of: datetime | date,
    holdout_fraction: float = 0.0,
    seed: int | None = None,
    user: str | None = None,
    rules: RuleSet | None = None,
    risk: pd.DataFrame | None = None,
    features: pd.DataFrame | None = None,
    ignore_risk_gate: bool = False,
    report: Reporter | None = None,
) -> Batch:
    """Draft messages for the selected students; hold back a random fraction if asked.

    Students below the risk gate (unless ``ignore_risk_gate``), without a risk score, or with
    no firing rule get no row and are listed in ``Batch.skipped`` with the reason. The whole
    batch is written in one transaction. Returns the :class:`Batch`.
    """
    report = report or NullReporter()
    if not actor_ids:
        raise InterventionError("Select at least one student to draft messages for.")
    rules = rules or load_rules(conn)
    rules.validate()
    when = as_of_instant(as_of)
    day = intervention_date(when)
    course = course_name(conn, course_id)
    who = _user(user)
    report.progress(0.05, "Gathering risk and features")
    facts = gather(conn, course_id, list(actor_ids), when, risk=risk, features=features)
    report.check()
    eligible: dict[int, list[Any]] = {}
    skipped = []
    for a, s in facts.items():
        hits, why = _eligibility(s, rules, ignore_risk_gate)
        if why:
            skipped.append({"actor": a, "student": s.label, "reason": why})
        else:
            eligible[a] = hits
    batch_id = f"b-{day}-{uuid.uuid4().hex[:10]}"
    draw = None
    if holdout_fraction:
        strata = {a: facts[a].risk_level or "unknown" for a in eligible}
        draw = draw_holdout(sorted(eligible), holdout_fraction, seed, strata)
    held = draw.held_out if draw else frozenset()
    out = Batch(
        batch=batch_id,
        course_id=int(course_id),
        as_of=when.isoformat(),
        date=day,
        holdout_fraction=float(holdout_fraction),
        seed=draw.seed if draw else None,
        skipped=skipped,
        by_stratum=cast(dict[str, Any], draw.to_dict()["by_stratum"]) if draw else {},
    )
    if draw and eligible and not held:
        out.warnings.append(
            f"With {len(eligible)} eligible students a {holdout_fraction:.0%} hold-out rounds to nobody; "
            "no comparison group was drawn for this batch."
        )
    created = utc_now_iso()
    unresolved: dict[str, int] = {}
    report.progress(0.5, "Writing drafts")
    with transaction(conn):
        for i, (a, hits) in enumerate(sorted(eligible.items())):
            s = facts[a]
            values = template_values(s, course=course, advisor=rules.advisor, when=day)
            arm, status = ("holdout", "held_out") if a in held else ("treated", "draft")
            snapshot: dict[str, Any] = {k: v for k, v in s.features.items()}
            snapshot["_as_of"] = when.isoformat()
            snapshot["_risk_level"] = s.risk_level
            for rule in hits:
                subject = render(rule.subject, values)
                body = render(rule.body, values)
                for name in missing_placeholders(rule.subject + "\n" + rule.body, values):
                    unresolved[name] = unresolved.get(name, 0) + 1
                cur = conn.execute(
                    "INSERT INTO interventions(batch, actor, course, created_at, date, rule, channel, arm,"
                    " subject, body, status, user, risk, features) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        batch_id,
                        a,
                        int(course_id),
                        created,
                        day,
                        rule.key,
                        rule.channel,
                        arm,
                        subject,
                        body,
                        status,
                        who,
                        s.risk,
                        json.dumps(snapshot, sort_keys=True),
                    ),
                )
                rowid = cur.lastrowid
                assert rowid is not None  # set by the INSERT just run
                (out.held_out_ids if arm == "holdout" else out.treated_ids).append(int(rowid))
            (out.held_out_actors if arm == "holdout" else out.treated_actors).append(a)
            if i % 200 == 0:
                report.check()
        _log(
            conn,
            who,
            "intervention_batch",
            batch=batch_id,
            course=int(course_id),
            as_of=out.as_of,
            rows=len(out.treated_ids) + len(out.held_out_ids),
            students=len(eligible),
            skipped=len(skipped),
            holdout=draw.to_dict() if draw else None,
            ignore_risk_gate=bool(ignore_risk_gate),
            risk_threshold=float(rules.risk_threshold),
        )
    for name, n in sorted(unresolved.items()):
        hint = " (set the advisor's name in the rules)" if name == "advisor" else ""
        out.warnings.append(
            f"{{{name}}} has no value in {plural(n, 'draft')} and is left visible for the reviewer{hint}."
        )
    report.progress(1.0, "Drafted")
    return out


__all__ = ["Batch", "draft_interventions", "suggest"]
