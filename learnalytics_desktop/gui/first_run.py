"""First launch: offer the demo database and a short guided tour of the main window.

When no database was opened before (the recent list is empty) and the welcome has never
been answered, :class:`WelcomeDialog` offers the demo database (built on first use) with or
without the tour, or starting with one's own data. The tour (:class:`GuidedTour`) dims the
window and highlights, one stop at a time, the navigation and the course and week bar, then
walks the advisor's loop on the real pages (the risk list, the riskiest student's page, the
Draft button, the Interventions page's Export) and ends at the status bar, with a short text
beside each; Help ▸ Guided tour runs it again at any time. QSettings remember that the welcome was answered
(``firstRun/welcomeAnswered``) and that the tour was seen (``firstRun/tourSeen``).

Hook: one call once the main window is shown (``app.main``)::

    from learnalytics_desktop.gui.first_run import install_first_run
    install_first_run(window, offer=args.db is None, demo=args.demo)

``--demo`` does not skip the welcome: on a first launch ``./dev demo`` shows it (closing it
still opens the demo, which was asked for), and "Open the demo and take the tour" is the
default button. Later launches open the demo straight away.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QDialog, QFrame, QHBoxLayout, QLabel, QMenu, QPushButton, QVBoxLayout, QWidget

from learnalytics_desktop.gui import qsettings

if TYPE_CHECKING:  # pragma: no cover
    from learnalytics_desktop.gui.main_window import MainWindow
    from learnalytics_desktop.gui.workers import Task

TOUR_SEEN_KEY = "firstRun/tourSeen"
WELCOME_KEY = "firstRun/welcomeAnswered"
DIM = QColor(0, 0, 0, 150)
GAP = 14  # between the highlighted area and the text bubble
MARGIN = 8  # the bubble keeps this far from the window's edges
FIRST_PAINT_MS = 60
TOP_PART = 240  # the height highlighted of a table or page (its header and first rows)  # open the demo once the window has been painted (as app.main does)


def should_offer() -> bool:
    """True on a first launch: no recent database and the welcome never answered."""
    return not qsettings.recent_files() and not qsettings.get_value(WELCOME_KEY, False, bool)


def tour_seen() -> bool:
    """True once the guided tour was finished or skipped (remembered in QSettings)."""
    return bool(qsettings.get_value(TOUR_SEEN_KEY, False, bool))


# -- the stops -------------------------------------------------------------------------------


Target = Callable[["MainWindow"], tuple[QWidget, QRect | None]]


@dataclass(frozen=True)
class TourStep:
    """One stop: a title, a text, and what to highlight (a widget, or a rectangle in it)."""

    title: str
    text: str
    target: Target


def _widget(name: str) -> Target:
    return lambda window: (getattr(window, name), None)


def _nav_item(key: str) -> Target:
    def target(window: MainWindow) -> tuple[QWidget, QRect | None]:
        nav = window.nav
        for row in range(nav.count()):
            item = nav.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == key:
                return nav.viewport(), nav.visualItemRect(item)
        return nav, None

    return target


def _status_bar(window: MainWindow) -> tuple[QWidget, QRect | None]:
    bar = window.statusBar()
    bar.clearMessage()  # a passing message hides the database label this stop is about
    return bar, None


def _data_folder() -> str:
    from learnalytics_desktop.core.paths import data_dir

    return str(data_dir())


def _on_page(key: str, attr: str | None = None, **params: Any) -> Target:
    """Go to the page ``key`` (the tour walks the loop) and highlight its widget ``attr``
    (the whole page when None)."""

    def target(window: MainWindow) -> tuple[QWidget, QRect | None]:
        page = window.navigate(key, **params) if window.current_key != key else window.current_page
        widget = getattr(page, attr, None) if attr else None
        if not (isinstance(widget, QWidget) and widget.isVisible()):
            widget = window.stack
        return widget, _top_part(widget)

    return target


def _top_part(widget: QWidget) -> QRect | None:
    """The top of a big widget (a table, a page), leaving room for the text below it; None
    (the whole widget) for a small one such as a button."""
    if widget.height() <= TOP_PART:
        return None
    return QRect(0, 0, widget.width(), TOP_PART)


def _first_student(window: MainWindow) -> tuple[QWidget, QRect | None]:
    """The Student page of the riskiest student on the list (the page itself when the list
    has not loaded: no database, or no scores yet)."""
    at_risk = window.page("at_risk")
    frame = getattr(at_risk, "frame", None)
    if window.current_key != "student":
        if frame is not None and len(frame):
            window.navigate("student", actor=int(frame["actor"].iloc[0]))
        else:
            window.navigate("student")
    return window.stack, _top_part(window.stack)


def tour_steps() -> list[TourStep]:
    """The stops of the guided tour, in order: where things are, then the advisor's loop
    (the risk list, a student, drafting, exporting), then where the data lives."""
    stops = (
        (
            "Pages",
            _widget("nav"),
            "The list on the left follows the work from top to bottom: bring data in, look at the course, "
            "find the students at risk, act, and check whether it helped. Ctrl+1 to Ctrl+8 jump straight "
            "to a page.",
        ),
        (
            "Course and week",
            _widget("context_bar"),
            "Choose the course offering and the week here. Every page shows the data as it stood at the "
            "end of that week, so a past course can be replayed week by week.",
        ),
        (
            "1. Who needs you this week",
            _on_page("at_risk", "view"),
            "Students at risk: each student's name, e-mail and risk of failing or withdrawing, riskiest "
            "first, with the main reasons in plain words. The Outreach column shows who was already "
            "contacted, so nobody is written to twice. Search, filter and export from here.",
        ),
        (
            "2. One student",
            _first_student,
            "Double-click a student (or press Enter) to see their week-by-week activity, quiz results and "
            "risk over time, compared with the course. The top student of the list is shown here.",
        ),
        (
            "3. Draft a message",
            _on_page("at_risk", "draft_button"),
            "Back on the list, select one or more students and press Draft interventions. The rules write "
            "a personal message for each from a template; a random few can be held back so that the "
            "Impact page can later show whether the messages helped.",
        ),
        (
            "4. Review, approve, export",
            _on_page("interventions", "export_button"),
            "Drafts wait on the Interventions page: read and edit each, approve it, then Export the "
            "approved ones as e-mail drafts (.eml) for your mail program, or as a CSV for a mail merge. "
            "The app never sends anything itself.",
        ),
        (
            "Where your data lives",
            _status_bar,
            "The status bar at the bottom shows the open database. Databases and settings stay on this "
            f"computer, in {_data_folder()}, never beside the program. File ▸ Open the demo database "
            "brings the demo back; Help ▸ Guided tour repeats this tour.",
        ),
    )
    return [TourStep(title, text, target) for title, target, text in stops]


# -- the overlay -----------------------------------------------------------------------------


class TourOverlay(QWidget):
    """Dims the whole window except one rectangle; holds the text bubble beside it."""

    next_requested = Signal()
    back_requested = Signal()
    skip_requested = Signal()

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("tourOverlay")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.hole = QRect()
        self.bubble = QFrame(self)
        self.bubble.setObjectName("tourBubble")
        self.bubble.setFrameShape(QFrame.Shape.StyledPanel)
        self.bubble.setAutoFillBackground(True)
        self.bubble.setFixedWidth(340)
        self.counter = QLabel()
        self.title = QLabel()
        self.title.setStyleSheet("font-weight: 600; font-size: 13pt;")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.skip_button, self.back_button, self.next_button = buttons = [
            QPushButton(label) for label in ("Skip tour", "Back", "Next")
        ]
        row = QHBoxLayout()
        signals = (self.skip_requested, self.back_requested, self.next_requested)
        for button, signal in zip(buttons, signals, strict=True):
            button.clicked.connect(signal)
            row.addWidget(button)
        row.insertStretch(1, 1)
        layout = QVBoxLayout(self.bubble)
        layout.setContentsMargins(14, 12, 14, 12)
        for widget in (self.counter, self.title, self.text):
            layout.addWidget(widget)
        layout.addLayout(row)
        self.hide()

    def show_step(self, hole: QRect, title: str, text: str, index: int, count: int) -> None:
        """Highlight ``hole`` (window coordinates) and explain it."""
        self.setGeometry(self.parentWidget().rect())
        self.hole = QRect(hole)
        self.counter.setText(f"Tour: {index + 1} of {count}")
        self.title.setText(title)
        self.text.setText(text)
        self.back_button.setEnabled(index > 0)
        self.next_button.setText("Done" if index == count - 1 else "Next")
        self.bubble.setAccessibleName(f"Guided tour, step {index + 1} of {count}: {title}")
        self.bubble.adjustSize()
        self.bubble.move(self._bubble_position(self.bubble.size()))
        self.show()
        self.raise_()
        self.next_button.setFocus()
        self.update()

    def _bubble_position(self, size: QSize) -> QPoint:
        w, h = size.width(), size.height()
        area = self.rect().adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN)
        r = self.hole
        if r.isEmpty():
            return QPoint(area.center().x() - w // 2, area.center().y() - h // 2)

        def clamp_x(x: int) -> int:
            return min(max(x, area.left()), area.right() - w)

        def clamp_y(y: int) -> int:
            return min(max(y, area.top()), area.bottom() - h)

        candidates = [
            QPoint(r.right() + GAP, clamp_y(r.top())),  # right of it
            QPoint(clamp_x(r.left()), r.bottom() + GAP),  # below
            QPoint(r.left() - GAP - w, clamp_y(r.top())),  # left of it
            QPoint(clamp_x(r.left()), r.top() - GAP - h),  # above
        ]
        for p in candidates:
            if area.contains(QRect(p, size)):
                return p
        return QPoint(clamp_x(area.center().x() - w // 2), clamp_y(area.center().y() - h // 2))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        shade, hole = QPainterPath(), QPainterPath()
        shade.addRect(QRectF(self.rect()))
        if not self.hole.isEmpty():
            hole.addRoundedRect(QRectF(self.hole.adjusted(-4, -4, 4, 4)), 6, 6)
        painter.fillPath(shade.subtracted(hole), DIM)
        if not self.hole.isEmpty():
            painter.setPen(QPen(self.palette().highlight().color(), 3))
            painter.drawPath(hole)
        painter.end()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Escape:
            self.skip_requested.emit()
        elif key in (Qt.Key.Key_Right, Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.next_requested.emit()
        elif key == Qt.Key.Key_Left and self.back_button.isEnabled():
            self.back_requested.emit()
        else:
            super().keyPressEvent(event)

    def mousePressEvent(self, event: object) -> None:
        pass  # the window underneath is not clickable during the tour


class GuidedTour(QObject):
    """Steps through :func:`tour_steps` over ``window``. ``finished(completed)`` is emitted
    at the end (True) or when skipped (False); with ``remember`` the tour counts as seen."""

    finished = Signal(bool)

    def __init__(
        self, window: MainWindow, *, remember: bool = True, steps: list[TourStep] | None = None
    ) -> None:
        super().__init__(window)
        self.window = window
        self.remember = remember
        self.steps = steps if steps is not None else tour_steps()
        self.index = -1
        self.done = False
        self.overlay = TourOverlay(window)
        self.overlay.next_requested.connect(self.next)
        self.overlay.back_requested.connect(self.back)
        self.overlay.skip_requested.connect(self.skip)
        window.installEventFilter(self)

    @property
    def active(self) -> bool:
        """True while a stop is shown."""
        return 0 <= self.index < len(self.steps)

    @property
    def current(self) -> TourStep:
        """The stop shown (IndexError when the tour is not running)."""
        if not self.active:
            raise IndexError("the tour is not running")
        return self.steps[self.index]

    def start(self) -> None:
        """Show the first stop."""
        if self.done:
            raise RuntimeError("this tour has ended; create a new GuidedTour")
        self._show(0)

    def next(self) -> None:
        """The next stop; after the last one the tour ends (completed)."""
        if self.index + 1 >= len(self.steps):
            self._finish(True)
        else:
            self._show(self.index + 1)

    def back(self) -> None:
        """The previous stop."""
        if self.index > 0:
            self._show(self.index - 1)

    def skip(self) -> None:
        """End the tour now."""
        self._finish(False)

    def highlight_rect(self) -> QRect:
        """The highlighted area of the current stop, in window coordinates (empty when the
        target is hidden)."""
        widget, rect = self.current.target(self.window)
        if not widget.isVisibleTo(self.window):
            return QRect()
        local = rect if rect is not None else widget.rect()
        return QRect(widget.mapTo(self.window, local.topLeft()), local.size()).intersected(self.window.rect())

    def _show(self, index: int) -> None:
        self.index = index
        step = self.steps[index]
        self.overlay.show_step(self.highlight_rect(), step.title, step.text, index, len(self.steps))

    def _finish(self, completed: bool) -> None:
        if self.done:
            return
        self.done = True
        self.index = len(self.steps)
        self.window.removeEventFilter(self)
        self.overlay.hide()
        self.overlay.deleteLater()
        if self.remember:
            qsettings.set_value(TOUR_SEEN_KEY, True)
        self.finished.emit(completed)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Resize and self.active:
            QTimer.singleShot(0, self, lambda: self._show(self.index) if self.active else None)
        return False


# -- the welcome -----------------------------------------------------------------------------


class WelcomeDialog(QDialog):
    """Asks a first-time user how to start; :meth:`ask` returns one of the choices or None."""

    DEMO_AND_TOUR = "demo+tour"
    DEMO = "demo"
    OWN_DATA = "own"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomeDialog")
        self.setWindowTitle("Welcome to Learnalytics Desktop")
        self.choice: str | None = None
        intro = QLabel(
            "<h3>Welcome</h3>"
            "<p>Learnalytics Desktop works entirely on this computer: it never connects to the network.</p>"
            "<p>To look around first, open the <b>demo database</b>: a made-up course with a finished "
            "and a running offering (no real people). A short tour then shows where things are.</p>"
            f"<p>Your databases and settings are kept in <i>{html.escape(_data_folder())}</i>.</p>"
        )
        intro.setWordWrap(True)
        intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.intro = intro
        buttons = QHBoxLayout()
        for attr, label, choice in (
            ("own_button", "Start with my own data", self.OWN_DATA),
            ("demo_button", "Open the demo only", self.DEMO),
            ("tour_button", "Open the demo and take the tour", self.DEMO_AND_TOUR),
        ):
            button = QPushButton(label)
            button.setAutoDefault(False)  # Enter means the tour, whichever button has focus
            button.clicked.connect(lambda _=False, c=choice: self._choose(c))
            setattr(self, attr, button)
            buttons.addWidget(button)
        buttons.insertStretch(1, 1)
        self.tour_button.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(buttons)
        self.setMinimumWidth(520)

    def _choose(self, choice: str) -> None:
        self.choice = choice
        self.accept()

    @classmethod
    def ask(cls, parent: QWidget | None) -> str | None:
        """Show the dialog; the choice, or None when it was closed."""
        dialog = cls(parent)
        try:
            return dialog.choice if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            dialog.deleteLater()


# -- wiring ----------------------------------------------------------------------------------


class FirstRun(QObject):
    """Adds Help ▸ Guided tour to ``window`` and runs the welcome flow."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.tour: GuidedTour | None = None
        self.tour_action = _help_menu(window).addAction("Guided &tour")
        self.tour_action.triggered.connect(self.start_tour)

    def start_tour(self) -> GuidedTour:
        """Start the tour (ending one already running)."""
        if self.tour is not None and self.tour.active:
            self.tour.skip()
        self.tour = GuidedTour(self.window)
        self.tour.start()
        return self.tour

    def offer(self, demo: bool = False) -> str | None:
        """Ask how to start and act on the answer (which is remembered: asked once). With
        ``demo`` (``--demo``) a closed welcome still opens the demo."""
        choice = WelcomeDialog.ask(self.window)
        qsettings.set_value(WELCOME_KEY, True)
        if choice is None and demo:
            choice = WelcomeDialog.DEMO
        if choice in (WelcomeDialog.DEMO, WelcomeDialog.DEMO_AND_TOUR):
            task = self.window.open_demo()
            if choice == WelcomeDialog.DEMO_AND_TOUR:
                self._tour_after(task)
        elif choice == WelcomeDialog.OWN_DATA:
            self.window.navigate("import")
            self.window.statusBar().showMessage(
                "Add xAPI files or folders on the Import page. Help ▸ Guided tour shows you around.", 15000
            )
        return choice

    def _tour_after(self, task: Task | None) -> None:
        if task is None:
            self.start_tour()
            return
        runner = self.window.runner

        def done(finished: Task) -> None:
            if finished is not task:
                return
            runner.finished.disconnect(done)
            if finished.outcome is not None and finished.outcome[0] == "ok":
                QTimer.singleShot(0, self, self.start_tour)

        runner.finished.connect(done)


def _help_menu(window: MainWindow) -> QMenu:
    for action in window.menuBar().actions():
        menu = action.menu()
        if isinstance(menu, QMenu) and action.text().replace("&", "") == "Help":
            return menu
    return window.menuBar().addMenu("&Help")


def install_first_run(window: MainWindow, *, offer: bool = True, demo: bool = False) -> FirstRun:
    """Add Help ▸ Guided tour; with ``offer`` on a first launch (:func:`should_offer`) show
    the welcome once the event loop runs. With ``demo`` (``--demo``) the demo is opened: through
    the welcome on a first launch, directly otherwise. Returns the controller (also
    ``window.first_run``)."""
    controller = FirstRun(window)
    window.first_run = controller  # type: ignore[attr-defined]
    if (offer or demo) and should_offer():
        QTimer.singleShot(0, controller, lambda: controller.offer(demo=demo))
    elif demo:
        QTimer.singleShot(FIRST_PAINT_MS, window, window.open_demo)
    return controller
