"""One formatter for risks everywhere: never "100%" or "0%" for a calibrated probability."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt

from learnalytics_desktop.gui.models.columns import MISSING, Column, risk_text


@pytest.mark.parametrize(
    "risk, text",
    [
        (0.9997, ">99%"),
        (1.0, ">99%"),
        (0.995, ">99%"),
        (0.9949, "99%"),
        (0.42, "42%"),
        (0.005, "1%"),
        (0.0049, "<1%"),
        (0.0004, "<1%"),
        (0.0, "<1%"),
        (np.float64(0.5), "50%"),
        (0.125, "13%"),
    ],
)
def test_risk_text_never_claims_certainty(risk, text):
    assert risk_text(risk) == text


def test_risk_column_format():
    col = Column("risk_score", "Risk", "risk")
    assert col.numeric
    assert [col.format(v) for v in (0.9997, 0.0004, 0.123, float("nan"), None)] == [
        ">99%",
        "<1%",
        "12%",
        MISSING,
        MISSING,
    ]
    assert risk_text(math.nan) == MISSING


def test_every_risk_shown_in_the_app_goes_through_the_shared_formatter(qtbot):
    from learnalytics_desktop.core.dashboard import TABLE_FEATURES
    from learnalytics_desktop.gui.pages.dashboard import common as dash_common
    from learnalytics_desktop.gui.pages.dashboard.risk_table import COLUMNS, RiskTableModel, prepare
    from learnalytics_desktop.gui.pages.interventions import interventions_page
    from learnalytics_desktop.gui.pages.interventions import log as interv_log

    assert dash_common.risk_text is risk_text
    assert "(>99%)" in dash_common.level_html("high", 0.9997)
    for columns in (COLUMNS, interventions_page.REVIEW_COLUMNS, interv_log.LOG_COLUMNS):
        risk_cols = [c for c in columns if c.name in ("risk", "risk_score")]
        assert risk_cols and all(c.fmt == "risk" for c in risk_cols)

    risks = np.array([0.9997, 0.42, 0.0004])
    frame = prepare(
        pd.DataFrame(
            {
                "actor": [1, 2, 3],
                "student": ["a", "b", "c"],
                "risk_score": risks,
                "risk_level": pd.Categorical(
                    ["high", "moderate", "low"], categories=["low", "moderate", "high"], ordered=True
                ),
                "status": ["active", "not started", "withdrawn (2026-01-20)"],
                "top_reasons": ["", "", ""],
                "engagement": [0.1, 0.5, 0.9],
                **{c: [1.0, 2.0, 3.0] for c in TABLE_FEATURES},
                "reasons": [[], [], []],
            }
        )
    )
    model = RiskTableModel()
    model.set_frame(frame)
    col = [c.name for c in model.columns].index("risk_score")
    shown = [model.data(model.index(r, col)) for r in range(3)]
    assert shown == [">99%", "42%", "<1%"]
    assert model.data(model.index(0, col), Qt.ItemDataRole.UserRole) == pytest.approx(
        0.9997
    )  # sorting keeps the raw value
