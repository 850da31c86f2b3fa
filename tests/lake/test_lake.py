"""The lake engine (Spark, local[2]) against the desktop on the same files: the import
accounting equals the desktop import's counts exactly, and every feature in
``core.features.catalog.FEATURES`` (and its percentile) equals the desktop's within 1e-9, on
the demo course and on a generated noisy course. One SparkSession for the module.

Skipped (with the reason) only where PySpark or Java is not installed; ``./dev test``
installs both.
"""

from __future__ import annotations

import json
import shutil
import socket
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pyspark = pytest.importorskip("pyspark", reason="the lake tests need the [spark] extra")
if shutil.which("java") is None and not __import__("os").environ.get("JAVA_HOME"):
    pytest.skip("the lake tests need a Java runtime (openjdk-17-jre-headless)", allow_module_level=True)

from lake_noisy import generate as generate_noisy  # noqa: E402

from learnalytics_desktop.cli import main  # noqa: E402
from learnalytics_desktop.core.courses import find_course, list_courses, set_course_dates  # noqa: E402
from learnalytics_desktop.core.demo import generate as generate_demo  # noqa: E402
from learnalytics_desktop.core.features import compute_features  # noqa: E402
from learnalytics_desktop.core.features.catalog import FEATURE_COLUMNS, PERCENTILE_OF  # noqa: E402
from learnalytics_desktop.core.ingest import import_paths  # noqa: E402
from learnalytics_desktop.core.store import open_db  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    # PySpark 4.x warns about pandas 3 on every call; its own warnings, not ours
    pytest.mark.filterwarnings("ignore::FutureWarning:pyspark"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
COUNTS = ("read", "stored", "duplicates", "conflicts", "rejected", "skipped", "voided")


def _root_conftest(config: pytest.Config):
    """tests/conftest.py as pytest loaded it (``import conftest`` would find whichever
    conftest module was imported last: tests/gui's in a whole-suite run)."""
    wanted = Path(__file__).resolve().parents[1] / "conftest.py"
    for plugin in config.pluginmanager.get_plugins():
        if Path(getattr(plugin, "__file__", "") or "/").resolve() == wanted:
            return plugin
    raise LookupError(f"{wanted} is not loaded")


@pytest.fixture(scope="module")
def spark(pytestconfig):
    """One local[2] session for the module. Spark's driver talks to its own JVM over the
    loopback interface: the suite's network guard lets exactly that through while the
    session lives (any other address still fails) and is restored afterwards."""
    guarded_connect, guarded_lookup = socket.socket.connect, socket.getaddrinfo
    conftest = _root_conftest(pytestconfig)

    def connect(sock, address, *a, **k):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] in LOOPBACK:
            return conftest._real_connect(sock, address, *a, **k)
        return guarded_connect(sock, address, *a, **k)

    def lookup(host, *a, **k):
        if host in LOOPBACK:
            return conftest._real_getaddrinfo(host, *a, **k)
        return guarded_lookup(host, *a, **k)

    socket.socket.connect, socket.getaddrinfo = connect, lookup
    from learnalytics_desktop.lake.session import spark_session

    session = spark_session("local[2]", {"spark.sql.shuffle.partitions": "4"})
    try:
        yield session
    finally:
        session.stop()
        socket.socket.connect, socket.getaddrinfo = guarded_connect, guarded_lookup


def _desktop(tmp_path, source, fallback=None, options=None):
    conn = open_db(tmp_path / "desktop.db")
    report = import_paths(conn, [source], course_fallback=fallback, workers=0, format_options=options)
    return conn, report


def _lake(spark, source, fallback=None, options=None):
    from learnalytics_desktop.lake.ingest import classify, load_records, outcomes

    records, files = load_records(spark, [str(source)], course_fallback=fallback, format_options=options)
    classified = classify(records).cache()
    return classified, outcomes(classified, files)


def _same_counts(report, result):
    assert {k: getattr(result, k) for k in COUNTS} == {k: getattr(report, k) for k in COUNTS}
    assert (
        result.read == result.stored + result.duplicates + result.conflicts + result.rejected + result.skipped
    )
    assert result.rejects_by_rule == report.rejects_by_rule
    assert result.skips_by_reason == report.skips_by_reason
    per_file = (
        "read",
        "stored",
        "duplicates",
        "conflicts",
        "rejected",
        "skipped",
        "rejects_by_rule",
        "format",
    )
    assert [[getattr(f, k) for k in per_file] for f in result.files] == [
        [getattr(f, k) for k in per_file] for f in report.files
    ]


