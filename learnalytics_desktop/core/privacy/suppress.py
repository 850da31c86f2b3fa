"""Small-cell suppression for aggregate numbers shown or exported.

A count of people below the threshold (default 5, editable in Settings) could single out a
learner, so aggregates show ``"<5"`` instead of the number, and derived rates for such a
group are hidden. A count of zero is shown: it reveals no one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from learnalytics_desktop.core.store.settings import Setting, register

DEFAULT_THRESHOLD = 5
SETTING_KEY = "small_cell_threshold"


def check_small_cell_threshold(value: object) -> int:
    """A whole number from 1 to 100, else ValueError saying so."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1 or value > 100:
        raise ValueError("The small-cell threshold must be a whole number from 1 to 100.")
    return value


SMALL_CELL_THRESHOLD = register(
    Setting(
        SETTING_KEY,
        DEFAULT_THRESHOLD,
        check_small_cell_threshold,
        lenient=True,  # a broken saved value must never show small counts: use the default
        doc="People counts below this show as '<N'.",
    )
)


def small_cell_threshold(conn: sqlite3.Connection | None) -> int:
    """The database's threshold (settings key ``small_cell_threshold``), default 5."""
    return int(SMALL_CELL_THRESHOLD.read(conn))


def set_small_cell_threshold(conn: sqlite3.Connection, value: int) -> None:
    """Validate and save the threshold (with an audit entry)."""
    SMALL_CELL_THRESHOLD.write(conn, value)


def is_small(count: int, threshold: int = DEFAULT_THRESHOLD) -> bool:
    return 0 < int(count) < threshold


def suppress_count(count: int, threshold: int = DEFAULT_THRESHOLD) -> int | str:
    """The count itself, or ``"<threshold"`` when it is a small cell."""
    return f"<{threshold}" if is_small(count, threshold) else int(count)


def format_count(count: int, threshold: int = DEFAULT_THRESHOLD) -> str:
    value = suppress_count(count, threshold)
    return value if isinstance(value, str) else f"{value:,}"


def suppress_frame(
    frame: Any,
    count_columns: Iterable[str],
    threshold: int = DEFAULT_THRESHOLD,
    rate_columns: Iterable[str] = (),
) -> Any:
    """A copy of a DataFrame with small counts replaced by ``"<t"`` and rates of those rows blanked.

    ``count_columns`` are people counts; ``rate_columns`` are numbers derived from the same rows
    (means, rates) that must not be shown when any count in the row is small.
    """
    out = frame.copy().astype(object)
    small_row = None
    for col in count_columns:
        mask = frame[col].fillna(0).astype(int).map(lambda n: is_small(n, threshold))
        small_row = mask if small_row is None else (small_row | mask)
        out.loc[mask, col] = f"<{threshold}"
    if small_row is not None:
        for col in rate_columns:
            out.loc[small_row, col] = None
    return out
