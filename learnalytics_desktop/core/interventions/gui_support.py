"""What the Interventions page shows, computed from the interventions API (no Qt here).

* :func:`interventions_table` is the log of one course as a DataFrame with the texts people
  read next to the raw values (rule label, channel, status and arm in words, placeholders
  still visible in the text).
* :func:`high_risk_students` names the students whose risk level, in the run that counts at
  a moment (``core.model.runs.select_run``), is "high" (what the Students at risk page shows), with the score run it used.
* :func:`batch_summary` and :func:`import_summary` turn a drafting batch and an import
  report into short plain sentences.

Status and arm words are kept here, next to the data, so the page, its tests and any later
report say the same thing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from learnalytics_desktop.core.interventions.context import as_of_instant
from learnalytics_desktop.core.interventions.templates import PLACEHOLDERS, _fields
from learnalytics_desktop.core.text import plural

if TYPE_CHECKING:  # pragma: no cover
    import sqlite3

    import pandas as pd

    from learnalytics_desktop.core.interventions.drafts import Batch
    from learnalytics_desktop.core.interventions.external import ExternalImport

STATUS_TEXT = {
    "draft": "Draft",
    "approved": "Approved",
    "dismissed": "Dismissed",
    "exported": "Exported (not sent yet)",
    "done": "Sent",
    "held_out": "Held out (no message)",
    "comparison": "Comparison (outside)",
}
ARM_TEXT = {
    "treated": "Message",
    "holdout": "Hold-out",
    "external": "Done outside the app",
    "control": "Comparison (outside)",
}
CHANNEL_TEXT = {
    "email": "E-mail",
    "content": "Content recommendation",
    "instructor_alert": "Instructor alert",
    "external": "Outside the app",
}
REVIEW_STATUSES = ("draft", "approved")
"""Rows an advisor still has to act on."""

TABLE_COLUMNS = [
    "id",
    "student",
    "actor",
    "rule",
    "rule_label",
    "channel",
    "channel_text",
    "subject",
    "body",
    "status",
    "status_text",
    "arm",
    "arm_text",
    "date",
    "risk",
    "batch",
    "user",
    "placeholders",
]


def placeholders_left(subject: str | None, body: str | None) -> list[str]:
    """Placeholders such as ``{advisor}`` still visible in a draft's text (approval refuses them)."""
    try:
        found = [f for f, _s, _c in _fields((subject or "") + "\n" + (body or ""))]
    except ValueError:
        return []
    return [f for f in dict.fromkeys(found) if f in PLACEHOLDERS]


def _rule_labels(conn: sqlite3.Connection) -> dict[str, str]:
    from learnalytics_desktop.core.interventions.rules import RulesError, default_rules, load_rules

    try:
        rules = load_rules(conn)
    except RulesError:
        rules = default_rules()
    labels = {r.key: r.label for r in default_rules().rules}
    labels.update({r.key: r.label for r in rules.rules})
    labels["external"] = "Done outside the app"
    return labels


def interventions_table(conn: sqlite3.Connection, course_id: int) -> pd.DataFrame:
    """Every intervention of the course (oldest first) with the columns :data:`TABLE_COLUMNS`.

    ``placeholders`` lists the ``{names}`` still in the text of draft and approved rows
    (empty for the others); ``risk`` is the risk score stored when the row was drafted.
    """
    import pandas as pd

    from learnalytics_desktop.core.interventions.review import list_interventions

    frame = list_interventions(conn, int(course_id))
    labels = _rule_labels(conn)
    out = pd.DataFrame(
        {
            "id": frame["id"].astype("int64"),
            "student": frame["student"].astype(str),
            "actor": frame["actor"].astype("int64"),
            "rule": frame["rule"].astype(str),
            "rule_label": [labels.get(r, r) for r in frame["rule"]],
            "channel": frame["channel"].astype(str),
            "channel_text": [CHANNEL_TEXT.get(c, c) for c in frame["channel"]],
            "subject": frame["subject"].fillna("").astype(str),
            "body": frame["body"].fillna("").astype(str),
            "status": frame["status"].astype(str),
            "status_text": [STATUS_TEXT.get(s, s) for s in frame["status"]],
            "arm": frame["arm"].astype(str),
            "arm_text": [ARM_TEXT.get(a, a) for a in frame["arm"]],
            "date": frame["date"].astype(str),
            "risk": pd.to_numeric(frame["risk"], errors="coerce").astype("float64"),
            "batch": frame["batch"].fillna("").astype(str),
            "user": frame["user"].astype(str),
            "placeholders": [
                placeholders_left(s, b) if st in REVIEW_STATUSES else []
                for s, b, st in zip(frame["subject"], frame["body"], frame["status"], strict=True)
            ],
        },
        columns=TABLE_COLUMNS,
    )
    return out


