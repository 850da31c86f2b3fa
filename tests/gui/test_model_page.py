"""Model page on a real demo database: the form, training on the worker, the card, charts and
fairness table showing the core's own numbers, the active model."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest
from factories import make_demo_db

from learnalytics_desktop.core.store.db import copy_database, open_db
from learnalytics_desktop.gui.pages.base import PageContext, Shell
from learnalytics_desktop.gui.pages.model.card import FEATURE_LABELS, fairness_frame, feature_label
from learnalytics_desktop.gui.pages.model.model_page import ModelPage

PAST = "2025-autumn"
CURRENT = "2026-autumn"


def read(path: Path, fn, *args):
    conn = open_db(path, create=False)
    try:
        return fn(conn, *args)
    finally:
        conn.close()


@pytest.fixture(scope="session")
def trained_template(tmp_path_factory):
    """A demo database with one model trained by the core (small-cell threshold 12, so the
    fairness report has hidden groups); built once per session."""
    from learnalytics_desktop.core.model import train_model
    from learnalytics_desktop.core.privacy.suppress import set_small_cell_threshold

    folder = tmp_path_factory.mktemp("model-template")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEARNALYTICS_HOME", str(folder / "home"))
        demo = make_demo_db(folder / "demo.db", students=40)
        conn = open_db(demo.path)
        try:
            set_small_cell_threshold(conn, 12)
            result = train_model(conn, [demo.course_id(conn, PAST)], 6, kind="logreg")
        finally:
            conn.close()
    return demo.path, result.model_id


@pytest.fixture
def trained(trained_template, tmp_path):
    src, model_id = trained_template
    target = tmp_path / "trained.db"
    copy_database(src, target)
    return target, model_id


@pytest.fixture
def demo(tmp_path):
    return make_demo_db(tmp_path / "demo.db", students=40)


def context_for(path: Path, course_key: str | None, demo_files=None, week: int = 6) -> PageContext:
    from learnalytics_desktop.core.courses import list_courses

    courses = read(path, list_courses)
    course = None
    if course_key is not None:
        iri = f"https://lms.example.edu/course/ida101/{course_key}"
        course = next(c for c in courses if c.iri == iri)
    return PageContext(
        db_path=path,
        course_id=None if course is None else course.id,
        week=week,
        course=course,
        courses=tuple(courses),
    )


def open_page(qtbot, runner, ctx: PageContext) -> ModelPage:
    page = ModelPage(Shell(runner))
    qtbot.addWidget(page)
    page.resize(1010, 700)
    page.show()
    page.set_context(ctx)
    qtbot.waitUntil(lambda: page.train_panel.db_path == ctx.db_path and not runner.is_busy(), timeout=15000)
    return page


# -- the form ------------------------------------------------------------------------------------


def test_form_lists_offerings_and_says_what_is_missing(qtbot, runner, demo):
    page = open_page(qtbot, runner, context_for(demo.path, CURRENT, week=5))
    panel = page.train_panel
    conn = open_db(demo.path, create=False)
    past, current = demo.course_id(conn, PAST), demo.course_id(conn, CURRENT)
    conn.close()
    assert panel.chosen_ids() == [past]
    items = {
        panel.offering_list.item(i).data(0x100): panel.offering_list.item(i)
        for i in range(panel.offering_list.count())
    }
    assert "no final outcomes yet" in items[current].text() and not items[current].flags()
    assert panel.week.value() == 0 and panel.week.text() == "every week"  # one model for every week
    assert panel.train_button.isEnabled() and "No model has been trained" in page.summary.text()
    panel.set_chosen([])
    panel._update()
    assert "Tick at least one past offering" in panel.status.text() and not panel.train_button.isEnabled()
    assert panel.start() is None
    panel.set_chosen([past])
    panel.week.setValue(14)
    assert (
        "Week 14 is past the end of Introduction to Data Analysis (Autumn 2025) (13 weeks)"
        in panel.status.text()
    )
    assert page.charts.card is None and "select one" in page.card_view.toPlainText()
    panel.week.setValue(5)
    panel.set_excluded_features(list(panel.leave_out_actions))
    assert "Every feature is left out" in panel.status.text() and not panel.train_button.isEnabled()
    panel.set_excluded_features(["forum_posts"])
    assert panel.excluded_features() == ["forum_posts"] and panel.train_button.isEnabled()
    assert panel.leave_out_label.text() == f"Leaving out: {feature_label('forum_posts')}"


def test_training_data_error_is_shown_in_the_form(qtbot, runner, demo):
    conn = open_db(demo.path, create=False)
    conn.execute("UPDATE outcomes SET passed = 1, withdrew = 0")  # nobody at risk: nothing to learn
    conn.close()
    page = open_page(qtbot, runner, context_for(demo.path, CURRENT))
    with qtbot.waitSignal(runner.failed, timeout=60000):
        page.train_panel.start()
    qtbot.waitUntil(lambda: page.train_panel.status.text().startswith("Not trained:"), timeout=5000)
    assert "has 0 at-risk and 40 not-at-risk students" in page.train_panel.status.text()
    assert page.train_panel.status.text().endswith(".")
    assert read(demo.path, lambda c: c.execute("SELECT count(*) FROM models").fetchone()[0]) == 0


def test_cancel_stops_training_and_saves_nothing(qtbot, runner, demo):
    page = open_page(qtbot, runner, context_for(demo.path, CURRENT))
    with qtbot.waitSignal(runner.cancelled, timeout=60000):
        task = page.train_panel.start()
        assert page.train_panel.cancel_button.isEnabled()
        page.train_panel.cancel()
    qtbot.waitUntil(lambda: task.done and not page.train_panel.running, timeout=5000)
    assert page.train_panel.status.text() == "Training cancelled; nothing was saved."
    assert page.train_panel.train_button.isEnabled()
    assert read(demo.path, lambda c: c.execute("SELECT count(*) FROM models").fetchone()[0]) == 0


@pytest.mark.slow
def test_train_through_the_page(qtbot, runner, demo):
    from learnalytics_desktop.core.model import get_card, list_models

    page = open_page(qtbot, runner, context_for(demo.path, CURRENT))
    panel = page.train_panel
    panel.kind.setCurrentIndex(panel.kind.findData("logreg"))
    panel.set_excluded_features(["forum_posts"])
    seen = []
    runner.progressed.connect(lambda task, f, m: seen.append(f))
    with qtbot.waitSignal(panel.trained, timeout=180000) as blocker:
        panel.start()
        assert not panel.train_button.isEnabled() and panel.cancel_button.isEnabled()
    model_id, card = blocker.args
    assert seen and max(seen) <= 1.0
    models = read(demo.path, list_models)
    assert [m["id"] for m in models] == [model_id]
    assert card == read(demo.path, get_card, model_id)
    qtbot.waitUntil(lambda: page.card_id == model_id and page.card is not None, timeout=15000)
    assert page.selected_id == model_id
    assert page.card["validation"]["logreg"]["roc_auc"] == card["validation"]["logreg"]["roc_auc"]
    assert panel.status.text().startswith(f"Trained {model_id}: ROC AUC")
    assert {"feature": "forum_posts", "reason": "excluded by the user"} in card["unused_features"]
    assert "forum_posts" not in card["features"]
    assert "Not used: Forum posts (excluded by the user)" in page.card_view.toPlainText()


# -- card, charts, fairness, active model ----------------------------------------------------------


def test_card_numbers_are_the_cores(qtbot, runner, trained):
    from learnalytics_desktop.core.model import get_card, list_models

    path, model_id = trained
    page = open_page(qtbot, runner, context_for(path, CURRENT))
    qtbot.waitUntil(lambda: page.card is not None, timeout=15000)
    card = read(path, get_card, model_id)
    assert page.card == card
    text = page.card_view.toPlainText()
    v = card["validation"]
    for kind in ("hgb", "logreg"):
        for key in ("roc_auc", "pr_auc", "brier", "brier_skill", "calibration_error"):
            assert f"{v[kind][key]:.3f}" in text, (kind, key)
    c = card["counts"]
    assert f"{c['trained_on']} students with a final outcome, of whom {c['at_risk']} ended at risk" in text
    assert f"base rate {100 * card['base_rate']:.1f} %" in text
    assert "Logistic regression ✔ chosen" in text and "active" in text
    assert f"scikit-learn {card['versions']['scikit-learn']}" in text
    # the models table holds the core's listing
    listed = read(path, list_models)[0]
    assert page.models.rowCount() == 1
    assert page.models.value(0, "roc_auc") == listed["roc_auc"]
    assert page.models.index(0, 0).data() == "✔ latest"
    assert page.models.index(0, 4).data() == f"{listed['roc_auc']:.3f}"


def test_charts_draw_the_card(qtbot, runner, trained):
    path, _ = trained
    page = open_page(qtbot, runner, context_for(path, CURRENT))
    qtbot.waitUntil(lambda: page.charts.card is not None, timeout=15000)
    card, charts = page.card, page.charts
    for plot in (charts.roc, charts.calibration, charts.importance):
        item = plot.getPlotItem()
        assert item.titleLabel.text
        assert item.getAxis("bottom").labelText and item.getAxis("left").labelText
    roc_items = charts.roc.getPlotItem().listDataItems()
    chosen = card["validation"]["logreg"]["roc"]
    xs, ys = roc_items[1].getData()  # [0] is the chance diagonal
    assert list(xs) == [p["fpr"] for p in chosen] and list(ys) == [p["tpr"] for p in chosen]
    assert list(roc_items[0].getData()[0]) == [0, 1]
    assert "logistic regression (chosen): AUC" in charts.roc_legend.text().replace("&nbsp;", " ")
    cal = card["validation"]["logreg"]["calibration"]
    cx, cy = charts.calibration.getPlotItem().listDataItems()[1].getData()
    assert list(cx) == [p["predicted"] for p in cal] and list(cy) == [p["observed"] for p in cal]
    import pyqtgraph as pg

    bars = [i for i in charts.importance.getPlotItem().items if isinstance(i, pg.BarGraphItem)][0]
    top = card["importance"]["features"][:12]
    assert list(bars.opts["width"]) == pytest.approx([f["mean"] for f in top])
    ticks = charts.importance.getPlotItem().getAxis("left")._tickLevels[0]
    labels = [t[1] for t in ticks]
    assert feature_label(top[0]["feature"]) == labels[-1]  # the most important on top
    assert all(label in FEATURE_LABELS.values() for label in labels)


def test_fairness_table_hides_small_groups(qtbot, runner, trained):
    path, _ = trained
    page = open_page(qtbot, runner, context_for(path, CURRENT))
    qtbot.waitUntil(lambda: page.card is not None, timeout=15000)
    page.tabs.setCurrentIndex(2)
    groups = [(a, g) for a, block in page.card["fairness"]["attributes"].items() for g in block["groups"]]
    assert page.fairness.rowCount() == len(groups)
    small = [g for _, g in groups if g.get("suppressed") == "small cell"]
    assert small, "the template's threshold of 12 should hide at least one demo group"
    shown = {
        (page.fairness.index(r, 0).data(), page.fairness.index(r, 1).data()): r
        for r in range(page.fairness.rowCount())
    }
    for attribute, g in groups:
        r = shown[(attribute, g["group"])]
        if g.get("suppressed") == "small cell":
            assert page.fairness.index(r, 2).data() == "<12"
            assert all(page.fairness.index(r, c).data() == "—" for c in range(3, 9))
        else:
            if isinstance(g["n"], int):
                assert page.fairness.index(r, 2).data() == f"{g['n']:,}"
            if g.get("roc_auc") is not None:
                assert page.fairness.index(r, 4).data() == f"{g['roc_auc']:.2f}"
    assert "Groups of fewer than 12 students show \u201c<12\u201d" in page.fairness_intro.text()


def test_make_active_pins_and_use_latest_unpins(qtbot, runner, trained):
    from learnalytics_desktop.core.model import list_models

    path, model_id = trained
    page = open_page(qtbot, runner, context_for(path, CURRENT))
    qtbot.waitUntil(lambda: page.selected_id == model_id, timeout=15000)
    assert page.activate_button.isEnabled() and not page.latest_button.isEnabled()
    with qtbot.waitSignal(page.shell.data_changed, timeout=10000):
        page.make_active()
    assert read(path, list_models)[0]["pinned"] is True
    assert page.models.index(0, 0).data() == "✔ pinned" and "pinned" in page.summary.text()
    assert not page.activate_button.isEnabled() and page.latest_button.isEnabled()
    with qtbot.waitSignal(page.shell.data_changed, timeout=10000):
        page.latest_button.click()
    assert read(path, list_models)[0]["pinned"] is False
    assert page.models.index(0, 0).data() == "✔ latest"
    audit = read(
        path,
        lambda c: c.execute("SELECT count(*) FROM audit_log WHERE action = 'model_active'").fetchone()[0],
    )
    assert audit == 2


def test_recalibrate_says_why_it_cannot(qtbot, runner, trained):
    path, model_id = trained
    page = open_page(qtbot, runner, context_for(path, CURRENT))
    qtbot.waitUntil(lambda: page.selected_id == model_id, timeout=15000)
    assert page.recalibrate_button.isEnabled()
    with qtbot.waitSignal(runner.failed, timeout=60000):
        page.recalibrate()
    qtbot.waitUntil(lambda: "Not recalibrated" in page.summary.text(), timeout=5000)
    assert "no finished offering" in page.summary.text()
    assert read(path, lambda c: c.execute("SELECT count(*) FROM models").fetchone()[0]) == 1


def test_fairness_frame_from_a_card():
    card = {
        "fairness": {
            "available": True,
            "attributes": {
                "Study mode": {
                    "groups": [
                        {
                            "group": "Full-time",
                            "n": 40,
                            "base_rate": 0.3,
                            "roc_auc": 0.81,
                            "calibration_gap": -0.02,
                            "flag_rate": 0.25,
                            "fpr": 0.1,
                            "fnr": None,
                        },
                        {
                            "group": "Part-time",
                            "n": "suppressed",
                            "base_rate": 0.4,
                            "roc_auc": None,
                            "calibration_gap": 0.01,
                            "flag_rate": 0.3,
                            "fpr": None,
                            "fnr": None,
                            "suppressed": "secondary (protects a small group's count)",
                        },
                        {"group": "Online", "n": "<5", "suppressed": "small cell"},
                    ]
                }
            },
        }
    }
    frame = fairness_frame(card)
    assert frame["students"].tolist() == ["40", "hidden", "<5"]
    assert frame.loc[0, "roc_auc"] == 0.81 and math.isnan(frame.loc[0, "fnr"])
    assert frame.loc[2, ["base_rate", "roc_auc", "fpr"]].isna().all()
    assert frame.loc[2, "note"] == "small group: numbers hidden"
    assert frame.loc[1, "note"] == "count hidden to protect a small group"
    assert fairness_frame({}).empty


def test_feature_labels_are_readable():
    assert feature_label("days_since_last_activity") == "Days since last activity"
    assert feature_label("attr:Study mode") == "Study mode (attribute)"
    assert feature_label("some_new_feature") == "Some new feature"


def test_registered_in_the_navigation():
    from learnalytics_desktop.gui.pages import page_spec

    assert page_spec("model").load() is ModelPage


# -- screenshots (slow, on request) -----------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("LEARNALYTICS_SCREENSHOTS"), reason="set LEARNALYTICS_SCREENSHOTS=<folder>"
)
def test_screenshots(qtbot, tmp_path):
    """The Model page's three tabs and the Settings page's four tabs (and the erasure dialog)
    at 1200x780 on the full demo (300 students); the model is trained through the page."""
    from gui_helpers import open_in
    from PySide6.QtTest import QTest

    from learnalytics_desktop.gui.main_window import MainWindow
    from learnalytics_desktop.gui.pages.settings.erase_dialog import EraseDialog
    from learnalytics_desktop.gui.pages.settings.privacy_jobs import find_learner

    out = Path(os.environ["LEARNALYTICS_SCREENSHOTS"])
    out.mkdir(parents=True, exist_ok=True)
    demo = make_demo_db(tmp_path / "demo.db", students=300)
    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(1200, 780)
    window.show()
    open_in(window, qtbot, demo.path)
    qtbot.waitUntil(
        lambda: window.shell.context.course is not None and not window.runner.is_busy(), timeout=20000
    )

    def shot(name: str) -> None:
        window.statusBar().clearMessage()
        QTest.qWait(100)
        assert window.grab().save(str(out / f"{name}.png"))

    page = window.navigate("model")
    qtbot.waitUntil(
        lambda: page.train_panel.db_path is not None and not window.runner.is_busy(), timeout=20000
    )
    with qtbot.waitSignal(page.train_panel.trained, timeout=300000):
        page.train_panel.start()
    qtbot.waitUntil(lambda: page.card is not None and not window.runner.is_busy(), timeout=30000)
    for index, name in enumerate(("model_card", "model_charts", "model_fairness")):
        page.tabs.setCurrentIndex(index)
        shot(name)
    settings = window.navigate("settings")
    for key in ("weights", "risk", "categories", "privacy"):
        section = settings.show_section(key)
        qtbot.waitUntil(lambda s=section: s.stored is not None and not window.runner.is_busy(), timeout=30000)
        shot(f"settings_{key}")
    label = read(
        demo.path,
        lambda c: c.execute(
            "SELECT a.label FROM actors a JOIN statements s ON s.actor = a.id WHERE s.course IS NOT NULL "
            "AND a.kind = 'account' GROUP BY a.id ORDER BY a.id LIMIT 1"
        ).fetchone()[0],
    )
    dialog = EraseDialog(window, read(demo.path, find_learner, label))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.confirm_edit.setText(label[:-1])  # not yet the full label: Erase stays disabled
    QTest.qWait(100)
    assert dialog.grab().save(str(out / "settings_erase_dialog.png"))
    dialog.close()
    window.close()


def test_card_shows_an_every_week_model_week_by_week():
    from learnalytics_desktop.gui.pages.model.card import by_week_html

    week = lambda w, auc: {"week": w, "roc_auc": auc, "calibration_error": 0.04}  # noqa: E731
    card = {
        "kind": "hgb",
        "chosen": {"kind": "hgb"},
        "validation": {
            "hgb": {"by_week": [week(1, 0.61), week(2, 0.72)]},
            "later_offering": {"hgb": {"by_week": [week(1, 0.58), week(2, 0.69)]}},
        },
    }
    html = by_week_html(card)
    assert "0.610" in html and "0.690" in html and "On a new offering" in html
    assert by_week_html({"validation": {"hgb": {}}, "kind": "hgb"}) == ""
