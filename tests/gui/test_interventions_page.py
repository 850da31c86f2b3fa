"""Interventions page on a demo database: drafting with a randomised hold-out, review (edit,
fill in, approve, dismiss), exports that parse (CSV, .eml with X-Unsent: 1), the log, the
import of outside interventions, the rules editor and the Draft dialog; and a screenshot.

The demo database has no trained model, so each test database gets one stored score run
(written straight into the schema, like a scoring run would) for the finished offering.
"""

from __future__ import annotations

import csv
import email
import io
import json
import os
from dataclasses import replace
from email import policy
from pathlib import Path

import pytest
from factories import make_demo_db

from learnalytics_desktop.core.courses import get_course, list_courses
from learnalytics_desktop.core.interventions import (
    HOLDOUT_EXPLANATION,
    default_rules,
    list_interventions,
    load_rules,
)
from learnalytics_desktop.core.interventions.high_risk import high_risk_students
from learnalytics_desktop.core.interventions.log_table import interventions_table
from learnalytics_desktop.core.interventions.templates import placeholders_left
from learnalytics_desktop.core.store.db import open_db
from learnalytics_desktop.gui.dialogs import files
from learnalytics_desktop.gui.pages.base import PageContext, Shell
from learnalytics_desktop.gui.pages.interventions.dialogs import FillDialog, ImportDialog
from learnalytics_desktop.gui.pages.interventions.draft_dialog import DraftDialog
from learnalytics_desktop.gui.pages.interventions.interventions_page import InterventionsPage
from learnalytics_desktop.gui.pages.interventions.jobs import DraftRequest
from learnalytics_desktop.gui.pages.interventions.rules_dialog import RulesDialog

PAST = "2025-autumn"
WEEK = 6
SCREENSHOTS = os.environ.get("LEARNALYTICS_SCREENSHOTS")


def store_score_run(conn, course_id: int, week: int) -> dict[int, float]:
    """A score run as of ``week`` with risk from inactivity and quiz average (test data)."""
    import math

    from learnalytics_desktop.core.features import compute_features

    as_of = get_course(conn, course_id).as_of_week(week)
    feats = compute_features(conn, course_id, as_of)
    # the run's model is the active one (pinned): only the active model's run counts
    conn.execute("UPDATE models SET active = 0")
    conn.execute(
        "INSERT OR REPLACE INTO models(id, created_at, kind, week, courses, card, file, active) "
        "VALUES ('test', '2025-10-27T07:00:00Z', 'logreg', ?, '[]', '{}', '/nonexistent', 1)",
        (week,),
    )
    run = conn.execute(
        "INSERT INTO score_runs(model_id, course, week, as_of, created_at) VALUES ('test', ?, ?, ?, ?)",
        (course_id, week, as_of.isoformat(), "2025-10-27T08:00:00Z"),
    ).lastrowid
    risk = {}
    for actor, row in feats.iterrows():
        quiz = row["quiz_avg_score"] if row["quiz_avg_score"] == row["quiz_avg_score"] else 0.3
        r = 1 / (1 + math.exp(-(-1.0 + 0.15 * row["days_since_last_activity"] - 3.0 * (quiz - 0.5))))
        level = "high" if r >= 0.6 else "moderate" if r >= 0.3 else "low"
        conn.execute(
            "INSERT INTO scores(run_id, actor, risk, level, reasons) VALUES (?,?,?,?,?)",
            (run, int(actor), round(r, 4), level, json.dumps(["little recent activity"])),
        )
        risk[int(actor)] = r
    return risk


@pytest.fixture(scope="session")
def scored_template(tmp_path_factory):
    folder = tmp_path_factory.mktemp("interventions-template")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEARNALYTICS_HOME", str(folder / "home"))
        demo = make_demo_db(folder / "demo.db", students=40)
        conn = open_db(demo.path)
        try:
            store_score_run(conn, demo.course_id(conn, PAST), WEEK)
        finally:
            conn.close()
    return demo


@pytest.fixture
def demo(scored_template, tmp_path):
    from learnalytics_desktop.core.store.db import copy_database

    path = tmp_path / "demo.db"
    copy_database(scored_template.path, path)
    return path


def read(path: Path, fn, *args, **kw):
    conn = open_db(path, create=False)
    try:
        return fn(conn, *args, **kw)
    finally:
        conn.close()


def context_for(path: Path, key: str = PAST, week: int = WEEK) -> PageContext:
    courses = read(path, list_courses)
    course = next(c for c in courses if c.iri.endswith(key))
    return PageContext(db_path=path, course_id=course.id, week=week, course=course, courses=tuple(courses))


