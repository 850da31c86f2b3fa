"""Settings tab: which kind of learning each verb and activity type is (``core.ingest.categories``).

The table lists the verb and activity-type IRIs that this database's statements use, most
used first, with the category in force: the built-in default, the user's choice, or none.
A category is changed with the combo box in the table (double-click, F2 or just type), or
for several selected rows at once with "Set selected to". Only choices that differ from the
defaults are stored (settings ``category_map``); choices saved earlier for IRIs that this
database does not use are kept. "Reset to defaults" puts every row back (Save to keep it).

The course fallback IRI names the course of statements whose context names none.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from learnalytics_desktop.core.ingest.categories import CATEGORIES
from learnalytics_desktop.core.ingest.category_usage import (
    NOT_MAPPED,
    CategoryRow,
    CategoryState,
    check_fallback,
    load_categories,
    overrides_from,
    save_categories,
)
from learnalytics_desktop.gui import qsettings
from learnalytics_desktop.gui.pages.settings.base import SettingsSection

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Kind", "IRI", "Name", "Statements", "Category", "Source")
COL_KIND, COL_IRI, COL_NAME, COL_COUNT, COL_CATEGORY, COL_SOURCE = range(len(COLUMNS))
DEFAULT_ROLE = Qt.ItemDataRole.UserRole + 1
NOT_MAPPED_TEXT = "(not mapped)"


def category_text(category: str) -> str:
    return NOT_MAPPED_TEXT if category == NOT_MAPPED else category


class CategoryModel(QAbstractTableModel):
    """Rows of :class:`CategoryRow` with an editable category per row (choices kept aside)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[CategoryRow] = []
        self.choices: dict[tuple[str, str], str] = {}

    def set_rows(self, rows: list[CategoryRow]) -> None:
        """Show ``rows`` with their categories in force (no pending change)."""
        self.beginResetModel()
        self.rows = list(rows)
        self.choices = {(r.kind, r.iri): r.category for r in self.rows}
        self.endResetModel()

    def choice(self, row: int) -> str:
        r = self.rows[row]
        return self.choices.get((r.kind, r.iri), r.category)

    def set_choice(self, row: int, category: str) -> bool:
        """Set the category of ``row`` ("" = not mapped, allowed only without a default)."""
        r = self.rows[row]
        if category not in CATEGORIES and not (category == NOT_MAPPED and r.default is None):
            return False
        self.choices[(r.kind, r.iri)] = category
        self.dataChanged.emit(self.index(row, COL_CATEGORY), self.index(row, COL_SOURCE))
        return True

    def reset_to_defaults(self) -> None:
        """Every row back to its built-in default (or not mapped)."""
        self.choices = {(r.kind, r.iri): r.default or NOT_MAPPED for r in self.rows}
        if self.rows:
            self.dataChanged.emit(self.index(0, COL_CATEGORY), self.index(len(self.rows) - 1, COL_SOURCE))

    def source(self, row: int) -> str:
        r, choice = self.rows[row], self.choice(row)
        if choice == NOT_MAPPED:
            return "not mapped (type decides)" if r.kind == "verb" else "not mapped (verb decides)"
        return "default" if choice == r.default else "your choice"

    # -- Qt model API ----------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(COLUMNS)
        ):
            return COLUMNS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
        return base | Qt.ItemFlag.ItemIsEditable if index.column() == COL_CATEGORY else base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        r, col = self.rows[index.row()], index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if col == COL_KIND:
                return "verb" if r.kind == "verb" else "activity type"
            if col == COL_IRI:
                return r.iri
            if col == COL_NAME:
                return r.name
            if col == COL_COUNT:
                return (
                    f"{r.statements:,}"
                    if role == Qt.ItemDataRole.DisplayRole
                    else f"{r.statements:,} statements"
                )
            if col == COL_CATEGORY:
                text = category_text(self.choice(index.row()))
                if role == Qt.ItemDataRole.ToolTipRole:
                    return f"{text} (default: {category_text(r.default or NOT_MAPPED)}); double-click or F2 to change"
                return text
            if col == COL_SOURCE:
                if role == Qt.ItemDataRole.ToolTipRole and self.choice(index.row()) == NOT_MAPPED:
                    return (
                        "Not mapped: the activity type's category counts, else other"
                        if r.kind == "verb"
                        else "Not mapped: the verb's category counts, else other"
                    )
                return self.source(index.row())
        if role == Qt.ItemDataRole.EditRole and col == COL_CATEGORY:
            return self.choice(index.row())
        if role == Qt.ItemDataRole.UserRole:
            return r.statements if col == COL_COUNT else self.data(index, Qt.ItemDataRole.DisplayRole)
        if role == DEFAULT_ROLE:
            return r.default
        if role == Qt.ItemDataRole.TextAlignmentRole and col == COL_COUNT:
            return int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)
        if (
            role == Qt.ItemDataRole.FontRole
            and col == COL_CATEGORY
            and self.choice(index.row()) != (r.default or NOT_MAPPED)
        ):
            from PySide6.QtGui import QFont

            font = QFont()
            font.setBold(True)
            return font
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or index.column() != COL_CATEGORY or role != Qt.ItemDataRole.EditRole:
            return False
        return self.set_choice(index.row(), str(value))


