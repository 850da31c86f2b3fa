"""Read, validate, deduplicate and void statements on Spark, with the desktop's rules.

:func:`load_records` lists the files the desktop would read (``core.ingest.readers``
rules: statement suffixes, hidden files and folders skipped, files within a folder in path
order) on any file system Spark reads, and turns every record into one row in the executors
(``mapPartitions``) with the desktop's reader, validator and column extraction
(``core.ingest.pipeline``). :func:`outcomes` then applies the store's semantics
(``core.ingest.writer``): the first occurrence of an id in read order is stored, a later one
with the same content hash is a duplicate, with another hash a conflict; a stored voiding
statement hides its stored target (xAPI Data 2.3.2), whichever came first.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from learnalytics_desktop.core.ingest.report import ImportReport
from learnalytics_desktop.lake import LakeError

# One row per record read (the order of the columns is the order of the tuples below).
RECORD_COLUMNS = (
    ("file", "int"),
    ("rec", "bigint"),
    ("location", "string"),
    ("rule", "string"),
    ("reason", "string"),
    ("id", "string"),
    ("hash", "binary"),
    ("ifi", "string"),
    ("actor_kind", "string"),
    ("label", "string"),
    ("verb", "string"),
    ("object", "string"),
    ("object_type", "string"),
    ("course", "string"),
    ("ts", "bigint"),
    ("dur_ms", "bigint"),
    ("score", "double"),
    ("late", "int"),
    ("void_target", "string"),
)
HIDDEN_FOLDER = "__MACOSX"


def _schema() -> str:
    return ", ".join(f"{n} {t}" for n, t in RECORD_COLUMNS)


def _wanted(uri: str, root: str) -> bool:
    from learnalytics_desktop.core.ingest.readers import STATEMENT_SUFFIXES

    rel = uri[len(root) :].strip("/").split("/") if uri.startswith(root) else [uri.rsplit("/", 1)[-1]]
    if any(part.startswith(".") or part == HIDDEN_FOLDER for part in rel):
        return False
    return rel[-1].lower().endswith(STATEMENT_SUFFIXES)


def list_sources(spark: Any, sources: list[str]) -> list[str]:
    """The files to read, in the desktop's order: each source in turn, a folder's statement
    files recursively by path. Local paths may be relative; URIs (hdfs://, s3a://...) use the
    cluster's Hadoop configuration. Raises :class:`LakeError` for a path that does not exist."""
    sc = spark.sparkContext
    jvm, hconf = sc._jvm, sc._jsc.hadoopConfiguration()
    out: list[str] = []
    for raw in sources:
        text = str(raw)
        if "://" not in text and not text.startswith("file:"):
            text = Path(text).absolute().as_uri()
        path = jvm.org.apache.hadoop.fs.Path(text)
        fs = path.getFileSystem(hconf)
        if not fs.exists(path):
            raise LakeError(f"{raw} does not exist")
        status = fs.getFileStatus(path)
        root = str(fs.makeQualified(path))
        if status.isFile():
            out.append(root)
            continue
        found = []
        it = fs.listFiles(path, True)
        while it.hasNext():
            uri = str(it.next().getPath())
            if _wanted(uri, root):
                found.append(uri)
        out.extend(sorted(found, key=lambda u: u[len(root) :].strip("/").split("/")))
    for uri in out:
        if "," in uri:
            raise LakeError(f"Spark cannot read a file whose name contains a comma: {uri}")
    return list(dict.fromkeys(out))


def sqlite_round(x: float) -> int:
    """SQLite's ``round(x)`` of a non-negative number (half away from zero), as an integer."""
    return int(x + 0.5)


def store_score(raw: Any, smin: Any, smax: Any, scaled: Any) -> float | None:
    """The 0-1 score the desktop's feature query reads (``core.features.events``): scaled, else
    (raw - min) / (max - min) with min 0 when absent, then held to nine decimals as its packed
    fetch holds it (within 1e-9 of the exact value)."""
    value = None
    if scaled is not None:
        value = float(scaled)
    elif raw is not None and smax is not None and float(smax) > float(smin or 0.0):
        lo = float(smin or 0.0)
        value = (float(raw) - lo) / (float(smax) - lo)
    if value is None:
        return None
    return (sqlite_round((value + 2.0) * 1e9) - 2_000_000_000) / 1e9


def _file_records(uri: str, content: bytes, file_no: int, config: Any) -> Any:
    """Every record of one file as a tuple of :data:`RECORD_COLUMNS` (runs in an executor)."""
    from learnalytics_desktop.core.features.catalog import MAX_DURATION_MS
    from learnalytics_desktop.core.ingest.pipeline import _one
    from learnalytics_desktop.core.ingest.readers import Reader, SourceFile, format_location
    from learnalytics_desktop.core.ingest.xapi.fields import Extractor

    ex = Extractor(config)
    with tempfile.TemporaryDirectory(prefix="learnalytics-lake-") as tmp:
        local = Path(tmp) / "source"
        local.write_bytes(content)
        reader = Reader(SourceFile(local, len(content), 0))
        for rec, (loc, data, rule, reason) in enumerate(reader.records()):
            out = _one(ex, data, rule, reason)
            actors, _verbs, acts, _courses = ex.take_entities()
            where = format_location(loc)
            if len(out) == 3:
                yield (file_no, rec, where, out[0], out[1], out[2], *([None] * 13))
                continue
            ifi, obj = out[2], out[4]
            kind, label = actors[ifi][0], actors[ifi][1]
            otype = acts.get(obj, (None, None))[0] if obj is not None else None
            dur = out[9]
            dur_ms = None if dur is None else min(sqlite_round(float(dur) * 1000.0), MAX_DURATION_MS)
            score = store_score(out[10], out[11], out[12], out[13])
            yield (
                file_no,
                rec,
                where,
                None,
                None,
                out[0],
                out[1],
                ifi,
                kind,
                label,
                out[3],
                obj,
                otype if isinstance(otype, str) else None,
                out[6],
                out[7],
                dur_ms,
                score,
                out[18],
                out[19],
            )


def load_records(
    spark: Any, sources: list[str], *, course_fallback: str | None = None
) -> tuple[Any, list[str]]:
    """``(records, files)``: a DataFrame with one row per record read (:data:`RECORD_COLUMNS`;
    ``rule`` set for a reject) and the files in read order (``file`` indexes it)."""
    from learnalytics_desktop.core.ingest.xapi.fields import ExtractConfig

    files = list_sources(spark, sources)
    if not files:
        raise LakeError("no statement files (.json, .jsonl, .ndjson, .gz, .zip) under " + ", ".join(sources))
    sc = spark.sparkContext
    index = sc.broadcast({uri: i for i, uri in enumerate(files)})
    config = ExtractConfig(now_ms=int(time.time() * 1000), course_fallback=course_fallback or None)
    n_parts = max(1, min(len(files), sc.defaultParallelism * 4))
    raw = sc.binaryFiles(",".join(files), minPartitions=n_parts)

    def records(part: Any) -> Any:
        lookup = index.value
        for uri, content in part:
            yield from _file_records(uri, content, lookup[uri], config)

    rdd = raw.repartition(n_parts).mapPartitions(records) if len(files) > 1 else raw.mapPartitions(records)
    return spark.createDataFrame(rdd, _schema()), files


def classify(records: Any) -> Any:
    """``records`` with ``outcome``: stored | duplicate | conflict | rejected (the store's rules:
    first in read order wins; same hash is a duplicate, another hash a conflict)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    w = Window.partitionBy("id").orderBy("file", "rec")
    valid = records.where(F.col("rule").isNull())
    ranked = valid.withColumn("_n", F.row_number().over(w)).withColumn("_first", F.first("hash").over(w))
    outcome = (
        F.when(F.col("_n") == 1, "stored")
        .when(F.col("hash") == F.col("_first"), "duplicate")
        .otherwise("conflict")
    )
    classified = ranked.withColumn("outcome", outcome).drop("_n", "_first")
    return classified.unionByName(
        records.where(F.col("rule").isNotNull()).withColumn("outcome", F.lit("rejected"))
    )


def analytics_events(classified: Any) -> tuple[Any, Any]:
    """``(events, voided)``: stored statements that are neither voiding nor voided (what the
    desktop's ``v_events`` holds), and the stored statements a stored voiding statement hides."""
    from pyspark.sql import functions as F

    stored = classified.where(F.col("outcome") == "stored")
    targets = (
        stored.where(F.col("void_target").isNotNull()).select(F.col("void_target").alias("id")).distinct()
    )
    plain = stored.where(F.col("void_target").isNull())
    return plain.join(targets, "id", "left_anti"), plain.join(targets, "id", "left_semi")


def outcomes(classified: Any, files: list[str]) -> ImportReport:
    """Count what :func:`classify` decided, in all, per rule and per file, as the desktop's
    :class:`~learnalytics_desktop.core.ingest.report.ImportReport` (``voided`` in all only:
    the desktop counts a voided statement in whichever file arrived second)."""
    from pyspark.sql import functions as F

    from learnalytics_desktop.core.ingest.report import FileResult

    per = classified.groupBy("file", "outcome").count().collect()
    rules = classified.where(F.col("rule").isNotNull()).groupBy("file", "rule").count().collect()
    _events, voided = analytics_events(classified)
    by_file = [FileResult(source=f, status="done") for f in files]
    names = {"stored": "stored", "duplicate": "duplicates", "conflict": "conflicts", "rejected": "rejected"}
    for row in per:
        fr, n = by_file[row["file"]], int(row["count"])
        setattr(fr, names[row["outcome"]], getattr(fr, names[row["outcome"]]) + n)
        fr.read += n
    for row in rules:
        by_file[row["file"]].rejects_by_rule[row["rule"]] = int(row["count"])
    out = ImportReport()
    for fr in by_file:
        out.add_file(fr)
    out.voided = int(voided.count())
    return out


def write_rejects(classified: Any, files: list[str], folder: str) -> int:
    """Write every reject (source, location, statement_id, rule, reason) as CSV part files in
    ``folder`` (Spark's layout, one header per part); no excerpt of the record is kept, so no
    personal data leaves with it. Returns how many."""
    from pyspark.sql import functions as F

    spark = classified.sparkSession
    names = spark.createDataFrame([(i, f) for i, f in enumerate(files)], "file int, source string")
    rejects = (
        classified.where(F.col("outcome") == "rejected")
        .join(F.broadcast(names), "file")
        .orderBy("file", "rec")
        .select("source", "location", F.col("id").alias("statement_id"), "rule", "reason")
    )
    rejects.write.mode("overwrite").option("header", True).csv(folder)
    return int(rejects.count())
