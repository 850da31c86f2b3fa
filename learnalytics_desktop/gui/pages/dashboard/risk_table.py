"""The Students at risk table: its columns, the level look (colour AND text) and the filter.

The filter is plain pandas over the whole frame (:func:`filter_positions`, safe on a worker
thread); the model only swaps its row order. Cell colours come from an array of level codes
made once per frame, so ``data()`` does no per-row Python beyond an index lookup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from learnalytics_desktop.gui.charts import LEVEL_TEXT, LEVEL_TINTS
from learnalytics_desktop.gui.models.columns import Column
from learnalytics_desktop.gui.models.frame_table import FrameTableModel, compute_filter

COLUMNS = [
    Column(
        "rank",
        "#",
        "int",
        tooltip="Rank on the list: 1 is the riskiest. Equal risks (e.g. several >99%) are ordered by "
        "lower engagement, then longer inactivity",
    ),
    Column("name", "Name", tooltip="First and last name, from the class list or the data"),
    Column("risk_score", "Risk", "risk", tooltip="Estimated chance of failing or withdrawing (calibrated)"),
    Column("level", "Level", tooltip="Low, Moderate or High, from the risk thresholds in Settings"),
    Column(
        "trend",
        "Trend",
        tooltip="Since last week: “new High”, ▲ risk up or ▼ down by 5 points or more "
        "(empty when last week was not scored)",
    ),
    Column(
        "outreach_text",
        "Outreach",
        tooltip="How far contacting this student has come, with the date: drafted, approved, exported, sent, "
        "or held back (the randomised comparison group: do not write to them)",
    ),
    Column(
        "top_reasons",
        "Top reasons",
        tooltip="What raises (or lowers) this student's risk most, in plain words",
    ),
    Column(
        "status",
        "Status",
        tooltip="Enrolment status at the scoring date: active, not started (enrolled, no activity yet) "
        "or withdrawn (class list or a leaving statement)",
    ),
    Column(
        "student",
        "Student ID",
        tooltip="The student as the data identifies them (account, address or pseudonym)",
    ),
    Column("email", "E-mail", tooltip="The address drafts are written to, when known"),
    Column("engagement", "Engagement", "float", 2, tooltip="Engagement score, 0 to 1"),
    Column(
        "days_since_last_activity",
        "Days since last activity",
        "float",
        1,
        tooltip="Days from the last statement to the as-of date",
    ),
    Column("events_last_7_days", "Events (last 7 days)", "int"),
    Column("active_days", "Active days", "int"),
    Column("total_time_minutes", "Study time (min)", "float", 0),
    Column("quiz_avg_score", "Quiz average", "percent", 0),
    Column("video_completion_rate", "Videos completed", "percent", 0),
    Column("assignments_submitted", "Assignments", "int", tooltip="Assignments submitted"),
    Column("late_submissions", "Late", "int", tooltip="Assignments submitted late"),
    Column("forum_posts", "Forum posts", "int"),
]
SEARCH_COLUMNS = ("name", "student", "email", "top_reasons")
LEVEL_FILTERS: dict[str, tuple[str, ...]] = {
    "All levels": ("low", "moderate", "high"),
    "High": ("high",),
    "Moderate and High": ("moderate", "high"),
    "Moderate": ("moderate",),
    "Low": ("low",),
}


def prepare(frame: Any) -> Any:
    """Add the display column ``level`` (ordered Low < Moderate < High, so it sorts by
    severity, not alphabetically) to a ``core.dashboard.risk_table`` frame. Vectorised."""
    import pandas as pd

    levels = frame["risk_level"].astype("category")
    named = levels.cat.rename_categories({k: v for k, v in LEVEL_TEXT.items() if k in levels.cat.categories})
    out = frame.copy()
    out["name"] = display_names(frame)
    for col, default in (("email", None), ("trend", ""), ("outreach", ""), ("outreach_text", "")):
        if col not in out.columns:  # a frame made without them (tests, an older table)
            out[col] = default
    if "rank" not in out.columns:
        out["rank"] = range(1, len(out) + 1)
    out["level"] = pd.Categorical(
        named, categories=[LEVEL_TEXT[k] for k in ("low", "moderate", "high")], ordered=True
    )
    return out


def display_names(frame: Any) -> list[str]:
    """ "First Last" for each row with a name; "—" where none is known (the tooltip says why)."""
    first = frame["first_name"] if "first_name" in frame.columns else [None] * len(frame)
    last = frame["last_name"] if "last_name" in frame.columns else [None] * len(frame)
    out = []
    for f, la in zip(first, last, strict=True):
        parts = [str(p) for p in (f, la) if isinstance(p, str) and p]
        out.append(" ".join(parts) or "\u2014")
    return out


def filter_positions(
    frame: Any,
    query: str,
    levels: Sequence[str],
    include_withdrawn: bool = True,
    outreach: Sequence[str] | None = None,
) -> Any:
    """Row positions of ``frame`` whose level is one of ``levels`` and whose student or
    reasons contain every word of ``query`` (case-insensitive); students withdrawn by the
    scoring date only with ``include_withdrawn``; with ``outreach`` only those whose outreach
    status is one of them ("" = not contacted; ``OUTREACH_FILTERS``)."""
    import numpy as np

    from learnalytics_desktop.core.dashboard import is_withdrawn

    pos = compute_filter(frame, query, SEARCH_COLUMNS)
    keep = np.ones(len(frame), dtype=bool)
    if not set(levels) >= {"low", "moderate", "high"}:
        keep &= frame["risk_level"].astype(object).isin(list(levels)).to_numpy()
    if not include_withdrawn and "status" in frame.columns:
        keep &= ~is_withdrawn(frame).to_numpy()
    if outreach is not None and "outreach" in frame.columns:
        keep &= frame["outreach"].fillna("").isin(list(outreach)).to_numpy()
    return pos[keep[pos]] if len(pos) else np.zeros(0, dtype=np.int64)


class RiskTableModel(FrameTableModel):
    """A FrameTableModel that tints the Level column by level and shows all reasons as a tooltip."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(columns=COLUMNS, parent=parent)
        self._codes: Any = None
        self._reasons: Any = None
        self._notes: Any = None
        self._brushes = [QBrush(QColor(LEVEL_TINTS[k])) for k in ("low", "moderate", "high")]
        self._ink = QBrush(QColor("#1a1a1a"))
        self.set_role_hook(Qt.ItemDataRole.BackgroundRole, self._background)
        self.set_role_hook(Qt.ItemDataRole.ForegroundRole, self._foreground)
        self.set_role_hook(Qt.ItemDataRole.ToolTipRole, self._tooltip)

    def set_frame(self, frame: Any, columns: Any = None) -> None:
        import numpy as np

        if frame is not None and "level" in frame.columns:
            self._codes = frame["level"].cat.codes.to_numpy()
            self._reasons = frame["reasons"].to_numpy() if "reasons" in frame.columns else None
            self._notes = frame["name_note"].to_numpy() if "name_note" in frame.columns else None
        else:
            self._codes, self._reasons, self._notes = np.zeros(0, dtype=np.int8), None, None
        super().set_frame(frame, COLUMNS if columns is None else columns)

    def _background(self, pos: int, name: str) -> Any:
        if name != "level" or self._codes is None:
            return None
        code = int(self._codes[pos])
        return self._brushes[code] if code >= 0 else None

    def _foreground(self, pos: int, name: str) -> Any:
        return self._ink if name == "level" else None

    def _tooltip(self, pos: int, name: str) -> Any:
        if name == "top_reasons" and self._reasons is not None:
            reasons = self._reasons[pos]
            return "\n".join(f"\u2022 {r}" for r in reasons) if len(reasons) else None
        if name == "name" and self._notes is not None:
            note = self._notes[pos]
            return note if isinstance(note, str) else None
        return None


__all__ = [
    "display_names",
    "COLUMNS",
    "LEVEL_FILTERS",
    "SEARCH_COLUMNS",
    "RiskTableModel",
    "filter_positions",
    "prepare",
]