def status_counts(frame: pd.DataFrame) -> dict[str, int]:
    """Rows per status (every status of :data:`STATUS_TEXT`, zeros included)."""
    counts = {s: 0 for s in STATUS_TEXT}
    for s, n in frame["status"].value_counts().items():
        counts[str(s)] = int(n)
    return counts


@dataclass
class HighRisk:
    """The high-risk students of a course as of a moment, from the run that counts then."""

    actors: list[int] = field(default_factory=list)
    scored: int = 0
    """Students in that score run."""
    run_as_of: str | None = None
    """The run's as-of instant (ISO), or None when the course was never scored before then."""

    @property
    def available(self) -> bool:
        """True when a score run exists at or before the moment."""
        return self.run_as_of is not None


def high_risk_students(conn: sqlite3.Connection, course_id: int, as_of: datetime | date) -> HighRisk:
    """Students whose risk level is "high" in the run that counts at ``as_of``.

    Uses the run that counts at that moment (``core.model.runs.select_run``), the one the
    drafting risk gate and the Students at risk page read, so they agree.
    """
    from learnalytics_desktop.core.model.runs import select_run

    run = select_run(conn, course_id, as_of=as_of_instant(as_of))
    if run is None:
        return HighRisk()
    rows = conn.execute(
        "SELECT s.actor, s.level FROM scores s JOIN actors a ON a.id = s.actor WHERE s.run_id = ? "
        "ORDER BY s.risk DESC, a.label",
        (run.id,),
    ).fetchall()
    return HighRisk(
        actors=[int(a) for a, level in rows if level == "high"],
        scored=len(rows),
        run_as_of=run.as_of.isoformat(),
    )


def batch_summary(batch: Batch) -> str:
    """One paragraph: what a drafting run did (drafts, hold-out, skipped students)."""
    n_treated, n_held = len(batch.treated_actors), len(batch.held_out_actors)
    parts = []
    if n_treated:
        parts.append(
            f"Drafted {len(batch.treated_ids)} message{'s' if len(batch.treated_ids) != 1 else ''} for "
            f"{n_treated} student{'s' if n_treated != 1 else ''}."
        )
    else:
        parts.append("No message was drafted.")
    if batch.holdout_fraction:
        parts.append(
            f"{n_held} student{'s' if n_held != 1 else ''} {'were' if n_held != 1 else 'was'} held back at random "
            f"({batch.holdout_fraction:.0%} hold-out; the draw is recorded): no message for them, they are the "
            "comparison group."
        )
    if batch.skipped:
        parts.append(
            f"{len(batch.skipped)} selected student{'s' if len(batch.skipped) != 1 else ''} got no draft "
            "(reasons below)."
        )
    return " ".join(parts)


def import_summary(result: ExternalImport) -> str:
    """One paragraph about an import of outside interventions (or its dry run)."""
    groups = ", ".join(f"{n} {g}" for g, n in sorted(result.groups.items())) or "none"
    how = ", ".join(f"{n} by {k}" for k, n in sorted(result.matched_by.items())) or "none"
    if result.dry_run:
        lead = f"Checked {plural(result.rows_read, 'row')}: {sum(result.groups.values())} can be imported"
    elif result.written:
        lead = f"Imported {result.written} of {plural(result.rows_read, 'row')}"
    else:
        lead = f"Nothing was imported from {plural(result.rows_read, 'row')}"
    text = f"{lead} (groups: {groups}; students matched {how})."
    if result.errors:
        text += (
            f" {plural(len(result.errors), 'row')} {'has' if len(result.errors) == 1 else 'have'} problems."
        )
    return text


def batch_json(batch: Batch) -> str:
    """The batch as JSON text (for the details of the result message)."""
    return json.dumps(batch.to_dict(), indent=2, sort_keys=True, default=str)


__all__ = [
    "ARM_TEXT",
    "CHANNEL_TEXT",
    "REVIEW_STATUSES",
    "STATUS_TEXT",
    "TABLE_COLUMNS",
    "HighRisk",
    "batch_json",
    "batch_summary",
    "high_risk_students",
    "import_summary",
    "interventions_table",
    "placeholders_left",
    "status_counts",
]
