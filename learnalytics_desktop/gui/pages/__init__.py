"""The main window's pages, in navigation order. Adding a page is one line here.

Each :class:`PageSpec` names a page class as ``"module:Class"``; the module is imported the
first time the user opens the page (so pages may import pyqtgraph or pandas at module level
without slowing the start-up). ``target=None`` shows a "coming soon" placeholder with the
description. To add a page, replace ``None`` with its ``"module:Class"``.

Shortcuts follow the order: Ctrl+1 is the first page, Ctrl+8 the eighth.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from learnalytics_desktop.gui.pages.base import Page


@dataclass(frozen=True)
class PageSpec:
    """One navigation entry: key, title, icon name (assets/icons), page class, description."""

    key: str
    title: str
    icon: str
    target: str | None
    description: str

    def load(self) -> type[Page]:
        """Import and return the page class (raises ImportError/AttributeError when broken)."""
        if self.target is None:
            raise LookupError(f"the {self.title} page is not built yet")
        module, _, name = self.target.partition(":")
        return getattr(importlib.import_module(module), name)


_P = "learnalytics_desktop.gui.pages."

PAGES: tuple[PageSpec, ...] = (
    PageSpec(
        "import",
        "Import",
        "import",
        _P + "ingest.import_page:ImportPage",
        "Bring xAPI statements into the database and see what was quarantined.",
    ),
    PageSpec(
        "overview",
        "Overview",
        "overview",
        _P + "dashboard.overview_page:OverviewPage",
        "The course at a glance: students, who is active this week, how many are at risk, "
        "weekly engagement and completion by content category.",
    ),
    PageSpec(
        "at_risk",
        "Students at risk",
        "at_risk",
        _P + "dashboard.at_risk_page:AtRiskPage",
        "Every student's risk score and level with the top reasons, engagement and days since "
        "last activity; search, sort, export, and draft interventions.",
    ),
    PageSpec(
        "student",
        "Student",
        "student",
        _P + "dashboard.student_page:StudentPage",
        "One student's timeline: weekly activity, quiz scores, risk history and recent events.",
    ),
    PageSpec(
        "model",
        "Model",
        "model",
        _P + "model.model_page:ModelPage",
        "Train the at-risk model on past offerings, read its model card and charts, pick the active model.",
    ),
    PageSpec(
        "interventions",
        "Interventions",
        "interventions",
        _P + "interventions.interventions_page:InterventionsPage",
        "Review, approve and export drafted messages; keep the log of what was done.",
    ),
    PageSpec(
        "impact",
        "Impact",
        "impact",
        _P + "impact.impact_page:ImpactPage",
        "Did the interventions help? A fair comparison with the hold-out group.",
    ),
    PageSpec(
        "settings",
        "Settings",
        "settings",
        _P + "settings.settings_page:SettingsPage",
        "Engagement weights, risk thresholds, pass mark, category mapping and privacy.",
    ),
)


def page_spec(key: str) -> PageSpec:
    """The spec registered under ``key`` (KeyError when there is none)."""
    for spec in PAGES:
        if spec.key == key:
            return spec
    raise KeyError(f"no page registered under {key!r}; known: {[p.key for p in PAGES]}")
