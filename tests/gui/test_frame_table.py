"""FrameTableModel without a view: formats, raw values, stable sorting, paging, filtering."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from learnalytics_desktop.gui.models.frame_table import (
    FETCH_CHUNK,
    MISSING,
    Column,
    FrameTableModel,
    compute_filter,
)

DISPLAY, USER = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.UserRole


def students(n: int = 6) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": [f"s{i:02d}" for i in range(n)],
            "risk": [0.9, 0.1, np.nan, 0.5, 0.1, 0.75][:n],
            "events": np.array([3, 120000, 7, 0, 42, 9][:n], dtype=np.int64),
            "last": pd.to_datetime(
                ["2026-10-01", "2026-10-03", None, "2026-09-01", "2026-10-02", "2026-10-04"][:n], utc=True
            ),
            "reasons": [
                ["no logins", "late work"],
                [],
                ["quiz scores low"],
                None,
                ["no logins"],
                ["forum quiet"],
            ][:n],
            "level": ["high", "low", "low", "medium", "low", "high"][:n],
        }
    )


COLUMNS = [
    Column("name", "Student"),
    Column("risk", "Risk", "percent"),
    Column("events", "Events", "int"),
    Column("last", "Last active", "date"),
    Column("reasons", "Top reasons", "list"),
    Column("level", "Level"),
]


def texts(model: FrameTableModel, col: int) -> list[str]:
    return [model.data(model.index(r, col), DISPLAY) for r in range(model.rowCount())]


def test_model_passes_qt_model_tester(qtmodeltester):
    model = FrameTableModel(students(), COLUMNS)
    qtmodeltester.check(model)
    model.sort(1, Qt.SortOrder.DescendingOrder)
    model.set_filter("low")
    qtmodeltester.check(model)


def test_display_goes_through_one_formatter_per_column():
    model = FrameTableModel(students(), COLUMNS)
    assert texts(model, 1) == ["90%", "10%", MISSING, "50%", "10%", "75%"]
    assert texts(model, 2)[1] == "120,000"
    assert texts(model, 3)[:3] == ["2026-10-01", "2026-10-03", MISSING]
    assert texts(model, 4)[:4] == ["no logins; late work", "", "quiz scores low", MISSING]
    assert model.headerData(1, Qt.Orientation.Horizontal, DISPLAY) == "Risk"
    right = model.data(model.index(0, 1), Qt.ItemDataRole.TextAlignmentRole)
    assert right & Qt.AlignmentFlag.AlignRight.value


def test_user_role_gives_raw_python_values():
    model = FrameTableModel(students(), COLUMNS)
    assert model.data(model.index(0, 1), USER) == 0.9
    events = model.data(model.index(1, 2), USER)
    assert events == 120000 and type(events) is int
    assert model.data(model.index(2, 1), USER) is None  # NaN is missing
    assert model.data(model.index(0, 4), USER) == ["no logins", "late work"]


def test_extra_formats_and_errors():
    assert Column("x", fmt="float", digits=1).format(1234.56) == "1,234.6"
    assert Column("x", fmt="date").format(1_790_000_000_000) == datetime.fromtimestamp(
        1_790_000_000, UTC
    ).strftime("%Y-%m-%d")
    assert Column("x", fmt="bool").format(np.bool_(True)) == "yes"
    assert Column("x", fmt=lambda v: f"<{v}>").format(3) == "<3>"
    assert Column("x", fmt="int").format("n/a") == "n/a"  # unformattable values show as text
    with pytest.raises(ValueError, match="unknown format"):
        Column("x", fmt="money")
    with pytest.raises(ValueError, match="no column"):
        FrameTableModel(students(), [Column("nope")])


def test_the_frame_is_never_mutated():
    frame = students()
    copy = frame.copy(deep=True)
    model = FrameTableModel(frame, COLUMNS)
    model.sort(1, Qt.SortOrder.DescendingOrder)
    model.set_filter("no logins")
    model.sort(3)
    pd.testing.assert_frame_equal(frame, copy)


def test_sort_is_stable_with_missing_last_both_ways():
    model = FrameTableModel(students(), COLUMNS)
    model.sort(1, Qt.SortOrder.AscendingOrder)
    assert texts(model, 0) == ["s01", "s04", "s03", "s05", "s00", "s02"]  # ties keep frame order
    model.sort(1, Qt.SortOrder.DescendingOrder)
    assert texts(model, 0) == [
        "s00",
        "s05",
        "s03",
        "s01",
        "s04",
        "s02",
    ]  # ties still in frame order, NaN last
    model.sort(4, Qt.SortOrder.AscendingOrder)  # lists sort by their text
    assert texts(model, 0) == ["s01", "s05", "s04", "s00", "s02", "s03"]
    model.sort(-1)
    assert texts(model, 0) == [f"s{i:02d}" for i in range(6)]


def test_sort_emits_layout_signals_and_persistent_indexes_follow(qtbot):
    model = FrameTableModel(students(), COLUMNS)
    keep = QPersistentModelIndex(model.index(0, 0))  # s00
    with qtbot.waitSignals([model.layoutAboutToBeChanged, model.layoutChanged], timeout=1000):
        model.sort(2, Qt.SortOrder.AscendingOrder)  # events: s03(0) s00(3) s02(7) ...
    assert keep.row() == 1 and keep.data() == "s00"


def test_sorting_100k_rows_is_correct_and_stable():
    """Speed: bench/table_speed.py."""
    rng = np.random.default_rng(1)
    n = 100_000
    frame = pd.DataFrame(
        {
            "name": [f"student{i:06d}" for i in range(n)],
            "risk": rng.random(n).round(2),  # many ties: stability matters
            "events": rng.integers(0, 500, n),
        }
    )
    model = FrameTableModel(
        frame, [Column("name"), Column("risk", fmt="percent"), Column("events", fmt="int")]
    )
    assert model.rowCount() == n  # at the threshold: everything loaded
    model.sort(1, Qt.SortOrder.DescendingOrder)
    order = model.order
    risk = frame["risk"].to_numpy()[order]
    assert np.all(np.diff(risk) <= 0)
    ties = order[risk == risk[0]]
    assert np.all(np.diff(ties) > 0)  # equal keys keep their frame order
    assert model.data(model.index(0, 0), DISPLAY) == frame["name"].iloc[order[0]]


def test_big_frames_are_paged_500_rows_at_a_time(qtbot):
    n = 100_001
    frame = pd.DataFrame({"v": np.arange(n)})
    model = FrameTableModel(frame, [Column("v", fmt="int")])
    assert model.rowCount() == FETCH_CHUNK and model.canFetchMore(QModelIndex())
    with qtbot.waitSignal(model.rowsInserted, timeout=1000):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == 2 * FETCH_CHUNK
    model.sort(0, Qt.SortOrder.DescendingOrder)
    assert model.data(model.index(0, 0), USER) == n - 1 and model.rowCount() == 2 * FETCH_CHUNK
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == n


def test_filter_in_pandas_every_word_any_text_column():
    frame = students()
    model = FrameTableModel(frame, COLUMNS)
    model.set_filter("LOGINS")
    assert texts(model, 0) == ["s00", "s04"]
    model.set_filter("logins late")
    assert texts(model, 0) == ["s00"]
    model.sort(0, Qt.SortOrder.DescendingOrder)
    model.set_filter("low")  # level column; the sort is kept
    assert texts(model, 0) == ["s04", "s02", "s01"]
    model.set_filter("")
    assert model.rowCount() == 6
    positions = compute_filter(frame, "high", ["level"])
    model.set_filter_positions(positions, query="high")
    assert texts(model, 0) == ["s05", "s00"]


def test_new_frame_keeps_sort_and_filter():
    model = FrameTableModel(students(), COLUMNS)
    model.sort(2, Qt.SortOrder.DescendingOrder)
    model.set_filter("low")
    model.set_frame(students(5), COLUMNS)
    assert texts(model, 0) == ["s01", "s04", "s02"]


def test_role_hooks_colour_cells(qtbot):
    frame = students()
    model = FrameTableModel(frame, COLUMNS)
    colours = {"high": QColor("#c62828"), "medium": QColor("#ef6c00")}
    with qtbot.waitSignal(model.dataChanged, timeout=1000):
        model.set_role_hook(
            Qt.ItemDataRole.BackgroundRole,
            lambda pos, col: colours.get(frame["level"].iat[pos]) if col == "level" else None,
        )
    assert model.data(model.index(0, 5), Qt.ItemDataRole.BackgroundRole) == colours["high"]
    assert model.data(model.index(1, 5), Qt.ItemDataRole.BackgroundRole) is None
    assert model.data(model.index(0, 0), Qt.ItemDataRole.BackgroundRole) is None
    model.sort(5)  # hooks get frame positions, so they follow sorting
    row = texts(model, 0).index("s03")
    assert model.data(model.index(row, 5), Qt.ItemDataRole.BackgroundRole) == colours["medium"]


def test_columns_inferred_from_dtypes():
    model = FrameTableModel(students())
    fmts = {c.name: c.fmt for c in model.columns}
    assert fmts == {
        "name": "text",
        "risk": "float",
        "events": "int",
        "last": "datetime",
        "reasons": "list",
        "level": "text",
    }
