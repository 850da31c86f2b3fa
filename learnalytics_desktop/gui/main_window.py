"""The main window: navigation that follows the work, the context toolbar, the database menu.

Pages come from :data:`learnalytics_desktop.gui.pages.PAGES` and are built the first time
they are shown (their modules are imported then, which keeps the start-up path free of
pandas, scikit-learn, scipy and pyqtgraph). Ctrl+1…Ctrl+8 (the Go menu) reach every page.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from learnalytics_desktop import __version__
from learnalytics_desktop.gui import jobs, qsettings
from learnalytics_desktop.gui.dialogs import files
from learnalytics_desktop.gui.dialogs.error_dialog import ErrorDialog
from learnalytics_desktop.gui.icons import app_icon, icon
from learnalytics_desktop.gui.pages import PAGES, PageSpec
from learnalytics_desktop.gui.pages.base import ComingPage, Page, PageContext, Shell
from learnalytics_desktop.gui.widgets.banner import Banner
from learnalytics_desktop.gui.widgets.context_bar import ContextBar
from learnalytics_desktop.gui.widgets.page_area import PageArea
from learnalytics_desktop.gui.widgets.progress import ProgressDialogs, StatusProgress
from learnalytics_desktop.gui.widgets.screen_fit import fit_to_screen
from learnalytics_desktop.gui.workers import Task, TaskRunner

APP_TITLE = "Learnalytics Desktop"


class MainWindow(QMainWindow):
    """Navigation list + page stack, File/Go/Help menus, context toolbar, status bar."""

    def __init__(self, runner: TaskRunner | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowIcon(app_icon())
        self.runner = runner if runner is not None else TaskRunner(self)
        self.runner.dialog_parent = self
        self.shell = Shell(self.runner, self)
        self.pages: dict[str, Page] = {}
        self._index = {spec.key: i for i, spec in enumerate(PAGES)}
        self._build_central()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()
        self.progress_dialogs = ProgressDialogs(self.runner, self)
        self.shell.context_changed.connect(self._context_changed)
        self.shell.data_changed.connect(self.reload_courses)
        self.shell.navigate_requested.connect(lambda key, params: self.navigate(key, **params))
        self.shell.status_message.connect(lambda text, ms: self.statusBar().showMessage(text, ms))
        fit_to_screen(self, 1200, 780, min_width=800, min_height=500)
        qsettings.restore_geometry(self, "main")
        qsettings.restore_state(self, "main")
        self._update_title()
        self.navigate("import")

    # -- construction --------------------------------------------------------------------------
    def _build_central(self) -> None:
        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setAccessibleName("Pages")
        self.nav.setIconSize(QSize(22, 22))
        self.nav.setSpacing(2)
        self.nav.setFixedWidth(190)
        self.nav.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.stack = QStackedWidget()
        self.stack.setObjectName("pages")
        for i, spec in enumerate(PAGES):
            item = QListWidgetItem(icon(spec.icon), spec.title)
            item.setData(Qt.ItemDataRole.UserRole, spec.key)
            item.setToolTip(f"{spec.title} (Ctrl+{i + 1})")
            item.setData(Qt.ItemDataRole.AccessibleTextRole, spec.title)
            item.setSizeHint(QSize(170, 36))
            self.nav.addItem(item)
            self.stack.addWidget(QWidget())  # replaced by the page when first shown
        self.nav.currentRowChanged.connect(lambda row: self.navigate(PAGES[row].key) if row >= 0 else None)
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.nav)
        self.banner = Banner()  # non-modal notices, e.g. a database on a network share
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.setSpacing(0)
        right.addWidget(self.banner)
        right.addWidget(self.stack, 1)
        layout.addLayout(right, 1)
        self.setCentralWidget(central)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.action_new = self._action(
            file_menu, "&New database…", self.new_database, QKeySequence.StandardKey.New
        )
        self.action_open = self._action(
            file_menu, "&Open database…", self.choose_database, QKeySequence.StandardKey.Open
        )
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.action_demo = self._action(file_menu, "Open the &demo database", self.open_demo)
        file_menu.addSeparator()
        self.action_outcomes = self._action(
            file_menu, "Import &gradebook or class list…", lambda _=False: self.import_outcomes()
        )
        self.action_outcomes.setEnabled(False)
        self.action_backup = self._action(file_menu, "&Backup copy…", self.backup_copy)
        self.action_backup.setEnabled(False)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        go_menu = bar.addMenu("&Go")
        self.go_actions: dict[str, QAction] = {}
        for i, spec in enumerate(PAGES):
            action = self._action(
                go_menu, spec.title, lambda _=False, k=spec.key: self.navigate(k), f"Ctrl+{i + 1}"
            )
            action.setIcon(icon(spec.icon))
            self.go_actions[spec.key] = action
            self.addAction(action)  # shortcuts work even with the menu bar hidden

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&About Learnalytics Desktop", self._about)

    def _action(self, menu: Any, text: str, slot: Any, shortcut: Any = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_toolbar(self) -> None:
        self.context_bar = ContextBar()
        self.context_bar.context_chosen.connect(self._context_chosen)
        self.context_bar.dates_requested.connect(self.edit_course_dates)
        toolbar = QToolBar("Course and week")
        toolbar.setObjectName("contextToolbar")
        toolbar.setMovable(False)
        toolbar.addWidget(self.context_bar)
        self.addToolBar(toolbar)

    def _build_status_bar(self) -> None:
        self.db_label = QLabel("No database open")
        self.db_label.setAccessibleName("Database")
        self.status_progress = StatusProgress(self.runner)
        self.status_progress.message.connect(lambda text, ms: self.statusBar().showMessage(text, ms))
        self.statusBar().addWidget(self.db_label)
        self.statusBar().addPermanentWidget(self.status_progress)

    # -- navigation ----------------------------------------------------------------------------
    @property
    def current_key(self) -> str:
        """The key of the page shown."""
        return PAGES[self.stack.currentIndex()].key

    @property
    def current_page(self) -> Page:
        """The page shown."""
        return self.page(self.current_key)

    def page(self, key: str) -> Page:
        """The page registered under ``key``, built (and given the context) on first use."""
        if key in self.pages:
            return self.pages[key]
        index = self._index[key]
        page = self._create_page(PAGES[index])
        # Each page sits in a scroll area: a page that needs more room than a small screen
        # (or 200 % scaling) gives scrolls instead of forcing the window past the screen.
        area = PageArea(page)
        area.setObjectName(f"page-{key}")
        old = self.stack.widget(index)
        self.stack.removeWidget(old)
        old.deleteLater()
        self.stack.insertWidget(index, area)
        self.pages[key] = page
        page.set_context(self.shell.context)
        return page

    def _create_page(self, spec: PageSpec) -> Page:
        if spec.target is None:
            return ComingPage(self.shell, spec.title, spec.description, spec.icon)
        try:
            return spec.load()(self.shell)
        except Exception as exc:
            ErrorDialog.report(self, exc, title=f"The {spec.title} page could not be opened")
            page = ComingPage(self.shell, spec.title, f"This page failed to open: {exc}")
            page.text.setText(f"This page failed to open:<br><br>{type(exc).__name__}: {exc}")
            return page

    def navigate(self, key: str, **params: Any) -> Page:
        """Show the page ``key`` (building it if needed); ``params`` go to ``Page.open_with``."""
        page = self.page(key)
        index = self._index[key]
        self.stack.setCurrentIndex(index)
        if self.nav.currentRow() != index:
            self.nav.blockSignals(True)
            self.nav.setCurrentRow(index)
            self.nav.blockSignals(False)
        if params:
            page.open_with(**params)
        return page

    # -- database ------------------------------------------------------------------------------
    @property
    def db_path(self) -> Path | None:
        """The open database, or None."""
        return self.shell.context.db_path

    def open_database(self, path: str | Path, *, create: bool = False, fresh: bool = False) -> Task | None:
        """Open (or create) the database at ``path`` on the worker, then load its courses;
        ``fresh``: start at the default course and week on the Overview (the demo does)."""
        if self.runner.is_busy("import"):
            self.statusBar().showMessage("An import is running: wait for it or cancel it first.", 8000)
            return None
        path = Path(path).resolve()
        label = f"Creating {path.name}…" if create else f"Opening {path.name}…"
        return (
            self.runner.submit(jobs.open_database, path, create)
            .keyed("database")
            .with_progress(label)
            .on_success(lambda info: self._database_opened(path, info, fresh=fresh))
        )

    def _database_opened(self, path: Path, info: jobs.DatabaseInfo, *, fresh: bool = False) -> None:
        """Show the opened database; ``fresh`` (a newly built demo) starts at the running
        offering's current week on the Overview page instead of where the user left off."""
        if fresh and getattr(info, "demo_stale", False):
            # a demo from an earlier version (untrained): build the current one in its place
            self.statusBar().showMessage(
                "The demo database is from an earlier version: building it again…", 8000
            )
            self._build_demo(path)
            return
        qsettings.add_recent_file(path)
        remembered = {} if fresh else qsettings.get_value(self._context_key(path), {}) or {}
        first = self.db_path is None
        self.shell.set_context(PageContext(db_path=path, data_version=self.shell.context.data_version + 1))
        self._apply_courses(info, remembered.get("course"), remembered.get("week"), fresh=fresh)
        self.action_backup.setEnabled(True)
        self.action_outcomes.setEnabled(True)
        note = getattr(info, "storage_note", None)
        if note:
            self.banner.show_message(note)
        else:
            self.banner.clear()
        self._update_title()
        self.statusBar().showMessage(f"Opened {path}", 5000)
        last = qsettings.get_value("window/page", "import", str)
        if fresh and info.courses:
            self.navigate("overview")
        elif first and info.courses and self.current_key == "import" and last in self._index:
            self.navigate(last)  # back where the user left off

    def reload_courses(self) -> Task | None:
        """Reload the course list (after an import); pages then refresh."""
        if self.db_path is None:
            return None
        return (
            self.runner.submit(jobs.database_info, self.db_path)
            .keyed("courses")
            .on_success(lambda info: self._apply_courses(info, bump=True))
        )

    def _apply_courses(
        self,
        info: jobs.DatabaseInfo,
        course_iri: str | None = None,
        week: int | None = None,
        *,
        bump: bool = False,
        fresh: bool = False,
    ) -> None:
        ctx = self.shell.context
        courses = info.courses
        if fresh:  # the default course and week (the offering running "today", its last complete week)
            course_iri, week = None, None
        elif course_iri is None and ctx.course is not None:
            course_iri, week = ctx.course.iri, ctx.week
        course_id = next((c.id for c in courses if c.iri == course_iri), None)
        self.context_bar.set_courses(courses, course_id, week, today=info.today)
        course = self.context_bar.course
        self.db_label.setText(self._db_summary(courses))
        self.shell.set_context(
            ctx.with_changes(
                course=course,
                course_id=None if course is None else course.id,
                week=self.context_bar.week,
                courses=tuple(courses),
                data_version=ctx.data_version + (1 if bump else 0),
            )
        )

    def _db_summary(self, courses: list[Any]) -> str:
        if self.db_path is None:
            return "No database open"
        statements = sum(int(getattr(c, "statements", 0) or 0) for c in courses)
        n = len(courses)
        return f"{self.db_path.name} · {n} course{'s' if n != 1 else ''} · {statements:,} statements"

    def _context_chosen(self, course: Any, week: int | None) -> None:
        ctx = self.shell.context
        self.shell.set_context(
            ctx.with_changes(course=course, course_id=None if course is None else course.id, week=week)
        )

    def _context_changed(self, ctx: PageContext) -> None:
        if ctx.db_path is not None and ctx.course is not None:
            qsettings.set_value(self._context_key(ctx.db_path), {"course": ctx.course.iri, "week": ctx.week})
        shown = self.context_bar.course
        if ctx.course is not None and shown is not None and ctx.course.id == shown.id:
            self.context_bar.show_week(ctx.week)  # a page changed the week (chart drill-down)
        for page in self.pages.values():
            page.set_context(ctx)

    @staticmethod
    def _context_key(path: Path) -> str:
        return "context/" + hashlib.sha1(str(path).encode()).hexdigest()[:16]

    def _update_title(self) -> None:
        path = self.db_path
        self.setWindowTitle(f"{path.name} — {APP_TITLE}" if path else APP_TITLE)
        self.setWindowFilePath(str(path) if path else "")

    # -- File menu -----------------------------------------------------------------------------
    def new_database(self) -> Task | None:
        """Ask where, then create an empty database and open it."""
        path = files.ask_new_database(self)
        if path is None:
            return None
        if path.exists():
            QMessageBox.warning(self, "New database", f"{path} exists already. Use File ▸ Open to open it.")
            return None
        return self.open_database(path, create=True)

    def choose_database(self) -> Task | None:
        """Ask for a database file and open it."""
        path = files.ask_open_database(self)
        return None if path is None else self.open_database(path)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = qsettings.recent_files()
        for i, path in enumerate(recent, start=1):
            action = self.recent_menu.addAction(f"&{i} {path.name}  ({path.parent})")
            action.triggered.connect(lambda _=False, p=path: self.open_database(p))
        if not recent:
            self.recent_menu.addAction("No recent databases").setEnabled(False)

    def open_demo(self) -> Task | None:
        """Open the demo database, building it first (with a progress dialog) on first use. It
        always opens where an advisor starts: the running offering at its current week (the
        demo's fixed "today"), on the Overview page."""
        from learnalytics_desktop.core.paths import demo_db_path

        path = demo_db_path()
        if path.exists():
            return self.open_database(path, fresh=True)
        return self._build_demo(path)

    def _build_demo(self, path: Path) -> Task:
        return (
            self.runner.submit(jobs.build_demo, path, jobs.DEMO_STUDENTS)
            .in_process()  # it trains a model: in a thread that would freeze the window
            .keyed("database")
            .with_progress("Building the demo database (about a minute, once)…", modal=True)
            .on_success(lambda info: self._database_opened(path.resolve(), info, fresh=True))
        )

    def backup_copy(self) -> Task | None:
        """Copy the open database to a file the user chooses (``core.privacy.backup``)."""
        from learnalytics_desktop.core.privacy.backup import backup_database

        if self.db_path is None:
            return None
        target = files.ask_save_file(self, "Backup copy", f"{self.db_path.stem}-backup.db", files.DB_FILTER)
        if target is None:
            return None
        return (
            self.runner.submit(backup_database, self.db_path, target)  # the Privacy tab's and the CLI's
            .keyed("backup")
            .with_progress("Copying the database…")
            .on_success(lambda p: self.statusBar().showMessage(f"Backup copy written to {p}", 8000))
        )

    def import_outcomes(self, kind: str = "outcomes") -> Any:
        """Import a gradebook or class list into an offering (the dialog tells the shell)."""
        from learnalytics_desktop.gui.dialogs.outcomes_dialog import OutcomesDialog

        if self.db_path is None:
            return None
        return OutcomesDialog.ask(self, self.shell, kind=kind)

    def edit_course_dates(self) -> Any:
        """See or set the current course's start date and number of weeks."""
        from learnalytics_desktop.gui.dialogs.course_dates_dialog import CourseDatesDialog

        if self.shell.context.course_id is None:
            return None
        return CourseDatesDialog.ask(self, self.shell)

    def _about(self) -> None:
        QMessageBox.about(
            self,
            f"About {APP_TITLE}",
            f"<b>{APP_TITLE}</b> {__version__}<br>Offline learning analytics for advisors and data "
            "officers.<br>It never makes a network connection.",
        )

    # -- closing -------------------------------------------------------------------------------
    def confirm_close(self, running: list[Task]) -> bool:
        """Ask whether to stop running tasks and close (tests monkeypatch this)."""
        names = ", ".join(t.label.rstrip("… .") for t in running)
        answer = QMessageBox.question(
            self,
            "Quit while working?",
            f"Still working: {names}.\nStop and quit? (An import can be run again later to complete it.)",
        )
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event: QCloseEvent) -> None:
        running = [t for t in self.runner.active_tasks if t.label]
        if running and not self.confirm_close(running):
            event.ignore()
            return
        qsettings.save_geometry(self, "main")
        qsettings.save_state(self, "main")
        qsettings.set_value("window/page", self.current_key)
        for page in self.pages.values():
            page.save_state()
        self.runner.shutdown(wait=True)
        super().closeEvent(event)
