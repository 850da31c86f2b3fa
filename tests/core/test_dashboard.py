"""Dashboard numbers (core.dashboard) against independent computations on a demo database.

Scoring runs are written straight into the store (a model row and scores with known levels),
so these tests need no training; the GUI tests score with a real model.
"""

from __future__ import annotations

import json
import math
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from factories import make_demo_db

from learnalytics_desktop.core import dashboard
from learnalytics_desktop.core.courses import get_course, to_ms
from learnalytics_desktop.core.features import compute_features, engagement_score, load_weights, weekly_series
from learnalytics_desktop.core.ingest.categories import load_mapping
from learnalytics_desktop.core.model.levels import risk_level
from learnalytics_desktop.core.privacy.suppress import set_small_cell_threshold
from learnalytics_desktop.core.store import open_db

WEEK = 6


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return make_demo_db(tmp_path_factory.mktemp("dash") / "demo.db", students=40)


@pytest.fixture
def demo(template, tmp_path):
    from learnalytics_desktop.core.store.db import copy_database

    copy_database(template.path, tmp_path / "demo.db")
    conn = open_db(tmp_path / "demo.db")
    cid = template.course_id(conn, "2026-autumn")
    yield conn, cid, get_course(conn, cid)
    conn.close()


def add_model(conn, model_id: str, week: int, created: str, active: int = 0) -> None:
    conn.execute(
        "INSERT INTO models(id, created_at, kind, week, courses, card, file, active) VALUES (?,?,?,?,?,?,?,?)",
        (model_id, created, "logreg", week, "[]", "{}", "/nonexistent", active),
    )


def add_run(
    conn, course, model_id: str, week: int, created: str, seed: int, *, as_of=None
) -> tuple[int, dict]:
    """A stored run with random risks; returns its id and {actor: (risk, level)}."""
    as_of = as_of or course.as_of_week(week)
    actors = compute_features(conn, course.id, as_of).index.tolist()
    risks = np.random.default_rng(seed).beta(1.2, 2.5, len(actors)).round(4)
    levels = risk_level(risks)
    run = conn.execute(
        "INSERT INTO score_runs(model_id, course, week, as_of, created_at) VALUES (?,?,?,?,?)",
        (model_id, course.id, week, as_of.isoformat(), created),
    ).lastrowid
    reasons = [
        [f"reason {i} of {a}" + (" (raises risk)" if i == 0 else "") for i in range(4)] for a in actors
    ]
    conn.executemany(
        "INSERT INTO scores(run_id, actor, risk, level, reasons) VALUES (?,?,?,?,?)",
        [
            (run, a, float(r), lv, json.dumps(rs))
            for a, r, lv, rs in zip(actors, risks, levels, reasons, strict=True)
        ],
    )
    return run, {a: (float(r), lv) for a, r, lv in zip(actors, risks, levels, strict=True)}


def sql_students(conn, cid, as_of) -> set[int]:
    return {
        r[0]
        for r in conn.execute(
            "SELECT u.actor FROM (SELECT actor FROM enrolments WHERE course = ?1 UNION "
            "SELECT actor FROM statements WHERE course = ?1 AND voided = 0 AND is_voiding = 0 AND ts < ?2) u "
            "JOIN actors a ON a.id = u.actor WHERE a.kind != 'group'",
            (cid, to_ms(as_of)),
        )
    }


# -- scoring status -----------------------------------------------------------------------------


