"""The gradebook / class list dialog: preview with the core's reader, column mapping guessed
from the header, import on the worker with the same result as the CLI, the match report and
its CSV export, errors shown in the dialog with nothing written; reachable from the Import
page and the File menu."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from factories import make_demo_db

from learnalytics_desktop.core.courses import get_course, list_courses
from learnalytics_desktop.core.store.db import open_db
from learnalytics_desktop.gui.dialogs import files
from learnalytics_desktop.gui.dialogs.outcomes_dialog import OutcomesDialog
from learnalytics_desktop.gui.dialogs.outcomes_mapping import ATTRIBUTE_NOTE
from learnalytics_desktop.gui.pages.base import PageContext, Shell

OUTCOME_COLUMNS = "actor, final_grade, result, passed, withdrew"


@pytest.fixture
def demo(tmp_path):
    return make_demo_db(tmp_path / "demo.db", students=40)


def make_shell(runner, db_path: Path, course_id: int | None) -> Shell:
    """A shell whose context is ``db_path`` with ``course_id`` current (as the main window sets it)."""
    conn = open_db(db_path)
    try:
        courses = list_courses(conn)
    finally:
        conn.close()
    course = next((c for c in courses if c.id == course_id), None)
    shell = Shell(runner)
    shell.set_context(
        PageContext(
            db_path=Path(db_path),
            course_id=course_id,
            week=3,
            course=course,
            courses=tuple(courses),
            data_version=1,
        )
    )
    return shell


def rows(db_path: Path, sql: str, *params) -> list[tuple]:
    conn = open_db(db_path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def open_dialog(qtbot, shell, **kw) -> OutcomesDialog:
    dialog = OutcomesDialog(shell, **kw)
    qtbot.addWidget(dialog)
    return dialog


def wait_for(qtbot, dialog: OutcomesDialog, start) -> object:
    """Call ``start()`` (which returns a task) and wait until the runner delivered its outcome."""
    holder = []
    with qtbot.waitSignal(
        dialog.runner.finished, timeout=20000, check_params_cb=lambda t: bool(holder) and t is holder[0]
    ):
        task = start()
        assert task is not None, dialog.message.text()
        holder.append(task)
    return task


def load(qtbot, dialog: OutcomesDialog, path: Path) -> None:
    wait_for(qtbot, dialog, lambda: dialog.load_file(path, force=True))


def run(qtbot, dialog: OutcomesDialog) -> None:
    wait_for(qtbot, dialog, dialog.start_import)


def test_demo_gradebook_through_the_dialog_matches_the_cli(qtbot, runner, demo, tmp_path, capsys):
    from learnalytics_desktop.cli import main as cli_main

    conn = open_db(demo.path)
    cid = demo.course_id(conn, "2025-autumn")
    original = conn.execute(
        f"SELECT {OUTCOME_COLUMNS} FROM outcomes WHERE course = ? ORDER BY actor", (cid,)
    ).fetchall()
    conn.execute("DELETE FROM outcomes WHERE course = ?", (cid,))  # the dialog must write them again
    conn.close()
    cli_db = tmp_path / "cli.db"
    shutil.copy(demo.path, cli_db)
    gradebook = demo.files.gradebooks[demo.files.offering("2025-autumn").iri]

    assert cli_main(["outcomes", "--db", str(cli_db), "--course", str(cid), str(gradebook), "--json"]) == 0
    cli_report = json.loads(capsys.readouterr().out)

    shell = make_shell(runner, demo.path, cid)
    dialog = open_dialog(qtbot, shell, kind="outcomes")
    assert dialog.course_combo.currentData() == cid  # the current course by default
    load(qtbot, dialog, gradebook)
    assert dialog.mapping() == {
        "id": "Student ID",
        "email": "Email",
        "grade": "Final grade",
        "result": "Result",
        "passed": "",
        "withdrew": "",
    }
    text = dialog.read_label.text()
    assert "cp1252" in text and "semicolon" in text and "not UTF-8" in text
    assert dialog.preview_table.rowCount() == min(25, dialog.preview.total_rows)
    assert dialog.preview_table.verticalHeaderItem(0).text() == "2"  # the file's line numbers
    assert "[final grade]" in dialog.preview_table.header_texts()[4]
    with qtbot.waitSignal(shell.data_changed, timeout=20000):
        run(qtbot, dialog)

    gui_rows = rows(demo.path, f"SELECT {OUTCOME_COLUMNS} FROM outcomes WHERE course = ? ORDER BY actor", cid)
    cli_rows = rows(cli_db, f"SELECT {OUTCOME_COLUMNS} FROM outcomes WHERE course = ? ORDER BY actor", cid)
    assert gui_rows == cli_rows == original and len(gui_rows) > 30
    assert dialog.result.to_dict() == cli_report
    assert dialog.stack.currentIndex() == 1  # the report is shown
    assert f"<b>{cli_report['matched']}</b> matched" in dialog.report_view.summary.text()


def test_report_lists_rows_not_stored_with_line_numbers_and_exports_them(
    qtbot, runner, demo, tmp_path, monkeypatch
):
    conn = open_db(demo.path)
    cid = demo.course_id(conn, "2025-autumn")
    conn.close()
    students = [s for s in demo.files.students_of("2025-autumn") if s.in_roster][:3]
    csv = tmp_path / "grades.csv"
    csv.write_text(
        "Student ID,Email,Final grade,Result\n"
        f"{students[0].student_id},{students[0].email},71.5,Pass\n"
        "S0000000,nobody@example.org,50,Pass\n"
        f"{students[1].student_id},{students[1].email},12,Fail\n"
        f"{students[0].student_id},{students[0].email},80,Pass\n",
        encoding="utf-8",
    )
    shell = make_shell(runner, demo.path, cid)
    dialog = open_dialog(qtbot, shell)
    load(qtbot, dialog, csv)
    run(qtbot, dialog)
    result = dialog.result
    assert (result.matched, len(result.unmatched), len(result.duplicates)) == (2, 1, 1)
    assert dialog.report_view.issue_rows() == [
        (3, "Unmatched", "S0000000 / nobody@example.org"),
        (5, "Duplicate row", f"{students[0].student_id} / {students[0].email}"),
    ]
    assert dialog.report_view.learners_table.rowCount() == len(result.learners_without_row) > 30
    stored = rows(demo.path, "SELECT final_grade FROM outcomes WHERE course = ? ORDER BY final_grade", cid)
    assert stored == [(12.0,), (71.5,)]

    target = tmp_path / "report.csv"
    monkeypatch.setattr(files, "ask_save_file", lambda *a, **k: target)
    wait_for(qtbot, dialog, dialog.export)
    text = target.read_text(encoding="utf-8-sig")
    assert "unmatched,3,S0000000 / nobody@example.org,no learner has this id or e-mail" in text
    assert f"duplicate,5,{students[0].student_id} / {students[0].email},same student as row 2" in text
    assert text.count("learner without a row") == len(result.learners_without_row)


def test_a_missing_mapped_column_is_shown_and_nothing_is_written(qtbot, runner, demo, tmp_path):
    conn = open_db(demo.path)
    cid = demo.course_id(conn, "2025-autumn")
    conn.close()
    before = rows(demo.path, f"SELECT {OUTCOME_COLUMNS} FROM outcomes WHERE course = ? ORDER BY actor", cid)
    sid = demo.files.students_of("2025-autumn")[0].student_id
    csv = tmp_path / "grades.csv"
    csv.write_text(f"Student ID,Final grade,Result\n{sid},55,Pass\n", encoding="utf-8")
    shell = make_shell(runner, demo.path, cid)
    dialog = open_dialog(qtbot, shell)
    load(qtbot, dialog, csv)
    assert dialog.mapping()["grade"] == "Final grade"
    csv.write_text(f"Student ID,Result\n{sid},Pass\n", encoding="utf-8")  # re-exported without the grades
    run(qtbot, dialog)
    message = dialog.message.text()
    assert "'Final grade' is not in grades.csv" in message and "Nothing was imported" in message
    assert dialog.result is None and dialog.stack.currentIndex() == 0
    after = rows(demo.path, f"SELECT {OUTCOME_COLUMNS} FROM outcomes WHERE course = ? ORDER BY actor", cid)
    assert after == before and len(before) > 30


def test_a_bad_value_stops_the_whole_import(qtbot, runner, demo, tmp_path):
    conn = open_db(demo.path)
    cid = demo.course_id(conn, "2025-autumn")
    conn.close()
    before = rows(demo.path, "SELECT count(*), sum(final_grade) FROM outcomes WHERE course = ?", cid)
    people = demo.files.students_of("2025-autumn")
    csv = tmp_path / "grades.csv"
    csv.write_text(
        f"Student ID,Email,Final grade\n{people[0].student_id},{people[0].email},55\n"
        f"{people[1].student_id},{people[1].email},fifty\n",
        encoding="utf-8",
    )
    dialog = open_dialog(qtbot, make_shell(runner, demo.path, cid))
    load(qtbot, dialog, csv)
    run(qtbot, dialog)
    assert "line 3: grade 'fifty' is not a number" in dialog.message.text()
    assert rows(demo.path, "SELECT count(*), sum(final_grade) FROM outcomes WHERE course = ?", cid) == before


def test_cp1252_file_preview(qtbot, runner, demo, tmp_path):
    csv = tmp_path / "export.csv"
    csv.write_bytes(
        "Matrikelnummer;E-Mail;Note;Résultat\r\n1234;zoë.müller@example.de;87,5;Pass\r\n5678;;;W\r\n".encode(
            "cp1252"
        )
    )
    dialog = open_dialog(qtbot, make_shell(runner, demo.path, None))
    load(qtbot, dialog, csv)
    table = dialog.preview_table
    assert table.item(0, 1).text() == "zoë.müller@example.de" and table.item(0, 2).text() == "87,5"
    assert [table.verticalHeaderItem(r).text() for r in range(table.rowCount())] == ["2", "3"]
    assert table.header_texts()[3].startswith("Résultat")
    assert "cp1252" in dialog.read_label.text() and "semicolon" in dialog.read_label.text()
    assert dialog.mapping()["email"] == "E-Mail"


def test_unreadable_file_is_explained_in_the_dialog(qtbot, runner, demo, tmp_path):
    xlsx = tmp_path / "grades.xlsx"
    xlsx.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    dialog = open_dialog(qtbot, make_shell(runner, demo.path, None))
    wait_for(qtbot, dialog, lambda: dialog.load_file(xlsx))
    assert "spreadsheet workbook" in dialog.message.text() and "save it as CSV" in dialog.message.text()
    assert not dialog.import_button.isEnabled()


def test_not_used_means_not_used_and_roles_are_checked_before_running(qtbot, runner, demo, tmp_path):
    conn = open_db(demo.path)
    cid = demo.course_id(conn, "2025-autumn")
    conn.close()
    gradebook = demo.files.gradebooks[demo.files.offering("2025-autumn").iri]
    dialog = open_dialog(qtbot, make_shell(runner, demo.path, cid))
    load(qtbot, dialog, gradebook)
    dialog.set_mapping(grade=None, result=None)
    assert dialog.start_import() is None
    assert "at least one of the final grade, result" in dialog.message.text()
    dialog.set_mapping(grade="Email")
    assert dialog.start_import() is None and "chosen for both E-mail and Final grade" in dialog.message.text()
    dialog.set_mapping(grade="Final grade")  # the Result column exists but is "not used"
    run(qtbot, dialog)
    assert dialog.result.columns == {"id": "Student ID", "email": "Email", "grade": "Final grade"}
    results = rows(
        demo.path, "SELECT count(*), count(result), count(final_grade) FROM outcomes WHERE course = ?", cid
    )
    assert results[0][0] > 30 and results[0][1] == 0 and results[0][2] > 0


def test_class_list_with_attributes(qtbot, runner, demo):
    conn = open_db(demo.path)
    cid = demo.course_id(conn, "2026-autumn")
    conn.execute("DELETE FROM attributes WHERE course = ?", (cid,))
    conn.close()
    roster = demo.files.rosters[demo.files.offering("2026-autumn").iri]
    dialog = open_dialog(qtbot, make_shell(runner, demo.path, cid), kind="roster")
    assert not dialog.role_combos["grade"].isVisibleTo(dialog)
    load(qtbot, dialog, roster)
    assert dialog.mapping() == {
        "id": "Student ID",
        "email": "Email",
        "status": "",
        "registered": "",
        "withdrawn": "",
    }
    visible = [
        dialog.attribute_list.item(i).text()
        for i in range(dialog.attribute_list.count())
        if not dialog.attribute_list.item(i).isHidden()
    ]
    assert visible == ["First name", "Last name", "Study mode", "Age band"]  # id and e-mail are taken
    assert dialog.attributes() == []  # nothing is kept unless the user ticks it
    assert "never inputs of the at-risk model unless you ask" in ATTRIBUTE_NOTE
    dialog.set_attributes(["Study mode"])
    assert "[attribute]" in dialog.preview_table.header_texts()[4]
    run(qtbot, dialog)
    keys = rows(demo.path, "SELECT key, count(*) FROM attributes WHERE course = ? GROUP BY key", cid)
    assert keys == [("Study mode", dialog.result.matched + dialog.result.created)]
    assert dialog.result.kind == "roster" and "added as new students" in dialog.report_view.summary.text()


def test_no_database_or_course_says_what_to_do(qtbot, runner, tmp_path):
    empty = tmp_path / "empty.db"
    open_db(empty).close()
    dialog = open_dialog(qtbot, make_shell(runner, empty, None))
    csv = tmp_path / "g.csv"
    csv.write_text("Student ID,Final grade\nS1,50\n", encoding="utf-8")
    load(qtbot, dialog, csv)
    assert not dialog.import_button.isEnabled()
    assert dialog.start_import() is None
    assert "no course offerings yet" in dialog.message.text()


def test_reachable_from_the_import_page_and_the_file_menu(qtbot, demo, monkeypatch):
    from learnalytics_desktop.gui.main_window import MainWindow

    calls = []
    monkeypatch.setattr(OutcomesDialog, "ask", classmethod(lambda cls, parent, shell, **kw: calls.append(kw)))
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    page = window.navigate("import")
    assert not window.action_outcomes.isEnabled() and not page.outcomes_box.gradebook_button.isEnabled()
    with qtbot.waitSignal(
        window.runner.finished, timeout=20000, check_params_cb=lambda t: t.key == "database"
    ):
        window.open_database(demo.path)
    assert window.action_outcomes.isEnabled() and page.outcomes_box.roster_button.isEnabled()
    page.outcomes_box.roster_button.click()
    page.outcomes_box.gradebook_button.click()
    window.action_outcomes.trigger()
    assert [c["kind"] for c in calls] == ["roster", "outcomes", "outcomes"]
    window.close()


def test_the_window_follows_a_class_list_import(qtbot, demo, tmp_path):
    """Through the main window's shell: the courses reload, the new student is counted."""
    from learnalytics_desktop.gui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(
        window.runner.finished, timeout=20000, check_params_cb=lambda t: t.key == "database"
    ):
        window.open_database(demo.path)
    students, version = window.shell.context.course.students, window.shell.context.data_version
    roster = tmp_path / "roster.csv"
    roster.write_text("Student ID,Email\nu0000001,new.student@students.example.edu\n", encoding="utf-8")
    dialog = open_dialog(qtbot, window.shell, kind="roster")
    load(qtbot, dialog, roster)
    with qtbot.waitSignal(
        window.runner.finished, timeout=20000, check_params_cb=lambda t: t.key == "courses"
    ):
        run(qtbot, dialog)
    assert dialog.result.created == 1  # the new student; the old list's students without statements leave
    conn = open_db(demo.path)
    now = get_course(conn, window.shell.context.course_id).students
    conn.close()
    ctx = window.shell.context
    assert ctx.course.students == now != students and ctx.data_version == version + 1
    window.close()


