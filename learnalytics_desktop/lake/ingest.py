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
    ("skip", "string"),  # why a valid record of another format is not learner activity
    ("digest", "binary"),  # a reject's fingerprint (the desktop's quarantine: same bytes and rule)
    ("format", "string"),  # the format the file was read as (core.ingest.formats)
)
FORMAT_ERROR = "lake.format_options"  # a file whose format needs an option that was not given


def _schema() -> str:
    return ", ".join(f"{n} {t}" for n, t in RECORD_COLUMNS)


def _wanted(uri: str, root: str) -> bool:
    # Statement files only: the desktop reads a table found in a folder only when its columns
    # name a known format (readers._known_table) and skips other tables (manifests, gradebooks);
    # the lake reads neither kind from folders, so the two engines count the same files.
    from learnalytics_desktop.core.ingest.readers import _hidden
    from learnalytics_desktop.core.ingest.readers import _wanted as desktop_wants

    rel = uri[len(root) :].strip("/").split("/") if uri.startswith(root) else [uri.rsplit("/", 1)[-1]]
    return not any(_hidden(part) for part in rel) and desktop_wants(rel[-1])


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


def reject_digest(rule: str, data: bytes | None, source: str, location: str) -> bytes:
    """The desktop quarantine's fingerprint of a reject (``core.ingest.writer``): a second
    record with the same bytes and rule (or, without bytes, the same place and rule) counts
    as a duplicate, not as a second reject."""
    import hashlib

    h = hashlib.sha256(rule.encode("utf-8", "replace") + b"\0")
    if data is None:
        h.update(b"at\0" + source.encode("utf-8", "replace") + b"\0" + location.encode())
    else:
        h.update(b"bytes\0" + bytes(data))
    return h.digest()[:16]


def _file_records(
    uri: str, content: bytes, file_no: int, config: Any, source_format: str | None, options: dict[str, Any]
) -> Any:
    """Every record of one file as a tuple of :data:`RECORD_COLUMNS` (runs in an executor):
    the desktop's format detection, reader, converter, validator and column extraction."""
    from learnalytics_desktop.core.features.catalog import MAX_DURATION_MS
    from learnalytics_desktop.core.ingest.pipeline import _converter, _one
    from learnalytics_desktop.core.ingest.readers import ReadLimits, SourceFile, format_location
    from learnalytics_desktop.core.ingest.sourcing import FormatError, open_records, plan_files
    from learnalytics_desktop.core.ingest.xapi.fields import Extractor
    from learnalytics_desktop.core.labels import MAX_LABEL, clean_label

    ex = Extractor(config)
    blank = [None] * 14
    with tempfile.TemporaryDirectory(prefix="learnalytics-lake-") as tmp:
        local = Path(tmp) / (uri.rstrip("/").rsplit("/", 1)[-1] or "source")  # detection reads the name
        local.write_bytes(content)
        source, limits = SourceFile(local, len(content), 0), ReadLimits()
        try:
            plan = plan_files([source], source_format, options, limits)[source.display]
        except FormatError as exc:
            yield (file_no, 0, "file", FORMAT_ERROR, f"{uri}: {exc}", *blank, None, None, None)
            return
        conv, fmt = _converter(plan.spec), plan.format
        records = (r for block in open_records(source, plan, limits, options).blocks() for r in block)
        for rec, (loc, data, rule, reason) in enumerate(records):
            out = _one(ex, data, rule, reason, conv)
            actors, _verbs, acts, _courses = ex.take_entities()
            where = format_location(loc)
            if len(out) == 1:  # a valid record that is not learner activity
                yield (file_no, rec, where, None, None, *blank, out[0], None, fmt)
                continue
            if len(out) == 3:
                digest = reject_digest(out[0], data, uri, where)
                yield (file_no, rec, where, out[0], out[1], out[2], *blank[:13], None, digest, fmt)
                continue
            ifi, obj = out[2], out[4]
            kind, label = (
                actors[ifi][0],
                clean_label(actors[ifi][1], ifi[:MAX_LABEL]),
            )  # as the store keeps it
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
                None,
                None,
                fmt,
            )


