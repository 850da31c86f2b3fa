"""One model for every week (issue 11): trained on each student at each week with the week as
an input, it scores any week; the risk list follows the week picker with no retraining and is
re-scored when the offering's data are newer than its run."""

from __future__ import annotations

import pytest

from learnalytics_desktop.core.store import open_db
from learnalytics_desktop.core.store.db import copy_database, utc_now_iso

PAST, CURRENT = "2025-autumn", "2026-autumn"


@pytest.fixture(scope="module")
def trained_template(tmp_path_factory):
    from factories import make_demo_db

    from learnalytics_desktop.core.model import train_model

    folder = tmp_path_factory.mktemp("any-week")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEARNALYTICS_HOME", str(folder / "home"))
        demo = make_demo_db(folder / "demo.db", students=40)
        conn = open_db(demo.path)
        try:
            res = train_model(conn, [demo.course_id(conn, PAST)])
        finally:
            conn.close()
    demo.home = folder / "home"
    return demo, res


@pytest.fixture
def conn(trained_template, tmp_path, monkeypatch):
    demo, _ = trained_template
    monkeypatch.setenv("LEARNALYTICS_HOME", str(demo.home))  # the key that signed the model
    target = tmp_path / "db.db"
    copy_database(demo.path, target)  # the model file's path is absolute: it stays loadable
    c = open_db(target)
    yield c
    c.close()


def test_card_of_a_model_for_every_week(trained_template):
    _, res = trained_template
    card = res.card
    assert card["any_week"] is True and card["week"] is None
    assert card["weeks"] == list(range(1, 14))  # the demo offering has 13 weeks
    assert "course_week" in card["features"]
    assert card["counts"]["rows"] == card["counts"]["trained_on"] * 13
    by_week = card["validation"][res.kind]["by_week"]
    assert [w["week"] for w in by_week] == card["weeks"]
    assert by_week[-1]["roc_auc"] > by_week[0]["roc_auc"]  # later weeks know more
    assert "course_week" not in {f["feature"] for f in card["importance"]["features"]}
    assert any("one model for every week" in n for n in card["validation"]["notes"])
    assert res.model.any_week and res.model.week_input(40) == 13 and res.model.week_input(0) == 1


def test_scores_any_week_and_the_list_follows_the_week(trained_template, conn):
    from learnalytics_desktop.core.dashboard import ensure_scored, risk_table, scoring_status
    from learnalytics_desktop.core.model import score_course

    demo, res = trained_template
    current = demo.course_id(conn, CURRENT)
    seen = {}
    for week in (2, 3, 5):
        status = scoring_status(conn, current, week)
        assert status.state == "not_scored" and status.can_score  # never "trained for another week"
        status = ensure_scored(conn, current, week)
        assert status.state == "scored" and "any week" in status.message
        table = risk_table(conn, current, week)
        assert len(table) > 0
        seen[week] = dict(zip(table["actor"], table["risk_score"], strict=True))
        assert not any("course week" in r for rs in table["reasons"] for r in rs)
        high = table[table["risk_level"] == "high"]
        assert len(high) and all(len(r) >= 1 for r in high["reasons"])  # every high student has a reason
        for rs in table["reasons"]:  # one fact, one direction
            facts = [r.rsplit(" (", 1)[0] for r in rs]
            assert len(facts) == len(set(facts))
        run_week = conn.execute("SELECT week FROM score_runs WHERE id = ?", (status.run_id,)).fetchone()[0]
        assert run_week == week
        # asked again with nothing new: the same run, nothing re-scored
        assert ensure_scored(conn, current, week).run_id == status.run_id
    assert seen[2] != seen[5]  # each week's own features and week input
    # the same week scored directly gives the stored risks
    direct = score_course(conn, current, week=3)
    assert dict(zip(direct["actor"], direct["risk_score"], strict=True)) == pytest.approx(seen[3])
    # a week that is not over yet: nothing scored, the status says why
    late = ensure_scored(conn, current, 12)
    assert late.state == "not_scored" and "not over yet" in late.message


def test_new_data_makes_the_run_stale_and_it_is_rescored(trained_template, conn):
    from learnalytics_desktop.core.dashboard import ensure_scored, scoring_status

    demo, _ = trained_template
    current = demo.course_id(conn, CURRENT)
    first = ensure_scored(conn, current, 4)
    assert first.state == "scored" and not first.stale
    # an import that stored a statement of this offering finishes after the run
    import_id = conn.execute(
        "SELECT import_id FROM statements WHERE course = ? LIMIT 1", (current,)
    ).fetchone()[0]
    conn.execute("UPDATE imports SET finished_at = ? WHERE id = ?", (utc_now_iso(), import_id))
    stale = scoring_status(conn, current, 4)
    assert stale.stale and "imported since" in stale.message
    again = ensure_scored(conn, current, 4)
    assert again.state == "scored" and again.run_id != first.run_id and not again.stale
