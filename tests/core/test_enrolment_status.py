"""Enrolment status as data: class-list status and dates, joining/leaving statements."""

from __future__ import annotations

from datetime import date

import pytest
from factories import EventBuilder, at

from learnalytics_desktop.core.outcomes import OutcomesError, import_roster
from learnalytics_desktop.core.outcomes.status import (
    DEFAULT_LEAVE_VERBS,
    EnrolmentVerbsError,
    enrolment_status,
    load_enrolment_verbs,
    save_enrolment_verbs,
    withdrawn_before,
)

START = "2026-01-05"
JOIN = "http://adlnet.gov/expapi/verbs/registered"
LEAVE = "http://id.tincanapi.com/verb/unregistered"


@pytest.fixture
def course(db):
    b = EventBuilder(db)
    c = b.course("https://x.example/c1", start=START, weeks=12)
    return b, c


def _roster(tmp_path, text):
    p = tmp_path / "roster.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_class_list_dates_and_status_decide_withdrawal_as_of_a_date(db, course, tmp_path):
    b, c = course
    ann = b.student("ann")
    b.event(ann, c, at(START, 1), "video", verb="played")
    path = _roster(
        tmp_path,
        "Student ID,Status,Registration date,Withdrawal date\n"
        "ann,active,2025-12-01,\n"
        "bob,Withdrawn,2025-12-01,2026-01-20\n"
        "cat,withdrawn,,\n"
        "dan,enrolled,10,\n",
    )
    rep = import_roster(db, c, path)
    assert rep.columns == {
        "id": "Student ID",
        "status": "Status",
        "registered": "Registration date",
        "withdrawn": "Withdrawal date",
    }
    early = enrolment_status(db, c, at(START, 14))
    names = {a: lab for a, lab in db.execute("SELECT id, label FROM actors")}
    early.index = [names[a] for a in early.index]
    assert early.loc["ann", "status"] == "active"
    assert early.loc["bob", "status"] == "not started"  # withdraws on the 20th
    assert early.loc["cat", "status"] == "withdrawn" and early.loc["cat", "withdrawn_on"] is None
    assert early.loc["dan", "status"] == "not started"
    assert early.loc["dan", "registered_on"] == date(2026, 1, 15)  # day 10 from the start
    late = enrolment_status(db, c, at(START, 28))
    late.index = [names[a] for a in late.index]
    assert late.loc["bob", "status"] == "withdrawn"
    assert late.loc["bob", "withdrawn_on"] == date(2026, 1, 20)
    assert late.loc["bob", "label"] == "withdrawn (2026-01-20)"
    assert late.loc["bob", "withdrawn_by"] == "class list"


def test_leaving_statement_withdraws_and_rejoining_undoes_it(db, course):
    b, c = course
    eve, fay, gus = b.student("eve"), b.student("fay"), b.student("gus")
    for s in (eve, fay, gus):
        b.event(s, c, at(START, -30), "navigation", verb=JOIN)
    b.event(eve, c, at(START, 2), "reading", verb="viewed")
    b.event(eve, c, at(START, 9), "navigation", verb=LEAVE)
    b.event(fay, c, at(START, 3), "navigation", verb=LEAVE)
    b.event(fay, c, at(START, 5), "navigation", verb=JOIN)
    st = enrolment_status(db, c, at(START, 21))
    assert st.loc[eve, "status"] == "withdrawn" and st.loc[eve, "withdrawn_on"] == date(2026, 1, 14)
    assert st.loc[eve, "withdrawn_by"] == "statement"
    assert st.loc[fay, "status"] == "not started"  # rejoined; registering is not studying
    assert st.loc[gus, "status"] == "not started"
    assert st.loc[gus, "registered_on"] == date(2025, 12, 6)
    assert enrolment_status(db, c, at(START, 7)).loc[eve, "status"] == "active"
    assert withdrawn_before(db, c, at(START, 21)) == {eve}


def test_leaving_verbs_are_editable(db, course):
    b, c = course
    custom = "https://x.example/verbs/dropped-course"
    hal = b.student("hal")
    b.event(hal, c, at(START, 1), "reading", verb="viewed")
    b.event(hal, c, at(START, 2), "other", verb=custom)
    assert enrolment_status(db, c, at(START, 7)).loc[hal, "status"] == "active"
    save_enrolment_verbs(db, leave=[*DEFAULT_LEAVE_VERBS, custom])
    assert custom in load_enrolment_verbs(db).leave
    assert enrolment_status(db, c, at(START, 7)).loc[hal, "status"] == "withdrawn"
    with pytest.raises(EnrolmentVerbsError, match="both joining and leaving"):
        save_enrolment_verbs(db, join=[custom])
    with pytest.raises(EnrolmentVerbsError, match="not a verb IRI"):
        save_enrolment_verbs(db, leave=["not an iri"])


def test_bad_values_in_a_named_column_import_nothing(db, course, tmp_path):
    _, c = course
    path = _roster(tmp_path, "id,state,left\nann,active,2026-02-30\nbob,on leave,\n")
    with pytest.raises(OutcomesError) as err:
        import_roster(db, c, path, id_column="id", status_column="state", withdrawn_column="left")
    msg = str(err.value)
    assert "line 2: withdrawn date '2026-02-30'" in msg and "line 3: status 'on leave'" in msg
    assert db.execute("SELECT count(*) FROM enrolments").fetchone()[0] == 0


def test_a_recognised_column_with_other_values_is_left_unused_with_a_warning(db, course, tmp_path):
    _, c = course
    path = _roster(tmp_path, "Student ID,Status\nann,full-time\nbob,part-time\n")
    rep = import_roster(db, c, path)
    assert "status" not in rep.columns
    assert any("'Status' was not used" in w for w in rep.warnings)
    assert db.execute("SELECT count(*) FROM enrolments WHERE status IS NULL").fetchone()[0] == 2


def test_joining_and_leaving_are_not_learning_events(db, course, tmp_path):
    from learnalytics_desktop.core.features import compute_features

    b, c = course
    ivy, jon = b.student("ivy"), b.student("jon")
    b.event(ivy, c, at(START, -40), "navigation", verb=JOIN)
    b.event(jon, c, at(START, 3), "navigation", verb=JOIN)
    b.event(jon, c, at(START, 4), "reading", verb="viewed")
    b.event(jon, c, at(START, 5), "navigation", verb=LEAVE)
    f = compute_features(db, c, at(START, 14))
    assert f.loc[ivy, "total_events"] == 0 and f.loc[ivy, "events_navigation"] == 0
    assert f.loc[ivy, "days_since_last_activity"] == 14  # since the start, not since registering
    assert f.loc[jon, "total_events"] == 1
    assert f.loc[ivy, "registration_day"] == -40 and f.loc[jon, "registration_day"] == 3
    # the class list's registration date wins over the joining statement
    path = _roster(tmp_path, "Student ID,Registration date\nivy,2025-12-01\njon,\n")
    import_roster(db, c, path)
    f = compute_features(db, c, at(START, 14))
    assert f.loc[ivy, "registration_day"] == -35 and f.loc[jon, "registration_day"] == 3
