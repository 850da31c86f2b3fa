"""Synthetic course data for the intervention and impact tests (plus checks of the builder).

``build_course`` writes a course, students (actors with names and e-mails, or pseudonymised
ones without), enrolments, outcomes and one stored score run straight into the schema, and
returns the feature table the drafting functions take. Nothing here depends on the feature
or model code, so these tests exercise only the interventions/impact code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

COURSE_IRI = "https://lms.example.org/course/stats-101"
AS_OF = datetime(2024, 3, 11, tzinfo=UTC)  # drafting instant (end of 2024-03-10)


@dataclass
class Synthetic:
    course_id: int
    actors: list[int]
    features: object  # DataFrame indexed by actor
    risk: dict[int, float]
    truth: dict[str, object]


def build_course(conn, n=40, *, seed=0, pseudonymised=False, effect=5.0, outcome_for=None):
    """A course with ``n`` students; risk rises with inactivity and lowers the final grade."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    cur = conn.execute(
        "INSERT INTO courses(iri, name, start_date, weeks) VALUES (?,?,?,?)",
        (COURSE_IRI, "Statistics 101", "2024-01-08", 12),
    )
    course = int(cur.lastrowid)
    actors, rows, risk = [], [], {}
    for i in range(n):
        label = f"s{i:03d}" if not pseudonymised else f"P-{i:04x}"
        if pseudonymised:
            ifi, kind, name, email = f"pseudo:{i:064x}", "pseudo", None, None
        else:
            ifi, kind = f"account:https://lms.example.org|{label}", "account"
            name, email = f"Student Number{i}", f"{label}@example.org"
        aid = int(
            conn.execute(
                "INSERT INTO actors(ifi, kind, label, name, email) VALUES (?,?,?,?,?)",
                (ifi, kind, label, name, email),
            ).lastrowid
        )
        actors.append(aid)
        conn.execute("INSERT INTO enrolments(course, actor, source) VALUES (?,?,'roster')", (course, aid))
        days = float(rng.integers(0, 21))
        video = float(rng.uniform(0, 1))
        trend = float(rng.normal(0, 0.15))
        quiz = float(rng.uniform(40, 95))
        r = float(1 / (1 + np.exp(-(-2.5 + 0.25 * days - 1.5 * video))))
        risk[aid] = round(r, 4)
        rows.append(
            {
                "actor": aid,
                "days_since_last_activity": days,
                "video_completion_rate": video,
                "quiz_score_trend": trend,
                "quiz_avg_score": quiz,
            }
        )
    features = pd.DataFrame(rows).set_index("actor")
    # the run belongs to a trained model (the active one): only the active model's run counts
    conn.execute(
        "INSERT OR IGNORE INTO models(id, created_at, kind, week, courses, card, file) "
        "VALUES ('m1', '2024-03-10T00:00:00Z', 'logreg', 9, '[]', '{}', '/nonexistent')"
    )
    run = int(
        conn.execute(
            "INSERT INTO score_runs(model_id, course, week, as_of, created_at) VALUES ('m1', ?, 9, ?, ?)",
            (course, datetime(2024, 3, 11, tzinfo=UTC).isoformat(), "2024-03-11T08:00:00Z"),
        ).lastrowid
    )
    for aid, r in risk.items():
        level = "high" if r >= 0.6 else "moderate" if r >= 0.3 else "low"
        reasons = ["no activity for a while"] if features.loc[aid, "days_since_last_activity"] > 7 else []
        conn.execute(
            "INSERT INTO scores(run_id, actor, risk, level, reasons) VALUES (?,?,?,?,?)",
            (run, aid, r, level, json.dumps(reasons)),
        )
    return Synthetic(course, actors, features, risk, {"effect": effect})


def write_outcomes(conn, course_id, grades):
    """``grades``: actor -> final grade (None for missing); passed = grade >= 50."""
    for aid, g in grades.items():
        conn.execute(
            "INSERT OR REPLACE INTO outcomes(course, actor, final_grade, result, passed, withdrew) VALUES (?,?,?,?,?,0)",
            (
                course_id,
                aid,
                g,
                None if g is None else ("pass" if g >= 50 else "fail"),
                None if g is None else int(g >= 50),
            ),
        )


def test_builder_makes_consistent_data(db):
    s = build_course(db, 12, seed=3)
    assert len(s.actors) == 12 and len(s.features) == 12
    assert db.execute("SELECT COUNT(*) FROM scores").fetchone()[0] == 12
    assert set(s.features.index) == set(s.actors)
    assert all(0 < r < 1 for r in s.risk.values())


def test_pseudonymised_builder_has_no_names(db):
    s = build_course(db, 3, pseudonymised=True)
    assert (
        db.execute("SELECT COUNT(*) FROM actors WHERE email IS NOT NULL OR name IS NOT NULL").fetchone()[0]
        == 0
    )
    assert len(s.actors) == 3
