"""Settings page on a real demo database: round trips through the core, validation, erasure."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from factories import make_demo_db

from learnalytics_desktop.core.store.db import get_setting, open_db
from learnalytics_desktop.gui.pages.base import PageContext, Shell
from learnalytics_desktop.gui.pages.settings.categories import (
    COL_CATEGORY,
    COL_IRI,
    CategoryDelegate,
    CategoryModel,
)
from learnalytics_desktop.gui.pages.settings.erase_dialog import EraseDialog
from learnalytics_desktop.gui.pages.settings.privacy import KEY_FILE_SETTING
from learnalytics_desktop.gui.pages.settings.privacy_jobs import LearnerSummary
from learnalytics_desktop.gui.pages.settings.settings_page import SettingsPage

COMPLETED = "http://adlnet.gov/expapi/verbs/completed"


@pytest.fixture
def demo(tmp_path):
    return make_demo_db(tmp_path / "demo.db", students=40).path


def read(path: Path, fn, *args):
    conn = open_db(path, create=False)
    try:
        return fn(conn, *args)
    finally:
        conn.close()


def open_page(qtbot, runner, db_path: Path | None, section: str = "weights") -> SettingsPage:
    shell = Shell(runner)
    page = SettingsPage(shell)
    qtbot.addWidget(page)
    page.resize(1000, 700)
    page.show()
    sec = page.show_section(section)
    page.set_context(PageContext(db_path=db_path))
    if db_path is not None:
        qtbot.waitUntil(lambda: sec.stored is not None, timeout=10000)
    return page


def save(qtbot, section) -> None:
    with qtbot.waitSignal(section.saved, timeout=10000):
        assert section.save() is not None


# -- engagement weights --------------------------------------------------------------------------


def test_weights_round_trip_renormalised_and_reloaded(qtbot, runner, demo):
    from learnalytics_desktop.core.features import DEFAULT_WEIGHTS, load_weights

    page = open_page(qtbot, runner, demo)
    w = page.weights
    assert w.value() == pytest.approx(DEFAULT_WEIGHTS, abs=1e-4)
    assert not w.save_button.isEnabled()
    w.spins["regularity_score"].setValue(40.0)  # 40 + 80 others = 120
    assert w.dirty and w.save_button.isEnabled()
    assert w.bars["regularity_score"].text() == "33.3 %"
    with qtbot.waitSignal(page.shell.data_changed, timeout=10000):
        save(qtbot, w)
    stored = read(demo, load_weights)
    assert stored["regularity_score"] == pytest.approx(40 / 120)
    assert stored["quiz_avg_score"] == pytest.approx(20 / 120)
    assert sum(stored.values()) == pytest.approx(1.0)
    assert "Saved" in w.message.text() and not w.dirty
    # a fresh page reads the same values back from the database
    again = open_page(qtbot, runner, demo)
    assert again.weights.spins["regularity_score"].value() == pytest.approx(33.3)
    assert again.weights.value() == pytest.approx(stored, abs=1e-3)


def test_weights_all_zero_is_refused_with_a_message(qtbot, runner, demo):
    page = open_page(qtbot, runner, demo)
    w = page.weights
    for spin in w.spins.values():
        spin.setValue(0.0)
    assert "At least one weight must be above 0" in w.message.text()
    assert w.save() is None
    assert read(demo, get_setting, "engagement_weights") is None
    w.revert()
    assert w.spins["quiz_avg_score"].value() == 20.0 and not w.dirty


# -- risk ------------------------------------------------------------------------------------------


def test_risk_thresholds_validated_then_saved_with_capacity_and_label(qtbot, runner, demo):
    from learnalytics_desktop.core.model.levels import get_thresholds
    from learnalytics_desktop.gui.pages.settings.jobs import get_capacity

    page = open_page(qtbot, runner, demo, "risk")
    r = page.risk
    r.moderate.setValue(70.0)  # above high (60)
    assert "moderate threshold must be above 0 % and below the high threshold" in r.message.text()
    assert r.save() is None
    r.moderate.setValue(25.0)
    r.high.setValue(55.0)
    assert r.message.text() == ""
    r.by_capacity.setChecked(True)
    r.capacity.setValue(15)
    r.rule_buttons["grade_below"].setChecked(True)
    assert r.pass_mark.isEnabled()
    r.pass_mark.setValue(50.0)
    save(qtbot, r)
    assert read(demo, get_thresholds) == {"moderate": 0.25, "high": 0.55}
    assert read(demo, get_capacity) == 15
    assert read(demo, get_setting, "at_risk_label") == "grade_below:50"
    actions = read(
        demo,
        lambda c: [
            json.loads(d)["key"]
            for a, d in c.execute("SELECT action, detail FROM audit_log WHERE action = 'settings'")
        ],
    )
    assert {"risk_thresholds", "risk_capacity", "at_risk_label"} <= set(actions)


def test_a_save_the_core_rejects_shows_the_core_message(qtbot, runner, demo, monkeypatch):
    import learnalytics_desktop.gui.pages.settings.risk as risk_tab

    page = open_page(qtbot, runner, demo, "risk")
    r = page.risk
    monkeypatch.setattr(risk_tab, "risk_problems", lambda *a: [])  # let a bad value reach the core
    r.high.setValue(100.0)
    r.moderate.setValue(100.0)
    with qtbot.waitSignal(runner.failed, timeout=10000):
        r.save()
    assert "0 < moderate < high <= 1" in r.message.text()
    assert r.message.property("kind") == "error"
    assert read(demo, get_setting, "risk_thresholds") is None


# -- categories ------------------------------------------------------------------------------------


def row_of(section, iri: str) -> int:
    return next(i for i, r in enumerate(section.model.rows) if r.iri == iri)


def test_category_change_is_persisted_and_reset_to_defaults(qtbot, runner, demo):
    from learnalytics_desktop.core.ingest.categories import load_mapping

    page = open_page(qtbot, runner, demo, "categories")
    c = page.categories
    row = row_of(c, COMPLETED)
    assert c.model.rows[row].default is None and c.model.choice(row) == ""
    assert c.model.rows[row].statements > 0
    # edit through the proxy, as the view's delegate does
    src = c.model.index(row, COL_CATEGORY)
    assert c.proxy.setData(c.proxy.mapFromSource(src), "assessment")
    assert c.model.source(row) == "your choice" and c.dirty
    save(qtbot, c)
    mapping = read(demo, load_mapping)
    assert mapping.verbs[COMPLETED] == "assessment"
    assert read(demo, get_setting, "category_map") == {"types": {}, "verbs": {COMPLETED: "assessment"}}
    again = open_page(qtbot, runner, demo, "categories")
    assert again.categories.model.choice(row_of(again.categories, COMPLETED)) == "assessment"
    # reset to the defaults, then save
    again.categories.reset_to_defaults()
    assert again.categories.dirty
    save(qtbot, again.categories)
    assert COMPLETED not in read(demo, load_mapping).verbs
    assert read(demo, get_setting, "category_map") == {"types": {}, "verbs": {}}


def test_bulk_change_filter_and_fallback_validation(qtbot, runner, demo):
    page = open_page(qtbot, runner, demo, "categories")
    c = page.categories
    c.filter_edit.setText("tincanapi.com/verb")
    assert 0 < c.proxy.rowCount() < c.model.rowCount()
    assert all("tincanapi.com/verb" in c.proxy.index(i, COL_IRI).data() for i in range(c.proxy.rowCount()))
    c.table.selectAll()
    c.bulk_combo.setCurrentIndex(c.bulk_combo.findData("forum"))
    c.set_selected()
    assert all(
        c.model.choice(c.proxy.mapToSource(c.proxy.index(i, 0)).row()) == "forum"
        for i in range(c.proxy.rowCount())
    )
    c.fallback_edit.setText("not an iri")
    assert "course fallback must be an IRI" in c.message.text()
    assert c.save() is None
    c.fallback_edit.setText("https://lms.example.edu/course/x")
    save(qtbot, c)
    assert read(demo, get_setting, "course_fallback") == "https://lms.example.edu/course/x"


def test_category_model_and_delegate(qtmodeltester, qtbot):
    from PySide6.QtWidgets import QStyleOptionViewItem, QTableView

    from learnalytics_desktop.core.ingest.category_usage import CategoryRow

    model = CategoryModel()
    model.set_rows(
        [
            CategoryRow("verb", COMPLETED, "completed", 10, None, None),
            CategoryRow("type", "http://adlnet.gov/expapi/activities/media", "", 5, "video", "reading"),
        ]
    )
    qtmodeltester.check(model)
    assert model.index(1, COL_CATEGORY).data() == "reading"
    assert not model.set_choice(1, "")  # a row with a default cannot be left unmapped
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    delegate = CategoryDelegate(view)
    editors = [
        delegate.createEditor(view.viewport(), QStyleOptionViewItem(), model.index(r, COL_CATEGORY))
        for r in (0, 1)
    ]
    assert editors[0].itemText(0) == "(not mapped)" and editors[1].itemText(0) == "video"
    delegate.setEditorData(editors[1], model.index(1, COL_CATEGORY))
    assert editors[1].currentText() == "reading"
    editors[1].setCurrentIndex(editors[1].findData("forum"))
    delegate.setModelData(editors[1], model, model.index(1, COL_CATEGORY))
    assert model.choice(1) == "forum"


# -- privacy & data --------------------------------------------------------------------------------


def test_threshold_and_key_file_saved_key_never_in_the_database(qtbot, runner, demo, tmp_path, monkeypatch):
    from learnalytics_desktop.core.privacy.suppress import small_cell_threshold
    from learnalytics_desktop.gui import qsettings
    from learnalytics_desktop.gui.dialogs import files

    page = open_page(qtbot, runner, demo, "privacy")
    p = page.privacy
    assert "What Learnalytics stores" in p.about.toPlainText()
    key_path = tmp_path / "officer.key"
    monkeypatch.setattr(files, "ask_save_file", lambda *a, **k: key_path)
    with qtbot.waitSignal(runner.succeeded, timeout=10000):
        p.create_key_file()
    assert key_path.is_file() and p.key_edit.text() == str(key_path)
    if os.name == "posix":
        assert key_path.stat().st_mode & 0o777 == 0o600
    assert p.key_status.text().startswith("Key file found")
    p.threshold.setValue(10)
    assert "Counts of 1 to 9 people" in p.threshold_hint.text()
    save(qtbot, p)
    assert read(demo, small_cell_threshold) == 10
    assert qsettings.get_value(KEY_FILE_SETTING, "", str) == str(key_path)
    key_hex = key_path.read_text().strip()
    raw = b"".join(Path(f).read_bytes() for f in (demo, Path(f"{demo}-wal")) if Path(f).exists())
    assert key_hex.encode() not in raw and str(key_path).encode() not in raw
    # a file that is not a key is refused with the core's message
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    p.key_edit.setText(str(bad))
    assert "does not hold a hex key" in p.message.text()
    assert p.save() is None


def first_learner(path: Path) -> tuple[int, str]:
    return read(
        path,
        lambda c: c.execute(
            "SELECT a.id, a.label FROM actors a JOIN statements s ON s.actor = a.id "
            "WHERE a.kind = 'account' GROUP BY a.id ORDER BY a.id LIMIT 1"
        ).fetchone(),
    )


def test_erasure_through_the_confirmation(qtbot, runner, demo, monkeypatch):
    actor, label = first_learner(demo)
    asked: list[LearnerSummary] = []

    def ask(parent, summary):
        asked.append(summary)
        return True

    monkeypatch.setattr(EraseDialog, "ask", classmethod(lambda cls, parent, summary: ask(parent, summary)))
    page = open_page(qtbot, runner, demo, "privacy")
    p = page.privacy
    p.learner_edit.setText(label)
    with qtbot.waitSignal(page.shell.data_changed, timeout=30000):
        p.erase_learner()
    assert asked and asked[0].actor_id == actor and asked[0].label == label and asked[0].statements > 0
    assert p.learner_result.text().startswith("Erased:")
    conn = open_db(demo, create=False)
    try:
        assert conn.execute("SELECT count(*) FROM actors WHERE id = ?", (actor,)).fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM statements WHERE actor = ?", (actor,)).fetchone()[0] == 0
        detail = conn.execute("SELECT detail FROM audit_log WHERE action = 'erase'").fetchone()[0]
    finally:
        conn.close()
    assert label not in detail


def test_erasure_declined_or_unknown_learner_erases_nothing(qtbot, runner, demo, monkeypatch):
    actor, label = first_learner(demo)
    monkeypatch.setattr(EraseDialog, "ask", classmethod(lambda cls, parent, summary: False))
    page = open_page(qtbot, runner, demo, "privacy")
    p = page.privacy
    p.learner_edit.setText(label)
    with qtbot.waitSignal(runner.succeeded, timeout=10000):
        p.erase_learner()
    qtbot.waitUntil(lambda: p.learner_result.text() == "Nothing was erased.", timeout=5000)
    assert (
        read(demo, lambda c: c.execute("SELECT count(*) FROM actors WHERE id = ?", (actor,)).fetchone()[0])
        == 1
    )
    p.learner_edit.setText("nobody-like-this")
    with qtbot.waitSignal(runner.failed, timeout=10000):
        p.erase_learner()
    assert "No learner matches 'nobody-like-this'" in p.learner_result.text()


def test_erase_dialog_needs_the_label_typed(qtbot):
    dialog = EraseDialog(None, LearnerSummary(7, "s00042", 120, 1, 3))
    qtbot.addWidget(dialog)
    assert "120 statements in 1 course and 3 other record(s)" in dialog.text_label.text()
    assert not dialog.erase_button.isEnabled()
    dialog.confirm_edit.setText("s0004")
    assert not dialog.erase_button.isEnabled()
    dialog.accept()
    assert dialog.result() != dialog.DialogCode.Accepted
    dialog.confirm_edit.setText(" s00042 ")
    assert dialog.erase_button.isEnabled()
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted


def test_subject_access_export_and_audit_log_export(qtbot, runner, demo, tmp_path, monkeypatch):
    import csv

    from learnalytics_desktop.gui.dialogs import files

    actor, label = first_learner(demo)
    page = open_page(qtbot, runner, demo, "privacy")
    p = page.privacy
    target = tmp_path / "sar.json"
    monkeypatch.setattr(files, "ask_save_file", lambda *a, **k: target)
    p.learner_edit.setText(label)
    p.export_learner()
    qtbot.waitUntil(lambda: target.exists() and "was written to" in p.learner_result.text(), timeout=15000)
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert doc["learner"]["label"] == label
    n_statements = read(
        demo, lambda c: c.execute("SELECT count(*) FROM statements WHERE actor = ?", (actor,)).fetchone()[0]
    )
    assert len(doc["statements"]) == n_statements
    before = read(demo, lambda c: c.execute("SELECT count(*) FROM audit_log").fetchone()[0])
    log = tmp_path / "audit.csv"
    monkeypatch.setattr(files, "ask_save_file", lambda *a, **k: log)
    with qtbot.waitSignal(runner.succeeded, timeout=10000):
        p.records.export_audit_log()
    rows = list(csv.reader(log.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0] == ["id", "at", "user", "action", "detail"] and len(rows) - 1 == before
    assert f"{before:,} audit entries" in p.records.result.text()


def test_backup_then_restore_reloads_the_pages(qtbot, runner, demo, tmp_path, monkeypatch):
    from learnalytics_desktop.core.features import DEFAULT_WEIGHTS, load_weights
    from learnalytics_desktop.gui.dialogs import files

    page = open_page(qtbot, runner, demo, "privacy")
    p = page.privacy
    backup = tmp_path / "backup.db"
    monkeypatch.setattr(files, "ask_save_file", lambda *a, **k: backup)
    with qtbot.waitSignal(runner.succeeded, timeout=10000):
        p.records.backup_database()
    assert backup.is_file() and "Backup written" in p.records.result.text()
    page.show_section("weights")
    qtbot.waitUntil(lambda: page.weights.stored is not None)
    page.weights.spins["forum_posts_normalized"].setValue(90.0)
    save(qtbot, page.weights)
    assert read(demo, load_weights)["forum_posts_normalized"] == pytest.approx(0.5)
    page.show_section("privacy")
    monkeypatch.setattr(files, "ask_open_file", lambda *a, **k: backup)
    monkeypatch.setattr(type(p.records), "confirm_restore", lambda self, b: True)
    with qtbot.waitSignal(page.shell.data_changed, timeout=20000):
        p.records.restore_database()
    assert read(demo, load_weights) == pytest.approx(DEFAULT_WEIGHTS)
    assert Path(f"{demo}.before-restore.bak").is_file()
    assert "Restored from" in p.records.result.text()
    assert (
        read(
            demo, lambda c: c.execute("SELECT count(*) FROM audit_log WHERE action = 'restore'").fetchone()[0]
        )
        == 1
    )


def test_restore_refused_while_other_work_runs(qtbot, runner, demo, monkeypatch):
    import threading

    from learnalytics_desktop.gui.dialogs import files

    page = open_page(qtbot, runner, demo, "privacy")
    release = threading.Event()
    task = runner.submit(lambda: release.wait(5)).with_progress("Importing…").start()
    monkeypatch.setattr(files, "ask_open_file", lambda *a, **k: pytest.fail("must not ask for a file"))
    try:
        assert page.privacy.records.restore_database() is None
        assert "Wait for Importing to finish" in page.privacy.records.result.text()
    finally:
        release.set()
        qtbot.waitUntil(lambda: task.done, timeout=5000)


def test_without_a_database_the_tabs_say_so(qtbot, runner):
    page = open_page(qtbot, runner, None)
    assert "No database is open" in page.db_label.text()
    assert not page.weights.isEnabled()
    assert "Open a database" in page.weights.message.text()


def test_registered_in_the_navigation():
    from learnalytics_desktop.gui.pages import page_spec

    assert page_spec("settings").load() is SettingsPage


# -- enrolment verbs -----------------------------------------------------------------------------


def test_enrolment_verbs_validated_saved_and_reset(qtbot, runner, demo):
    from learnalytics_desktop.core.outcomes.status import DEFAULT_LEAVE_VERBS, load_enrolment_verbs

    page = open_page(qtbot, runner, demo, "enrolment")
    e = page.enrolment
    assert e.value()[1] == DEFAULT_LEAVE_VERBS and not e.dirty
    custom = "https://lms.example/verbs/dropped-course"
    e.leave_edit.setPlainText("\n".join([*DEFAULT_LEAVE_VERBS, "not a verb"]))
    assert "not a verb IRI" in e.message.text()
    assert e.save() is None  # refused with the problem shown
    e.leave_edit.setPlainText("\n".join([*DEFAULT_LEAVE_VERBS, custom]))
    assert e.dirty and e.message.text() == ""
    save(qtbot, e)
    assert custom in read(demo, load_enrolment_verbs).leave
    e.reset_to_defaults()
    assert e.dirty
    save(qtbot, e)
    assert read(demo, load_enrolment_verbs).leave == DEFAULT_LEAVE_VERBS
