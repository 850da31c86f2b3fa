"""The regression discontinuity plot of a threshold design, on screen and in the report."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from learnalytics_desktop.core.impact import analyze_impact, render_report_html

SCREENSHOTS = os.environ.get("LEARNALYTICS_SCREENSHOTS")


def threshold_result(effect=5.0, n=600, seed=2):
    rng = np.random.default_rng(seed)
    risk = rng.uniform(0, 1, n)
    treated = risk >= 0.6
    grade = 85 - 40 * risk + effect * treated + rng.normal(0, 6, n)
    df = pd.DataFrame(
        {"group": np.where(treated, "treated", "control"), "final_grade": grade, "risk_score": risk}
    )
    return analyze_impact(df, outcome="final_grade", covariates=["risk_score"], cutoff=0.6)


def test_rd_plot_draws_the_bins_fits_and_cutoff_and_goes_into_the_report(qtbot, tmp_path):
    from learnalytics_desktop.gui.pages.impact.plot import RDPlot

    result = threshold_result()
    plot = RDPlot()
    qtbot.addWidget(plot)
    plot.resize(640, 420)
    plot.show()
    plot.show_result(result, "Final grade")
    rd = result.diagnostics["rd"]
    assert plot.has_data and plot.cut.value() == rd["cutoff"]
    xs, ys = plot.points["below"].getData()
    assert len(xs) == len(rd["plot"]["bins_below"]) and (xs < 0.6).all()
    fit_x, fit_y = plot.fits["above"].getData()
    assert fit_x[0] == 0.6 and fit_y[0] == rd["plot"]["fit_above"][0][1]
    assert "near the threshold" in plot.caption
    png = plot.png(600)
    assert png.startswith(b"\x89PNG")
    out = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    assert plot.grab().save(str(out / "impact_rd_plot.png"))
    page = render_report_html(result, figures={"rd": (png, plot.caption)})
    head = page.index("Regression discontinuity at the cut-off")
    assert page.index('src="data:image/png;base64,', head) > head
    assert "effect for students near the threshold" in page


def test_rd_plot_says_why_when_there_is_no_discontinuity(qtbot):
    from learnalytics_desktop.gui.pages.impact.plot import RDPlot

    df = pd.DataFrame(
        {
            "group": ["treated"] * 5 + ["control"] * 5,
            "final_grade": range(10),
            "risk_score": np.linspace(0, 1, 10),
        }
    )
    result = analyze_impact(df, outcome="final_grade", covariates=["risk_score"], cutoff=0.5)
    plot = RDPlot()
    qtbot.addWidget(plot)
    plot.show_result(result, "Final grade")
    assert not plot.has_data and "at least 10 students on each side" in plot.legend.text()
