"""The Import page end to end: choose or drop sources, import on the worker with progress and
Cancel, the report (counts, rejects by rule, conflicts), the quarantine, CSV exports."""

from __future__ import annotations

import csv
import json
import sqlite3
import threading
import uuid
from pathlib import Path

import pytest
from gui_helpers import ARRAY_STATEMENTS, FALLBACK, open_in, xapi_array, xapi_single
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from learnalytics_desktop.core.ingest.report import ImportReport
from learnalytics_desktop.core.jobs import Cancelled
from learnalytics_desktop.gui.dialogs import files
from learnalytics_desktop.gui.main_window import MainWindow
from learnalytics_desktop.gui.pages.ingest.import_page import ImportPage
from learnalytics_desktop.gui.pages.ingest.sources import looks_like_iri


@pytest.fixture
def window(qtbot, tmp_path):
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    open_in(w, qtbot, tmp_path / "import.db", create=True)
    return w


@pytest.fixture
def page(window) -> ImportPage:
    return window.navigate("import")


@pytest.fixture
def array(tmp_path) -> Path:
    """A generated JSON array of statements without a course (the tests never read ../shared)."""
    return xapi_array(tmp_path / "sim-array.json")


@pytest.fixture
def single(tmp_path) -> Path:
    return xapi_single(tmp_path / "simple.json")


def statement(sid: str, verb: str = "http://adlnet.gov/expapi/verbs/experienced", **extra) -> dict:
    s = {
        "id": sid,
        "actor": {"objectType": "Agent", "account": {"homePage": "https://lms.example.edu", "name": "u1"}},
        "verb": {"id": verb},
        "object": {"id": "https://lms.example.edu/activity/1"},
        "timestamp": "2026-09-15T10:00:00Z",
    }
    s.update(extra)
    return s


def quarantine_loaded(task, result) -> bool:
    return task.key == "import.quarantine"


def run_import(qtbot, page: ImportPage, timeout: int = 30000):
    with qtbot.waitSignal(page.runner.finished, timeout=timeout, check_params_cb=lambda t: t is page.task):
        task = page.start()
        assert task is not None, page.report_view.banner.text()
    return task


def test_import_a_simulated_array_end_to_end(qtbot, window, page, array):
    page.add_paths([array])
    page.fallback_edit.setText(FALLBACK)
    task = run_import(qtbot, page)  # how long the GUI thread stalls meanwhile: bench/gui_latency.py
    assert task.state == "ok"
    cards = page.report_view.counts_text()
    assert cards["read"] == cards["stored"] == f"{ARRAY_STATEMENTS:,}"
    assert cards["duplicates"] == cards["conflicts"] == cards["rejected"] == cards["voided"] == "0"
    assert "every record accounted for" in page.report_view.banner.text()
    assert page.progress.value() == page.progress.maximum()
    assert page.rate_label.text().startswith("Done:") and "statements/s" in page.rate_label.text()
    # the data changed: the course list reloads and the pickers follow
    qtbot.waitUntil(
        lambda: window.context_bar.course_combo.count() == 1 and window.context_bar.course is not None,
        timeout=10000,
    )
    assert window.context_bar.course.iri == FALLBACK
    assert window.shell.context.course_id == window.context_bar.course.id
    # importing the same file again adds nothing
    task = run_import(qtbot, page)
    assert page.report_view.counts_text()["duplicates"] == f"{ARRAY_STATEMENTS:,}"


def test_rejects_and_conflicts_are_reported_and_quarantined(qtbot, window, page, tmp_path):
    ok, clash = str(uuid.uuid4()), str(uuid.uuid4())
    lines = [
        statement(ok),
        statement(clash),
        statement(clash, verb="http://adlnet.gov/expapi/verbs/completed"),  # same id, other content
        statement(ok),  # duplicate
        {"id": str(uuid.uuid4()), "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"}},  # no actor
        statement(str(uuid.uuid4()), timestamp="yesterday"),
    ]
    src = tmp_path / "mixed.jsonl"
    src.write_text("\n".join(json.dumps(x) for x in lines) + "\n{not json\n", encoding="utf-8")
    page.add_paths([src])
    run_import(qtbot, page)
    c = page.report_view.counts_text()
    assert (c["read"], c["stored"], c["duplicates"], c["conflicts"], c["rejected"]) == (
        "7",
        "2",
        "1",
        "1",
        "3",
    )
    rejects = page.report_view.rejects_model
    rules = [rejects.value(r, "rule") for r in range(rejects.rowCount())]
    assert len(rules) >= 2 and sum(rejects.value(r, "count") for r in range(rejects.rowCount())) == 3
    assert all(rejects.value(r, "example") for r in range(rejects.rowCount()))
    conflicts = page.report_view.conflicts_model
    assert conflicts.rowCount() == 1 and conflicts.value(0, "statement_id") == clash
    assert conflicts.value(0, "location") == "line 3"

    with qtbot.waitSignal(page.runner.succeeded, timeout=10000, check_params_cb=quarantine_loaded):
        page.tabs.setCurrentWidget(page.quarantine)
    q = page.quarantine
    assert q.model.rowCount() == 3 and q.count_label.text() == "3 records"
    q.filter_edit.setText("Column")  # only the JSON error says where in the line
    q.apply_filter()
    assert q.model.rowCount() == 1 and q.count_label.text() == "1 of 3 records"
    q.view.selectRow(0)
    assert "{not json" in q.details.toPlainText() and "mixed.jsonl, line 7" in q.details.toPlainText()