def load_records(
    spark: Any,
    sources: list[str],
    *,
    course_fallback: str | None = None,
    source_format: str | None = None,
    format_options: dict[str, Any] | None = None,
) -> tuple[Any, list[str]]:
    """``(records, files)``: a DataFrame with one row per record read (:data:`RECORD_COLUMNS`;
    ``rule`` set for a reject, ``skip`` for a record that is not learner activity) and the
    files in read order (``file`` indexes it). ``source_format`` / ``format_options`` as the
    desktop import's (``core.ingest.formats``; default: each file's format from its content)."""
    from learnalytics_desktop.core.ingest.xapi.fields import ExtractConfig

    files = list_sources(spark, sources)
    if not files:
        raise LakeError("no statement files (.json, .jsonl, .ndjson, .gz, .zip) under " + ", ".join(sources))
    sc = spark.sparkContext
    index = sc.broadcast({uri: i for i, uri in enumerate(files)})
    config = ExtractConfig(now_ms=int(time.time() * 1000), course_fallback=course_fallback or None)
    options = dict(format_options or {})
    n_parts = max(1, min(len(files), sc.defaultParallelism * 4))
    raw = sc.binaryFiles(",".join(files), minPartitions=n_parts)

    def records(part: Any) -> Any:
        lookup = index.value
        for uri, content in part:
            yield from _file_records(uri, content, lookup[uri], config, source_format, options)

    rdd = raw.repartition(n_parts).mapPartitions(records) if len(files) > 1 else raw.mapPartitions(records)
    return spark.createDataFrame(rdd, _schema()), files


def check_formats(records: Any) -> None:
    """Refuse, as the desktop import does before writing anything, files whose format needs
    an option that was not given (raises :class:`LakeError` naming the first such file)."""
    from pyspark.sql import functions as F

    bad = records.where(F.col("rule") == FORMAT_ERROR).select("reason").limit(1).collect()
    if bad:
        raise LakeError(bad[0]["reason"])


def classify(records: Any) -> Any:
    """``records`` with ``outcome``: stored | duplicate | conflict | rejected | skipped (the
    store's rules: first in read order wins; same hash is a duplicate, another hash a
    conflict; a reject whose bytes and rule came before is a duplicate too)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    w = Window.partitionBy("id").orderBy("file", "rec")
    valid = records.where(F.col("rule").isNull() & F.col("skip").isNull())
    ranked = valid.withColumn("_n", F.row_number().over(w)).withColumn("_first", F.first("hash").over(w))
    outcome = (
        F.when(F.col("_n") == 1, "stored")
        .when(F.col("hash") == F.col("_first"), "duplicate")
        .otherwise("conflict")
    )
    classified = ranked.withColumn("outcome", outcome).drop("_n", "_first")
    wr = Window.partitionBy("digest").orderBy("file", "rec")
    rejects = records.where(F.col("rule").isNotNull()).withColumn(
        "outcome", F.when(F.row_number().over(wr) == 1, "rejected").otherwise("duplicate")
    )
    skipped = records.where(F.col("skip").isNotNull()).withColumn("outcome", F.lit("skipped"))
    return classified.unionByName(rejects).unionByName(skipped)


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
    fresh = classified.where(F.col("outcome") == "rejected")
    rules = fresh.groupBy("file", "rule").count().collect()
    skips = classified.where(F.col("outcome") == "skipped").groupBy("file", "skip").count().collect()
    _events, voided = analytics_events(classified)
    by_file = [FileResult(source=f, status="done") for f in files]
    names = {
        "stored": "stored",
        "duplicate": "duplicates",
        "conflict": "conflicts",
        "rejected": "rejected",
        "skipped": "skipped",
    }
    for row in per:
        fr, n = by_file[row["file"]], int(row["count"])
        setattr(fr, names[row["outcome"]], getattr(fr, names[row["outcome"]]) + n)
        fr.read += n
    for row in rules:
        by_file[row["file"]].rejects_by_rule[row["rule"]] = int(row["count"])
    for row in skips:
        by_file[row["file"]].skips_by_reason[row["skip"]] = int(row["count"])
    for row in classified.groupBy("file").agg(F.first("format", ignorenulls=True).alias("f")).collect():
        by_file[row["file"]].format = row["f"] or by_file[row["file"]].format
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