# -- screenshot (on request) -----------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("LEARNALYTICS_SCREENSHOTS"), reason="set LEARNALYTICS_SCREENSHOTS=<folder>"
)
def test_screenshot(qtbot, runner, tmp_path):
    """The dialog on the demo's gradebook (mapping) and after the import (report)."""
    from PySide6.QtWidgets import QApplication

    out = Path(os.environ["LEARNALYTICS_SCREENSHOTS"])
    out.mkdir(parents=True, exist_ok=True)
    demo = make_demo_db(tmp_path / "demo.db", students=300)
    conn = open_db(demo.path)
    cid = demo.course_id(conn, "2025-autumn")
    conn.close()
    gradebook = demo.files.gradebooks[demo.files.offering("2025-autumn").iri]
    dialog = open_dialog(qtbot, make_shell(runner, demo.path, cid))
    dialog.show()
    qtbot.waitExposed(dialog)
    load(qtbot, dialog, gradebook)
    QApplication.processEvents()  # let the layout follow the new texts
    dialog.grab().save(str(out / "outcomes_dialog.png"))
    run(qtbot, dialog)
    QApplication.processEvents()
    dialog.grab().save(str(out / "outcomes_report.png"))
    dialog.show_setup()
    dialog.set_kind("roster")
    conn = open_db(demo.path)
    cid26 = demo.course_id(conn, "2026-autumn")
    conn.close()
    dialog.course_combo.setCurrentIndex(dialog.course_combo.findData(cid26))
    load(qtbot, dialog, demo.files.rosters[demo.files.offering("2026-autumn").iri])
    dialog.set_attributes(["Study mode", "Age band"])
    QApplication.processEvents()
    dialog.grab().save(str(out / "class_list_dialog.png"))
