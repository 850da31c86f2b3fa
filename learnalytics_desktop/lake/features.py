"""As-of features on Spark: the desktop's feature arithmetic over groups of students.

The events of each offering before its as-of instant are split by a hash of the student
into groups; each group becomes an :class:`~learnalytics_desktop.core.features.events.Events`
in an executor (``applyInPandas``) and goes through
:func:`~learnalytics_desktop.core.features.compute.features_from_events`, the same function
the desktop uses. Every feature of a student depends only on that student's events, except
the ``pct_`` percentiles and the engagement score, which are relative to the offering: those
are computed on the driver over the offering's whole table (one row per student, small).

Ties: events of a student at the same millisecond keep the order they were read in (the
desktop keeps the order they were stored in, which is the same). An activity's type is the
first one a statement gives it, as the desktop stores it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from learnalytics_desktop.lake import LakeError

DAY_MS = 86_400_000
ORDER_SHIFT = 1 << 40  # read order key: file * 2**40 + record
START_QUANTILE = 0.05  # the desktop's data-derived course start (core.courses)


@dataclass(frozen=True)
class Offering:
    """An offering's calendar as the lake uses it."""

    iri: str
    start: date
    as_of: datetime
    start_source: str  # "user" (--start) or "data"


def _monday_on_or_before(ms: int) -> date:
    d = datetime.fromtimestamp(ms / 1000, tz=UTC).date()
    return d - timedelta(days=d.weekday())


