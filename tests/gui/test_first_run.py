"""First launch: the welcome offer (once, only without a recent database), the demo + tour
flow, and the guided tour itself (stops, keys, resizing, remembering that it was seen)."""

from __future__ import annotations

import pytest
from gui_helpers import small_demo
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog

from learnalytics_desktop.gui import qsettings
from learnalytics_desktop.gui.first_run import (
    TOUR_SEEN_KEY,
    WELCOME_KEY,
    GuidedTour,
    WelcomeDialog,
    install_first_run,
    should_offer,
    tour_seen,
    tour_steps,
)
from learnalytics_desktop.gui.main_window import MainWindow


@pytest.fixture
def window(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def _settle(qtbot) -> None:
    """Let zero-delay timers (the deferred welcome) fire."""
    for _ in range(3):
        QApplication.processEvents()
    qtbot.wait(0)


def _fake_ask(monkeypatch, answer):
    calls = []

    def ask(cls, parent):
        calls.append(parent)
        return answer

    monkeypatch.setattr(WelcomeDialog, "ask", classmethod(ask))
    return calls


def test_offered_only_without_recent_database_and_until_answered(tmp_path):
    assert should_offer()
    db = tmp_path / "mine.db"
    db.write_bytes(b"")
    qsettings.add_recent_file(db)
    assert not should_offer()
    qsettings.remove_recent_file(db)
    assert should_offer()
    qsettings.set_value(WELCOME_KEY, True)
    assert not should_offer()


def test_welcome_dialog_buttons_give_the_choice(qtbot):
    for button, choice in (
        ("tour_button", WelcomeDialog.DEMO_AND_TOUR),
        ("demo_button", WelcomeDialog.DEMO),
        ("own_button", WelcomeDialog.OWN_DATA),
    ):
        dialog = WelcomeDialog()
        qtbot.addWidget(dialog)
        getattr(dialog, button).click()
        assert dialog.choice == choice and dialog.result() == QDialog.DialogCode.Accepted
    dialog = WelcomeDialog()
    qtbot.addWidget(dialog)
    assert dialog.tour_button.isDefault() and not dialog.own_button.autoDefault()
    from learnalytics_desktop.core.paths import data_dir

    assert "never connects to the network" in dialog.intro.text() and str(data_dir()) in dialog.intro.text()


def test_welcome_ask_returns_none_when_closed(qtbot):
    from PySide6.QtCore import QTimer

    def close_it():
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, WelcomeDialog)
        dialog.reject()

    QTimer.singleShot(0, close_it)
    assert WelcomeDialog.ask(None) is None


def test_first_launch_with_own_data_is_asked_once(qtbot, window, monkeypatch):
    calls = _fake_ask(monkeypatch, WelcomeDialog.OWN_DATA)
    controller = install_first_run(window)
    qtbot.waitUntil(lambda: len(calls) == 1, timeout=2000)
    assert calls == [window]
    assert qsettings.get_value(WELCOME_KEY, False, bool)
    assert controller.tour is None and window.current_key == "import" and window.db_path is None
    assert "Import page" in window.statusBar().currentMessage()
    # the next launch does not ask again
    second = MainWindow()
    qtbot.addWidget(second)
    install_first_run(second)
    _settle(qtbot)
    assert len(calls) == 1


def test_not_offered_when_a_database_was_opened_before(qtbot, window, monkeypatch, tmp_path):
    calls = _fake_ask(monkeypatch, WelcomeDialog.DEMO)
    db = tmp_path / "old.db"
    db.write_bytes(b"")
    qsettings.add_recent_file(db)
    install_first_run(window)
    install_first_run(window, offer=False)
    _settle(qtbot)
    assert calls == []


def test_closing_the_welcome_is_remembered_and_opens_nothing(qtbot, window, monkeypatch):
    calls = _fake_ask(monkeypatch, None)
    install_first_run(window)
    qtbot.waitUntil(lambda: len(calls) == 1, timeout=2000)
    assert qsettings.get_value(WELCOME_KEY, False, bool) and window.db_path is None and not should_offer()


def test_demo_and_tour_opens_the_demo_then_tours_every_stop(qtbot, window, monkeypatch):
    from learnalytics_desktop.core.paths import demo_db_path

    small_demo(monkeypatch, students=20)
    _fake_ask(monkeypatch, WelcomeDialog.DEMO_AND_TOUR)
    controller = install_first_run(window)
    qtbot.waitUntil(lambda: controller.tour is not None and controller.tour.active, timeout=120_000)
    assert window.db_path == demo_db_path().resolve()
    assert window.context_bar.course is not None  # the tour starts once the courses are loaded
    tour = controller.tour
    titles = []
    with qtbot.waitSignal(tour.finished, timeout=5000) as finished:
        while tour.active:
            _check_stop(tour, window)
            titles.append(tour.current.title)
            tour.overlay.next_button.click()
    assert finished.args == [True]
    assert titles == [s.title for s in tour_steps()]
    assert titles[2:6] == [
        "1. Who needs you this week",
        "2. One student",
        "3. Draft a message",
        "4. Review, approve, export",
    ]
    assert tour_seen() and not tour.active


def _check_stop(tour: GuidedTour, window: MainWindow) -> None:
    QApplication.processEvents()
    hole = tour.highlight_rect()
    overlay = tour.overlay
    assert not hole.isEmpty() and window.rect().contains(hole), tour.current.title
    assert overlay.isVisible() and overlay.geometry() == window.rect()
    bubble = overlay.bubble.geometry()
    assert overlay.rect().contains(bubble), (tour.current.title, bubble, overlay.rect())
    assert not bubble.intersects(hole), f"the text of {tour.current.title!r} covers what it explains"
    assert overlay.title.text() == tour.current.title
    assert overlay.counter.text() == f"Tour: {tour.index + 1} of {len(tour.steps)}"