def firing_actors(path: Path, ctx: PageContext) -> list[int]:
    from learnalytics_desktop.core.interventions import suggest

    table = read(path, suggest, ctx.course_id, as_of=ctx.as_of)
    return [int(a) for a, r in zip(table["actor"], table["rules"], strict=True) if r]


def track(runner):
    """Record every task submitted to ``runner`` until its ``finished`` signal (which comes after
    its callbacks, so tasks those submit are recorded first): :func:`wait_idle` waits on it."""
    if hasattr(runner, "pending"):
        return runner
    pending: set = set()
    submit = runner.submit

    def tracked(fn, *args, **kwargs):
        task = submit(fn, *args, **kwargs)
        pending.add(task)
        return task

    runner.submit = tracked
    runner.finished.connect(pending.discard)
    runner.pending = pending
    return runner


def wait_idle(qtbot, page, timeout=20000):
    """Wait until every task the page submitted has finished, callbacks included."""
    track(page.runner)
    qtbot.waitUntil(lambda: not page.runner.pending, timeout=timeout)


@pytest.fixture
def page(qtbot, runner, demo):
    p = InterventionsPage(Shell(track(runner)))
    qtbot.addWidget(p)
    p.resize(1010, 680)
    p.show()
    p.set_context(context_for(demo))
    qtbot.waitUntil(lambda: p.state is not None, timeout=20000)
    return p


def draft_with_holdout(qtbot, page, demo, monkeypatch, fraction=0.2):
    ctx = page.ctx
    actors = firing_actors(demo, ctx)
    rules = replace(read(demo, load_rules), advisor="Sam Lee")
    asked = {}

    def fake_ask(parent, *, who, rules: object, students):
        asked.update(who=who, students=students)
        return DraftRequest(
            holdout_fraction=fraction, ignore_risk_gate=True, rules=replace(rules, advisor="Sam Lee")
        )

    monkeypatch.setattr(DraftDialog, "ask", fake_ask)
    page.open_with(actors=actors)
    qtbot.waitUntil(lambda: page.last_result is not None, timeout=30000)
    wait_idle(qtbot, page)
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=10000)
    return actors, asked, rules


def test_draft_for_handed_students_with_a_holdout(qtbot, qtmodeltester, page, demo, monkeypatch):
    actors, asked, _rules = draft_with_holdout(qtbot, page, demo, monkeypatch)
    qtmodeltester.check(page.model)
    qtmodeltester.check(page.log.model)
    assert asked["students"] == len(actors) and "Students at risk" in asked["who"]
    rows = read(demo, list_interventions, page.ctx.course_id)
    by_actor = rows.groupby("actor")["arm"].agg(set)
    assert all(len(arms) == 1 for arms in by_actor)  # the student is the unit of randomisation
    held = {a for a, arms in by_actor.items() if arms == {"holdout"}}
    assert len(held) == round(len(actors) * 0.2) and len(held) >= 1
    assert set(rows.loc[rows["arm"] == "holdout", "status"]) == {"held_out"}
    assert set(rows.loc[rows["arm"] == "treated", "status"]) == {"draft"}
    assert rows["features"].notna().all() and rows["risk"].notna().all()
    # the review table shows the treated drafts only; held-out students appear in the log
    assert page.model.rowCount() == int((rows["arm"] == "treated").sum())
    assert page.log.model.rowCount() == len(rows)
    assert "held back at random" in page.banner.text()
    assert read(demo, load_rules).advisor == "Sam Lee"  # the name typed in the dialog is saved
    assert all("Sam Lee" in b for b in rows.loc[rows["arm"] == "treated", "body"])