def test_scoring_status_says_what_is_missing(demo):
    conn, cid, course = demo
    assert dashboard.scoring_status(conn, cid, WEEK).state == "no_model"
    add_model(conn, "m-old", WEEK, "2026-10-20T00:00:00Z")
    add_model(conn, "m-new", WEEK, "2026-10-27T00:00:00Z")
    status = dashboard.scoring_status(conn, cid, 4)
    assert status.state == "other_week" and not status.can_score and "week 6" in status.message
    status = dashboard.scoring_status(conn, cid, WEEK)
    assert status.state == "not_scored" and status.can_score and status.model_id == "m-new"
    add_run(conn, course, "m-old", WEEK, "2026-10-27T09:00:00Z", 1)  # not the active model
    assert dashboard.scoring_status(conn, cid, WEEK).state == "not_scored"
    first, _ = add_run(conn, course, "m-new", WEEK, "2026-10-27T10:00:00Z", 2)
    mid_week, _ = add_run(
        conn,
        course,
        "m-new",
        WEEK,
        "2026-10-28T10:00:00Z",
        3,
        as_of=course.as_of_week(WEEK) + timedelta(days=2),
    )
    add_run(
        conn, course, "m-new", WEEK, "2026-10-29T10:00:00Z", 4, as_of=course.as_of_week(WEEK + 1)
    )  # week 7
    # week 6 is the run scored as of the end of week 6; the later mid-week run has data of
    # week 7 and counts only for moments at or after it (core.model.runs.select_run)
    status = dashboard.scoring_status(conn, cid, WEEK)
    assert status.state == "scored" and status.run_id == first != mid_week
    conn.execute("UPDATE models SET active = 1 WHERE id = 'm-old'")  # pinned
    assert dashboard.scoring_status(conn, cid, WEEK).model_id == "m-old"


# -- overview -----------------------------------------------------------------------------------


def test_overview_numbers_equal_independent_computations(demo):
    conn, cid, course = demo
    add_model(conn, "m1", WEEK, "2026-10-27T00:00:00Z")
    add_run(conn, course, "m1", WEEK, "2026-10-27T08:00:00Z", 5)
    run, truth = add_run(conn, course, "m1", WEEK, "2026-10-27T09:00:00Z", 6)
    as_of = course.as_of_week(WEEK)
    o = dashboard.course_overview(conn, cid, WEEK)
    assert o.as_of == as_of and o.status.run_id == run
    students = sql_students(conn, cid, as_of)
    assert o.students == len(students) == 44
    active = {
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT s.actor FROM v_events s JOIN actors a ON a.id = s.actor "
            "WHERE s.course = ? AND s.ts >= ? AND s.ts < ? AND a.kind != 'group'",
            (cid, to_ms(as_of - timedelta(days=7)), to_ms(as_of)),
        )
    }
    assert o.active_this_week == len(active) > 0
    eng = engagement_score(compute_features(conn, cid, as_of), load_weights(conn))
    assert o.avg_engagement == pytest.approx(eng.mean())
    levels = pd.Series([lv for _, lv in truth.values()]).value_counts()
    assert o.at_risk == levels.get("high", 0)
    assert o.levels["students"].tolist() == [levels.get(lv, 0) for lv in ("low", "moderate", "high")]
    shown = o.levels.set_index("level")
    for lv in ("low", "moderate", "high"):
        n = levels.get(lv, 0)
        expected = float("nan") if 0 < n < 5 else n / len(truth)
        assert shown.loc[lv, "share"] == pytest.approx(expected, nan_ok=True)
    assert o.count_text(o.students) == "44" and o.count_text(3) == "<5" and o.count_text(0) == "0"


def test_no_run_means_no_count_and_empty_levels(demo):
    conn, cid, _ = demo
    o = dashboard.course_overview(conn, cid, WEEK)
    assert o.at_risk is None and o.levels.empty and o.status.state == "no_model" and o.count_text(None) == "—"


