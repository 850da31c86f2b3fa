"""Training, validation, card, registry and scoring on synthetic feature tables with a known truth.

These tests call ``fit_and_register`` / ``score_features`` directly with generated feature
tables (``core.model.synthetic``), so they exercise the model independently of feature
extraction; ``test_model_demo.py`` runs the whole pipeline on the demo database.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from learnalytics_desktop.core.jobs import Cancelled
from learnalytics_desktop.core.model import registry
from learnalytics_desktop.core.model.data import TrainingData, select_features
from learnalytics_desktop.core.model.estimators import TrainingDataError
from learnalytics_desktop.core.model.scoring import risk_history, score_features
from learnalytics_desktop.core.model.synthetic import synthetic_features
from learnalytics_desktop.core.model.train import fit_and_register

AS_OF = datetime(2025, 3, 1, tzinfo=UTC)


def _add_course(db, cid: int, n: int, first_actor: int) -> None:
    db.execute(
        "INSERT OR IGNORE INTO courses(id, iri, name) VALUES (?, ?, ?)",
        (cid, f"https://x.test/c{cid}", f"C{cid}"),
    )
    db.executemany(
        "INSERT OR IGNORE INTO actors(id, ifi, kind, label) VALUES (?, ?, 'account', ?)",
        [(a, f"account:https://lms.test|s{a}", f"s{a}") for a in range(first_actor, first_actor + n)],
    )


def make_data(db, parts, attributes=None) -> TrainingData:
    """``parts`` = [(course_id, features, labels), ...] in start order."""
    feats, labels, courses = [], [], []
    cols, ignored = select_features(parts[0][1])
    for cid, X, y in parts:
        _add_course(db, cid, len(X), int(X.index.min()))
        idx = pd.MultiIndex.from_arrays([np.full(len(X), cid), X.index], names=["course", "actor"])
        feats.append(X[cols].astype(float).set_axis(idx))
        labels.append(y.set_axis(idx))
        courses.append(
            {
                "id": cid,
                "iri": f"https://x.test/c{cid}",
                "name": f"C{cid}",
                "as_of": AS_OF.isoformat(),
                "students": len(X) + 3,
                "trained_on": len(X),
                "at_risk": int(y.sum()),
                "excluded_no_outcome": 3,
                "excluded_no_features": 0,
                "first_statement": "2025-01-01T00:00:00+00:00",
                "last_statement": "2025-02-28T00:00:00+00:00",
                "statements": 1000,
            }
        )
    X = pd.concat(feats)
    A = attributes.set_axis(X.index) if attributes is not None else pd.DataFrame(index=X.index)
    return TrainingData(
        features=X,
        labels=pd.concat(labels),
        attributes=A,
        feature_columns=cols,
        ignored_columns=ignored,
        courses=courses,
        latest_course=parts[-1][0],
        label="withdrew or failed",
    )


@pytest.fixture(scope="module")
def synth():
    return synthetic_features(600, seed=3)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, synth):
    """One model trained once for several tests: (home, db path, result, attributes)."""
    from learnalytics_desktop.core.store import open_db

    home = tmp_path_factory.mktemp("model_home")
    X, y = synth
    rng = np.random.default_rng(0)
    attrs = pd.DataFrame(
        {"gender": rng.choice(["f", "m"], len(X)), "first_gen": rng.choice(["yes", "no"], len(X))}
    )
    attrs.iloc[:3, 1] = "unknown"  # a group of 3: a small cell
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEARNALYTICS_HOME", str(home))
        conn = open_db(home / "t.db")
        result = fit_and_register(conn, make_data(conn, [(1, X, y)], attrs), 6)
        conn.close()
    return home, home / "t.db", result


@pytest.fixture
def tdb(trained, monkeypatch):
    """A connection to the database holding the module's model, with its installation key."""
    from learnalytics_desktop.core.store import open_db

    home, path, result = trained
    monkeypatch.setenv("LEARNALYTICS_HOME", str(home))
    conn = open_db(path)
    yield conn, result
    conn.close()