def data_starts(classified: Any, courses: list[str] | None) -> dict[str, date]:
    """The desktop's start of each offering without a user date: the Monday on or before the
    5th percentile (the element at ``floor(0.05 (n - 1))`` in time order) of the times of all
    its stored statements, voided ones included (``core.courses``)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    stored = classified.where((F.col("outcome") == "stored") & F.col("course").isNotNull())
    if courses is not None:
        stored = stored.where(F.col("course").isin(courses))
    w = Window.partitionBy("course").orderBy("ts")
    counted = stored.select("course", "ts").withColumn("_n", F.count("*").over(Window.partitionBy("course")))
    k = F.least(F.col("_n") - 1, F.floor(F.lit(START_QUANTILE) * (F.col("_n") - 1)))
    picked = counted.withColumn("_r", F.row_number().over(w) - 1).where(F.col("_r") == k)
    return {r["course"]: _monday_on_or_before(int(r["ts"])) for r in picked.collect()}


def offerings(
    classified: Any, *, course: str | None, start: date | None, week: int, all_courses: bool = False
) -> list[Offering]:
    """The offerings to compute and their as-of instants (end of week ``week``: ``start + 7 week``
    days, 00:00 UTC). ``start`` applies to every offering when given, else each offering's
    start is what its data says (as the desktop does without a user date)."""
    from pyspark.sql import functions as F

    if week < 0:
        raise LakeError(f"the week must be 0 or more, got {week}")
    if all_courses:
        names = sorted(
            r["course"]
            for r in classified.where((F.col("outcome") == "stored") & F.col("course").isNotNull())
            .select("course")
            .distinct()
            .collect()
        )
        if not names:
            raise LakeError("no statement names a course offering (see --course-fallback)")
    else:
        if not course:
            raise LakeError("give --course IRI or --all-courses")
        names = [course]
    starts = {n: start for n in names} if start is not None else data_starts(classified, names)
    out = []
    for name in names:
        s = starts.get(name)
        if s is None:
            raise LakeError(f"no stored statement belongs to the course {name!r}; check the IRI")
        as_of = datetime(s.year, s.month, s.day, tzinfo=UTC) + timedelta(days=7 * week)
        out.append(Offering(name, s, as_of, "user" if start is not None else "data"))
    return out


def _events_of(pdf: Any, start: date | None, as_of_ms: int) -> tuple[Any, Any]:
    """``(Events, student ifis)`` of a pandas group of event rows (one offering): as the
    desktop's ``load_events``, statements whose verb means joining or leaving the course
    (the default verbs of ``core.outcomes.status``) are not events, the first joining one
    gives the registration time."""
    import numpy as np
    import pandas as pd

    from learnalytics_desktop.core.features.events import Events
    from learnalytics_desktop.core.ingest.categories import CATEGORIES, load_mapping
    from learnalytics_desktop.core.outcomes.status import EnrolmentVerbs

    pdf = pdf.sort_values(["ifi", "ts", "order"], kind="stable")
    sidx, students = pd.factorize(pdf["ifi"], sort=True)
    sidx = np.asarray(sidx, dtype=np.int64)
    ts = pdf["ts"].to_numpy(dtype=np.int64)
    enrolment = EnrolmentVerbs()
    joins = pdf["verb"].isin(enrolment.join).to_numpy()
    reg_ms = np.full(len(students), np.nan)
    if joins.any():
        first = np.full(len(students), np.inf)
        np.minimum.at(first, sidx[joins], ts[joins].astype(np.float64))
        reg_ms = np.where(np.isfinite(first), first, np.nan)
    keep = ~(joins | pdf["verb"].isin(enrolment.leave).to_numpy())
    pdf, sidx, ts = pdf[keep], sidx[keep], ts[keep]
    verb_code, verbs = pd.factorize(pdf["verb"], sort=True)
    obj_code, _objs = pd.factorize(pdf["object"], sort=True, use_na_sentinel=True)
    cats = load_mapping(None).categorize(
        pd.Series(verbs.take(verb_code), dtype=object), pd.Series(pdf["object_type"].to_numpy(), dtype=object)
    )

    def floats(col: str) -> Any:
        return pd.to_numeric(pdf[col], errors="coerce").astype("float64").to_numpy()

    ev = Events(
        students=np.arange(len(students), dtype=np.int64),
        sidx=sidx,
        ts=ts,
        dur=floats("dur_ms") / 1000.0,
        cat=np.asarray(cats.cat.codes, dtype=np.int8),
        verb=np.asarray(verb_code, dtype=np.int64) + 1,
        obj=np.asarray(obj_code, dtype=np.int64) + 1,  # 0: the object is not an activity
        score=floats("score"),
        late=floats("late"),
        categories=tuple(CATEGORIES),
        verb_iris={i + 1: iri for i, iri in enumerate(verbs)},
        start=start,
        as_of_ms=as_of_ms,
        reg_ms=reg_ms,
    )
    return ev, np.asarray(students, dtype=object)


def _result_schema() -> str:
    from learnalytics_desktop.core.features.catalog import FEATURE_COLUMNS

    return "course string, ifi string, " + ", ".join(f"{c} double" for c in FEATURE_COLUMNS)


def student_features(classified: Any, chosen: list[Offering], *, groups_per_course: int | None = None) -> Any:
    """A pandas frame: one row per (course, student) with a statement before the as-of
    instant, the columns ``course``, ``ifi`` then ``catalog.FEATURE_COLUMNS`` (no percentiles)."""
    import pandas as pd
    from pyspark.sql import functions as F

    from learnalytics_desktop.core.features.catalog import FEATURE_COLUMNS
    from learnalytics_desktop.core.features.compute import features_from_events
    from learnalytics_desktop.lake.ingest import analytics_events

    spark = classified.sparkSession
    valid = classified.where(F.col("rule").isNull()).withColumn(
        "order", F.col("file").cast("long") * ORDER_SHIFT + F.col("rec")
    )
    types = (
        valid.where(F.col("object").isNotNull() & F.col("object_type").isNotNull())
        .groupBy("object")
        .agg(F.min_by("object_type", "order").alias("activity_type"))
    )
    events, _voided = analytics_events(classified)
    cal = spark.createDataFrame(
        [(o.iri, int(o.as_of.timestamp() * 1000)) for o in chosen], "course string, as_of_ms bigint"
    )
    n_groups = groups_per_course or max(1, spark.sparkContext.defaultParallelism * 2)
    picked = (
        events.join(F.broadcast(cal), "course")
        .where((F.col("ts") < F.col("as_of_ms")) & (F.col("actor_kind") != "group"))
        .withColumn("order", F.col("file").cast("long") * ORDER_SHIFT + F.col("rec"))
        .join(types, "object", "left")
        .select(
            "course",
            "ifi",
            "ts",
            "order",
            "verb",
            "object",
            F.col("activity_type").alias("object_type"),
            "dur_ms",
            "score",
            "late",
            "as_of_ms",
            (F.abs(F.xxhash64("ifi")) % n_groups).alias("grp"),
        )
    )
    starts = {o.iri: o.start for o in chosen}

    def compute(pdf: pd.DataFrame) -> pd.DataFrame:
        course = str(pdf["course"].iloc[0])
        ev, ifis = _events_of(pdf, starts.get(course), int(pdf["as_of_ms"].iloc[0]))
        table = features_from_events(ev)[list(FEATURE_COLUMNS)]
        table.insert(0, "ifi", ifis[table.index.to_numpy()])
        table.insert(0, "course", course)
        return table.reset_index(drop=True)

    return picked.groupBy("course", "grp").applyInPandas(compute, _result_schema()).toPandas()


def actor_order(classified: Any) -> Any:
    """``ifi -> (first read position, label)`` over every valid record: the desktop numbers
    actors in this order, so the lake lists students as the desktop does."""
    from pyspark.sql import functions as F

    valid = classified.where(F.col("rule").isNull()).withColumn(
        "order", F.col("file").cast("long") * ORDER_SHIFT + F.col("rec")
    )
    first = valid.groupBy("ifi").agg(F.min("order").alias("first"), F.min_by("label", "order").alias("label"))
    return first.toPandas().set_index("ifi")


def feature_tables(classified: Any, chosen: list[Offering]) -> dict[str, Any]:
    """``{course IRI: table}``, each as ``learnalytics features`` writes it: ``student``, the
    features, ``engagement`` and the percentiles, rounded to 4 decimals, students in the
    desktop's order. Also the unrounded frame per course (``raw``) for tests and callers."""
    from learnalytics_desktop.core.features.compute import with_percentiles
    from learnalytics_desktop.core.features.table import feature_table

    per_student = student_features(classified, chosen)
    order = actor_order(classified)
    out: dict[str, Any] = {}
    for o in chosen:
        part = per_student[per_student["course"] == o.iri].drop(columns=["course"])
        part = part.assign(_first=order.loc[part["ifi"], "first"].to_numpy()).sort_values("_first")
        raw = with_percentiles(part.drop(columns=["ifi", "_first"]).reset_index(drop=True))
        labels = order.loc[part["ifi"], "label"].tolist()
        out[o.iri] = {"raw": raw, "labels": labels, "table": feature_table(raw, labels), "offering": o}
    return out
