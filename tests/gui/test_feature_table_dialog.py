"""Import ▸ Feature table…: a cluster's table is described, trained on with its gradebook and
scored with the model, in a child process; no statement enters the database."""

from __future__ import annotations

import json

import pandas as pd
from test_outcomes_dialog import make_shell, rows

from learnalytics_desktop.core.features.catalog import FEATURE_COLUMNS
from learnalytics_desktop.core.model.synthetic import synthetic_features
from learnalytics_desktop.core.store import open_db
from learnalytics_desktop.gui.dialogs.feature_table_dialog import FeatureTableDialog

IRI = "https://lms.example.edu/course/cluster-2024"


def _files(tmp_path):
    feats, labels = synthetic_features(150, 4, week=5)
    table = feats.reindex(columns=list(FEATURE_COLUMNS)).reset_index(drop=True)
    table.insert(0, "student", [f"s{i:04d}" for i in range(len(table))])
    path = tmp_path / "past.csv"
    table.to_csv(path, index=False)
    meta = {
        "engine": "spark 4.3.0 (learnalytics lake)",
        "week": 5,
        "created_at": "2026-12-01T10:00:00+00:00",
        "sources": ["hdfs://lake/xapi/2024"],
        "courses": [{"course": IRI, "start": "2024-09-02", "as_of": "2024-10-07T00:00:00+00:00"}],
    }
    (tmp_path / "past.csv.json").write_text(json.dumps(meta), encoding="utf-8")
    grades = tmp_path / "grades.csv"
    pd.DataFrame(
        {"Student ID": table["student"], "Result": ["Fail" if y else "Pass" for y in labels]}
    ).to_csv(grades, index=False)
    return path, grades


def _wait(qtbot, dialog, start, timeout=180_000):
    holder = []
    with qtbot.waitSignal(
        dialog.runner.finished, timeout=timeout, check_params_cb=lambda t: bool(holder) and t is holder[0]
    ):
        task = start()
        assert task is not None, dialog.message.text()
        holder.append(task)


def test_describe_train_and_score(qtbot, runner, tmp_path):
    db = tmp_path / "laptop.db"
    open_db(db).close()
    path, grades = _files(tmp_path)
    dialog = FeatureTableDialog(make_shell(runner, db, None))
    qtbot.addWidget(dialog)
    assert not dialog.train_button.isEnabled()
    _wait(qtbot, dialog, lambda: dialog.load_file(path))
    text = dialog.about.text()
    assert "150 students of " + IRI in text and "week 5" in text and "spark 4.3.0" in text
    assert dialog.train_button.isEnabled() and dialog.score_button.isEnabled()
    assert dialog.start_training() is None and "Choose the gradebook" in dialog.message.text()
    dialog.outcomes_edit.setText(str(grades))
    _wait(qtbot, dialog, dialog.start_training)
    model_id = dialog.result["model_id"]
    assert dialog.result["trained_on"] == 150 and "spark" in dialog.message.text()
    card = json.loads(rows(db, "SELECT card FROM models WHERE id = ?", model_id)[0][0])
    assert card["feature_source"]["file"] == str(path) and card["feature_source"]["sources"] == [
        "hdfs://lake/xapi/2024"
    ]
    conn = open_db(db)
    conn.execute("UPDATE models SET active = 1 WHERE id = ?", (model_id,))
    conn.close()
    _wait(qtbot, dialog, dialog.start_scoring)
    assert dialog.result["runs"][0]["students"] == 150 and "150 students scored" in dialog.message.text()
    assert rows(db, "SELECT count(*) FROM statements")[0][0] == 0


def test_a_bad_table_says_why(qtbot, runner, tmp_path):
    db = tmp_path / "laptop.db"
    open_db(db).close()
    bad = tmp_path / "bad.csv"
    bad.write_text("student,total_events\na,1\n", encoding="utf-8")
    dialog = FeatureTableDialog(make_shell(runner, db, None))
    qtbot.addWidget(dialog)
    _wait(qtbot, dialog, lambda: dialog.load_file(bad))
    assert "cannot be used" in dialog.message.text() and "lacks the feature column" in dialog.message.text()
    assert not dialog.score_button.isEnabled()