def test_completion_by_category_matches_a_statement_by_statement_count(demo):
    conn, cid, course = demo
    as_of = course.as_of_week(WEEK)
    students = sql_students(conn, cid, as_of)
    mapping = load_mapping(conn)
    rows = conn.execute(
        "SELECT s.actor, a.iri, v.iri, a.type_iri, s.completion, s.score_scaled, s.score_raw, s.late "
        "FROM statements s JOIN verbs v ON v.id = s.verb JOIN activities a ON a.id = s.object "
        "WHERE s.course = ? AND s.ts < ? AND s.voided = 0 AND s.is_voiding = 0",
        (cid, to_ms(as_of)),
    ).fetchall()
    item_category: dict[str, str] = {}
    done: set[tuple[int, str]] = set()
    for actor, item, verb, type_iri, *_ in rows:  # the demo's types are all mapped: the type decides
        if actor in students:
            item_category[item] = mapping.category(verb, type_iri)
    for actor, item, verb, _t, completion, scaled, raw, late in rows:
        if actor not in students:
            continue
        cat = item_category[item]
        ok = (
            completion == 1
            or (cat == "video" and verb.endswith("/completed"))
            or cat == "reading"
            or (
                cat == "assessment"
                and (scaled is not None or raw is not None or verb.endswith(("/passed", "/failed")))
            )
            or (cat == "assignment" and (verb.endswith("/submit") or late is not None))
        )
        if ok:
            done.add((actor, item))
    got = dashboard.completion_by_category(conn, cid, as_of).set_index("category")
    assert list(got.index) == ["video", "reading", "assessment", "assignment"]
    for cat in got.index:
        items = [i for i, c in item_category.items() if c == cat]
        pairs = [p for p in done if item_category[p[1]] == cat]
        assert got.loc[cat, "items"] == len(items) > 0
        assert got.loc[cat, "completion"] == pytest.approx(len(pairs) / (len(students) * len(items)))
        assert got.loc[cat, "students_completing"] == len({a for a, _ in pairs})
    # the demo course has 3 videos, 2 readings and a quiz a week; assignments in weeks 3 and 6
    assert got.loc["video", "items"] == 3 * WEEK and got.loc["reading", "items"] == 2 * WEEK
    assert got.loc["assessment", "items"] == WEEK and got.loc["assignment", "items"] == 2


def test_weekly_engagement_equals_features_recomputed_at_each_week(demo):
    conn, cid, course = demo
    weights = load_weights(conn)
    got = dashboard.weekly_engagement(conn, cid, course.as_of_week(WEEK), weights)
    assert got["week"].tolist() == list(range(1, WEEK + 1))
    for w in range(1, WEEK + 1):
        as_of = course.as_of_week(w)
        eng = engagement_score(compute_features(conn, cid, as_of), weights)
        series = weekly_series(conn, cid, as_of)
        minutes = series.loc[series["week"] == w, "minutes"]
        row = got.set_index("week").loc[w]
        assert row["students"] == len(eng) == len(sql_students(conn, cid, as_of))
        assert row["active"] == int((series.loc[series["week"] == w, "events"] > 0).sum())
        for q, name in ((0.25, "q25"), (0.5, "median"), (0.75, "q75")):
            assert row[f"engagement_{name}"] == pytest.approx(eng.quantile(q), abs=1e-12)
            assert row[f"minutes_{name}"] == pytest.approx(minutes.quantile(q), abs=1e-9)


def test_small_cells_are_suppressed(demo):
    conn, cid, course = demo
    add_model(conn, "m1", WEEK, "2026-10-27T00:00:00Z")
    run, truth = add_run(conn, course, "m1", WEEK, "2026-10-27T09:00:00Z", 6)
    conn.execute("UPDATE scores SET level = 'low' WHERE run_id = ?", (run,))
    conn.execute(
        "UPDATE scores SET level = 'moderate' WHERE run_id = ? AND actor IN "
        "(SELECT actor FROM scores WHERE run_id = ? LIMIT 3)",
        (run, run),
    )
    o = dashboard.course_overview(conn, cid, WEEK)
    levels = o.levels.set_index("level")
    assert levels.loc["moderate", "students"] == 3 and o.count_text(3) == "<5"
    assert math.isnan(levels.loc["moderate", "share"]) and levels.loc["low", "share"] == pytest.approx(
        41 / 44
    )
    assert levels.loc["high", "students"] == 0 and levels.loc["high", "share"] == 0.0  # zero reveals no one
    set_small_cell_threshold(conn, 50)  # the whole course (44) is now a small cell
    o = dashboard.course_overview(conn, cid, WEEK)
    assert o.small_course and o.count_text(o.students) == "<50"
    assert o.completion["completion"].isna().all() and math.isnan(o.avg_engagement)
    assert o.levels["share"].isna().all() and o.notes


