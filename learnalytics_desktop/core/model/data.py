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
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

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
    from learnalytics_desktop.core.outcomes import AT_RISK_SETTING, DEFAULT_AT_RISK
    from learnalytics_desktop.core.store.db import get_setting

    return {"setting": AT_RISK_SETTING, "rule": get_setting(conn, AT_RISK_SETTING, DEFAULT_AT_RISK)}


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

    @property
    def groups(self) -> Any:
        """Actor ids per row (a student in two offerings is one group)."""
        return self.features.index.get_level_values("actor").to_numpy()

    @property
    def course_of_row(self) -> Any:
        return self.features.index.get_level_values("course").to_numpy()


def build_training_data(
    conn: sqlite3.Connection, course_ids: list[int], week: int, report: Any
) -> TrainingData:
    """Features as of week ``week`` of each offering joined to its at-risk labels.

    Students without an outcome row (or whose outcome gives no label) are left out and
    counted per offering in ``courses[i]["excluded_no_outcome"]``; students withdrawn before
    the as-of instant (``core.outcomes.status``) in ``excluded_withdrawn``; outcome rows for people
    the feature table does not list are counted in ``excluded_no_features``.
    """
    import pandas as pd

    from learnalytics_desktop.core.features import compute_features
    from learnalytics_desktop.core.model.estimators import TrainingDataError
    from learnalytics_desktop.core.outcomes import at_risk_labels, withdrawn_before

    if isinstance(week, bool) or not isinstance(week, int) or week < 1:
        raise ValueError(f"the week must be a whole number >= 1, got {week!r}")
    ids = list(dict.fromkeys(int(c) for c in course_ids))
    if not ids:
        raise ValueError("choose at least one past course offering to train on")
    courses = sorted((get_course(conn, c) for c in ids), key=course_start)
    feats, labels, attrs, summaries = [], [], [], []
    columns: list[str] | None = None
    ignored: list[str] = []
    for i, course in enumerate(courses):
        report.check()
        report.progress(
            0.02 + 0.13 * i / len(courses), f"features of {course.name or course.iri} as of week {week}"
        )
        if course.weeks is not None and week > course.weeks:
            raise TrainingDataError(
                f"{course.label} has {course.weeks} weeks, so there is no week {week} to train on"
            )
        as_of = course.as_of_week(week)
        frame = compute_features(conn, course.id, as_of)
        cols, ign = select_features(frame)
        if columns is None:
            columns, ignored = cols, ign
        elif cols != columns:
            missing = sorted(set(columns) - set(cols))
            raise ValueError(
                f"the feature table of {course.iri} has different columns from the first offering "
                f"(missing: {missing or 'none'}; extra: {sorted(set(cols) - set(columns)) or 'none'})"
            )
        y_all = at_risk_labels(conn, course.id)
        y_all = pd.to_numeric(y_all, errors="coerce")
        known = y_all.dropna()
        bad = known[~known.isin([0, 1])]
        if len(bad):
            raise ValueError(
                f"at-risk labels of {course.iri} must be 0 or 1; found {sorted(set(bad.tolist()))[:5]}"
            )
        frame_ids = frame.index.astype("int64")
        labelled = frame_ids.intersection(known.index.astype("int64"))
        # students who had withdrawn before the as-of instant are not rows of this week: the
        # model is for students still enrolled (their label is used at the weeks before they left)
        gone = pd.Index(sorted(withdrawn_before(conn, course.id, as_of)), dtype="int64")
        in_both = labelled.difference(gone)
        summaries.append(
            {
                "id": int(course.id),
                "iri": course.iri,
                "name": course.name,
                "as_of": as_of.isoformat(),
                "students": int(len(frame)),
                "trained_on": int(len(in_both)),
                "at_risk": int(known.reindex(in_both).sum()),
                "excluded_no_outcome": int(len(frame_ids.difference(known.index.astype("int64")))),
                "excluded_no_features": int(len(known.index.astype("int64").difference(frame_ids))),
                "excluded_withdrawn": int(len(labelled) - len(in_both)),
                **statement_range(conn, course.id, as_of),
            }
        )
        idx = pd.MultiIndex.from_arrays(
            [pd.Index([int(course.id)] * len(in_both), dtype="int64"), in_both], names=["course", "actor"]
        )
        sub = frame.copy()
        sub.index = frame_ids
        feats.append(sub.loc[in_both, cols].set_axis(idx))
        labels.append(known.reindex(in_both).astype(int).set_axis(idx))
        attrs.append(load_attributes(conn, course.id).reindex(in_both).set_axis(idx))
    X = pd.concat(feats).astype(float)
    y = pd.concat(labels).astype(int)
    A = pd.concat(attrs) if attrs else pd.DataFrame(index=X.index)
    if A.shape[1]:
        A = A.astype(object).where(A.notna(), None)
    return TrainingData(
        features=X,
        labels=y,
        attributes=A,
        feature_columns=list(columns or []),
        ignored_columns=ignored,
        courses=summaries,
        latest_course=int(courses[-1].id),
        label=label_definition(conn),
    )


__all__ = [
    "TrainingData",
    "build_training_data",
    "get_course",
    "load_attributes",
    "select_features",
    "statement_range",
]
