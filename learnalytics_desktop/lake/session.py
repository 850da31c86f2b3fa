"""Starting Spark: the master, ``--conf`` pass-through, and a clear message when it cannot."""

from __future__ import annotations

import os
import shutil
import sys
from typing import Any

from learnalytics_desktop.lake import LakeError

DEFAULT_MASTER = "local[*]"
INSTALL_HINT = (
    "install the extra with: pip install 'learnalytics-desktop[spark]', and a Java 17 runtime "
    "(Debian/Ubuntu: apt-get install openjdk-17-jre-headless)"
)


def parse_conf(pairs: list[str] | None) -> dict[str, str]:
    """``["KEY=VALUE", ...]`` (the ``--conf`` options) as a dict; a clear error for a bad one."""
    out: dict[str, str] = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise LakeError(f"--conf expects KEY=VALUE, got {pair!r}")
        out[key.strip()] = value
    return out


def spark_session(master: str | None = None, conf: dict[str, str] | None = None) -> Any:
    """A SparkSession (the running one when there is one, e.g. under ``spark-submit``).

    ``master``: ``None`` keeps what ``spark-submit`` set, else :data:`DEFAULT_MASTER`. Local
    masters bind to 127.0.0.1 with the web UI off; ``conf`` entries are set as given and win.
    Python workers run this interpreter (``PYSPARK_PYTHON``) unless the environment says otherwise.
    """
    try:
        from pyspark import SparkConf
        from pyspark.sql import SparkSession
    except ModuleNotFoundError:
        raise LakeError(f"PySpark is not installed: {INSTALL_HINT}") from None
    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        raise LakeError(f"Spark needs a Java runtime and none was found: {INSTALL_HINT}")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    base = SparkConf()
    chosen = master or base.get("spark.master", None) or DEFAULT_MASTER
    builder = SparkSession.builder.appName("learnalytics lake").master(chosen)
    settings = {
        "spark.sql.session.timeZone": "UTC",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.hadoop.mapreduce.input.fileinputformat.input.dir.recursive": "true",
    }
    if chosen.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        settings.update(
            {
                "spark.ui.enabled": "false",
                "spark.driver.host": "127.0.0.1",
                "spark.driver.bindAddress": "127.0.0.1",
                "spark.sql.shuffle.partitions": "8",
            }
        )
    settings.update(conf or {})
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # Java missing or too old, a bad master URL
        raise LakeError(
            f"Spark could not start ({type(exc).__name__}: {str(exc)[:300]}); {INSTALL_HINT}"
        ) from exc
    spark.sparkContext.setLogLevel("ERROR")
    return spark