def test_edit_fill_approve_and_export(qtbot, page, demo, monkeypatch, tmp_path):
    draft_with_holdout(qtbot, page, demo, monkeypatch)
    page.view.selectRow(0)
    row = page.selected_rows()[0]
    page.editor.subject.setText('=HYPERLINK("x") checking in')
    page.editor.subject.textEdited.emit(page.editor.subject.text())
    page.editor.body.setPlainText(
        page.editor.body.toPlainText().replace("{first_name}", "Alex") + "\nEdited."
    )
    assert page.editor.dirty and page.editor.save_button.isEnabled()
    # approving with unsaved text saves it first
    page.act("approve")
    wait_idle(qtbot, page)
    qtbot.waitUntil(
        lambda: read(demo, list_interventions, ids=[row["id"]])["status"].iloc[0] == "approved", timeout=10000
    )
    saved = read(demo, list_interventions, ids=[row["id"]]).iloc[0]
    assert saved["subject"].startswith("=HYPERLINK") and saved["body"].endswith("Edited.")

    # fill the placeholders left in the other drafts, then approve them all
    frame = read(demo, interventions_table, page.ctx.course_id)
    drafts = frame[frame["status"] == "draft"]
    monkeypatch.setattr(FillDialog, "ask", lambda parent, names, n: {name: "Student" for name in names})
    page.view.selectAll()
    names = page.editor.open_placeholders()
    if names:
        page.fill_placeholders(names)
        wait_idle(qtbot, page)
    frame = read(demo, interventions_table, page.ctx.course_id)
    assert not any(frame.loc[frame["status"] == "draft", "placeholders"].map(bool))
    page.select_ids([int(i) for i in drafts["id"]])
    assert page.editor.approve_button.isEnabled()
    page.editor.approve_button.click()
    qtbot.waitUntil(
        lambda: (
            len(read(demo, list_interventions, page.ctx.course_id, statuses=["approved"])) == len(drafts) + 1
        ),
        timeout=10000,
    )
    wait_idle(qtbot, page)
    approved = read(demo, list_interventions, page.ctx.course_id, statuses=["approved"])
    qtbot.waitUntil(
        lambda: int((page.state.frame["status"] == "approved").sum()) == len(approved), timeout=10000
    )
    assert page.action_eml.isEnabled()

    csv_path = tmp_path / "out" / "approved.csv"
    csv_path.parent.mkdir()
    monkeypatch.setattr(files, "ask_save_file", lambda *a, **k: csv_path)
    page.export_approved_csv()
    qtbot.waitUntil(csv_path.exists, timeout=10000)
    wait_idle(qtbot, page)
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    records = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert len(records) == len(approved)
    edited = next(r for r in records if int(r["id"]) == row["id"])
    assert edited["subject"].startswith("'=HYPERLINK")  # a spreadsheet will not run it

    folder = tmp_path / "eml"
    folder.mkdir()
    monkeypatch.setattr(files, "ask_folder", lambda *a, **k: folder)
    page.export_eml()
    qtbot.waitUntil(
        lambda: (
            read(demo, list_interventions, page.ctx.course_id, statuses=["exported"]).shape[0]
            == len(approved)
        ),
        timeout=10000,
    )
    wait_idle(qtbot, page)
    emls = sorted(folder.glob("*.eml"))
    assert emls
    for p in emls:
        msg = email.message_from_bytes(p.read_bytes(), policy=policy.default)
        assert msg["X-Unsent"] == "1" and msg["Subject"] and msg.get_content().strip()
    assert "e-mail draft" in page.banner.text() and page.model.rowCount() == 0

    # the log: mark the exported ones as sent
    page.tabs.setCurrentIndex(1)
    page.log.status.setCurrentIndex(page.log.status.findData("exported"))
    assert page.log.model.rowCount() == len(approved)
    page.log.view.selectAll()
    assert page.log.mark_sent.isEnabled()
    page.log.mark_sent.click()
    wait_idle(qtbot, page)
    qtbot.waitUntil(
        lambda: (
            read(demo, list_interventions, page.ctx.course_id, statuses=["done"]).shape[0] == len(approved)
        ),
        timeout=10000,
    )


def test_dismiss_restore_and_history(qtbot, page, demo, monkeypatch):
    draft_with_holdout(qtbot, page, demo, monkeypatch)
    page.view.selectRow(0)
    iid = page.selected_ids()[0]
    page.editor.dismiss_button.click()
    wait_idle(qtbot, page)
    assert read(demo, list_interventions, ids=[iid])["status"].iloc[0] == "dismissed"
    assert iid not in [int(page.model.value(r, "id")) for r in range(page.model.rowCount())]
    page.tabs.setCurrentIndex(1)
    page.log.status.setCurrentIndex(page.log.status.findData("dismissed"))
    page.log.view.selectRow(0)
    qtbot.waitUntil(lambda: "dismissed" in page.log.history.toPlainText(), timeout=10000)
    page.act("restore", page.log.selected_ids())
    wait_idle(qtbot, page)
    assert read(demo, list_interventions, ids=[iid])["status"].iloc[0] == "draft"
    # hold-out rows cannot be approved: a business rule, said on the page (the error dialog
    # is for bugs only)
    held = int(read(demo, list_interventions, page.ctx.course_id, statuses=["held_out"])["id"].iloc[0])
    errors = []
    page.runner.failure_handler = lambda task, exc: errors.append(str(exc))
    page.act("approve", [held])
    wait_idle(qtbot, page)
    assert not errors
    assert not page.banner.isHidden() and "held_out" in page.banner.text()


