"""Drafting (risk gate, rules, hold-out, stored snapshot) and reviewing (status rules, history)."""

from __future__ import annotations

import json

import pytest
from test_interventions_support import AS_OF, build_course

from learnalytics_desktop.core.interventions import (
    InterventionError,
    RuleSet,
    approve,
    default_rules,
    dismiss,
    draft_interventions,
    fill_placeholder,
    get_intervention,
    history,
    list_interventions,
    mark_done,
    restore,
    suggest,
    update_draft,
)


def _rules(advisor="Sam Advisor"):
    r = default_rules()
    return RuleSet(rules=r.rules, risk_threshold=r.risk_threshold, advisor=advisor)


def test_suggest_lists_gate_and_rules(db):
    s = build_course(db, 30, seed=1)
    table = suggest(db, s.course_id, as_of=AS_OF, features=s.features, rules=_rules())
    assert len(table) == 30
    assert list(table["risk_score"]) == sorted(table["risk_score"], reverse=True)
    for rec in table.to_dict("records"):
        f = s.features.loc[rec["actor"]]
        assert rec["gate"] == (s.risk[rec["actor"]] >= 0.6)
        assert ("re_engagement" in rec["rules"]) == (f["days_since_last_activity"] > 7)
        assert ("video_reminder" in rec["rules"]) == (f["video_completion_rate"] < 0.3)


def test_draft_writes_rows_with_snapshot_and_skips_with_reasons(db):
    s = build_course(db, 30, seed=2)
    batch = draft_interventions(
        db, s.course_id, s.actors, as_of=AS_OF, features=s.features, rules=_rules(), user="advisor1"
    )
    eligible = {a for a in s.actors if s.risk[a] >= 0.6 and _fires(s.features.loc[a])}
    assert set(batch.treated_actors) == eligible and not batch.held_out_actors
    assert {x["actor"] for x in batch.skipped} == set(s.actors) - eligible
    assert all(x["reason"] for x in batch.skipped)
    assert any("below the threshold" in x["reason"] for x in batch.skipped)
    rows = list_interventions(db, s.course_id)
    assert len(rows) == len(batch.treated_ids)
    row = get_intervention(db, batch.treated_ids[0])
    assert (
        row.status == "draft" and row.arm == "treated" and row.user == "advisor1" and row.date == "2024-03-10"
    )
    assert row.risk == pytest.approx(s.risk[row.actor])
    snap = json.loads(row.features)
    assert snap["days_since_last_activity"] == s.features.loc[row.actor, "days_since_last_activity"]
    assert snap["_as_of"].startswith("2024-03-11")
    assert "{" not in (row.subject or "") + (row.body or "")  # every placeholder filled
    assert "Statistics 101" in row.subject or "Statistics 101" in row.body
    logged = db.execute("SELECT detail FROM audit_log WHERE action = 'intervention_batch'").fetchone()
    assert json.loads(logged[0])["batch"] == batch.batch


def _fires(f):
    return (
        f["days_since_last_activity"] > 7 or f["video_completion_rate"] < 0.3 or f["quiz_score_trend"] < -0.1
    )


def test_risk_from_the_score_table_is_used_when_not_given(db):
    s = build_course(db, 10, seed=3)
    batch = draft_interventions(
        db, s.course_id, s.actors, as_of=AS_OF, features=s.features, ignore_risk_gate=True, rules=_rules()
    )
    for iid in batch.treated_ids:
        row = get_intervention(db, iid)
        assert row.risk == pytest.approx(s.risk[row.actor])


def test_no_risk_score_before_as_of_means_skipped(db):
    from datetime import UTC, datetime

    s = build_course(db, 5, seed=4)
    early = datetime(2024, 2, 1, tzinfo=UTC)  # before the only score run
    batch = draft_interventions(db, s.course_id, s.actors, as_of=early, features=s.features, rules=_rules())
    assert not batch.treated_ids and all("no risk score" in x["reason"] for x in batch.skipped)


def test_holdout_batch(db):
    s = build_course(db, 200, seed=5)
    kw = dict(
        as_of=AS_OF,
        features=s.features,
        rules=_rules(),
        ignore_risk_gate=True,
        holdout_fraction=0.25,
        seed=99,
    )
    batch = draft_interventions(db, s.course_id, s.actors, **kw)
    n = len(batch.treated_actors) + len(batch.held_out_actors)
    assert len(batch.held_out_actors) == int(n * 0.25 + 0.5)
    assert batch.seed == 99 and batch.by_stratum
    held = list_interventions(db, s.course_id, statuses=["held_out"])
    assert set(held["arm"]) == {"holdout"} and set(held["actor"]) == set(batch.held_out_actors)
    # the same seed reproduces the same draw
    again = draft_interventions(db, s.course_id, s.actors, **kw)
    assert set(again.held_out_actors) == set(batch.held_out_actors)
    # held-out rows can never be approved or dismissed
    with pytest.raises(InterventionError, match="held_out"):
        approve(db, batch.held_out_ids[0])
    with pytest.raises(InterventionError, match="held_out"):
        dismiss(db, batch.held_out_ids[:1])


