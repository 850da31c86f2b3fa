"""Database jobs of the Interventions page: plain functions (no Qt), run with ``db_job``.

Each takes a connection first; the page wraps them with
:func:`learnalytics_desktop.gui.workers.db_job` so they open their own connection on the
task runner's database thread.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from learnalytics_desktop.core.jobs import NullReporter, Reporter


@dataclass
class State:
    """What the page shows for one course and week."""

    frame: Any  # DataFrame: core.interventions.log_table.interventions_table
    high_risk: Any = None  # core.interventions.high_risk.HighRisk (None without an as-of moment)
    rules: Any = None  # RuleSet
    rules_error: str | None = None
    labels: dict[int, str] = field(default_factory=dict)
    """Actor id -> label for the students handed over by another page."""


@dataclass(frozen=True)
class DraftRequest:
    """What the Draft dialog asks for."""

    holdout_fraction: float = 0.0
    ignore_risk_gate: bool = False
    rules: Any = None
    """A RuleSet to save before drafting (the user edited the rules or their name), or None."""


def load(
    conn: sqlite3.Connection, course_id: int, as_of: datetime | None, handed: list[int] | None = None
) -> State:
    """The interventions of the course, its high-risk students as of ``as_of`` and the rules."""
    from learnalytics_desktop.core.interventions import RulesError, default_rules, load_rules
    from learnalytics_desktop.core.interventions.high_risk import high_risk_students
    from learnalytics_desktop.core.interventions.log_table import interventions_table
    from learnalytics_desktop.core.model.scoring import actor_labels

    frame = interventions_table(conn, course_id)
    high = high_risk_students(conn, course_id, as_of) if as_of is not None else None
    try:
        rules, error = load_rules(conn), None
    except RulesError as exc:
        rules, error = default_rules(), str(exc)
    labels = actor_labels(conn, list(handed or []))
    return State(frame=frame, high_risk=high, rules=rules, rules_error=error, labels=labels)


def draft(
    conn: sqlite3.Connection,
    course_id: int,
    actors: list[int],
    as_of: datetime,
    request: DraftRequest,
    *,
    report: Reporter = NullReporter(),
) -> Any:
    """Save the edited rules (if any), then draft for ``actors`` (``draft_interventions``)."""
    from learnalytics_desktop.core.interventions import draft_interventions, save_rules

    rules = request.rules
    if rules is not None:
        save_rules(conn, rules)
    return draft_interventions(
        conn,
        int(course_id),
        [int(a) for a in actors],
        as_of=as_of,
        holdout_fraction=float(request.holdout_fraction),
        ignore_risk_gate=bool(request.ignore_risk_gate),
        rules=rules,
        report=report,
    )


def save_rules(conn: sqlite3.Connection, rules: Any) -> Any:
    """Validate and save the rules; returns them."""
    from learnalytics_desktop.core.interventions import save_rules as _save

    _save(conn, rules)
    return rules


def set_status(conn: sqlite3.Connection, action: str, ids: list[int]) -> int:
    """``approve``, ``dismiss``, ``restore`` or ``mark_done`` the rows (all or none)."""
    from learnalytics_desktop.core import interventions as iv

    fn = {"approve": iv.approve, "dismiss": iv.dismiss, "restore": iv.restore, "mark_done": iv.mark_done}[
        action
    ]
    return int(fn(conn, [int(i) for i in ids]))


def save_text(conn: sqlite3.Connection, intervention_id: int, subject: str, body: str) -> Any:
    """Save an edited subject and body (``update_draft``)."""
    from learnalytics_desktop.core.interventions import update_draft

    return update_draft(conn, int(intervention_id), subject=subject, body=body)


def fill(conn: sqlite3.Connection, ids: list[int], values: dict[str, str]) -> int:
    """Fill visible placeholders in draft rows; returns how many row changes were made."""
    from learnalytics_desktop.core.interventions import fill_placeholder

    return sum(fill_placeholder(conn, [int(i) for i in ids], name, value) for name, value in values.items())


def set_advisor(conn: sqlite3.Connection, rules: Any, name: str) -> Any:
    """Save ``name`` as the advisor in the rules (future drafts sign with it)."""
    from learnalytics_desktop.core.interventions import save_rules as _save

    updated = replace(rules, advisor=name.strip())
    _save(conn, updated)
    return updated


def export_eml(conn: sqlite3.Connection, folder: str, ids: list[int]) -> Any:
    """One ``.eml`` draft per student for approved rows; they become exported."""
    from learnalytics_desktop.core.interventions import export_eml as _export

    return _export(conn, folder, ids=[int(i) for i in ids])


def export_csv(conn: sqlite3.Connection, path: str, ids: list[int], mark_exported: bool = False) -> Any:
    """A spreadsheet-safe CSV of the rows; with ``mark_exported`` (a mail merge of the
    approved drafts) approved rows become exported, as with .eml files."""
    from learnalytics_desktop.core.interventions import export_csv as _export

    return _export(conn, path, ids=[int(i) for i in ids], mark_exported=bool(mark_exported))


def check_import(conn: sqlite3.Connection, course_id: int, path: str) -> Any:
    """Dry run of an import of outside interventions: the match report, nothing written."""
    from learnalytics_desktop.core.interventions import import_external

    return import_external(conn, int(course_id), path, dry_run=True)


def run_import(conn: sqlite3.Connection, course_id: int, path: str, skip_bad: bool) -> Any:
    """Import outside interventions (all rows, or the good ones with ``skip_bad``)."""
    from learnalytics_desktop.core.interventions import import_external

    return import_external(conn, int(course_id), path, skip_bad=skip_bad)


def history(conn: sqlite3.Connection, intervention_id: int) -> list[dict[str, Any]]:
    """The status and edit history of one row (``core.interventions.history``)."""
    from learnalytics_desktop.core.interventions import history as _history

    return _history(conn, int(intervention_id))


__all__ = [
    "DraftRequest",
    "State",
    "check_import",
    "draft",
    "export_csv",
    "export_eml",
    "fill",
    "history",
    "load",
    "run_import",
    "save_rules",
    "save_text",
    "set_advisor",
    "set_status",
]