class CategoryDelegate(QStyledItemDelegate):
    """A combo box of the categories (plus "(not mapped)" for IRIs without a default)."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        combo = QComboBox(parent)
        combo.setAccessibleName("Category")
        if index.data(DEFAULT_ROLE) is None:
            combo.addItem(NOT_MAPPED_TEXT, NOT_MAPPED)
        for cat in CATEGORIES:
            combo.addItem(cat, cat)
        return combo

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        assert isinstance(editor, QComboBox)
        i = editor.findData(index.data(Qt.ItemDataRole.EditRole))
        editor.setCurrentIndex(max(i, 0))

    def setModelData(self, editor: QWidget, model: Any, index: Index) -> None:
        assert isinstance(editor, QComboBox)
        model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)


class CategoriesSection(SettingsSection):
    """The category table, bulk change, reset, and the course fallback IRI."""

    key = "categories"
    title = "Category mapping"

    def __init__(self, page: Any, parent: QWidget | None = None) -> None:
        super().__init__(page, parent)
        intro = QLabel(
            "Each statement is counted as one kind of learning: its <b>activity type</b>'s category when the "
            "type is mapped, else its <b>verb</b>'s, else <i>other</i>. Changes apply to every feature, chart "
            "and score computed after saving; train a new model for the model to learn from them."
        )
        intro.setWordWrap(True)
        self.model = CategoryModel(self)
        self.model.dataChanged.connect(lambda *_: self.changed())
        self.model.modelReset.connect(self.changed)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setSortRole(Qt.ItemDataRole.UserRole)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setItemDelegateForColumn(COL_CATEGORY, CategoryDelegate(self.table))
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setAccessibleName("Verbs and activity types with their categories")
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(COL_IRI, QHeaderView.ResizeMode.Stretch)
        for col, width in (
            (COL_KIND, 90),
            (COL_NAME, 110),
            (COL_COUNT, 90),
            (COL_CATEGORY, 110),
            (COL_SOURCE, 180),
        ):
            self.table.setColumnWidth(col, width)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter by IRI, name or category…")
        self.filter_edit.setAccessibleName("Filter the verbs and activity types")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.proxy.setFilterFixedString)
        self.bulk_combo = QComboBox()
        self.bulk_combo.setAccessibleName("Category for the selected rows")
        for cat in CATEGORIES:
            self.bulk_combo.addItem(cat, cat)
        self.bulk_button = QPushButton("Set se&lected to")
        self.bulk_button.setToolTip("Give every selected row the category on the right")
        self.bulk_button.clicked.connect(self.set_selected)
        self.reset_button = QPushButton("Reset to &defaults")
        self.reset_button.setToolTip("Put every row back to its built-in category (Save to keep it)")
        self.reset_button.clicked.connect(self.reset_to_defaults)
        tools = QHBoxLayout()
        tools.addWidget(self.filter_edit, 1)
        tools.addWidget(self.bulk_button)
        tools.addWidget(self.bulk_combo)
        tools.addSpacing(12)
        tools.addWidget(self.reset_button)
        self.fallback_edit = QLineEdit()
        self.fallback_edit.setPlaceholderText("https://lms.example.edu/course/101  (optional)")
        self.fallback_edit.setAccessibleName("Course fallback IRI")
        self.fallback_edit.setToolTip("The course given to statements whose context names no course activity")
        self.fallback_edit.textChanged.connect(self.changed)
        fallback_caption = QLabel("Course &fallback IRI:")
        fallback_caption.setBuddy(self.fallback_edit)
        form = QFormLayout()
        form.addRow(fallback_caption, self.fallback_edit)
        self.count_label = QLabel()
        self.body.addWidget(intro)
        self.body.addLayout(tools)
        self.body.addWidget(self.table, 1)
        self.body.addWidget(self.count_label)
        self.body.addLayout(form)
        qsettings.restore_header(header, "settings/categories")

    # -- SettingsSection -------------------------------------------------------------------------
    def load_job(self) -> Any:
        return load_categories

    def save_job(self) -> tuple[Any, tuple[Any, ...]]:
        verbs, types, fallback = self.value()
        return save_categories, (dict(verbs), dict(types), fallback)

    def show_value(self, stored: CategoryState) -> None:
        self.model.set_rows(stored.rows)
        self.fallback_edit.blockSignals(True)
        self.fallback_edit.setText(stored.fallback)
        self.fallback_edit.blockSignals(False)
        verbs = sum(1 for r in stored.rows if r.kind == "verb")
        self.count_label.setText(
            f"{verbs} verbs and {len(stored.rows) - verbs} activity types in this database."
            if stored.rows
            else "No statements yet: import some, then map their verbs and activity types here."
        )

    def value(self) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...], str]:
        stored = self.stored.stored if self.stored is not None else {}
        verbs, types = overrides_from(self.model.rows, self.model.choices, stored)
        return tuple(sorted(verbs.items())), tuple(sorted(types.items())), self.fallback_edit.text().strip()

    def stored_value(self) -> Any:
        if self.stored is None:
            return None
        s: CategoryState = self.stored
        verbs, types = overrides_from(s.rows, {}, s.stored)
        return tuple(sorted(verbs.items())), tuple(sorted(types.items())), s.fallback.strip()

    def problems(self) -> list[str]:
        try:
            check_fallback(self.fallback_edit.text())
        except ValueError as exc:
            return [str(exc)]
        return []

    def saved_message(self, stored: CategoryState) -> str:
        n = len(stored.stored.get("verbs", {})) + len(stored.stored.get("types", {}))
        return f"Saved: {n} choice{'s' if n != 1 else ''} that differ from the defaults."

    # -- actions ---------------------------------------------------------------------------------
    def selected_rows(self) -> list[int]:
        """Source-model rows of the selected table rows."""
        rows = {self.proxy.mapToSource(i).row() for i in self.table.selectionModel().selectedRows()}
        return sorted(rows)

    def set_selected(self) -> None:
        """Give the selected rows the category of the bulk combo box."""
        rows = self.selected_rows()
        if not rows:
            self.set_message("Select one or more rows first.")
            return
        category = str(self.bulk_combo.currentData())
        for row in rows:
            self.model.set_choice(row, category)

    def reset_to_defaults(self) -> None:
        """Every row back to its default (unsaved until Save)."""
        self.model.reset_to_defaults()

    def save_state(self) -> None:
        qsettings.save_header(self.table.horizontalHeader(), "settings/categories")
