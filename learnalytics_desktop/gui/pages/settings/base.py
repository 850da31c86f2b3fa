"""One tab of the Settings page: load on the worker, edit, validate, Save or Revert.

A :class:`SettingsSection` subclass says how to read its settings (``load_job``), how to show
them (``show_value``), what the widgets hold now (``value``), what is wrong with it
(``problems``, in plain sentences) and how to write it (``save_job``). The base class does
the rest the same way on every tab:

* loading and saving run on the task runner's database thread (keyed per tab, so a newer
  load replaces an older one);
* Save and Revert are enabled only when the widgets differ from what is stored;
* problems are listed under the form as the user types, and Save refuses to run with them;
* a save that the core rejects shows the core's message in the same place; an unexpected
  error goes to the error dialog (nothing is swallowed);
* after a save the page tells the shell the data changed, so pages that use the setting
  (engagement, risk levels, categories) reload.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from learnalytics_desktop.gui.workers import Task, db_job

if TYPE_CHECKING:  # pragma: no cover
    from learnalytics_desktop.gui.pages.settings.settings_page import SettingsPage

ERROR_STYLE = "color: #b00020;"
OK_STYLE = "color: #1b5e20;"


class SettingsSection(QWidget):
    """Base class of the Settings tabs; see the module docstring."""

    key = "section"
    title = "Settings"
    saved = Signal(object)  # the value now stored
    loaded = Signal(object)

    def __init__(self, page: SettingsPage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.page = page
        self.runner = page.runner
        self.stored: Any = None  # what the database holds (as returned by load_job)
        self.stale = True
        self.task: Task | None = None
        self._load_path: Any = None  # database of the load in flight
        self._shown_path: Any = None  # database whose settings the widgets show
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setAccessibleName(f"{self.title}: messages")
        self.save_button = QPushButton("&Save")
        self.save_button.setToolTip("Save these settings in the open database")
        self.revert_button = QPushButton("Re&vert")
        self.revert_button.setToolTip("Go back to the settings stored in the database")
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self.revert)
        self._buttons = QHBoxLayout()
        self._buttons.addWidget(self.message, 1)
        self._buttons.addWidget(self.revert_button)
        self._buttons.addWidget(self.save_button)
        self.body = QVBoxLayout()
        outer = QVBoxLayout(self)
        outer.addLayout(self.body, 1)
        outer.addLayout(self._buttons)
        self._update_buttons()

    # -- to implement ----------------------------------------------------------------------------
    def load_job(self) -> Callable[..., Any]:
        """A function ``fn(conn)`` returning what is stored."""
        raise NotImplementedError

    def save_job(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        """``(fn, args)``: ``fn(conn, *args)`` stores :meth:`value` and returns what is now stored."""
        raise NotImplementedError

    def show_value(self, stored: Any) -> None:
        """Put ``stored`` into the widgets (without marking them changed)."""
        raise NotImplementedError

    def value(self) -> Any:
        """What the widgets hold, comparable with what :meth:`stored_value` gives."""
        raise NotImplementedError

    def stored_value(self) -> Any:
        """:attr:`stored` in the form :meth:`value` returns (for the changed check)."""
        return self.stored

    def problems(self) -> list[str]:
        """Why :meth:`value` cannot be saved, one plain sentence each."""
        return []

    # -- behaviour -------------------------------------------------------------------------------
    @property
    def db_path(self) -> Any:
        return self.page.ctx.db_path

    @property
    def dirty(self) -> bool:
        """True when the widgets differ from what the database holds."""
        return self.stored is not None and self.value() != self.stored_value()

    def refresh(self) -> Task | None:
        """Load the stored settings on the worker (no database: say so)."""
        self.stale = False
        if self.db_path is None:
            self.stored = None
            self._shown_path = None
            self.set_message("Open a database to see and change its settings.")
            self.setEnabled(False)
            return None
        self.setEnabled(True)
        self._load_path = self.db_path
        self.task = (
            self.runner.submit(db_job(self.load_job()), self.db_path)
            .keyed(f"settings.{self.key}.load")
            .on_success(self._loaded)
            .on_failure(self._failed)
        )
        return self.task

    def _loaded(self, stored: Any) -> None:
        if self._shown_path == self._load_path and self.dirty:
            self.stored = stored  # same database, unsaved edits: keep the user's edits
            self.changed()
            return
        self._shown_path = self._load_path
        unchanged = self.stored is not None and stored == self.stored
        self.stored = stored
        self.show_value(stored)
        if not (unchanged and self.message.property("kind") == "ok"):  # keep "Saved." after our own save
            self.set_message("")
        self.changed()
        self.loaded.emit(stored)

    def changed(self) -> None:
        """Call whenever a widget changes: lists problems and updates the buttons."""
        if self.stored is None:
            self._update_buttons()
            return
        problems = self.problems()
        if problems:
            self.set_message(" ".join(problems), error=True)
        elif self.message.property("kind") == "error" or (
            self.message.property("kind") == "ok" and self.dirty
        ):
            self.set_message("")  # the problem is gone, or "Saved." no longer describes the form
        self._update_buttons()

    def _update_buttons(self) -> None:
        dirty = self.dirty
        busy = self.task is not None and not self.task.done and self.task.key == f"settings.{self.key}.save"
        self.save_button.setEnabled(dirty and not busy)
        self.revert_button.setEnabled(dirty and not busy)

    def set_message(self, text: str, *, error: bool = False, ok: bool = False) -> None:
        """Show ``text`` under the form (red for errors, green for confirmations)."""
        self.message.setText(text)
        self.message.setStyleSheet(ERROR_STYLE if error else OK_STYLE if ok else "")
        self.message.setProperty("kind", "error" if error else "ok" if ok else "")

    def save(self) -> Task | None:
        """Validate, then store on the worker; problems are shown instead of saving."""
        if self.db_path is None or self.stored is None:
            return None
        problems = self.problems()
        if problems:
            self.set_message(" ".join(problems), error=True)
            return None
        fn, args = self.save_job()
        self.task = (
            self.runner.submit(db_job(fn), self.db_path, *args)
            .keyed(f"settings.{self.key}.save")
            .with_progress(f"Saving {self.title.lower()}…")
            .on_success(self._saved)
            .on_failure(self._failed)
            .on_finished(self._update_buttons)
        )
        self._update_buttons()
        return self.task

    def _saved(self, stored: Any) -> None:
        self.stored = stored
        self.show_value(stored)
        self.set_message(self.saved_message(stored), ok=True)
        self._update_buttons()
        self.saved.emit(stored)
        self.page.shell.show_status(f"{self.title} saved.")
        self.page.settings_saved(self)

    def saved_message(self, stored: Any) -> str:
        """The confirmation shown after a save."""
        return "Saved."

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, ValueError | LookupError):  # the core's validation: a sentence for people
            self.set_message(_sentence(str(exc)), error=True)
            self._update_buttons()
            return
        show_error(self, exc, f"{self.title} could not be loaded or saved")
        self._update_buttons()

    def revert(self) -> None:
        """Show what the database holds again."""
        if self.stored is not None:
            self.show_value(self.stored)
            self.set_message("Reverted to the stored settings.")
            self.changed()


def show_error(parent: QWidget, exc: BaseException, title: str) -> None:
    """An unexpected error: the error dialog with the traceback (never swallowed)."""
    from learnalytics_desktop.gui.dialogs.error_dialog import ErrorDialog

    ErrorDialog.report(parent, exc, title=title)


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return "The settings could not be saved."
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