# -- the risk table -----------------------------------------------------------------------------


def test_risk_table_is_the_latest_run_with_features_at_its_as_of(demo):
    conn, cid, course = demo
    assert dashboard.risk_table(conn, cid, WEEK).empty
    add_model(conn, "m1", WEEK, "2026-10-27T00:00:00Z")
    run, truth = add_run(conn, course, "m1", WEEK, "2026-10-27T09:00:00Z", 8)
    table = dashboard.risk_table(conn, cid, WEEK)
    assert table.attrs["status"].run_id == run and len(table) == len(truth) == 44
    assert table["risk_score"].is_monotonic_decreasing
    assert {
        a: (r, lv) for a, r, lv in zip(table.actor, table.risk_score, table.risk_level, strict=True)
    } == truth
    assert table["risk_level"].cat.ordered and list(table["risk_level"].cat.categories) == [
        "low",
        "moderate",
        "high",
    ]
    features = compute_features(conn, cid, course.as_of_week(WEEK))
    eng = engagement_score(features, load_weights(conn))
    indexed = table.set_index("actor")
    np.testing.assert_allclose(indexed["engagement"], eng.reindex(indexed.index))
    np.testing.assert_allclose(
        indexed["days_since_last_activity"], features["days_since_last_activity"].reindex(indexed.index)
    )
    labels = dict(conn.execute("SELECT id, label FROM actors").fetchall())
    assert all(labels[a] == s for a, s in zip(table.actor, table.student, strict=True))
    a = int(table.actor.iloc[0])
    assert table.top_reasons.iloc[0] == "; ".join(
        f"reason {i} of {a}" for i in range(3)
    )  # "(raises risk)" implied
    assert table.reasons.iloc[0][0] == f"reason 0 of {a} (raises risk)"


# -- the student page ---------------------------------------------------------------------------


def test_student_timeline_never_looks_past_as_of(demo):
    conn, cid, course = demo
    add_model(conn, "m4", 4, "2026-10-13T00:00:00Z")
    run4, truth4 = add_run(conn, course, "m4", 4, "2026-10-13T09:00:00Z", 9)
    add_model(conn, "m6", WEEK, "2026-10-27T00:00:00Z")
    run6, _ = add_run(conn, course, "m6", WEEK, "2026-10-27T09:00:00Z", 10)
    as_of = course.as_of_week(4)
    busiest = conn.execute(
        "SELECT actor, count(*) n FROM v_events WHERE course = ? AND ts < ? GROUP BY actor ORDER BY n DESC",
        (cid, to_ms(as_of)),
    ).fetchone()[0]
    t = dashboard.student_timeline(conn, busiest, cid, as_of, limit=25)
    assert (
        len(t.events) == 25 and t.events["time"].is_monotonic_decreasing and (t.events["time"] < as_of).all()
    )
    total = conn.execute(
        "SELECT count(*) FROM v_events WHERE actor = ? AND course = ? AND ts < ?",
        (busiest, cid, to_ms(as_of)),
    ).fetchone()[0]
    assert (
        t.total_events == total
        and t.weekly["events"].sum() == total
        and t.weekly["week"].tolist() == [1, 2, 3, 4]
    )
    for w in (1, 4):
        n = conn.execute(
            "SELECT count(*) FROM v_events WHERE actor = ? AND course = ? AND ts >= ? AND ts < ?",
            (busiest, cid, to_ms(course.as_of_week(w - 1)), to_ms(course.as_of_week(w))),
        ).fetchone()[0]
        assert t.weekly.set_index("week").loc[w, "events"] == n
    assert t.risk["run_id"].tolist() == [run4]  # the week-6 run is after as_of
    assert t.latest == {} or t.latest["risk_level"] == truth4[busiest][1]
    assert (t.quizzes["time"] < as_of).all() and t.quizzes["score"].between(0, 1).all()
    assert t.quizzes["week"].between(1, 4).all() and len(t.quizzes) > 0
    later = dashboard.student_timeline(conn, busiest, cid, course.as_of_week(WEEK))
    assert later.risk["run_id"].tolist() == [run4, run6]


