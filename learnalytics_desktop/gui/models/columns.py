"""Columns of a :class:`~learnalytics_desktop.gui.models.frame_table.FrameTableModel`: one
formatter per column (percent, risk, float, int, date, datetime, text lists, bool, text) and
the missing-value rule. pandas/numpy are imported only inside functions (start-up path).

Risks (calibrated probabilities) have their own format, :func:`risk_text`, used by every
table and label that shows one: a whole percentage, except that the extremes read ">99%"
and "<1%". A model never knows a student's outcome for certain, and "100%" or "0%" (what
0.9997 and 0.0004 round to) would claim it does.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

MISSING = "—"


def is_missing(value: Any) -> bool:
    """None, NaN, NaT and pd.NA are missing; lists and strings never are."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, (str, bytes, list, tuple, dict, set)):
        return False
    if type(value).__module__.startswith(("pandas", "numpy")):
        import pandas as pd

        try:
            result = pd.isna(value)
        except (TypeError, ValueError):
            return False
        return bool(result) if getattr(result, "ndim", 0) == 0 else False
    return False


def _as_datetime(value: Any) -> datetime | date | None:
    if isinstance(value, (datetime, date)):  # pd.Timestamp is a datetime
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value) / 1000.0, UTC)  # store timestamps: epoch ms
    if hasattr(value, "astype") and "datetime64" in str(getattr(value, "dtype", "")):
        import pandas as pd

        return pd.Timestamp(value).to_pydatetime()
    return None


def _fmt_percent(v: Any, digits: int | None) -> str:
    return f"{float(v) * 100:.{0 if digits is None else digits}f}%"


RISK_HIGH_CAP = 0.995  # at or above: ">99%" (would round to 100%)
RISK_LOW_CAP = 0.005  # below: "<1%" (would round to 0%)


def risk_text(risk: float) -> str:
    """A risk (0-1) as a percentage that never claims certainty: ">99%", "<1%", else "42%"."""
    r = float(risk)
    if math.isnan(r):
        return MISSING
    pct = math.floor(100 * r + 0.5)  # halves round up (format() would show 0.005 as "0%")
    if pct >= 100:  # r >= RISK_HIGH_CAP
        return ">99%"
    if pct < 1:  # r < RISK_LOW_CAP
        return "<1%"
    return f"{pct}%"


def _fmt_risk(v: Any, digits: int | None) -> str:
    return risk_text(v)


def _fmt_float(v: Any, digits: int | None) -> str:
    return f"{float(v):,.{2 if digits is None else digits}f}"


def _fmt_int(v: Any, digits: int | None) -> str:
    return f"{int(v):,}"


def _fmt_date(v: Any, digits: int | None) -> str:
    d = _as_datetime(v)
    return str(v) if d is None else d.strftime("%Y-%m-%d")


def _fmt_datetime(v: Any, digits: int | None) -> str:
    d = _as_datetime(v)
    return str(v) if d is None else d.strftime("%Y-%m-%d %H:%M")


def fmt_list(v: Any, digits: int | None) -> str:
    """A list of texts as ``"a; b; c"`` (a string stays as it is)."""
    if isinstance(v, str):
        return v
    try:
        return "; ".join(str(x) for x in v)
    except TypeError:
        return str(v)


def _fmt_bool(v: Any, digits: int | None) -> str:
    return "yes" if bool(v) else "no"


def _fmt_text(v: Any, digits: int | None) -> str:
    return str(v)


FORMATS: dict[str, Callable[[Any, int | None], str]] = {
    "percent": _fmt_percent,  # a fraction: 0.42 -> "42%"
    "risk": _fmt_risk,  # a risk: 0.42 -> "42%", 0.9997 -> ">99%", 0.0004 -> "<1%" (digits ignored)
    "float": _fmt_float,
    "int": _fmt_int,
    "date": _fmt_date,  # datetime/date/Timestamp, or epoch milliseconds
    "datetime": _fmt_datetime,
    "list": fmt_list,  # list of texts -> "a; b; c"
    "bool": _fmt_bool,
    "text": _fmt_text,
}
NUMERIC_FORMATS = {"percent", "risk", "float", "int"}


@dataclass(frozen=True)
class Column:
    """How one DataFrame column is shown: header title, format, alignment and tooltip.

    ``fmt`` is a name from :data:`FORMATS` or a callable ``value -> str``; ``digits`` sets
    the decimals of ``percent``/``float``.
    """

    name: str
    title: str | None = None
    fmt: str | Callable[[Any], str] = "text"
    digits: int | None = None
    tooltip: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.fmt, str) and self.fmt not in FORMATS:
            raise ValueError(
                f"Column {self.name!r}: unknown format {self.fmt!r}; use one of {sorted(FORMATS)}"
            )

    @property
    def header(self) -> str:
        """The header text (``title``, else the column name)."""
        return self.title if self.title is not None else self.name

    @property
    def numeric(self) -> bool:
        """True for numbers (right-aligned, no text tooltip)."""
        return self.fmt in NUMERIC_FORMATS

    def format(self, value: Any) -> str:
        """The text shown for ``value`` (missing values show as an em dash)."""
        if is_missing(value):
            return MISSING
        if callable(self.fmt):
            return self.fmt(value)
        try:
            return FORMATS[self.fmt](value, self.digits)
        except (TypeError, ValueError, OverflowError):
            return str(value)


def infer_columns(frame: pd.DataFrame) -> list[Column]:
    """One :class:`Column` per frame column with a format chosen from its dtype."""
    import pandas as pd

    out = []
    for name in frame.columns:
        dtype = frame[name].dtype
        if pd.api.types.is_bool_dtype(dtype):
            fmt = "bool"
        elif pd.api.types.is_integer_dtype(dtype):
            fmt = "int"
        elif pd.api.types.is_float_dtype(dtype):
            fmt = "float"
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            fmt = "datetime"
        else:
            first = frame[name].dropna().head(1)
            fmt = "list" if len(first) and isinstance(first.iloc[0], (list, tuple)) else "text"
        out.append(Column(str(name), fmt=fmt))
    return out