def test_card_registry_and_reload(tdb, synth):
    db, res = tdb
    X, y = synth
    card = res.card
    # card contents
    assert card["week"] == 6 and card["counts"]["trained_on"] == 600
    assert card["counts"]["excluded_no_outcome"] == 3
    assert not any(f.startswith("pct_") for f in card["features"]) and "group_hint" in card["ignored_columns"]
    for kind in ("hgb", "logreg"):
        m = card["validation"][kind]
        assert 0.75 < m["roc_auc"] <= 1.0, m["roc_auc"]
        # calibration sane: better than predicting the base rate for everyone
        assert m["brier"] < m["brier_reference"]
        assert len(m["calibration"]) == 10 and len(m["roc"]) > 5
        assert m["fold_roc_auc"]["sd"] is not None
    assert card["chosen"]["kind"] == res.kind and card["chosen"]["picked_by"] == "auto"
    assert "Brier" in card["chosen"]["reason"]
    assert card["settings"]["calibration"]["method"] == "sigmoid"  # 600 // 3 < 1000
    assert card["importance"]["features"][0]["mean"] > 0
    assert card["versions"]["scikit-learn"]
    json.dumps(card, allow_nan=False)  # strictly valid JSON
    # registry rows
    row = db.execute("SELECT kind, week, card, active FROM models WHERE id = ?", (res.model_id,)).fetchone()
    assert row[0] == res.kind and row[1] == 6 and json.loads(row[2]) == card and row[3] == 0
    assert (
        db.execute("SELECT count(*) FROM training_rows WHERE model_id = ?", (res.model_id,)).fetchone()[0]
        == 600
    )
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'train'").fetchone()[0] == 1
    # reload gives the same predictions
    loaded = registry.load_model(db)
    np.testing.assert_allclose(loaded.predict(loaded.design(X)), res.model.predict(res.model.design(X)))


def test_attributes_are_for_fairness_only_by_default(tdb):
    db, res = tdb
    card = res.card
    assert not any(f.startswith("attr:") for f in card["features"]) and card["attribute_features"] == {}
    assert any("fairness report only" in n for n in card["validation"]["notes"])
    fair = card["fairness"]
    assert fair["available"] and fair["small_cell_threshold"] == 5
    groups = {g["group"]: g for g in fair["attributes"]["first_gen"]["groups"]}
    assert groups["unknown"] == {"group": "unknown", "n": "<5", "suppressed": "small cell"}
    # exactly one small group -> the next smallest count is hidden too
    assert sum(g["n"] == "suppressed" for g in groups.values()) == 1
    for g in fair["attributes"]["gender"]["groups"]:
        assert isinstance(g["n"], int) and g["roc_auc"] is not None and g["fpr"] is not None


def test_stopper_ranks_high_and_reasons_are_plain(tdb):
    db, res = tdb
    current, _ = synthetic_features(300, seed=11, first_actor=5001)
    # a student who stopped in week 3: no activity for 3 weeks, little done before
    stopper = current.index[0]
    current.loc[
        stopper,
        [
            "days_since_last_activity",
            "active_days",
            "total_events",
            "total_time_minutes",
            "video_completion_rate",
            "quiz_count",
            "quiz_avg_score",
            "quiz_score_trend",
        ],
    ] = [22, 4, 60, 90, 0.12, 2, 0.41, -0.15]
    _add_course(db, 2, len(current), 5001)
    out = score_features(db, res.model, 2, AS_OF, current)
    assert list(out.columns[:5]) == ["student", "actor", "risk_score", "risk_level", "reasons"]
    rank = out.index[out["actor"] == stopper][0]
    assert rank < 0.1 * len(out), f"the stopper ranks {rank} of {len(out)}"
    reasons = out.loc[rank, "reasons"]
    assert reasons and reasons[0].endswith("(raises risk)"), reasons
    assert all(r.endswith(("(raises risk)", "(lowers risk)")) for r in reasons)
    assert "course median" in " ".join(reasons)
    assert out["risk_score"].between(0, 1).all()
    assert set(out["risk_level"]) <= {"low", "moderate", "high"}
    assert out["student"].iloc[rank] == f"s{stopper}"
    # the run is stored and history reads it back
    run = out.attrs["run_id"]
    assert db.execute("SELECT count(*) FROM scores WHERE run_id = ?", (run,)).fetchone()[0] == 300
    by_capacity = score_features(db, res.model, 2, AS_OF, current, capacity=rank + 1)
    assert (by_capacity["risk_level"] == "high").sum() == rank + 1
    hist = risk_history(db, int(stopper), 2)
    assert len(hist) == 2 and hist["risk_level"].iloc[1] == "high"
    assert hist["reasons"].iloc[0] == reasons
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'score'").fetchone()[0] >= 2


