"""The Settings page: the open database's settings, one tab per subject.

Tabs (each a :class:`~learnalytics_desktop.gui.pages.settings.base.SettingsSection` with
Save and Revert): engagement weights, risk levels and the at-risk label, the category mapping
of verbs and activity types (with the course fallback), and privacy & data. Settings live in
the database (``settings`` table) and are read and written on the task runner's database
thread through the core's functions, so the command line and the app agree on them.

Only the tab shown loads; the others load when first shown after a context change. After a
save the page tells the shell that the data changed, so pages that depend on a setting reload.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from learnalytics_desktop.gui.pages.base import Page, Shell
from learnalytics_desktop.gui.pages.settings.base import SettingsSection
from learnalytics_desktop.gui.pages.settings.categories import CategoriesSection
from learnalytics_desktop.gui.pages.settings.enrolment import EnrolmentSection
from learnalytics_desktop.gui.pages.settings.privacy import PrivacySection
from learnalytics_desktop.gui.pages.settings.risk import RiskSection
from learnalytics_desktop.gui.pages.settings.weights import WeightsSection


class SettingsPage(Page):
    """Tabs: Engagement weights, Risk, Categories, Enrolment, Privacy & data."""

    def __init__(self, shell: Shell, parent: QWidget | None = None) -> None:
        super().__init__(shell, parent)
        self.setObjectName("settingsPage")
        self.title = QLabel("<h2>Settings</h2>")
        self.db_label = QLabel()
        self.db_label.setWordWrap(True)
        self.weights = WeightsSection(self)
        self.risk = RiskSection(self)
        self.categories = CategoriesSection(self)
        self.enrolment = EnrolmentSection(self)
        self.privacy = PrivacySection(self)
        self.sections: list[SettingsSection] = [
            self.weights,
            self.risk,
            self.categories,
            self.enrolment,
            self.privacy,
        ]
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Settings sections")
        self.tabs.addTab(self.weights, "&Engagement weights")
        self.tabs.addTab(self.risk, "&Risk")
        self.tabs.addTab(self.categories, "&Categories")
        self.tabs.addTab(self.enrolment, "E&nrolment")
        self.tabs.addTab(self.privacy, "&Privacy && data")
        self.tabs.currentChanged.connect(self._tab_changed)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.db_label)
        layout.addWidget(self.tabs, 1)
        self.refresh()  # the empty state until a database is open (no job runs without one)

    @property
    def current(self) -> SettingsSection:
        widget = self.tabs.currentWidget()
        assert isinstance(widget, SettingsSection)
        return widget

    def refresh(self) -> None:
        """A new database or new data: every tab reloads (the current one now)."""
        path = self.ctx.db_path
        self.db_label.setText(
            f"Stored in <b>{path.name}</b>; they apply to everyone who opens this database."
            if path is not None
            else "<b>No database is open.</b> Open one to see its settings."
        )
        for section in self.sections:
            section.stale = True
        self.current.refresh()

    def _tab_changed(self, _index: int) -> None:
        section = self.current
        if section.stale or section.stored is None:
            section.refresh()

    def show_section(self, key: str) -> SettingsSection:
        """Bring the tab ``key`` (weights, risk, categories, privacy) to the front."""
        for section in self.sections:
            if section.key == key:
                self.tabs.setCurrentWidget(section)
                return section
        raise KeyError(f"no settings tab {key!r}; known: {[s.key for s in self.sections]}")

    def open_with(self, **params: Any) -> None:
        """``section="privacy"`` (etc.) opens that tab."""
        if "section" in params:
            self.show_section(str(params["section"]))

    def settings_saved(self, section: SettingsSection) -> None:
        """After a save: pages that use the setting (scores, charts, small cells) reload."""
        self.shell.notify_data_changed()

    def save_state(self) -> None:
        self.categories.save_state()
