"""Training and scoring from a feature table computed elsewhere (core.model.feature_file),
without Spark: a generated table with a hand-written sidecar, as ``lake features`` writes it."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from learnalytics_desktop.core.features.catalog import FEATURE_COLUMNS
from learnalytics_desktop.core.model.feature_file import (
    FeatureFileError,
    attach,
    read_feature_file,
    score_from_file,
    train_from_file,
)
from learnalytics_desktop.core.model.synthetic import synthetic_features

IRI = "https://lms.example.edu/course/cluster-2024"


def _table(tmp_path, n=160, seed=1, name="past.csv"):
    feats, labels = synthetic_features(n, seed, week=5)
    feats = feats.reindex(columns=list(FEATURE_COLUMNS))
    students = [f"s{int(a):05d}" if a % 3 else f"s{int(a):05d}@uni.example" for a in feats.index]
    table = feats.reset_index(drop=True)
    table.insert(0, "student", students)
    path = tmp_path / name
    table.to_csv(path, index=False)
    meta = {
        "engine": "spark 4 (test)",
        "week": 5,
        "sources": ["s3a://lake/xapi/"],
        "courses": [{"course": IRI, "start": "2024-09-02", "as_of": "2024-10-07T00:00:00+00:00"}],
    }
    (tmp_path / (name + ".json")).write_text(json.dumps(meta), encoding="utf-8")
    gradebook = tmp_path / "grades.csv"
    pd.DataFrame(
        {
            "Student ID": [s.split("@")[0] if "@" not in s else "" for s in students],
            "Email": [s if "@" in s else "" for s in students],
            "Result": ["Fail" if y else "Pass" for y in labels.to_numpy()],
        }
    ).to_csv(gradebook, index=False)
    return path, gradebook, table


def test_train_then_score_record_the_source(db, tmp_path):
    path, gradebook, table = _table(tmp_path)
    ff = read_feature_file(path)
    result = train_from_file(db, ff, outcomes={"": gradebook}, kind="logreg")
    source = result.card["feature_source"]
    assert source["engine"] == "spark 4 (test)" and source["sha256"] == ff.sha256
    assert source["sources"] == ["s3a://lake/xapi/"] and result.card["week"] == 5
    assert result.card["counts"]["trained_on"] == len(table)
    assert db.execute("SELECT count(*) FROM statements").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM enrolments WHERE source = 'features'").fetchone()[0] == len(table)
    db.execute("UPDATE models SET active = 1 WHERE id = ?", (result.model_id,))
    runs = score_from_file(db, ff)
    assert len(runs) == 1 and len(runs[0]) == len(table) and runs[0]["risk_score"].between(0, 1).all()
    # attaching the same table again finds the same learners
    again = attach(db, ff)
    assert sorted(again[0].features.index) == sorted(runs[0]["actor"])


def test_bad_tables_are_refused_with_the_reason(tmp_path):
    path, _gradebook, table = _table(tmp_path, n=20)
    table.drop(columns=["quiz_count"]).to_csv(tmp_path / "partial.csv", index=False)
    with pytest.raises(FeatureFileError, match="lacks the feature column"):
        read_feature_file(tmp_path / "partial.csv")
    bad = table.copy()
    bad["active_days"] = bad["active_days"].astype(object)
    bad.loc[3, "active_days"] = "lots"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(FeatureFileError, match=r"row 5: active_days is not a number"):
        read_feature_file(tmp_path / "bad.csv")
    with pytest.raises(FeatureFileError, match="no feature table"):
        read_feature_file(tmp_path / "missing.csv")


def test_duplicate_student_and_missing_calendar(db, tmp_path):
    path, _gradebook, table = _table(tmp_path, n=20)
    pd.concat([table, table.iloc[:1]]).to_csv(tmp_path / "dup.csv", index=False)
    (tmp_path / "dup.csv.json").write_text((tmp_path / "past.csv.json").read_text(), encoding="utf-8")
    with pytest.raises(FeatureFileError, match="appears twice"):
        attach(db, read_feature_file(tmp_path / "dup.csv"))
    table.to_csv(tmp_path / "bare.csv", index=False)
    with pytest.raises(FeatureFileError, match="which offering"):
        attach(db, read_feature_file(tmp_path / "bare.csv"))
    with pytest.raises(FeatureFileError, match="as of when"):
        attach(db, read_feature_file(tmp_path / "bare.csv"), course=IRI)