def _compare(conn, classified, iris, week, start=None):
    """Both engines' features of offerings at one week (one Spark pass for all of them);
    asserts equality column by column; returns the number of student rows compared."""
    from learnalytics_desktop.lake.features import Offering, feature_tables, offerings

    chosen = []
    for iri in iris:
        (o,) = offerings(classified, course=iri, start=start, week=week)
        chosen.append(o)
    tables = feature_tables(classified, chosen)
    labels = dict(conn.execute("SELECT id, label FROM actors").fetchall())
    expected = list(FEATURE_COLUMNS) + [f"pct_{c}" for c in PERCENTILE_OF]
    compared = 0
    for o in chosen:
        course = find_course(conn, o.iri)
        assert isinstance(o, Offering) and o.as_of == course.as_of_week(week)
        desk = compute_features(conn, course.id, course.as_of_week(week))
        lake = tables[o.iri]
        assert lake["labels"] == [labels[int(a)] for a in desk.index]
        assert list(lake["raw"].columns) == list(desk.columns) == expected  # a new feature cannot hide
        for col in expected:
            x, y = desk[col].to_numpy(float), lake["raw"][col].to_numpy(float)
            same = (np.isnan(x) & np.isnan(y)) | (np.abs(x - y) <= 1e-9)
            assert same.all(), f"{o.iri} week {week}: {col} differs (max {np.nanmax(np.abs(x - y))})"
        compared += len(desk)
    return compared


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    generate_demo(folder, students=60, seed=5)
    return folder


@pytest.fixture(scope="module")
def noisy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("noisy")
    info = generate_noisy(folder)
    return folder, info


def test_demo_counts_and_features_equal_the_desktop(spark, demo, tmp_path):
    conn, report = _desktop(tmp_path, demo)
    classified, result = _lake(spark, demo)
    _same_counts(report, result)
    assert (
        result.voided == 2 and result.duplicates > 0 and result.rejected >= 10
    )  # + tables of no known format
    iris = [f"https://lms.example.edu/course/ida101/{t}" for t in ("2025-autumn", "2026-autumn")]
    compared = _compare(conn, classified, iris, 5)
    assert compared >= 60


def test_noisy_course_counts_and_features_equal_the_desktop(spark, noisy, tmp_path):
    folder, info = noisy
    conn, report = _desktop(tmp_path, folder, fallback=info["fallback"], options=info["format_options"])
    classified, result = _lake(spark, folder, fallback=info["fallback"], options=info["format_options"])
    _same_counts(report, result)
    assert result.conflicts > 0 and result.voided > 0 and result.rejected >= 6
    assert result.duplicates > 0 and result.skipped > 0  # the edX log's server events
    courses = [c.iri for c in list_courses(conn)]
    assert set(info["courses"]) < set(courses)  # and the edX course
    for iri in courses:
        set_course_dates(conn, find_course(conn, iri).id, info["start"], 14)
    for week in (1, 5):
        assert _compare(conn, classified, courses, week, start=info["start"]) > 0


def test_all_courses_use_the_data_start_as_the_desktop_does(spark, noisy, tmp_path):
    from learnalytics_desktop.lake.features import feature_tables, offerings

    folder, info = noisy
    conn, _report = _desktop(tmp_path, folder, fallback=info["fallback"], options=info["format_options"])
    classified, _result = _lake(spark, folder, fallback=info["fallback"], options=info["format_options"])
    chosen = offerings(classified, course=None, start=None, week=2, all_courses=True)
    assert sorted(o.iri for o in chosen) == sorted(c.iri for c in list_courses(conn))
    tables = feature_tables(classified, chosen)
    for o in chosen:
        course = find_course(conn, o.iri)
        assert o.start == course.start and o.start_source == "data"
        desk = compute_features(conn, course.id, course.as_of_week(2))
        assert len(tables[o.iri]["raw"]) == len(desk)


