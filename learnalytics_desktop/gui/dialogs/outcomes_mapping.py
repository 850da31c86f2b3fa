"""The column mapping of the gradebook / class list dialog: one combo box per role (student
id, e-mail, final grade, result, passed, withdrew; a class list uses the first two and its
optional status, registration-date and withdrawal-date columns), each
pre-filled with the core's guess from the header names, and a list of the other columns
that can be ticked as attributes (kept for the fairness report, never a model input unless
the user asks for it on the Model page). A column given to a role leaves the attribute list."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from learnalytics_desktop.core.outcomes.files import ROLES
from learnalytics_desktop.gui.dialogs import files
from learnalytics_desktop.gui.icons import icon

NOT_USED = "(not used)"
HINT_STYLE = "color: palette(placeholder-text);"
ATTRIBUTE_NOTE = (
    "Marked columns are kept as attributes for the fairness report. They are never inputs of the "
    "at-risk model unless you ask for it (Model page: “Use demographic attributes as inputs”)."
)
MATCH_NOTE = (
    "Each row is matched to a learner by the student id (the account name in the statements) or by "
    "the e-mail; choose both when the file has both."
)


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(HINT_STYLE)
    return label


class ColumnMapping(QWidget):
    """See the module docstring; ``changed`` after any choice the user makes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = "outcomes"
        self.role_combos: dict[str, QComboBox] = {}
        self.role_labels: dict[str, QLabel] = {}
        mapping_box = QGroupBox("Columns")
        form = QFormLayout(mapping_box)
        all_roles = dict(ROLES["outcomes"])
        for role, caption in ROLES["roster"]:
            all_roles.setdefault(role, caption)
        for role, caption in all_roles.items():
            combo = QComboBox()
            combo.setAccessibleName(f"{caption} column")
            combo.currentIndexChanged.connect(self._changed)
            label = QLabel(f"{caption}:")
            label.setBuddy(combo)
            form.addRow(label, combo)
            self.role_combos[role], self.role_labels[role] = combo, label
        form.addRow(_hint(MATCH_NOTE))
        self.attribute_list = QListWidget()
        self.attribute_list.setAccessibleName("Attribute columns")
        self.attribute_list.setMinimumHeight(60)
        self.attribute_list.setMaximumHeight(130)
        self.attribute_list.itemChanged.connect(self._changed)
        attr_box = QGroupBox("Attributes (e.g. demographics)")
        av = QVBoxLayout(attr_box)
        av.addWidget(self.attribute_list, 1)
        av.addWidget(_hint(ATTRIBUTE_NOTE))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(mapping_box, 1)
        layout.addWidget(attr_box, 1)

    def fill(self, header: list[str], guesses: dict[str, str]) -> None:
        """Offer the columns of ``header``; choose ``guesses`` (role -> column); no attributes."""
        for role, combo in self.role_combos.items():
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(NOT_USED, "")
            for h in header:
                combo.addItem(h, h)
            combo.setCurrentIndex(max(0, combo.findData(guesses.get(role, ""))))
            combo.blockSignals(False)
        self.attribute_list.blockSignals(True)
        self.attribute_list.clear()
        for h in header:
            item = QListWidgetItem(h)
            item.setData(Qt.ItemDataRole.UserRole, h)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.attribute_list.addItem(item)
        self.attribute_list.blockSignals(False)
        self._changed()

    def set_kind(self, kind: str) -> None:
        """Show the roles of a gradebook (``"outcomes"``) or a class list (``"roster"``)."""
        self.kind = kind
        used = {role for role, _ in ROLES[kind]}
        for role in self.role_combos:
            self.role_combos[role].setVisible(role in used)
            self.role_labels[role].setVisible(role in used)
        self._changed()

    def mapping(self) -> dict[str, str]:
        """role -> column for the current kind ("" = not used)."""
        return {role: self.role_combos[role].currentData() or "" for role, _ in ROLES[self.kind]}

    def set_mapping(self, **roles: str | None) -> None:
        """Choose columns by role (``grade="Final grade"``; None or "" = not used)."""
        for role, column in roles.items():
            combo = self.role_combos[role]
            i = combo.findData(column or "")
            if i < 0:
                raise KeyError(f"{column!r} is not a column of the file")
            combo.setCurrentIndex(i)

    def attributes(self) -> list[str]:
        """The columns ticked as attributes and not given to a role (in file order)."""
        out = []
        for i in range(self.attribute_list.count()):
            item = self.attribute_list.item(i)
            if item.checkState() == Qt.CheckState.Checked and not item.isHidden():
                out.append(item.data(Qt.ItemDataRole.UserRole))
        return out

    def set_attributes(self, names: list[str]) -> None:
        """Tick exactly the columns ``names`` as attributes."""
        for i in range(self.attribute_list.count()):
            item = self.attribute_list.item(i)
            item.setCheckState(
                Qt.CheckState.Checked
                if item.data(Qt.ItemDataRole.UserRole) in names
                else Qt.CheckState.Unchecked
            )

    def problems(self) -> list[str]:
        """What is wrong with the mapping, in plain words (empty when it can be used)."""
        out = []
        m = self.mapping()
        if not m.get("id") and not m.get("email"):
            out.append("Choose the column with the student id or the one with the e-mail (or both).")
        if self.kind == "outcomes" and not any(m.get(r) for r in ("grade", "result", "passed", "withdrew")):
            out.append("Choose at least one of the final grade, result, passed or withdrew columns.")
        names = dict(ROLES[self.kind])
        seen: dict[str, str] = {}
        for role, column in m.items():
            if column and column in seen:
                out.append(
                    f"The column “{column}” is chosen for both {names[seen[column]]} and {names[role]}."
                )
            seen.setdefault(column, role)
        return out

    def _changed(self, *_: Any) -> None:
        taken = set(self.mapping().values()) - {""}
        self.attribute_list.blockSignals(True)
        for i in range(self.attribute_list.count()):
            item = self.attribute_list.item(i)
            item.setHidden(item.data(Qt.ItemDataRole.UserRole) in taken)
        self.attribute_list.blockSignals(False)
        self.changed.emit()


class KeyFileRow(QWidget):
    """The key file of a pseudonymised database (needed to match rows to pseudonyms)."""

    def __init__(self, key_file: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit(key_file or "")
        self.edit.setPlaceholderText("Key file of this pseudonymised database")
        self.edit.setAccessibleName("Pseudonymisation key file")
        self.button = QPushButton(icon("key"), "Choose…")
        self.button.setAccessibleName("Choose the key file")
        self.button.clicked.connect(self.choose)
        caption = QLabel("&Key file:")
        caption.setBuddy(self.edit)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(caption)
        row.addWidget(self.edit, 1)
        row.addWidget(self.button)

    def path(self) -> str:
        """The key file typed or chosen ("" when none)."""
        return self.edit.text().strip()

    def choose(self) -> None:
        """Choose the key file in a file dialog."""
        chosen = files.ask_open_file(
            self, "Pseudonymisation key file", "Key files (*.key *.txt);;All files (*)"
        )
        if chosen:
            self.edit.setText(str(chosen))


__all__ = ["ATTRIBUTE_NOTE", "NOT_USED", "ColumnMapping", "KeyFileRow"]
