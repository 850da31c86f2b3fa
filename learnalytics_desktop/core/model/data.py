"""Assembling model input: features as of week k of each offering, labels, attributes.

Training uses, for every past offering, the features **as of the end of week k of that
offering** (``Course.as_of_week(k)``) and its at-risk labels; scoring uses the current
offering as of its own week k. So the model always sees students at the point in the
course where it will be used (the seed trained on end-of-course features, defect 11).

Which columns are model features (:func:`select_features`): every numeric column of the
feature table except the ``pct_*`` percentile columns (within-course ranks of features that
are already there; they would double every feature and split its explanation in two) and
the composite ``engagement_score`` (a weighted sum of the same features with user-editable
weights, which would make the model change when someone edits the weights). Non-numeric
columns are listed in the card as ignored.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from learnalytics_desktop.core.model.bundle import WEEK_COLUMN

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

EXCLUDED_PREFIXES = ("pct_",)
EXCLUDED_COLUMNS = frozenset({"engagement_score", "engagement"})


def get_course(conn: sqlite3.Connection, course_id: int) -> Any:
    """The :class:`core.courses.Course` with database id ``course_id`` (``CourseError`` if none)."""
    from learnalytics_desktop.core.courses import get_course as _get

    return _get(conn, int(course_id))


def course_start(course: Any) -> Any:
    """Sort key for offerings by start date (falls back to the id)."""
    for attr in ("start", "start_date"):
        value = getattr(course, attr, None)
        if value is not None:
            return (str(value), int(course.id))
    return ("", int(course.id))


def select_features(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """``(features, ignored)`` columns of a feature table (see the module docstring)."""
    import pandas as pd

    features, ignored = [], []
    for col in frame.columns:
        name = str(col)
        numeric = pd.api.types.is_numeric_dtype(frame[col]) or pd.api.types.is_bool_dtype(frame[col])
        if name.startswith(EXCLUDED_PREFIXES) or name in EXCLUDED_COLUMNS or not numeric:
            ignored.append(name)
        else:
            features.append(name)
    return features, ignored


def load_attributes(conn: sqlite3.Connection, course_id: int) -> pd.DataFrame:
    """Marked demographic columns of one offering: index actor, one column per key (text)."""
    import pandas as pd

    rows = conn.execute(
        "SELECT actor, key, value FROM attributes WHERE course = ?", (int(course_id),)
    ).fetchall()
    if not rows:
        return pd.DataFrame(index=pd.Index([], name="actor", dtype="int64"))
    long = pd.DataFrame(rows, columns=["actor", "key", "value"])
    wide = long.pivot(index="actor", columns="key", values="value")
    wide.columns = [str(c) for c in wide.columns]
    wide.index = wide.index.astype("int64")
    wide.index.name = "actor"
    return wide


def as_of_ms(as_of: datetime) -> int:
    return int(as_of.timestamp() * 1000)


def statement_range(conn: sqlite3.Connection, course_id: int, as_of: datetime) -> dict[str, Any]:
    """First and last statement time (ISO, UTC) of an offering before ``as_of``."""
    from datetime import UTC

    lo, hi, n = conn.execute(
        "SELECT min(ts), max(ts), count(*) FROM v_events WHERE course = ? AND ts < ?",
        (int(course_id), as_of_ms(as_of)),
    ).fetchone()

    def iso(ms: int | None) -> str | None:
        return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")

    return {"first_statement": iso(lo), "last_statement": iso(hi), "statements": int(n)}


def label_definition(conn: sqlite3.Connection) -> Any:
    """The at-risk label definition from ``core.outcomes`` (for the card)."""
    from learnalytics_desktop.core.outcomes import AT_RISK_SETTING, at_risk_rule

    return {"setting": AT_RISK_SETTING, "rule": at_risk_rule(conn)}


@dataclass
class TrainingData:
    """Everything training needs, rows in one order: (course, actor) index."""

    features: pd.DataFrame  # feature columns only; index (course, actor)
    labels: pd.Series  # 0/1, same index
    attributes: pd.DataFrame  # attribute columns, same index (may have no columns)
    feature_columns: list[str]
    ignored_columns: list[str]
    courses: list[dict[str, Any]] = field(default_factory=list)  # per-offering summary
    latest_course: int | None = None  # id of the latest offering (temporal validation)
    label: Any = None  # how "at risk" was defined (for the card)
    weeks: list[int] = field(default_factory=list)  # the course weeks the rows are taken at

    @property
    def groups(self) -> Any:
        """Actor ids per row (a student in two offerings is one group)."""
        return self.features.index.get_level_values("actor").to_numpy()

    @property
    def course_of_row(self) -> Any:
        return self.features.index.get_level_values("course").to_numpy()

    @property
    def week_of_row(self) -> Any:
        """The course week of each row (the training week for a one-week model)."""
        import numpy as np

        if WEEK_COLUMN in self.features.columns:
            return self.features[WEEK_COLUMN].to_numpy(dtype=float).astype(int)
        return np.full(len(self.features), self.weeks[0] if self.weeks else 0, dtype=int)


DENSE_WEEKS = 12  # every week up to here, then every other week


def training_weeks(last: int) -> list[int]:
    """The weeks an any-week model learns from, for offerings ``last`` weeks long: every week
    up to :data:`DENSE_WEEKS`, then every other week, always with the last (later weeks change
    slowly, and each trained week adds one row per student to every fit)."""
    if last < 1:
        return []
    weeks = list(range(1, min(last, DENSE_WEEKS) + 1)) + list(range(DENSE_WEEKS + 2, last + 1, 2))
    if weeks[-1] != last:
        weeks.append(last)
    return weeks


def offering_weeks(course: Any) -> int | None:
    """How many weeks an offering has: its calendar's length, else the week of its last statement."""
    if course.weeks is not None:
        return int(course.weeks)
    last = getattr(course, "last_statement", None)
    return None if last is None else max(1, int(course.week_of(last)))


