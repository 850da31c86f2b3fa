"""What every page of the main window is: a :class:`Page` that follows a :class:`PageContext`.

The main window owns one :class:`Shell` (the task runner, the current context, navigation)
and gives it to each page. When the user picks another database, course or week, or when the
data changed (an import finished), the shell's context changes and every page gets
``set_context(ctx)``. A visible page reloads at once (:meth:`Page.refresh`); a hidden page
remembers that it is stale and reloads when it is next shown, so only what the user looks
at does work.

Writing a page::

    class OverviewPage(Page):
        def __init__(self, shell, parent=None):
            super().__init__(shell, parent)
            ...build widgets (cheap: no data work here)...

        def refresh(self) -> None:
            if self.ctx.course_id is None:
                return self.placeholder.setText("Choose a course")
            self.runner.submit(compute_overview, self.ctx.db_path, self.ctx.course_id, self.ctx.as_of) \
                .keyed("overview.load").with_progress("Loading the overview…").on_success(self._show)

Conventions: jobs are plain functions that open their own connection (``workers.db_job``);
DataFrames are built in the job, on the worker (the first ``import pandas`` costs the better
part of a second, which must not be spent on the GUI thread); results are shown with
:class:`~learnalytics_desktop.gui.models.frame_table.FrameTableModel`; splitter and header
states are saved in :meth:`Page.save_state` with :mod:`learnalytics_desktop.gui.qsettings`.
then register it with one line in :mod:`learnalytics_desktop.gui.pages` (``PAGES``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

if TYPE_CHECKING:  # pragma: no cover
    from learnalytics_desktop.gui.workers import TaskRunner


@dataclass(frozen=True)
class PageContext:
    """What the pages show: which database, which course offering, as of which week.

    ``course`` is the :class:`core.courses.Course` (``id, iri, name, start_date, weeks,
    students, statements``) of ``course_id``; ``courses`` all offerings in the database;
    ``data_version`` grows whenever the database's data changed (pages reload on it).
    """

    db_path: Path | None = None
    course_id: int | None = None
    week: int | None = None
    course: Any = None
    courses: tuple[Any, ...] = field(default=(), compare=False)
    data_version: int = 0

    @property
    def as_of(self) -> datetime | None:
        """The as-of instant of ``week`` (UTC, exclusive: weeks 1..k complete), or None when
        no course is chosen or the course has no start date yet."""
        if self.course is None or self.week is None:
            return None
        try:
            return self.course.as_of_week(self.week)
        except ValueError:  # core.courses.CourseError: no start date yet (the toolbar says so)
            return None

    def with_changes(self, **changes: Any) -> PageContext:
        """A copy with some fields replaced."""
        return replace(self, **changes)


class Shell(QObject):
    """The services pages share: the task runner, the context, navigation, status messages."""

    context_changed = Signal(object)  # PageContext
    data_changed = Signal()  # a page changed the database's data: reload courses
    navigate_requested = Signal(str, dict)  # page key, parameters for Page.open_with
    status_message = Signal(str, int)  # text, milliseconds (0 = until replaced)

    def __init__(self, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self._context = PageContext()

    @property
    def context(self) -> PageContext:
        """The current context."""
        return self._context

    def set_context(self, ctx: PageContext) -> None:
        """Make ``ctx`` current and tell every page (no signal when nothing changed)."""
        if ctx == self._context:
            return
        self._context = ctx
        self.context_changed.emit(ctx)

    def notify_data_changed(self) -> None:
        """Call after writing to the database (e.g. an import): courses reload, pages refresh."""
        self.data_changed.emit()

    def navigate(self, key: str, **params: Any) -> None:
        """Show the page ``key`` and pass ``params`` to its :meth:`Page.open_with`."""
        self.navigate_requested.emit(key, params)

    def show_status(self, text: str, timeout_ms: int = 6000) -> None:
        """A short message in the status bar."""
        self.status_message.emit(text, timeout_ms)


class Page(QWidget):
    """Base class of the main window's pages; subclasses override :meth:`refresh`."""

    def __init__(self, shell: Shell, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shell = shell
        self.runner = shell.runner
        self.ctx = PageContext()
        self._stale = False

    def set_context(self, ctx: PageContext) -> None:
        """Follow a new context: refresh now when visible, else on the next show."""
        if ctx == self.ctx and not self._stale:
            return
        self.ctx = ctx
        if self.isVisible():
            self._stale = False
            self.refresh()
        else:
            self._stale = True

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self.refresh()

    def refresh(self) -> None:
        """Reload what the page shows for ``self.ctx`` (submit the work to ``self.runner``)."""

    def open_with(self, **params: Any) -> None:
        """Called after navigating here with parameters (e.g. ``actor=12`` for the Student page)."""

    def save_state(self) -> None:
        """Called when the window closes: save splitter and header states (gui.qsettings)."""


class ComingPage(Page):
    """Stands in for a page that is not built yet: says what will be here."""

    def __init__(
        self,
        shell: Shell,
        title: str,
        description: str,
        icon_name: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(shell, parent)
        self.setObjectName("comingPage")
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        if icon_name:
            from learnalytics_desktop.gui.icons import icon

            picture = QLabel()
            picture.setPixmap(icon(icon_name).pixmap(64, 64))
            picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(picture)
        heading = QLabel(f"<h2>{title}</h2>")
        heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text = QLabel(f"This page is coming soon.<br><br>{description}")
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text.setWordWrap(True)
        text.setMaximumWidth(560)
        self.text = text
        layout.addWidget(heading)
        layout.addWidget(text, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(3)
        self.setAccessibleName(f"{title} (coming soon)")
