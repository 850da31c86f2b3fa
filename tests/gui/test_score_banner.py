"""The score banner scores the week shown by itself (issue 11: the risk list follows the week
picker): once per course and week when there is no run, again when the data are newer."""

from __future__ import annotations

from learnalytics_desktop.core.dashboard import ScoringStatus
from learnalytics_desktop.gui.pages.dashboard.common import ScoreBanner


def _banner(qtbot, runner, monkeypatch, auto=True):
    banner = ScoreBanner(runner, auto=auto)
    qtbot.addWidget(banner)
    calls = []
    monkeypatch.setattr(banner, "score", lambda auto=False: calls.append(auto))
    return banner, calls


def test_a_week_without_a_run_is_scored_once(qtbot, runner, monkeypatch):
    banner, calls = _banner(qtbot, runner, monkeypatch)
    status = ScoringStatus("not_scored", "Week 7 has not been scored yet.", "m1", 13)
    banner.set_status(status, "db", 1, 7)
    assert calls == [True] and "Scoring this week now" in banner.text.text()
    banner.set_status(status, "db", 1, 7)  # e.g. the week is not over yet: no loop
    assert calls == [True]
    banner.set_status(status, "db", 1, 8)  # the next week picked
    assert calls == [True, True]


def test_a_stale_run_is_rescored_and_a_fresh_one_is_not(qtbot, runner, monkeypatch):
    banner, calls = _banner(qtbot, runner, monkeypatch)
    fresh = ScoringStatus(
        "scored", "Scored.", "m1", 13, 5, "2026-10-26T00:00:00+00:00", "2026-12-08T01:00:00Z"
    )
    banner.set_status(fresh, "db", 1, 4)
    assert calls == []
    stale = ScoringStatus(
        "scored",
        "Scored. Data were imported since.",
        "m1",
        13,
        5,
        "2026-10-26T00:00:00+00:00",
        "2026-12-08T01:00:00Z",
        True,
    )
    banner.set_status(stale, "db", 1, 4)
    assert calls == [True]


def test_nothing_is_scored_without_a_model_for_the_week_or_with_auto_off(qtbot, runner, monkeypatch):
    banner, calls = _banner(qtbot, runner, monkeypatch)
    banner.set_status(ScoringStatus("other_week", "trained for week 6", "m1", 6), "db", 1, 7)
    banner.set_status(ScoringStatus("no_model", "No model"), "db", 1, 7)
    assert calls == []
    off, off_calls = _banner(qtbot, runner, monkeypatch, auto=False)
    off.set_status(ScoringStatus("not_scored", "not yet", "m1", 13), "db", 1, 7)
    assert off_calls == [] and off.button.isVisibleTo(off)  # "Score now" is offered instead