def build_training_data(
    conn: sqlite3.Connection,
    course_ids: list[int],
    week: int | None,
    report: Any,
    *,
    weeks: list[int] | None = None,
    tables: Mapping[tuple[int, int], pd.DataFrame] | None = None,
) -> TrainingData:
    """Features as of week ``week`` of each offering joined to its at-risk labels.

    With ``week=None`` the rows are every student **at each of** ``weeks`` (default
    :func:`training_weeks` of the shortest offering), with the week as an extra feature
    :data:`WEEK_COLUMN`: one model then scores any week (see ``core.model.train``). A student
    is one group over all their weeks, so validation never sees them on both sides.

    ``tables``: feature tables computed elsewhere (a cluster's ``lake features``), by
    ``(course id, week)``, index actor id; default: computed from the statements in the database.

    Students without an outcome row (or whose outcome gives no label) are left out and
    counted per offering in ``courses[i]["excluded_no_outcome"]``; students withdrawn before
    the as-of instant (``core.outcomes.status``) in ``excluded_withdrawn``; outcome rows for people
    the feature table does not list are counted in ``excluded_no_features``.
    """
    import pandas as pd

    from learnalytics_desktop.core.features import compute_features
    from learnalytics_desktop.core.model.estimators import TrainingDataError
    from learnalytics_desktop.core.outcomes import at_risk_labels, withdrawn_before

    if week is not None and (isinstance(week, bool) or not isinstance(week, int) or week < 1):
        raise ValueError(f"the week must be a whole number >= 1, got {week!r}")
    ids = list(dict.fromkeys(int(c) for c in course_ids))
    if not ids:
        raise ValueError("choose at least one past course offering to train on")
    courses = sorted((get_course(conn, c) for c in ids), key=course_start)
    if week is None:
        if weeks is None:
            lengths = [offering_weeks(c) for c in courses]
            known = [n for n in lengths if n is not None]
            if not known:
                raise TrainingDataError(
                    "the chosen offerings have no statements, so they have no weeks to learn from"
                )
            weeks = training_weeks(min(known))
        weeks = sorted({int(w) for w in weeks})
        if not weeks or weeks[0] < 1:
            raise ValueError(f"training weeks must be whole numbers >= 1, got {weeks!r}")
    steps = [(c, w) for c in courses for w in ([week] if week is not None else weeks or [])]
    feats: list[Any] = []
    labels: list[Any] = []
    attrs: list[Any] = []
    summaries: list[Any] = []
    columns: list[str] | None = None
    ignored: list[str] = []
    done: dict[int, dict[str, Any]] = {}
    for i, (course, wk) in enumerate(steps):
        report.check()
        report.progress(
            0.02 + 0.13 * i / len(steps), f"features of {course.name or course.iri} as of week {wk}"
        )
        if course.weeks is not None and wk > course.weeks:
            raise TrainingDataError(
                f"{course.label} has {course.weeks} weeks, so there is no week {wk} to train on"
            )
        as_of = course.as_of_week(wk)
        frame = compute_features(conn, course.id, as_of) if tables is None else tables[(course.id, wk)]
        cols, ign = select_features(frame)
        if columns is None:
            columns, ignored = cols, ign
        elif cols != columns:
            missing = sorted(set(columns) - set(cols))
            raise ValueError(
                f"the feature table of {course.iri} has different columns from the first offering "
                f"(missing: {missing or 'none'}; extra: {sorted(set(cols) - set(columns)) or 'none'})"
            )
        if course.id not in done:
            y_all = pd.to_numeric(at_risk_labels(conn, course.id), errors="coerce")
            known_y = y_all.dropna()
            bad = known_y[~known_y.isin([0, 1])]
            if len(bad):
                raise ValueError(
                    f"at-risk labels of {course.iri} must be 0 or 1; found {sorted(set(bad.tolist()))[:5]}"
                )
            known_y.index = known_y.index.astype("int64")
            done[course.id] = {"labels": known_y, "attributes": load_attributes(conn, course.id)}
        known = done[course.id]["labels"]
        frame_ids = frame.index.astype("int64")
        labelled = frame_ids.intersection(known.index)
        # students who had withdrawn before the as-of instant are not rows of this week: the
        # model is for students still enrolled (their label is used at the weeks before they left)
        gone = pd.Index(sorted(withdrawn_before(conn, course.id, as_of)), dtype="int64")
        in_both = labelled.difference(gone)
        summary = {
            "id": int(course.id),
            "iri": course.iri,
            "name": course.name,
            "as_of": as_of.isoformat(),
            "students": int(len(frame)),
            "trained_on": int(len(in_both)),
            "at_risk": int(known.reindex(in_both).sum()),
            "excluded_no_outcome": int(len(frame_ids.difference(known.index))),
            "excluded_no_features": int(len(known.index.difference(frame_ids))),
            "excluded_withdrawn": int(len(labelled) - len(in_both)),
            **statement_range(conn, course.id, as_of),
        }
        if summaries and summaries[-1]["id"] == int(course.id):
            summaries[-1] = summary  # an offering is summarised as of its last trained week
        else:
            summaries.append(summary)
        idx = pd.MultiIndex.from_arrays(
            [pd.Index([int(course.id)] * len(in_both), dtype="int64"), in_both], names=["course", "actor"]
        )
        sub = frame.copy()
        sub.index = frame_ids
        part = sub.loc[in_both, cols].set_axis(idx)
        if week is None:
            part[WEEK_COLUMN] = float(wk)
        feats.append(part)
        labels.append(known.reindex(in_both).astype(int).set_axis(idx))
        attrs.append(done[course.id]["attributes"].reindex(in_both).set_axis(idx))
    X = pd.concat(feats).astype(float)
    y = pd.concat(labels).astype(int)
    A = pd.concat(attrs) if attrs else pd.DataFrame(index=X.index)
    if A.shape[1]:
        A = A.astype(object).where(A.notna(), None)
    feature_columns = list(columns or [])
    if week is None:
        feature_columns.append(WEEK_COLUMN)
    return TrainingData(
        features=X,
        labels=y,
        attributes=A,
        feature_columns=feature_columns,
        ignored_columns=ignored,
        courses=summaries,
        latest_course=int(courses[-1].id),
        label=label_definition(conn),
        weeks=[int(week)] if week is not None else list(weeks or []),
    )


__all__ = [
    "WEEK_COLUMN",
    "TrainingData",
    "offering_weeks",
    "training_weeks",
    "build_training_data",
    "get_course",
    "load_attributes",
    "select_features",
    "statement_range",
]