def test_tiny_holdout_warns(db):
    s = build_course(db, 30, seed=6)
    feats = s.features.copy()
    feats.loc[s.actors[:2], "days_since_last_activity"] = 10.0  # both qualify
    batch = draft_interventions(
        db,
        s.course_id,
        s.actors[:2],
        as_of=AS_OF,
        features=feats,
        rules=_rules(),
        ignore_risk_gate=True,
        holdout_fraction=0.1,
        seed=1,
    )
    assert len(batch.treated_actors) == 2 and not batch.held_out_actors
    assert any("rounds to nobody" in w for w in batch.warnings)


def test_missing_advisor_is_left_visible_and_blocks_approval(db):
    s = build_course(db, 30, seed=7)
    batch = draft_interventions(
        db,
        s.course_id,
        s.actors,
        as_of=AS_OF,
        features=s.features,
        rules=_rules(advisor=""),
        ignore_risk_gate=True,
    )
    assert any("{advisor}" in w for w in batch.warnings)
    student_rows = list_interventions(db, s.course_id, ids=batch.treated_ids)
    iid = int(student_rows[student_rows["channel"] == "email"]["id"].iloc[0])
    assert "{advisor}" in get_intervention(db, iid).body
    with pytest.raises(InterventionError, match=r"\{advisor\}"):
        approve(db, iid)
    assert fill_placeholder(db, batch.treated_ids, "advisor", "Sam", user="ann") == len(batch.treated_ids)
    assert "{advisor}" not in get_intervention(db, iid).body and get_intervention(db, iid).body.endswith(
        "Sam"
    )
    assert history(db, iid)[-1]["edit"] == ["fill advisor"]
    assert approve(db, iid) == 1
    with pytest.raises(InterventionError, match="not a placeholder"):
        fill_placeholder(db, [iid], "nickname", "x")
    with pytest.raises(InterventionError, match="one non-empty line"):
        fill_placeholder(db, [iid], "advisor", "a\nb")


def test_review_transitions_and_history(db):
    s = build_course(db, 30, seed=8)
    batch = draft_interventions(
        db,
        s.course_id,
        s.actors,
        as_of=AS_OF,
        features=s.features,
        rules=_rules(),
        ignore_risk_gate=True,
        user="ann",
    )
    a, b = batch.treated_ids[:2]
    update_draft(db, a, subject="New subject", body="New body", user="ann")
    approve(db, [a], user="ann")
    dismiss(db, b, user="bob", reason="spoke in person")
    restore(db, b, user="bob")
    with pytest.raises(InterventionError, match="exported"):
        mark_done(db, a)  # approved -> done is not allowed, only exported -> done
    with pytest.raises(InterventionError, match="single line"):
        update_draft(db, a, subject="two\nlines")
    with pytest.raises(InterventionError, match="no intervention"):
        approve(db, 999999)
    row = get_intervention(db, a)
    assert (row.subject, row.body, row.status) == ("New subject", "New body", "approved")
    h = history(db, a)
    assert h[0]["to"] == "draft" and h[0]["from"] is None
    assert h[1]["edit"] == ["subject", "body"]
    assert (h[2]["from"], h[2]["to"], h[2]["user"]) == ("draft", "approved", "ann")
    hb = history(db, b)
    assert [(x["from"], x["to"]) for x in hb] == [
        (None, "draft"),
        ("draft", "dismissed"),
        ("dismissed", "draft"),
    ]
    assert hb[1]["reason"] == "spoke in person"


def test_approve_is_all_or_nothing(db):
    s = build_course(db, 30, seed=9)
    batch = draft_interventions(
        db, s.course_id, s.actors, as_of=AS_OF, features=s.features, rules=_rules(), ignore_risk_gate=True
    )
    a, b = batch.treated_ids[:2]
    dismiss(db, b)
    with pytest.raises(InterventionError):
        approve(db, [a, b])
    assert get_intervention(db, a).status == "draft"


def test_bad_selection_is_refused(db):
    s = build_course(db, 5, seed=10)
    with pytest.raises(InterventionError, match="at least one"):
        draft_interventions(db, s.course_id, [], as_of=AS_OF, features=s.features)
    with pytest.raises(InterventionError, match="actor id"):
        draft_interventions(db, s.course_id, [123456], as_of=AS_OF, features=s.features)
    with pytest.raises(InterventionError, match="twice"):
        draft_interventions(db, s.course_id, [s.actors[0], s.actors[0]], as_of=AS_OF, features=s.features)
    with pytest.raises(InterventionError, match="no course"):
        draft_interventions(db, 999, s.actors, as_of=AS_OF, features=s.features)
    with pytest.raises(ValueError, match="below 1"):
        draft_interventions(
            db,
            s.course_id,
            s.actors,
            as_of=AS_OF,
            features=s.features,
            ignore_risk_gate=True,
            holdout_fraction=1.0,
        )
