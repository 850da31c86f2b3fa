"""The Import page with other sources: what each file was read as, skipped records with their
reasons, the format box and the site URL."""

from __future__ import annotations

import json

import pytest
from gui_helpers import open_in

from learnalytics_desktop.gui.main_window import MainWindow
from learnalytics_desktop.gui.pages.ingest.import_page import ImportPage
from learnalytics_desktop.gui.pages.ingest.jobs import report_rows


@pytest.fixture
def page(qtbot, tmp_path) -> ImportPage:
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    open_in(w, qtbot, tmp_path / "import.db", create=True)
    return w.navigate("import")


def edx_log(path):
    base = {
        "username": "learner7",
        "event_source": "server",
        "context": {"course_id": "course-v1:Org+CS101+2026", "user_id": 7},
        "time": "2026-02-03T10:00:00+00:00",
    }
    events = [
        dict(
            base,
            event_type="problem_check",
            event={"problem_id": "block-v1:Org+CS101+2026+type@problem+block@p1", "grade": 1, "max_grade": 2},
        ),
        dict(
            base,
            event_type="showanswer",
            event={"problem_id": "block-v1:Org+CS101+2026+type@problem+block@p1"},
        ),
        dict(base, event_type="edx.grades.subsection.grade_calculated", event={}),
    ]
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    return path


def run(qtbot, page):
    with qtbot.waitSignal(page.runner.finished, timeout=30000, check_params_cb=lambda t: t is page.task):
        task = page.start()
        assert task is not None, page.report_view.banner.text()
    assert task.state == "ok"
    return task


def test_an_edx_log_says_what_it_was_read_as_and_why_records_were_skipped(qtbot, page, tmp_path):
    page.add_paths([edx_log(tmp_path / "tracking.log")])
    page.home_edit.setText("https://courses.example.edu")
    run(qtbot, page)
    view = page.report_view
    c = view.counts_text()
    assert (c["read"], c["stored"], c["skipped"], c["rejected"]) == ("3", "2", "1", "0")
    assert "every record accounted for" in view.banner.text()
    assert (
        view.formats_label.isVisible() and "tracking.log: Open edX tracking log" in view.formats_label.text()
    )
    assert "Skipped 1 x Open edX edx.grades.* event" in view.notes_label.text()
    rows = {(r["section"], r["detail"]) for r in report_rows(page.last_outcome)}
    assert ("format", "Open edX tracking log") in rows


def test_the_format_box_forces_a_format(qtbot, page, tmp_path):
    src = edx_log(tmp_path / "events.json")
    page.add_paths([src])
    page.format_combo.setCurrentIndex(page.format_combo.findData("caliper"))
    run(qtbot, page)
    c = page.report_view.counts_text()
    assert c["stored"] == "0" and c["rejected"] == "3"
    assert "IMS Caliper 1.2 events" in page.report_view.formats_label.text()


def test_a_site_url_that_is_not_a_web_address_stops_the_import(qtbot, page, tmp_path):
    page.add_paths([edx_log(tmp_path / "t.log")])
    page.home_edit.setText("courses.example.edu")
    assert page.start() is None
    assert "site URL must start with http" in page.report_view.banner.text()


def test_course_start_reaches_the_oulad_reader(qtbot, page, tmp_path):
    assert page.format_combo.findData("oulad-vle") >= 0 and page.format_combo.findData("moodle") >= 0
    page.home_edit.setText("https://lms.example.edu")
    page.start_edit.setText("AAA-2013J=2013-10-05, BBB-2014B=2014-02-01")
    assert page.format_options() == {
        "home_page": "https://lms.example.edu",
        "course_start": {"AAA-2013J": "2013-10-05", "BBB-2014B": "2014-02-01"},
    }
    page.start_edit.setText("2013-10-05")
    assert page.format_options()["course_start"] == "2013-10-05"
