"""The assessment calendar dialog: OULAD's assessments.csv recognised, rows of one offering
chosen, imported on the worker; bad rows shown with nothing written."""

from __future__ import annotations

from test_outcomes_dialog import demo, make_shell, rows, wait_for  # noqa: F401 (fixture)

from learnalytics_desktop.gui.dialogs.calendar_dialog import CalendarDialog

CSV = (
    '"code_module","code_presentation","id_assessment","assessment_type","date","weight"\n'
    '"AAA","2025J","11","TMA","19","10"\n'
    '"AAA","2025J","12","CMA","40","5"\n'
    '"AAA","2025J","13","Exam","","100"\n'
    '"BBB","2025J","21","TMA","20","10"\n'
)


def test_oulad_calendar_through_the_dialog(qtbot, runner, demo, tmp_path):  # noqa: F811
    conn_rows = rows(demo.path, "SELECT id FROM courses ORDER BY id")
    cid = conn_rows[0][0]
    path = tmp_path / "assessments.csv"
    path.write_text(CSV, encoding="utf-8")
    dialog = CalendarDialog(make_shell(runner, demo.path, cid))
    qtbot.addWidget(dialog)
    wait_for(qtbot, dialog, lambda: dialog.load_file(path))
    assert dialog.mapping() == {
        "id": "id_assessment",
        "title": "",
        "kind": "assessment_type",
        "due": "date",
        "weight": "weight",
        "max_score": "",
    }
    dialog.iri_edit.setText("https://lms.example/assess")
    assert "must contain {id}" in " ".join(dialog.problems())
    dialog.iri_edit.setText("https://lms.example/assess/{id}")
    wait_for(qtbot, dialog, dialog.start_import)
    assert "several offerings" in dialog.message.text() and "Nothing was imported" in dialog.message.text()
    assert rows(demo.path, "SELECT count(*) FROM assessments")[0][0] == 0
    dialog.where_edit.setText("code_module=AAA")
    wait_for(qtbot, dialog, dialog.start_import)
    assert dialog.result is not None and dialog.result.items == 3
    stored = rows(demo.path, "SELECT key, kind, weight FROM assessments WHERE course = ? ORDER BY id", cid)
    assert stored == [
        ("https://lms.example/assess/11", "assignment", 10.0),
        ("https://lms.example/assess/12", "quiz", 5.0),
        ("https://lms.example/assess/13", "exam", 100.0),
    ]