def test_student_compare_uses_the_course_distribution(demo):
    conn, cid, course = demo
    as_of = course.as_of_week(WEEK)
    features = compute_features(conn, cid, as_of)
    actor = int(features["active_days"].idxmax())
    t = dashboard.student_timeline(conn, actor, cid, as_of)
    row = t.compare.set_index("feature").loc["active_days"]
    assert row["value"] == features["active_days"].max() and row["median"] == features["active_days"].median()
    below = (features["active_days"] < row["value"]).mean()
    equal = (features["active_days"] == row["value"]).mean()
    assert row["percentile"] == pytest.approx(100 * (below + equal / 2))
    assert f"higher than {100 * below:.0f}% of the course" in row["words"] and "active days" in row["words"]
    choices = dashboard.student_choices(conn, cid, as_of)
    assert (
        set(choices["actor"]) == set(features.index)
        and choices["student"].str.lower().is_monotonic_increasing
    )


def test_percentile_words_in_plain_language():
    assert dashboard.percentile_words(5.0, [1, 2, 3, 4, 5]) == (90.0, "higher than 80% of the course")
    assert dashboard.percentile_words(1.0, [1, 2, 3, 4, 5, float("nan")]) == (
        10.0,
        "lower than 80% of the course",
    )
    assert dashboard.percentile_words(3.0, [3, 3]) == (50.0, "in the middle of the course")
    pct, words = dashboard.percentile_words(float("nan"), [1, 2])
    assert math.isnan(pct) and words == "nothing to compare yet"


def test_unknown_student_is_a_clear_error(demo):
    conn, cid, course = demo
    with pytest.raises(LookupError, match="no student with id 999999"):
        dashboard.student_timeline(conn, 999_999, cid, course.as_of_week(WEEK))


def test_export_writes_safe_csv_and_an_audit_entry(demo, tmp_path):
    from learnalytics_desktop.core.export import list_exports

    conn, cid, course = demo
    add_model(conn, "m1", WEEK, "2026-10-27T00:00:00Z")
    run, _ = add_run(conn, course, "m1", WEEK, "2026-10-27T09:00:00Z", 8)
    table = dashboard.risk_table(conn, cid, WEEK)
    table.loc[0, "reasons"] = ['=HYPERLINK("x")', "second"]
    shown = table.iloc[[3, 0, 1]]
    path = tmp_path / "risk.csv"
    assert (
        dashboard.export_risk_table(conn, path, shown, course_id=cid, week=WEEK, run_id=run, filtered=True)
        == 3
    )
    back = pd.read_csv(path, encoding="utf-8-sig")
    headers = list(dashboard.EXPORT_COLUMNS.values())
    assert list(back.columns) == [*headers[:3], "course", "week", *headers[3:]]
    assert back["week"].tolist() == [WEEK] * 3 and back["course"].nunique() == 1
    assert back["student"].tolist() == shown["student"].tolist()
    assert back.loc[1, "reasons"] == '\'=HYPERLINK("x"); second'  # formula neutralised
    assert back["risk_score"].tolist() == pytest.approx(shown["risk_score"].round(3).tolist())
    entry = list_exports(conn)[0]
    assert (
        entry["what"] == "risk_table"
        and entry["rows"] == 3
        and entry["run_id"] == run
        and entry["filtered"] is True
    )
    assert not any(s in json.dumps(entry) for s in shown["student"])  # no learner identifier in the log
    with pytest.raises(ValueError, match="no column"):
        dashboard.export_risk_table(conn, path, shown.drop(columns=["engagement"]), course_id=cid, week=WEEK)


