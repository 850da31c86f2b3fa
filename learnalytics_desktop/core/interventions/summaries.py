"""Plain sentences about what a drafting run or an import of outside interventions did."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from learnalytics_desktop.core.text import plural

if TYPE_CHECKING:  # pragma: no cover
    from learnalytics_desktop.core.interventions.drafts import Batch
    from learnalytics_desktop.core.interventions.external import ExternalImport


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


__all__ = ["batch_json", "batch_summary", "import_summary"]
