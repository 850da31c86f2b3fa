"""Interventions: rules, templates, drafts, the randomised hold-out, review, exports, imports.

Nothing here ever sends a message. The flow is::

    suggest(conn, course_id, as_of=...)            -> DataFrame of who qualifies and why
    draft_interventions(conn, course_id, actor_ids, as_of=..., holdout_fraction=0.2, seed=...)
                                                   -> Batch (draft / held_out rows)
    update_draft(conn, id, subject=..., body=...), fill_placeholder(conn, ids, "advisor", "Sam Lee"),
    approve(conn, ids), dismiss(conn, ids), restore(conn, ids), mark_done(conn, ids), history(conn, id)
    export_eml(conn, folder, ids=...) / export_csv(conn, path, ids=...)  -> ExportResult
    import_external(conn, course_id, csv_path)     -> ExternalImport (match report)

Modules: ``templates`` (safe placeholders), ``rules`` (thresholds and texts, saved in the
settings table), ``holdout`` (reproducible stratified draw, HOLDOUT_EXPLANATION), ``context``
(risk and features at a moment), ``drafts``, ``review`` (status changes and history),
``exporting`` (CSV, .eml), ``external`` (CSV import), ``words`` (status, arm and channel
in words), ``log_table`` (the log as the page's table), ``high_risk`` (who is high risk at a
moment, from ``core.model.runs.select_run``), ``summaries`` (sentences about a batch or an
import). pandas is imported only inside
functions, so importing this package is cheap.
"""

from __future__ import annotations

from learnalytics_desktop.core.interventions.context import InterventionError
from learnalytics_desktop.core.interventions.drafts import Batch, draft_interventions, suggest
from learnalytics_desktop.core.interventions.exporting import ExportResult, build_eml, export_csv, export_eml
from learnalytics_desktop.core.interventions.external import ExternalImport, import_external
from learnalytics_desktop.core.interventions.holdout import HOLDOUT_EXPLANATION, HoldoutDraw, draw_holdout
from learnalytics_desktop.core.interventions.review import (
    TRANSITIONS,
    Intervention,
    approve,
    dismiss,
    fill_placeholder,
    get_intervention,
    history,
    list_interventions,
    mark_done,
    restore,
    update_draft,
)
from learnalytics_desktop.core.interventions.rules import (
    DEFAULT_RULES,
    Rule,
    RulesError,
    RuleSet,
    default_rules,
    load_rules,
    save_rules,
)
from learnalytics_desktop.core.interventions.templates import (
    PLACEHOLDERS,
    TemplateError,
    check_template,
    render,
)

__all__ = [
    "DEFAULT_RULES",
    "HOLDOUT_EXPLANATION",
    "PLACEHOLDERS",
    "TRANSITIONS",
    "Batch",
    "ExportResult",
    "ExternalImport",
    "HoldoutDraw",
    "Intervention",
    "InterventionError",
    "Rule",
    "RuleSet",
    "RulesError",
    "TemplateError",
    "approve",
    "build_eml",
    "check_template",
    "default_rules",
    "dismiss",
    "draft_interventions",
    "draw_holdout",
    "export_csv",
    "export_eml",
    "fill_placeholder",
    "get_intervention",
    "history",
    "import_external",
    "list_interventions",
    "load_rules",
    "mark_done",
    "render",
    "restore",
    "save_rules",
    "suggest",
    "update_draft",
]