def test_report_and_quarantine_export_to_csv(qtbot, window, page, tmp_path, monkeypatch):
    src = tmp_path / "two.jsonl"
    src.write_text(json.dumps(statement(str(uuid.uuid4()))) + "\n=cmd|' /C calc'!A0\n", encoding="utf-8")
    page.add_paths([src])
    run_import(qtbot, page)
    out = tmp_path / "report.csv"
    monkeypatch.setattr(files, "ask_save_file", lambda *a, **k: out)
    with qtbot.waitSignal(page.runner.succeeded, timeout=10000, check_params_cb=lambda t, r: r == 11):
        page.report_view.export_button.click()
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    counts = {r["name"]: r["count"] for r in rows if r["section"] == "count"}
    assert counts == {
        "read": "2",
        "stored": "1",
        "duplicates": "0",
        "conflicts": "0",
        "rejected": "1",
        "skipped": "0",
        "voided": "0",
    }
    assert [r["section"] for r in rows].count("rejected by rule") == 1
    assert [(r["section"], r["name"], r["detail"]) for r in rows if r["section"] == "format"] == [
        ("format", "two.jsonl", "xAPI statements")
    ]

    with qtbot.waitSignal(page.runner.succeeded, timeout=10000, check_params_cb=quarantine_loaded):
        page.tabs.setCurrentWidget(page.quarantine)
    out2 = tmp_path / "quarantine.csv"
    monkeypatch.setattr(files, "ask_save_file", lambda *a, **k: out2)
    with qtbot.waitSignal(
        page.runner.succeeded, timeout=10000, check_params_cb=lambda t, r: t.label.startswith("Exporting")
    ):
        page.quarantine.export_button.click()
    text = out2.read_text(encoding="utf-8-sig")
    assert "two.jsonl" in text and "'=cmd" in text  # the formula is neutralised
    conn = sqlite3.connect(window.db_path)
    assert conn.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'export'").fetchone()[0] == 2
    conn.close()


def test_pseudonymised_import_uses_the_key_file(qtbot, window, page, tmp_path, single):
    from learnalytics_desktop.core.ingest.pseudonym import create_key

    key = create_key(tmp_path / "officer.key")
    page.add_paths([single])
    page.pseudonymize.setChecked(True)
    assert page.key_edit.isEnabled() and page.key_button.isEnabled()
    page.key_edit.setText(str(key))
    run_import(qtbot, page)
    conn = sqlite3.connect(window.db_path)
    kinds = {r[0] for r in conn.execute("SELECT kind FROM actors")}
    names = conn.execute(
        "SELECT COUNT(*) FROM actors WHERE name IS NOT NULL OR email IS NOT NULL"
    ).fetchone()[0]
    conn.close()
    assert kinds == {"pseudo"} and names == 0


def test_a_bad_key_file_is_an_error_with_a_clear_message(qtbot, window, page, tmp_path, single):
    from learnalytics_desktop.gui.dialogs.error_dialog import ErrorDialog

    bad = tmp_path / "bad.key"
    bad.write_text("not a key")
    page.add_paths([single])
    page.pseudonymize.setChecked(True)
    page.key_edit.setText(str(bad))
    task = run_import(qtbot, page)
    assert task.state == "error"
    dialog = ErrorDialog.open_dialogs[-1]
    qtbot.addWidget(dialog)
    assert "bad.key" in dialog.message_label.text() and "hex" in dialog.message_label.text()
    assert page.rate_label.text().startswith("Failed") and page.start_button.isEnabled()
    dialog.reject()


def test_what_is_missing_is_said_before_starting(window, page, tmp_path, single):
    assert page.start() is None
    assert "Add at least one file or folder." in page.report_view.banner.text()
    page.add_paths([single])
    page.fallback_edit.setText("course 101")
    page.pseudonymize.setChecked(True)
    page.key_edit.setText(str(tmp_path / "missing.key"))
    problems = page.problems()
    assert any("must be an IRI" in p for p in problems) and any("does not exist" in p for p in problems)
    assert looks_like_iri("urn:uuid:1234") and looks_like_iri(FALLBACK) and not looks_like_iri("https://a b")