def test_log_filters_by_arm_and_search(qtbot, page, demo, monkeypatch):
    draft_with_holdout(qtbot, page, demo, monkeypatch, fraction=0.3)
    log = page.log
    log.arm.setCurrentIndex(log.arm.findData("holdout"))
    shown = {log.model.value(r, "arm") for r in range(log.model.rowCount())}
    assert shown == {"holdout"}
    name = log.model.value(0, "student")
    log.arm.setCurrentIndex(0)
    log.search.setText(name)
    assert {log.model.value(r, "student") for r in range(log.model.rowCount())} == {name}
    assert log.count.text().startswith(f"{log.model.rowCount()} of")


def test_high_risk_students_in_the_draft_menu(qtbot, page, demo):
    high = read(demo, high_risk_students, page.ctx.course_id, page.ctx.as_of)
    assert high.available and high.actors
    page._fill_draft_menu()
    texts = [a.text() for a in page.draft_menu.actions()]
    n = len(high.actors)
    assert any(t.startswith(f"The {n} high-risk student{'s' if n != 1 else ''} ") for t in texts)
    assert page._targets()["high"][1] == high.actors


def test_import_outside_interventions(qtbot, page, demo, monkeypatch, tmp_path):
    labels = read(
        demo,
        lambda c: [
            r[0]
            for r in c.execute(
                "SELECT a.label FROM actors a JOIN enrolments e ON e.actor = a.id WHERE e.course = ? ORDER BY a.label LIMIT 4",
                (page.ctx.course_id,),
            )
        ],
    )
    src = tmp_path / "outside.csv"
    src.write_text(
        "student,date,group\n"
        + "".join(f"{lab},2025-10-20,{'treated' if i % 2 else 'control'}\n" for i, lab in enumerate(labels))
        + "nobody-like-this,2025-10-20,treated\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(files, "ask_open_file", lambda *a, **k: src)
    seen = {}

    def fake_ask(parent, report):
        seen["report"] = report
        return True  # import the good rows, leave out the bad one

    monkeypatch.setattr(ImportDialog, "ask", fake_ask)
    page.import_external()
    qtbot.waitUntil(lambda: page.last_result is not None, timeout=10000)
    wait_idle(qtbot, page)
    assert seen["report"].dry_run and len(seen["report"].errors) == 1 and seen["report"].errors[0]["row"] == 6
    rows = read(demo, list_interventions, page.ctx.course_id)
    assert len(rows) == 4 and set(rows["rule"]) == {"external"}
    assert set(rows["arm"]) == {"external", "control"}
    assert "Imported 4 of 5" in page.banner.text() and page.tabs.currentIndex() == 1


def test_import_dialog_lists_problems(qtbot):
    from learnalytics_desktop.core.interventions import ExternalImport

    report = ExternalImport(
        path="x.csv",
        batch=None,
        rows_read=3,
        groups={"treated": 2},
        matched_by={"label": 2},
        errors=[{"row": 4, "student": "zz", "problem": "no student 'zz'"}],
        dry_run=True,
    )
    dialog = ImportDialog(report)
    qtbot.addWidget(dialog)
    assert dialog.problems.rowCount() == 1 and dialog.problems.item(0, 2).text() == "no student 'zz'"
    assert not dialog.import_button.isEnabled()
    dialog.skip_bad.setChecked(True)
    assert dialog.import_button.isEnabled()


def test_rules_dialog_validates_with_the_core(qtbot):
    dialog = RulesDialog(default_rules())
    qtbot.addWidget(dialog)
    dialog.list.setCurrentRow(0)
    dialog.subject.setText("Hello {nickname}")
    dialog.accept()
    assert dialog.result() == 0 and "{nickname}" in dialog.error.text()
    dialog.subject.setText("Hello {first_name}")
    dialog.threshold.setValue(10)
    dialog.risk.setValue(45)
    dialog.advisor.setText("Sam Lee")
    dialog.list.item(1).setCheckState(dialog.list.item(1).checkState().Unchecked)
    dialog.accept()
    assert dialog.result() == 1
    rules = dialog.rules()
    assert rules.risk_threshold == pytest.approx(0.45) and rules.advisor == "Sam Lee"
    assert rules.rules[0].subject == "Hello {first_name}" and rules.rules[0].threshold == 10
    assert not rules.rules[1].enabled
    rules.validate()


def test_draft_dialog_holdout_and_explanation(qtbot):
    dialog = DraftDialog("For 5 students", default_rules(), 5)
    qtbot.addWidget(dialog)
    assert "only way to find out later" in dialog.explanation.toPlainText()
    assert dialog.explanation.toPlainText().startswith(HOLDOUT_EXPLANATION.split("\n")[0])
    dialog.holdout.setChecked(True)
    dialog.fraction.setValue(25)
    dialog.advisor.setText("Kim")
    req = dialog.request()
    assert (
        req.holdout_fraction == pytest.approx(0.25)
        and req.rules.advisor == "Kim"
        and not req.ignore_risk_gate
    )
    dialog.holdout.setChecked(False)
    assert dialog.request().holdout_fraction == 0.0 and not dialog.fraction.isEnabled()


def test_placeholders_left():
    assert placeholders_left("Hi {first_name}", "From {advisor} {{literal}} {unknown}") == [
        "first_name",
        "advisor",
    ]
    assert placeholders_left("Hi", "all filled") == []


def open_window_on(qtbot, path: Path, key: str, course_key: str, week: int):
    """A main window at 1200x780 with ``path`` open on ``course_key`` / ``week``, showing page ``key``."""
    from gui_helpers import open_in

    from learnalytics_desktop.gui.main_window import MainWindow

    window = MainWindow()
    track(window.runner)
    qtbot.addWidget(window)
    window.resize(1200, 780)
    window.show()
    qtbot.waitExposed(window)
    open_in(window, qtbot, path)
    bar = window.context_bar
    courses = read(path, list_courses)
    wanted = next(c.id for c in courses if c.iri.endswith(course_key))
    bar.course_combo.setCurrentIndex(bar.course_combo.findData(wanted))
    bar.week_spin.setValue(week)
    window.navigate(key)
    return window


def test_screenshot_of_the_interventions_page(qtbot, demo, monkeypatch, tmp_path):
    window = open_window_on(qtbot, demo, "interventions", PAST, WEEK)
    page = window.page("interventions")
    qtbot.waitUntil(lambda: page.state is not None and page.ctx.week == WEEK, timeout=20000)
    draft_with_holdout(qtbot, page, demo, monkeypatch)
    page.view.selectRow(1)
    qtbot.waitUntil(lambda: bool(page.editor.subject.text()), timeout=5000)
    out = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(out / "interventions.png"))
    assert (out / "interventions.png").stat().st_size > 10_000


