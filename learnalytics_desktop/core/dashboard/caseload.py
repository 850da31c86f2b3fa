"""The advisor's caseload columns of the risk list: rank, trend since last week, outreach.

Added to :func:`core.dashboard.risk_table` (see there) so the GUI, the CLI and exports agree:

* ``rank``: 1 for the riskiest student of the run. When the model is sure of many students
  (the top rows all read ">99%"), the risk alone cannot order them, so ties in the stored
  risk are broken by lower engagement, then by more days since the last activity, then by
  the label (stable). The rank is the order of the list as it loads.
* ``previous_risk``: the student's risk in the run that counts for the week before
  (``core.model.runs.select_run``, same active model), NaN when there is none (week 1, or
  that week was not scored).
* ``new_high``: High now and not High last week (False when last week is unknown).
* ``trend``: "new High" for those, else "▲" / "▼" when the risk moved up / down by at least
  :data:`TREND_STEP` (5 percentage points), "" when it barely moved or is unknown.
* ``outreach`` / ``outreach_text``: how far contacting the student has come, with the date
  (``core.interventions.outreach``); "" when nobody has written to them.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

TREND_STEP = 0.05
NEW_HIGH = "new High"


def previous_levels(conn: sqlite3.Connection, course_id: int, week: int) -> pd.DataFrame:
    """Risk and level per actor in the run that counts for ``week - 1`` (empty when none)."""
    import pandas as pd

    from learnalytics_desktop.core.model.runs import select_run

    empty = pd.DataFrame({"previous_risk": pd.Series(dtype=float), "previous_level": pd.Series(dtype=object)})
    if week <= 1:
        return empty
    run = select_run(conn, int(course_id), week=int(week) - 1)
    if run is None:
        return empty
    rows = conn.execute("SELECT actor, risk, level FROM scores WHERE run_id = ?", (int(run.id),)).fetchall()
    frame = pd.DataFrame(rows, columns=["actor", "previous_risk", "previous_level"]).set_index("actor")
    return frame


def add_caseload_columns(
    conn: sqlite3.Connection, frame: pd.DataFrame, course_id: int, week: int, as_of: datetime | None
) -> pd.DataFrame:
    """``frame`` (a risk table, any order) sorted by rank with the columns of the module
    docstring added."""
    import numpy as np

    from learnalytics_desktop.core.interventions.outreach import outreach_status

    out = frame.assign(
        _eng=frame["engagement"].astype(float).fillna(np.inf),
        _idle=-frame["days_since_last_activity"].astype(float).fillna(-np.inf),
    )
    out = out.sort_values(
        ["risk_score", "_eng", "_idle", "student"], ascending=[False, True, True, True], kind="stable"
    ).reset_index(drop=True)
    out = out.drop(columns=["_eng", "_idle"])
    out["rank"] = np.arange(1, len(out) + 1, dtype="int64")
    prev = previous_levels(conn, course_id, week).reindex(out["actor"].to_numpy())
    out["previous_risk"] = prev["previous_risk"].astype(float).to_numpy()
    level = out["risk_level"].astype(object).to_numpy()
    before = prev["previous_level"].to_numpy()
    was_lower = np.array([isinstance(b, str) and b != "high" for b in before], dtype=bool)
    out["new_high"] = (level == "high") & was_lower
    delta = out["risk_score"].astype(float).to_numpy() - out["previous_risk"].to_numpy()
    trend = np.where(delta >= TREND_STEP, "\u25b2", np.where(delta <= -TREND_STEP, "\u25bc", ""))
    out["trend"] = np.where(out["new_high"].to_numpy(), NEW_HIGH, trend).astype(object)
    status = outreach_status(conn, course_id, as_of).reindex(out["actor"].to_numpy())
    out["outreach"] = status["outreach"].fillna("").to_numpy()
    out["outreach_text"] = status["outreach_text"].fillna("").to_numpy()
    return out


__all__ = ["NEW_HIGH", "TREND_STEP", "add_caseload_columns", "previous_levels"]
