"""The assessment calendar: import (OULAD shape with a mapping) and the due-date features."""

from __future__ import annotations

import math

import pytest
from factories import EventBuilder, at

from learnalytics_desktop.core.features import compute_features
from learnalytics_desktop.core.outcomes import OutcomesError
from learnalytics_desktop.core.outcomes.assessments import import_assessments, list_assessments

START = "2026-01-05"
T = "https://lms.example/assess/{id}"
ASSESS = "assessment"  # ADL assessment type (category assessment)


@pytest.fixture
def course(db):
    b = EventBuilder(db)
    return b, b.course("https://x.example/c1", start=START, weeks=12)


def _oulad_csv(tmp_path, rows):
    p = tmp_path / "assessments.csv"
    p.write_text(
        '"code_module","code_presentation","id_assessment","assessment_type","date","weight"\n'
        + "".join(f'"AAA","2014J","{i}","{k}","{d}","{w}"\n' for i, k, d, w in rows),
        encoding="utf-8",
    )
    return p


def _submit(b, s, c, aid, day, score=None, late=None):
    b.event(
        s,
        c,
        at(START, day, hours=12),
        ASSESS,
        verb="http://adlnet.gov/expapi/verbs/scored",
        obj=T.format(id=aid),
        score=score,
        late=late,
    )


def test_oulad_calendar_imports_with_the_preset(db, course, tmp_path):
    b, c = course
    ann = b.student("ann")
    _submit(b, ann, c, 1, 9, score=0.8)
    path = _oulad_csv(tmp_path, [(1, "TMA", 10, 20), (2, "CMA", 20, 10), (3, "Exam", "", 70)])
    rep = import_assessments(db, c, path, preset="oulad", iri_template=T)
    assert rep.items == 3 and rep.by_kind == {"assignment": 1, "quiz": 1, "exam": 1}
    assert rep.with_due == 2 and rep.matched_activities == 1
    cal = list_assessments(db, c)
    assert [x["kind"] for x in cal] == ["assignment", "quiz", "exam"]
    assert cal[0]["due"] == "2026-01-16T00:00+00:00"  # end of day 10 after the start
    assert cal[0]["statements"] == 1 and cal[2]["due"] is None


def test_bad_rows_import_nothing_and_say_which(db, course, tmp_path):
    _, c = course
    path = _oulad_csv(tmp_path, [(1, "TMA", "soon", 20), (2, "Lab", 20, 10)])
    with pytest.raises(OutcomesError) as err:
        import_assessments(db, c, path, preset="oulad", iri_template=T)
    assert "line 2: due date 'soon'" in str(err.value) and "line 3: kind 'Lab'" in str(err.value)
    assert db.execute("SELECT count(*) FROM assessments").fetchone()[0] == 0
    mixed = tmp_path / "mixed.csv"
    mixed.write_text(
        "code_presentation,id_assessment,assessment_type,date,weight\n2013J,1,TMA,5,10\n2014J,2,TMA,6,10\n",
        encoding="utf-8",
    )
    with pytest.raises(OutcomesError, match="several offerings"):
        import_assessments(db, c, mixed, preset="oulad")
    rep = import_assessments(
        db, c, mixed, preset="oulad", where={"code_presentation": "2014J"}, iri_template=T
    )
    assert rep.items == 1 and rep.skipped_rows == 1


def test_due_date_features(db, course, tmp_path):
    b, c = course
    ann, bob, cat = b.student("ann"), b.student("bob"), b.student("cat")
    for s in (ann, bob, cat):
        b.event(s, c, at(START, 1), "reading", verb="viewed")
    # three assignments due on days 6, 13 and 20 (weights 10, 20, 30); as of day 22 all are due
    import_assessments(
        db,
        c,
        _oulad_csv(tmp_path, [(1, "TMA", 6, 10), (2, "TMA", 13, 20), (3, "TMA", 20, 30)]),
        preset="oulad",
        iri_template=T,
    )
    _submit(b, ann, c, 1, 5, score=0.9)
    _submit(b, ann, c, 2, 13, score=0.7)  # on the due day: on time
    _submit(b, ann, c, 3, 22, score=0.5)  # after as-of: not seen
    _submit(b, bob, c, 1, 8, score=0.6)  # two days late
    _submit(b, bob, c, 2, 12, score=0.4, late=1)  # flagged late
    f = compute_features(db, c, at(START, 22))
    assert f.attrs["assessment_word"] == "assignment"
    assert (f["assessments_due"] == 3).all()
    a, bb, cc = f.loc[ann], f.loc[bob], f.loc[cat]
    assert (a["assessments_on_time"], a["assessments_late"], a["assessments_missing"]) == (2, 0, 1)
    assert (bb["assessments_on_time"], bb["assessments_late"], bb["assessments_missing"]) == (0, 2, 1)
    assert cc["assessments_missing"] == 3 and cc["assessments_on_time"] == 0
    # days from the end of the due day to the first submission (12:00): ann -1.5 and -0.5
    assert a["mean_days_late"] == pytest.approx(-1.0)
    assert bb["mean_days_late"] == pytest.approx((1.5 + -1.5) / 2)
    assert math.isnan(cc["mean_days_late"])
    assert a["weighted_score"] == pytest.approx((0.9 * 10 + 0.7 * 20 + 0) / 60)
    assert cc["weighted_score"] == 0
    # cat's first missed deadline: end of day 6 = start + 7 days, 15 days before the as-of instant
    assert cc["first_missed_weeks_ago"] == pytest.approx(15 / 7)
    assert a["first_missed_weeks_ago"] == pytest.approx(1 / 7)
    # lateness and scores count on an ADL assessment: late_submissions and quiz_* see them
    assert bb["late_submissions"] == 1 and a["quiz_count"] == 2
    # nothing after the as-of instant changes the features
    _submit(b, cat, c, 1, 25, score=1.0)
    assert compute_features(db, c, at(START, 22)).loc[cat, "assessments_missing"] == 3