def test_user_pick_active_model_and_swapped_file(db):
    X, y = synthetic_features(200, seed=4)
    data = make_data(db, [(1, X, y)])
    a = fit_and_register(db, data, 6, kind="logreg")
    b = fit_and_register(db, data, 6, kind="hgb")
    assert (a.kind, b.kind) == ("logreg", "hgb")
    assert a.card["chosen"]["picked_by"] == "user" and "picked by the user" in a.card["chosen"]["reason"]
    assert registry.active_model_id(db) == b.model_id  # latest trained by default
    registry.set_active_model(db, a.model_id)
    assert registry.active_model_id(db) == a.model_id
    assert registry.load_model(db).kind == "logreg"
    listed = registry.list_models(db)
    assert [m["id"] for m in listed if m["active"]] == [a.model_id] and len(listed) == 2
    registry.set_active_model(db, None)
    assert registry.active_model_id(db) == b.model_id
    with pytest.raises(registry.ModelNotFound):
        registry.set_active_model(db, "nope")
    # a database entry pointing at another (validly signed) model's file is refused
    # the path the database names is never used (issue 15, finding 10): only <models>/<id>.joblib
    import shutil
    from pathlib import Path

    from learnalytics_desktop.core.model.signing import ModelFileError, model_file, sidecar_path

    db.execute("UPDATE models SET file = ? WHERE id = ?", ("/dev/zero", a.model_id))
    assert registry.load_model(db, a.model_id).kind == "logreg"
    own, other = model_file(a.model_id), model_file(b.model_id)
    saved = {p: p.read_bytes() for p in (own, sidecar_path(own))}
    shutil.copyfile(other, own)  # another (validly signed) model's file under this id's name
    shutil.copyfile(sidecar_path(other), sidecar_path(own))
    with pytest.raises(ModelFileError, match="wrong file"):
        registry.load_model(db, a.model_id)
    for p, data in saved.items():
        Path(p).write_bytes(data)
    # deleting a model removes its row, training rows and files
    model_file = db.execute("SELECT file FROM models WHERE id = ?", (b.model_id,)).fetchone()[0]
    registry.delete_model(db, b.model_id)
    assert registry.active_model_id(db) == a.model_id
    assert (
        db.execute("SELECT count(*) FROM training_rows WHERE model_id = ?", (b.model_id,)).fetchone()[0] == 0
    )
    assert not Path(model_file).exists()


def test_two_offerings_validate_on_the_later_one_grouped_by_student(db):
    X1, y1 = synthetic_features(300, seed=1, first_actor=1)
    X2, y2 = synthetic_features(250, seed=2, first_actor=201)  # 100 students took both offerings
    card = fit_and_register(db, make_data(db, [(1, X1, y1), (2, X2, y2)]), 6).card
    later = card["validation"]["later_offering"]
    assert later["train_students"] == 300 and later["validation_students"] == 250
    assert later["hgb"]["roc_auc"] > 0.7 and later["logreg"]["roc_auc"] > 0.7
    assert "on the latest offering" in card["chosen"]["reason"]
    assert "grouped by student" in card["validation"]["method"]
    assert db.execute("SELECT count(*) FROM training_rows").fetchone()[0] == 450
    # the repeated students' label is the one from the later offering
    lab = db.execute("SELECT label FROM training_rows WHERE actor = 201").fetchone()[0]
    assert lab == int(y2.loc[201])