def test_drop_files_and_folders_on_the_page(qtbot, page, tmp_path, array):
    folder = tmp_path / "exports"
    folder.mkdir()
    data = QMimeData()
    data.setUrls(
        [QUrl.fromLocalFile(str(folder)), QUrl.fromLocalFile(str(array)), QUrl("https://example.org/x.json")]
    )
    enter = QDragEnterEvent(
        QPoint(20, 20),
        Qt.DropAction.CopyAction,
        data,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(page, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(20, 20),
        Qt.DropAction.CopyAction,
        data,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(page, drop)
    assert page.sources.paths() == [folder, array]  # the web URL is not a local file
    QApplication.sendEvent(
        page,
        QDropEvent(
            QPointF(5, 5),
            Qt.DropAction.CopyAction,
            data,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        ),
    )
    assert len(page.sources.paths()) == 2  # no duplicates
    page.sources.setCurrentRow(0)
    page.remove_button.click()
    assert page.sources.paths() == [array]


def test_files_and_folders_from_the_buttons(page, tmp_path, monkeypatch, array):
    monkeypatch.setattr(files, "ask_import_files", lambda parent: [array, tmp_path / "gone.json"])
    monkeypatch.setattr(files, "ask_folder", lambda parent, *a: tmp_path)
    page.add_files_button.click()
    page.add_folder_button.click()
    assert page.sources.paths() == [array, tmp_path]
    assert "gone.json" in page.window().statusBar().currentMessage()


def fake_importer(started: threading.Event):
    """Reports progress like the real importer until cancelled; returns a cancelled report."""

    def importer(db, paths, *, report, **kw):
        done = 0
        try:
            while True:
                done += 1000
                report.progress(min(done / 1e7, 0.99), f"x.json: {done:,} records, 50,000/s")
                started.set()
                report.check()
                threading.Event().wait(0.002)
        except Cancelled:
            return ImportReport(read=done, stored=done, cancelled=True, statements_per_second=50000.0)

    return importer


def test_progress_and_cancel_with_a_fake_importer(qtbot, window, page, monkeypatch, array):
    started = threading.Event()
    monkeypatch.setattr(ImportPage, "importer", staticmethod(fake_importer(started)))
    page.add_paths([array])
    task = page.start()
    assert started.wait(5)
    qtbot.waitUntil(lambda: "records, 50,000/s" in page.rate_label.text(), timeout=5000)
    assert (
        page.cancel_button.isEnabled()
        and not page.start_button.isEnabled()
        and not page.add_files_button.isEnabled()
    )
    assert window.status_progress.isVisible()
    with qtbot.waitSignal(page.runner.finished, timeout=5000):
        page.cancel_button.click()
    assert task.state == "ok" and page.last_outcome.report.cancelled
    assert "Import cancelled" in page.report_view.banner.text()
    assert page.start_button.isEnabled() and not page.cancel_button.isEnabled()


def test_a_job_that_raises_cancelled_is_not_an_error(qtbot, window, page, monkeypatch, array):
    def raising(db, paths, *, report, **kw):
        raise Cancelled("cancelled by the user")

    monkeypatch.setattr(ImportPage, "importer", staticmethod(raising))
    window.runner.failure_handler = lambda task, exc: pytest.fail(f"reported as an error: {exc}")
    page.add_paths([array])
    with qtbot.waitSignal(page.runner.cancelled, timeout=5000):
        page.start()
    assert page.rate_label.text().startswith("Cancelled")


def test_screenshot_of_the_import_page(qtbot, window, page, tmp_path, array):
    src = tmp_path / "lms-export.jsonl"
    good = [statement(str(uuid.uuid4())) for _ in range(3)]
    bad = [{"id": str(uuid.uuid4()), "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"}}]
    src.write_text("\n".join(json.dumps(x) for x in good + bad + [good[0]]) + "\n", encoding="utf-8")
    page.add_paths([array, src])
    page.fallback_edit.setText(FALLBACK)
    window.resize(1280, 800)
    run_import(qtbot, page)
    qtbot.waitUntil(
        lambda: window.context_bar.course_combo.count() >= 1 and window.context_bar.course is not None,
        timeout=10000,
    )
    shots = Path("/tmp/shots")
    shots.mkdir(exist_ok=True)
    assert window.grab().save(str(shots / "import.png"))
    with qtbot.waitSignal(page.runner.succeeded, timeout=10000, check_params_cb=quarantine_loaded):
        page.tabs.setCurrentWidget(page.quarantine)
    page.quarantine.view.selectRow(0)
    assert window.grab().save(str(shots / "import-quarantine.png"))
