"""How fast the 100,000-row tables are: sorting, filtering, painting cells and scrolling.

    .venv/bin/python bench/table_speed.py [--rows 100000]

These were wall-clock assertions inside the GUI tests until issue 10 (a test asserts what
the table does; this script reports how fast). Each figure is printed with the budget the
tests used to assert and its ratio to it (``ratio`` < 1 is within budget): sorting the
"Students at risk" table by risk 0.5 s, by level 0.5 s, by name 1.5 s; the text filter
1.5 s; 5,600 cell reads (400 rows x 14 columns, with their background) 0.5 s; one scroll
stop's repaint 0.25 s; and the generic FrameTableModel's stable sort of 100,000 rows 1 s.
Offscreen Qt; the frame is tests/factories.py's seeded ``risk_table_frame``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from factories import risk_table_frame  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QTableView  # noqa: E402

from learnalytics_desktop.gui.models.columns import Column  # noqa: E402
from learnalytics_desktop.gui.models.frame_table import FrameTableModel  # noqa: E402
from learnalytics_desktop.gui.pages.dashboard.risk_table import (  # noqa: E402
    COLUMNS,
    RiskTableModel,
    filter_positions,
    prepare,
)

BUDGET_S = {
    "sort by risk": 0.5,
    "sort by level": 0.5,
    "sort by student": 1.5,
    "filter": 1.5,
    "5600 cells": 0.5,
    "worst scroll stop": 0.25,
    "generic sort": 1.0,
}


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def measure(rows: int) -> dict[str, float]:
    frame = prepare(risk_table_frame(rows))
    model = RiskTableModel()
    model.set_frame(frame)
    col = {c.name: i for i, c in enumerate(model.columns)}
    out = {}
    for name, key in (("risk", "risk_score"), ("level", "level"), ("student", "student")):
        out[f"sort by {name}"] = timed(lambda key=key: model.sort(col[key], Qt.SortOrder.DescendingOrder))
    out["filter"] = timed(lambda: filter_positions(frame, "quiz 41", ("high",)))

    def cells():
        for r in range(400):
            for c in range(len(COLUMNS)):
                idx = model.index(r, c)
                model.data(idx)
                model.data(idx, Qt.ItemDataRole.BackgroundRole)

    out["5600 cells"] = timed(cells)
    view = QTableView()
    view.setModel(model)
    view.resize(900, 600)
    view.show()
    QApplication.processEvents()
    bar = view.verticalScrollBar()
    stops = []
    for step in range(41):
        stops.append(
            timed(lambda step=step: (bar.setValue(bar.maximum() * step // 40), view.viewport().grab()))
        )
    out["worst scroll stop"] = max(stops)
    generic = FrameTableModel(
        frame[["student", "risk_score", "engagement"]],
        [Column("student"), Column("risk_score", fmt="percent"), Column("engagement")],
    )
    out["generic sort"] = timed(lambda: generic.sort(1, Qt.SortOrder.DescendingOrder))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    figures = measure(args.rows)
    print(f"{args.rows:,} rows")
    for name, seconds in figures.items():
        budget = BUDGET_S[name]
        print(
            f"  {name:<18} {seconds * 1000:8.0f} ms   budget {budget * 1000:5.0f} ms   ratio {seconds / budget:.2f}"
        )
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
