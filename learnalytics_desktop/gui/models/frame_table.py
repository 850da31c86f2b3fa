"""A read-only table model over a pandas DataFrame (Orange's sorted mapping, Spyder's paging).

* The DataFrame is never mutated: the model keeps ``order``, an array of frame row positions
  in view order, and reads cells with ``frame.iat[order[row], col]``.
* ``DisplayRole`` goes through one formatter per column (:class:`Column`, in
  :mod:`~learnalytics_desktop.gui.models.columns`); ``UserRole`` gives
  the raw value (numbers stay numbers, for sorting proxies and for callers).
* ``sort()`` is a stable pandas sort of the column, applied by swapping ``order`` between
  ``layoutAboutToBeChanged`` and ``layoutChanged`` (persistent indexes follow their rows, so
  a selection survives sorting). Missing values sort last in both directions.
* Above :data:`LARGE_ROWS` rows the view gets :data:`FETCH_CHUNK` rows at a time
  (``canFetchMore``/``fetchMore``); ``loaded`` counts them.
* Filtering is done in pandas: :func:`compute_filter` is a pure function (run it on the
  task runner's pool for big tables) and :meth:`FrameTableModel.set_filter_positions`
  applies its result; :meth:`FrameTableModel.set_filter` does both at once.
* Colours and other roles come from hooks: ``set_role_hook(Qt.BackgroundRole, fn)`` where
  ``fn(position, column_name)`` returns a value or None (e.g. risk-level colours).

pandas and numpy are imported inside functions: this module is on the start-up path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from learnalytics_desktop.gui.models.columns import (
    FORMATS,
    MISSING,
    NUMERIC_FORMATS,
    Column,
    fmt_list,
    infer_columns,
    is_missing,
)

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

LARGE_ROWS = 100_000
FETCH_CHUNK = 500
TOOLTIP_FROM = 30  # text cells longer than this also come as a tooltip

Index = QModelIndex | QPersistentModelIndex
RoleHook = Callable[[int, str], Any]

# Qt constants as plain ints, looked up once: data() runs for every visible cell and role, and
# reading ``Qt.ItemDataRole.DisplayRole.value`` (enum attribute lookups) each time was ~40 %
# of its cost.
_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
_USER = int(Qt.ItemDataRole.UserRole.value)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole.value)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole.value)
_ALIGN_NUMBER = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)
_ALIGN_TEXT = int((Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter).value)
_CELL_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
_NO_FLAGS = Qt.ItemFlag.NoItemFlags
_HORIZONTAL = Qt.Orientation.Horizontal
_VERTICAL = Qt.Orientation.Vertical
_ROLE_ENUM = Qt.ItemDataRole


def _role(role: Any) -> int:
    """A role as an int (views pass ints; Python callers may pass the enum)."""
    return role if type(role) is int else int(role.value) if isinstance(role, _ROLE_ENUM) else int(role)


def compute_filter(frame: pd.DataFrame, query: str, columns: Sequence[str]) -> np.ndarray:
    """Row positions of ``frame`` whose ``columns`` contain every word of ``query``.

    Case-insensitive plain substring match (no regular expressions); an empty query keeps
    every row. Pure pandas, safe to run on a worker thread.
    """
    import numpy as np

    words = query.casefold().split()
    if not words or len(frame) == 0:
        return np.arange(len(frame), dtype=np.int64)
    texts = []
    for name in columns:
        col = frame[name]
        sample = col.dropna().head(1).tolist() if col.dtype == object else []
        if sample and isinstance(sample[0], (list, tuple)):
            col = col.map(lambda v: fmt_list(v, None) if isinstance(v, (list, tuple)) else v)
        texts.append(col.astype("string").fillna("").str.casefold())
    mask = np.ones(len(frame), dtype=bool)
    for word in words:
        hit = np.zeros(len(frame), dtype=bool)
        for text in texts:
            hit |= text.str.contains(word, regex=False).to_numpy(dtype=bool, na_value=False)
        mask &= hit
    return np.flatnonzero(mask).astype(np.int64)


class FrameTableModel(QAbstractTableModel):
    """Read-only, sortable, filterable model over a DataFrame; see the module docstring."""

    def __init__(
        self, frame: pd.DataFrame | None = None, columns: Sequence[Column] | None = None, parent: Any = None
    ) -> None:
        super().__init__(parent)
        self._frame: pd.DataFrame | None = None
        self._columns: list[Column] = []
        self._locs: list[int] = []
        self._base: np.ndarray | None = None  # filtered positions in frame order
        self._order: np.ndarray | None = None
        self._loaded = 0
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._query = ""
        self._query_columns: list[str] | None = None
        self._hooks: dict[int, RoleHook] = {}
        if frame is not None:
            self.set_frame(frame, columns)

    # -- data in ------------------------------------------------------------------------------
    def set_frame(self, frame: pd.DataFrame | None, columns: Sequence[Column] | None = None) -> None:
        """Show ``frame`` (not copied, never changed). Keeps the sort and the text filter."""
        import numpy as np

        self.beginResetModel()
        if frame is None:
            import pandas as pd

            frame = pd.DataFrame()
        if columns is None:
            columns = (
                self._columns
                if self._columns and all(c.name in frame.columns for c in self._columns)
                else infer_columns(frame)
            )
        missing = [c.name for c in columns if c.name not in frame.columns]
        if missing:
            self.endResetModel()
            raise ValueError(f"FrameTableModel: the frame has no column(s) {missing}")
        self._frame = frame
        self._columns = list(columns)
        self._locs = [int(frame.columns.get_loc(c.name)) for c in self._columns]
        base = np.arange(len(frame), dtype=np.int64)
        if self._query:
            base = compute_filter(frame, self._query, self._search_columns())
        self._base = base
        self._order = self._sorted(base)
        self._loaded = self._initial_loaded()
        self.endResetModel()

    @property
    def frame(self) -> pd.DataFrame | None:
        """The DataFrame shown (never modified by the model)."""
        return self._frame

    @property
    def columns(self) -> list[Column]:
        """The columns shown, in order."""
        return list(self._columns)

    @property
    def order(self) -> np.ndarray:
        """Frame row positions in view order (after filter and sort)."""
        import numpy as np

        return self._order if self._order is not None else np.arange(0, dtype=np.int64)

    @property
    def shown_rows(self) -> int:
        """Rows after filtering (``rowCount`` is at most this; see ``loaded``)."""
        return 0 if self._order is None else len(self._order)

    @property
    def loaded(self) -> int:
        """Rows handed to the view so far (all of them up to LARGE_ROWS; see fetchMore)."""
        return self._loaded

    def row_position(self, row: int) -> int:
        """The frame row position (``iloc``) shown at view ``row``."""
        return int(self.order[row])

    def value(self, row: int, column: str) -> Any:
        """The raw value at view ``row`` of the frame column named ``column``."""
        assert self._frame is not None
        return self._frame.iat[self.row_position(row), int(self._frame.columns.get_loc(column))]

    def set_role_hook(self, role: int | Qt.ItemDataRole, hook: RoleHook | None) -> None:
        """Answer ``role`` with ``hook(position, column_name)`` (None = no value)."""
        key = int(role.value) if isinstance(role, Qt.ItemDataRole) else int(role)
        if hook is None:
            self._hooks.pop(key, None)
        else:
            self._hooks[key] = hook
        if self.rowCount() and self.columnCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1))

    # -- filter -------------------------------------------------------------------------------
    def _search_columns(self) -> list[str]:
        if self._query_columns is not None:
            return self._query_columns
        return [c.name for c in self._columns if c.fmt in ("text", "list")]

    def set_filter(self, query: str, columns: Sequence[str] | None = None) -> None:
        """Keep rows whose text columns (or ``columns``) contain every word of ``query``."""
        self._query = query.strip()
        self._query_columns = list(columns) if columns is not None else None
        if self._frame is None:
            return
        self.set_filter_positions(
            compute_filter(self._frame, self._query, self._search_columns()), query=self._query
        )

    def set_filter_positions(self, positions: np.ndarray | None, *, query: str | None = None) -> None:
        """Show only these frame positions (from :func:`compute_filter`); None shows all."""
        import numpy as np

        if self._frame is None:
            return
        if query is not None:
            self._query = query
        self.beginResetModel()
        self._base = (
            np.arange(len(self._frame), dtype=np.int64)
            if positions is None
            else np.asarray(positions, dtype=np.int64)
        )
        self._order = self._sorted(self._base)
        self._loaded = self._initial_loaded()
        self.endResetModel()

    # -- sort ---------------------------------------------------------------------------------
    def _sorted(self, positions: np.ndarray) -> np.ndarray:
        if self._sort is None or self._frame is None or len(positions) == 0:
            return positions
        col, order = self._sort
        if not 0 <= col < len(self._columns):
            return positions
        column = self._columns[col]
        keys = self._frame.iloc[positions, self._locs[col]].reset_index(drop=True)
        if column.fmt == "list" or callable(column.fmt):
            keys = keys.map(lambda v: None if is_missing(v) else column.format(v))
        ascending = order == Qt.SortOrder.AscendingOrder
        try:
            idx = keys.sort_values(kind="stable", ascending=ascending, na_position="last").index
        except TypeError:  # unorderable mixed objects: sort by their text
            idx = (
                keys.map(lambda v: None if is_missing(v) else str(v))
                .sort_values(kind="stable", ascending=ascending, na_position="last")
                .index
            )
        return positions[idx.to_numpy()]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Stable sort by ``column`` (missing values last); ``column < 0`` restores frame order."""
        if self._frame is None or self._base is None:
            self._sort = None if column < 0 else (column, order)
            return
        import numpy as np

        self.layoutAboutToBeChanged.emit()
        self._sort = None if column < 0 else (column, order)
        old = self.order
        new = self._sorted(self._base)
        persistent = self.persistentIndexList()
        if persistent:
            where = np.full(len(self._frame), -1, dtype=np.int64)
            where[new] = np.arange(len(new), dtype=np.int64)
            moved = []
            for idx in persistent:
                row = int(where[old[idx.row()]]) if 0 <= idx.row() < len(old) else -1
                moved.append(
                    self.createIndex(row, idx.column()) if 0 <= row < self._loaded else QModelIndex()
                )
            self.changePersistentIndexList(persistent, moved)
        self._order = new
        self.layoutChanged.emit()

    # -- paging -------------------------------------------------------------------------------
    def _initial_loaded(self) -> int:
        n = self.shown_rows
        return min(n, FETCH_CHUNK) if n > LARGE_ROWS else n

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:
        return not parent.isValid() and self._loaded < self.shown_rows

    def fetchMore(self, parent: Index = QModelIndex()) -> None:
        if parent.isValid():
            return
        n = min(FETCH_CHUNK, self.shown_rows - self._loaded)
        if n <= 0:
            return
        self.beginInsertRows(QModelIndex(), self._loaded, self._loaded + n - 1)
        self._loaded += n
        self.endInsertRows()

    # -- Qt model API -------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._loaded

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._columns)

    def flags(self, index: Index) -> Qt.ItemFlag:
        return _CELL_FLAGS if index.isValid() else _NO_FLAGS

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        frame = self._frame
        if frame is None or not index.isValid():
            return None
        row, col = index.row(), index.column()
        if not (0 <= row < self._loaded and 0 <= col < len(self._columns)):
            return None
        role = _role(role)
        pos = int(self._order[row])  # type: ignore[index]
        column = self._columns[col]
        if role == _DISPLAY:
            return column.format(frame.iat[pos, self._locs[col]])
        if role == _USER:
            value = frame.iat[pos, self._locs[col]]
            return None if is_missing(value) else _python(value)
        if role == _ALIGNMENT:
            return _ALIGN_NUMBER if column.numeric else _ALIGN_TEXT
        hook = self._hooks.get(role)
        if hook is not None:
            return hook(pos, column.name)
        if role == _TOOLTIP and not column.numeric:
            text = column.format(frame.iat[pos, self._locs[col]])
            return text if len(text) > TOOLTIP_FROM else None  # long text may be elided in the view
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        role = _role(role)
        if orientation == _HORIZONTAL and 0 <= section < len(self._columns):
            if role == _DISPLAY:
                return self._columns[section].header
            if role == _TOOLTIP:
                return self._columns[section].tooltip
            return None
        if orientation == _VERTICAL and role == _DISPLAY and 0 <= section < self._loaded:
            return str(section + 1)
        return None


def _python(value: Any) -> Any:
    """numpy scalars to Python scalars (so Qt can carry them); anything else unchanged."""
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        return value.item()
    return value


__all__ = [
    "FETCH_CHUNK",
    "FORMATS",
    "LARGE_ROWS",
    "MISSING",
    "NUMERIC_FORMATS",
    "Column",
    "FrameTableModel",
    "compute_filter",
    "infer_columns",
    "is_missing",
]