def test_approve_is_disabled_with_the_reason_while_a_placeholder_is_left(qtbot, page, demo, monkeypatch):
    draft_with_holdout(qtbot, page, demo, monkeypatch)
    page.view.selectRow(0)
    editor = page.editor
    qtbot.waitUntil(lambda: len(editor.rows) == 1, timeout=5000)
    editor.body.setPlainText("Dear {first_name},\n\nHello.\n\nBest,\nSam")
    assert not editor.approve_button.isEnabled()
    assert not editor.approve_reason.isHidden()
    assert "{first_name}" in editor.approve_reason.text() and "Fill in" in editor.approve_reason.text()
    assert editor.approve_button.toolTip() == editor.approve_reason.text()
    editor.body.setPlainText("Dear Ana,\n\nHello.\n\nBest,\nSam")
    assert editor.approve_button.isEnabled() and editor.approve_reason.isHidden()


def test_the_splitter_stays_put_whatever_is_selected(qtbot, page, demo, monkeypatch):
    from PySide6.QtWidgets import QApplication

    draft_with_holdout(qtbot, page, demo, monkeypatch)
    page.resize(1280, 720)
    page.show()
    qtbot.waitUntil(page.isVisible, timeout=2000)
    page.splitter.setSizes([700, 500])
    QApplication.processEvents()
    sizes = page.splitter.sizes()
    for row in range(min(6, page.model.rowCount())):
        page.view.selectRow(row)
        QApplication.processEvents()
        assert page.splitter.sizes() == sizes, row
    page.editor.details.setText("A very long rule name " * 20)
    QApplication.processEvents()
    assert page.splitter.sizes() == sizes


def test_drafts_show_the_name_and_the_to_line(qtbot, page, demo, monkeypatch):
    from learnalytics_desktop.core.people import people

    draft_with_holdout(qtbot, page, demo, monkeypatch)
    page.view.selectRow(0)
    qtbot.waitUntil(lambda: len(page.editor.rows) == 1, timeout=5000)
    row = page.editor.rows[0]
    person = read(demo, people, [int(row["actor"])])[int(row["actor"])]
    header = page.editor.header.text()
    assert person.full_name and person.full_name in header
    if row["channel"] != "instructor_alert":
        assert f"To: {person.full_name} &lt;{person.email}&gt;" in header