def test_too_few_at_risk_students_is_a_clear_error(db, synth):
    X, y = synth
    y = y.copy()
    y[:] = 0
    y.iloc[:7] = 1
    with pytest.raises(TrainingDataError, match=f"7 at-risk and {len(y) - 7} not-at-risk"):
        fit_and_register(db, make_data(db, [(1, X, y)]), 6)
    assert db.execute("SELECT count(*) FROM models").fetchone()[0] == 0


def test_few_positives_use_fewer_folds_and_say_so(db, synth):
    X, y = synth
    y = y.copy()
    pos = np.flatnonzero(y.to_numpy() == 1)
    y.iloc[pos[12:]] = 0  # 12 at-risk students -> 3 folds
    card = fit_and_register(db, make_data(db, [(1, X, y)]), 6, kind="logreg").card
    assert card["validation"]["folds"] == 3
    assert any("3 folds were used instead of 5" in n for n in card["validation"]["notes"])


def test_cancel_between_folds_leaves_nothing(db, synth, _isolated_home):
    X, y = synth

    class StopAfter:
        def __init__(self, n):
            self.n = n
            self.messages = []

        def progress(self, f, m=""):
            self.messages.append((f, m))

        def check(self):
            self.n -= 1
            if self.n < 0:
                raise Cancelled("stop")

    rep = StopAfter(3)
    with pytest.raises(Cancelled):
        fit_and_register(db, make_data(db, [(1, X, y)]), 6, report=rep)
    assert any("fold" in m for _, m in rep.messages)
    assert db.execute("SELECT count(*) FROM models").fetchone()[0] == 0
    assert not list((_isolated_home / "models").glob("*")) if (_isolated_home / "models").exists() else True


def test_attributes_as_features_only_when_asked(db):
    X, y = synthetic_features(300, seed=5)
    rng = np.random.default_rng(2)
    attrs = pd.DataFrame({"gender": rng.choice(["f", "m"], len(X))})
    res = fit_and_register(db, make_data(db, [(1, X, y)], attrs), 6, kind="logreg", use_attributes=True)
    assert res.card["attribute_features"]["gender"] == ["f", "m"]
    assert "attr:gender=f" in res.model.columns
    assert any(f["feature"] == "attr:gender" for f in res.card["importance"]["features"])
    loaded = registry.load_model(db, res.model_id)
    assert loaded.attributes == {"gender": ["f", "m"]}
    with pytest.raises(TrainingDataError, match="none are marked"):
        fit_and_register(db, make_data(db, [(1, X, y)]), 6, use_attributes=True)


def test_scoring_point_in_course_must_match_the_model():
    from datetime import date, timedelta

    from learnalytics_desktop.core.courses import Course
    from learnalytics_desktop.core.model.scoring import ScoringError, _resolve_as_of

    course = Course(
        id=1,
        iri="c",
        name="c",
        start=date(2026, 9, 14),
        weeks=13,
        students=0,
        statements=0,
        start_source="user",
        weeks_source="user",
        first_statement=None,
        last_statement=None,
    )
    end5 = course.as_of_week(5)
    now = end5 + timedelta(days=30)

    def resolve(week, as_of):
        return _resolve_as_of(course, 5, week, as_of, now=now)

    assert resolve(None, None) == end5
    assert resolve(5, None) == end5
    assert resolve(None, end5 + timedelta(days=3)) == end5 + timedelta(days=3)
    with pytest.raises(ScoringError, match="trained on students as of week 5"):
        resolve(6, None)
    with pytest.raises(ScoringError, match="must fall between"):
        resolve(None, end5 + timedelta(days=7))
    with pytest.raises(ScoringError, match="must fall between"):
        resolve(None, end5 - timedelta(seconds=1))
    with pytest.raises(ScoringError, match="no time zone"):
        resolve(None, end5.replace(tzinfo=None))
    with pytest.raises(ScoringError, match="not both"):
        resolve(5, end5)
    with pytest.raises(ScoringError, match="is not over yet"):
        _resolve_as_of(course, 5, 5, None, now=end5 - timedelta(hours=1))