def test_cli_files_equal_the_desktop_cli(spark, demo, tmp_path, capsys):
    iri = "https://lms.example.edu/course/ida101/2026-autumn"
    db = tmp_path / "demo.db"
    conn, _report = _desktop(tmp_path, demo)
    conn.close()
    (tmp_path / "desktop.db").rename(db)
    assert (
        main(
            ["features", "--db", str(db), "--course", iri, "--week", "4", "--out", str(tmp_path / "desk.csv")]
        )
        == 0
    )
    args = ["lake", "features", "--source", str(demo), "--course", iri, "--week", "4", "--master", "local[2]"]
    assert main([*args, "--conf", "spark.sql.shuffle.partitions=3", "--out", str(tmp_path / "lake.csv")]) == 0
    assert (tmp_path / "lake.csv").read_bytes() == (tmp_path / "desk.csv").read_bytes()
    assert main([*args, "--out", str(tmp_path / "lake.parquet"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["courses"][0]["start_from"] == "data"
    frame = pd.read_parquet(tmp_path / "lake.parquet")
    desk = pd.read_csv(tmp_path / "desk.csv", encoding="utf-8-sig")
    assert list(frame.columns) == list(desk.columns) and frame["student"].tolist() == desk["student"].tolist()
    assert np.allclose(frame.drop(columns="student"), desk.drop(columns="student"), equal_nan=True)


def test_cli_import_stats_validate_and_rejects(spark, noisy, tmp_path, capsys):
    folder, info = noisy
    _conn, report = _desktop(tmp_path, folder, fallback=info["fallback"], options=info["format_options"])
    base = [
        "--source",
        str(folder),
        "--course-fallback",
        info["fallback"],
        "--home-page",
        info["format_options"]["home_page"],
        "--json",
    ]
    assert main(["lake", "import-stats", *base, "--rejects", str(tmp_path / "rejects")]) == 0
    got = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {k: got[k] for k in COUNTS} == {k: getattr(report, k) for k in COUNTS}
    written = pd.concat(pd.read_csv(p) for p in (tmp_path / "rejects").glob("part-*.csv"))
    assert len(written) == report.rejected
    assert set(written.columns) == {"source", "location", "statement_id", "rule", "reason"}
    assert "line" in " ".join(written["location"].astype(str))
    assert main(["lake", "validate", "--source", str(folder), "--home-page", "https://lms.example.edu"]) == 1
    out = capsys.readouterr().out
    from learnalytics_desktop.core.ingest.importer import validate_paths

    verdicts = list(validate_paths([folder], workers=0, format_options=info["format_options"]))
    invalid = sum(1 for v in verdicts if not v.ok and not v.skipped)
    assert (
        "INVALID [json.malformed]" in out and f"{invalid:,} invalid" in out and invalid == report.rejected + 1
    )


def test_cli_clear_errors(spark, tmp_path, capsys):
    assert main(["lake", "import-stats", "--source", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    bad = [
        "lake",
        "features",
        "--source",
        str(tmp_path),
        "--course",
        "x",
        "--week",
        "1",
        "--out",
        str(tmp_path / "f.xlsx"),
    ]
    assert main(bad) == 2
    assert ".csv or .parquet" in capsys.readouterr().err
    assert main(["lake", "validate", "--source", str(tmp_path), "--conf", "novalue"]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err


def test_start_option_and_unknown_course(spark, noisy, tmp_path, capsys):
    folder, info = noisy
    out = tmp_path / "f.csv"
    args = [
        "lake",
        "features",
        "--source",
        str(folder),
        "--week",
        "1",
        "--out",
        str(out),
        "--home-page",
        "https://x.example",
    ]
    assert main([*args, "--course", "https://nowhere.example/c"]) == 2
    assert "no stored statement belongs" in capsys.readouterr().err
    assert main([*args, "--course", info["courses"][0], "--start", "7 Sept"]) == 2
    assert "--start must be a date" in capsys.readouterr().err
    assert main([*args, "--course", info["courses"][0], "--start", info["start"].isoformat()]) == 0
    assert "start 2026-09-07, from user" in capsys.readouterr().out
    assert date.fromisoformat(info["start"].isoformat()) == info["start"]


def test_train_and_score_from_cluster_features_without_raw_events(spark, demo, tmp_path, capsys):
    """The laptop trains on the cluster's table of a past offering and scores this term's
    table: no statement is imported; the model card names the file and the engine."""
    from learnalytics_desktop.core.model import get_card

    past, now = (f"https://lms.example.edu/course/ida101/{t}" for t in ("2025-autumn", "2026-autumn"))
    gradebook = next(demo.rglob("gradebook-*2025*.csv"))
    common = ["lake", "features", "--source", str(demo), "--master", "local[2]"]
    assert main([*common, "--course", past, "--week", "6", "--out", str(tmp_path / "past.parquet")]) == 0
    assert main([*common, "--course", now, "--week", "6", "--out", str(tmp_path / "now.csv")]) == 0
    capsys.readouterr()
    db = tmp_path / "laptop.db"
    train = [
        "train",
        "--db",
        str(db),
        "--features",
        str(tmp_path / "past.parquet"),
        "--outcomes",
        str(gradebook),
    ]
    assert main([*train, "--kind", "logreg", "--json"]) == 0
    trained = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert trained["week"] == 6 and trained["counts"]["trained_on"] >= 20
    source = trained["feature_source"]
    assert source["engine"].startswith("spark") and source["file"].endswith("past.parquet")
    assert len(source["sha256"]) == 64 and source["sources"] == [str(demo)]
    conn = open_db(db)
    assert conn.execute("SELECT count(*) FROM statements").fetchone()[0] == 0
    assert get_card(conn, trained["model_id"])["feature_source"] == source
    conn.execute("UPDATE models SET active = 1 WHERE id = ?", (trained["model_id"],))
    conn.close()
    out = tmp_path / "risk.csv"
    assert (
        main(["score", "--db", str(db), "--features", str(tmp_path / "now.csv"), "--out", str(out), "--json"])
        == 0
    )
    scored = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    risk = pd.read_csv(out, encoding="utf-8-sig")
    lake_now = pd.read_csv(tmp_path / "now.csv", encoding="utf-8-sig")
    assert sorted(risk["student"]) == sorted(lake_now["student"]) and risk["risk_score"].between(0, 1).all()
    assert scored["runs"][0]["as_of"].startswith(
        json.loads((tmp_path / "now.csv.json").read_text())["courses"][0]["as_of"][:10]
    )