@pytest.mark.parametrize("size", [(1200, 780), (820, 600)])
def test_stops_highlight_their_widgets_and_the_text_never_covers_them(qtbot, window, size):
    window.resize(*size)
    tour = GuidedTour(window, remember=False)
    tour.start()
    expected = [
        lambda: window.nav,
        lambda: window.context_bar,
        lambda: window.stack,  # no database: the risk list is not shown, its page is
        lambda: window.stack,
        lambda: window.page("at_risk").draft_button,
        lambda: window.page("interventions").export_button,
        lambda: window.statusBar(),
    ]
    for widget in expected:
        _check_stop(tour, window)
        target, _ = tour.current.target(window)
        assert target is widget()
        tour.next()
    assert not tour.active and not qsettings.get_value(TOUR_SEEN_KEY, False, bool)  # remember=False


def test_the_tour_walks_the_advisors_loop_page_by_page(qtbot, window):
    tour = GuidedTour(window, remember=False)
    tour.start()
    tour.next()
    pages = []
    for _ in range(4):
        tour.next()
        QApplication.processEvents()
        pages.append(window.current_key)
    assert pages == ["at_risk", "student", "at_risk", "interventions"]
    tour.skip()


def test_keyboard_moves_through_the_tour_and_escape_skips(qtbot, window):
    tour = GuidedTour(window)
    tour.start()
    overlay = tour.overlay
    assert not overlay.back_button.isEnabled()
    QTest.keyClick(overlay, Qt.Key.Key_Right)
    assert tour.index == 1 and overlay.back_button.isEnabled()
    QTest.keyClick(overlay, Qt.Key.Key_Left)
    assert tour.index == 0
    with qtbot.waitSignal(tour.finished, timeout=2000) as finished:
        QTest.keyClick(overlay, Qt.Key.Key_Escape)
    assert finished.args == [False]
    assert not tour.active and tour_seen()
    tour.skip()  # a second end is harmless
    with pytest.raises(RuntimeError):
        tour.start()


def test_last_stop_says_done_and_mentions_the_data_folder(qtbot, window):
    from learnalytics_desktop.core.paths import data_dir

    tour = GuidedTour(window, remember=False)
    tour.start()
    while tour.index < len(tour.steps) - 1:
        tour.next()
    assert tour.overlay.next_button.text() == "Done"
    assert str(data_dir()) in tour.overlay.text.text()
    tour.skip()


def test_overlay_follows_the_window_when_resized(qtbot, window):
    # room to shrink above the window's minimum size (800x500): the offscreen screen is
    # 800x600, so the window opened clamped to it
    window.resize(1200, 780)
    qtbot.waitUntil(lambda: window.width() == 1200, timeout=2000)
    tour = GuidedTour(window, remember=False)
    tour.start()
    tour.next()  # the context bar: its width follows the window
    before = tour.highlight_rect()
    window.resize(window.width() - 200, window.height() - 100)
    qtbot.waitUntil(lambda: tour.overlay.geometry() == window.rect(), timeout=2000)
    qtbot.waitUntil(lambda: tour.overlay.hole == tour.highlight_rect(), timeout=2000)
    assert tour.highlight_rect() != before
    tour.skip()


def test_help_menu_runs_the_tour_again(qtbot, window, monkeypatch):
    _fake_ask(monkeypatch, None)
    qsettings.set_value(WELCOME_KEY, True)
    controller = install_first_run(window)
    assert window.first_run is controller
    help_actions = [a.text() for a in window.menuBar().actions()]
    assert "&Help" in help_actions
    controller.tour_action.trigger()
    first = controller.tour
    assert first is not None and first.active
    controller.tour_action.trigger()  # again: the running tour ends, a new one starts
    assert not first.active and controller.tour is not first and controller.tour.active
    controller.tour.skip()


def test_demo_flag_still_welcomes_a_first_launch_and_opens_the_demo_when_closed(qtbot, window, monkeypatch):
    from learnalytics_desktop.core.paths import demo_db_path

    small_demo(monkeypatch, students=20)
    calls = _fake_ask(monkeypatch, None)
    install_first_run(window, offer=True, demo=True)
    qtbot.waitUntil(lambda: window.db_path == demo_db_path().resolve(), timeout=120_000)
    assert len(calls) == 1  # --demo does not skip the welcome on a first launch
    qtbot.waitUntil(lambda: window.current_key == "overview", timeout=10_000)
    course = window.context_bar.course
    assert course.iri.endswith("2026-autumn") and window.context_bar.week == 6  # the demo's "today"


def test_demo_flag_opens_the_demo_directly_after_the_first_launch(qtbot, window, monkeypatch):
    from learnalytics_desktop.core.paths import demo_db_path

    small_demo(monkeypatch, students=20)
    calls = _fake_ask(monkeypatch, WelcomeDialog.DEMO)
    qsettings.set_value(WELCOME_KEY, True)
    install_first_run(window, offer=True, demo=True)
    qtbot.waitUntil(lambda: window.db_path == demo_db_path().resolve(), timeout=120_000)
    qtbot.waitUntil(lambda: window.current_key == "overview", timeout=10_000)
    assert calls == []