# -- the caseload columns: rank, trend since last week, outreach ---------------------------------


def test_rank_breaks_saturated_ties_by_engagement_and_trend_marks_new_high(demo):
    conn, cid, course = demo
    add_model(conn, "m1", WEEK, "2026-10-27T00:00:00Z")
    add_run(conn, course, "m1", WEEK - 1, "2026-10-20T09:00:00Z", 3)
    run, truth = add_run(conn, course, "m1", WEEK, "2026-10-27T09:00:00Z", 8)
    top = sorted(truth, key=lambda a: -truth[a][0])[:6]
    conn.executemany(
        "UPDATE scores SET risk = 0.9999, level = 'high' WHERE run_id = ? AND actor = ?",
        [(run, a) for a in top],
    )
    table = dashboard.risk_table(conn, cid, WEEK)
    assert table["rank"].tolist() == list(range(1, len(table) + 1))
    tied = table[table["risk_score"] == 0.9999]
    assert len(tied) == 6 and tied["engagement"].is_monotonic_increasing  # least engaged first
    before = dict(
        conn.execute(
            "SELECT s.actor, s.level FROM scores s JOIN score_runs r ON r.id = s.run_id WHERE r.week = ?",
            (WEEK - 1,),
        ).fetchall()
    )
    for row in table.itertuples():
        was = before.get(row.actor)
        assert row.new_high == (row.risk_level == "high" and was is not None and was != "high")
        if row.new_high:
            assert row.trend == "new High"
        elif row.risk_score - row.previous_risk >= 0.05:
            assert row.trend == "\u25b2"
        elif row.risk_score - row.previous_risk <= -0.05:
            assert row.trend == "\u25bc"
        else:
            assert row.trend == ""
    assert table["new_high"].any()


def test_outreach_shows_how_far_contact_came_with_its_date(demo):
    from learnalytics_desktop.core.interventions import approve, draft_interventions, export_csv, mark_done
    from learnalytics_desktop.core.interventions.outreach import outreach_status

    conn, cid, course = demo
    add_model(conn, "m1", WEEK, "2026-10-27T00:00:00Z")
    add_run(conn, course, "m1", WEEK, "2026-10-27T09:00:00Z", 8)
    table = dashboard.risk_table(conn, cid, WEEK)
    assert (table["outreach"] == "").all()
    actors = table["actor"].head(12).tolist()
    batch = draft_interventions(
        conn, cid, actors, as_of=course.as_of_week(WEEK), ignore_risk_gate=True, holdout_fraction=0.25, seed=1
    )
    conn.execute("UPDATE interventions SET body = replace(body, '{advisor}', 'Sam')")
    ids_of: dict[int, list[int]] = {}
    for iid, a in conn.execute("SELECT id, actor FROM interventions WHERE arm = 'treated' ORDER BY id"):
        ids_of.setdefault(a, []).append(iid)
    who = list(ids_of)
    assert len(who) >= 4
    approve(conn, [i for a in who[:3] for i in ids_of[a]])
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        export_csv(conn, Path(tmp) / "x.csv", ids=[i for a in who[:2] for i in ids_of[a]], mark_exported=True)
    mark_done(conn, ids_of[who[0]])
    status = outreach_status(conn, cid)
    assert [status.loc[a, "outreach"] for a in who[:4]] == ["sent", "exported", "approved", "drafted"]
    for a in batch.held_out_actors:
        assert status.loc[a, "outreach"] == "held back"
    today = conn.execute("SELECT substr(max(at), 1, 10) FROM audit_log").fetchone()[0]
    assert status.loc[who[0], "outreach_text"] == f"sent {today}"  # when it happened, not the as-of date
    table = dashboard.risk_table(conn, cid, WEEK)
    assert set(table.loc[table["actor"].isin(actors), "outreach"]) >= {
        "sent",
        "exported",
        "approved",
        "drafted",
    }
    # an earlier week does not see outreach dated after it
    assert outreach_status(conn, cid, course.as_of_week(WEEK - 2)).empty
