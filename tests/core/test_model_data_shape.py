"""Training never crashes on the shape of the data (issue 11): a course without videos, a
feature with one value, user exclusions, and one-line errors with exit code 2."""

from __future__ import annotations

import json

import numpy as np
import pytest

from learnalytics_desktop.cli import main


@pytest.fixture
def no_video_db(tmp_path):
    """A demo database whose courses have no video statements at all (as OULAD)."""
    from factories import make_demo_db

    from learnalytics_desktop.core.store import open_db

    demo = make_demo_db(tmp_path / "novideo.db", students=60)
    conn = open_db(demo.path)
    conn.execute(
        "DELETE FROM statements WHERE object IN (SELECT id FROM activities WHERE type_iri LIKE '%video%')"
    )
    left = conn.execute(
        "SELECT count(*) FROM statements s JOIN activities a ON a.id = s.object WHERE a.type_iri LIKE '%video%'"
    ).fetchone()[0]
    conn.close()
    assert left == 0
    return demo


@pytest.mark.parametrize("kind", ["hgb", "logreg"])
def test_course_without_videos_trains_and_lists_the_empty_feature(no_video_db, kind, capsys):
    db = str(no_video_db.path)
    code = main(["train", "--db", db, "--course", "2025-autumn", "--week", "4", "--kind", kind, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out = json.loads(captured.out)
    unused = {u["feature"]: u["reason"] for u in out["unused_features"]}
    assert unused["video_completion_rate"] == "no data"
    assert "video_completion_rate" not in out["features"]
    # video minutes and video events exist as columns but are 0 for everyone
    assert unused["events_video"].startswith("no data: every student has the same value, 0")
    assert out["validation"]["hgb"]["roc_auc"] is not None
    # the model scores the running offering without the left-out features
    assert (
        main(
            [
                "score",
                "--db",
                db,
                "--course",
                "2026-autumn",
                "--week",
                "4",
                "--out",
                str(no_video_db.path.with_suffix(".csv")),
            ]
        )
        == 0
    )


def test_exclude_feature_is_on_the_card_and_unknown_names_are_one_line(no_video_db, capsys):
    from learnalytics_desktop.core.model import get_card
    from learnalytics_desktop.core.store import open_db

    db = str(no_video_db.path)
    args = ["train", "--db", db, "--course", "2025-autumn", "--week", "4", "--kind", "logreg"]
    assert (
        main([*args, "--exclude-feature", "forum_posts", "--exclude-feature", "active_days", "--json"]) == 0
    )
    out = json.loads(capsys.readouterr().out)
    conn = open_db(no_video_db.path)
    card = get_card(conn, out["model_id"])
    conn.close()
    unused = {u["feature"]: u["reason"] for u in card["unused_features"]}
    assert unused["forum_posts"] == unused["active_days"] == "excluded by the user"
    assert not {"forum_posts", "active_days"} & set(card["features"])
    assert main([*args, "--exclude-feature", "no_such_feature"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no_such_feature" in err and "Traceback" not in err
    # the human summary lists what was not used
    assert main(args) == 0
    assert "not used: video_completion_rate (no data)" in capsys.readouterr().out


def test_unexpected_failure_is_one_line_and_exit_2(no_video_db, capsys, monkeypatch):
    import learnalytics_desktop.core.model.train as train

    def boom(*a, **k):
        raise RuntimeError("window shape cannot be larger than input array shape")

    monkeypatch.setattr(train, "build_training_data", boom)
    code = main(["train", "--db", str(no_video_db.path), "--course", "2025-autumn", "--week", "4"])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "window shape" in err and "Traceback" not in err


def test_screen_features_rules():
    import pandas as pd

    from learnalytics_desktop.core.model.estimators import TrainingDataError, screen_features

    frame = pd.DataFrame(
        {"a": [1.0, 2.0, np.nan], "b": [np.nan] * 3, "c": [3.0, 3.0, np.nan], "d": [np.inf, 1, 2]}
    )
    used, unused = screen_features(frame, ["a", "b", "c", "d"], exclude=["d"])
    assert used == ["a"]
    assert unused == [
        {"feature": "b", "reason": "no data"},
        {"feature": "c", "reason": "no data: every student has the same value, 3"},
        {"feature": "d", "reason": "excluded by the user"},
    ]
    with pytest.raises(TrainingDataError, match="no feature has data"):
        screen_features(frame, ["b", "c"])


def test_gradient_boosting_survives_a_fold_where_a_feature_is_empty():
    """A feature with two values can be all-missing in one fold: that fit must not crash."""
    from learnalytics_desktop.core.model.estimators import make_estimator
    from learnalytics_desktop.core.model.synthetic import synthetic_features

    frame, labels = synthetic_features(300, seed=3)
    X = frame[["total_events", "active_days", "video_completion_rate"]].astype(float)
    X["video_completion_rate"] = np.nan
    est = make_estimator("hgb", len(X), columns=list(X.columns)).fit(X, labels.to_numpy())
    p = est.predict_proba(X)[:, 1]
    assert np.isfinite(p).all()
