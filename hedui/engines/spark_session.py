"""One Spark session for hedui's heavy stages: `local[N]` on one machine, or a cluster's master URL.

pyspark is an optional extra (`pip install 'hedui[spark]'`) and Spark needs Java, so `spark_missing()` says in
words what is absent before anything tries to start a session; the `spark` tests skip with that reason, and
`hedui nightly --engine spark` refuses with it.

The session runs with the settings the portable SQL relies on (`SPARK_SESSION_SETTINGS`: ANSI mode off, the
CORRECTED time parser, the session time zone), writes timestamps to Parquet as microseconds DuckDB reads without
guessing, and has the project's functions registered (`hedui.engines.spark_udfs`).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

from hedui.engines.spark_sql import SPARK_SESSION_SETTINGS

__all__ = ["spark_missing", "start_spark", "is_local_master", "LOCAL_SHUFFLE_PARTITIONS"]

# A shuffle of a local session is cut into this many partitions instead of Spark's 200: on one machine each
# partition is a task started in turn, and a night's rule reads thousands of rows, not billions. A cluster keeps
# Spark's default, or what the province sets (`conf`).
LOCAL_SHUFFLE_PARTITIONS = 4


def spark_missing() -> str | None:
    """What is missing to start Spark here, in words (None: pyspark imports and Java is found)."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'hedui[spark]', the spark extra)"
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return None
    if shutil.which("java") is None:
        return "no Java runtime: neither $JAVA_HOME/bin/java nor java on PATH (Spark 3.3 runs on Java 8, 11 or 17)"
    return None


def is_local_master(master: str) -> bool:
    return master == "local" or master.startswith("local[")


def start_spark(master: str = "local[1]", *, app_name: str = "hedui", work_dir: Path | None = None,
                conf: dict[str, str] | None = None) -> Any:
    """A Spark session on `master` with hedui's settings and functions (or the running session, reconfigured).

    `work_dir` holds what Spark itself writes locally (its warehouse folder, spilled blocks of a local session);
    `conf` adds or overrides Spark settings (a province's memory, executors, shuffle partitions). A local session's
    Python workers run this interpreter, so they import the same hedui and libraries."""
    missing = spark_missing()
    if missing:
        raise RuntimeError(f"cannot start Spark: {missing}")
    from pyspark.sql import SparkSession

    from hedui.engines.spark_udfs import register_udfs

    settings: dict[str, str] = {
        **SPARK_SESSION_SETTINGS,
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        # timestamps written as INT64 microseconds (not INT96), which DuckDB reads as instants
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    }
    if is_local_master(master):
        settings["spark.sql.shuffle.partitions"] = str(LOCAL_SHUFFLE_PARTITIONS)
        # pyspark starts its Python workers with $PYSPARK_PYTHON (default `python3`, which may lack pandas or
        # hedui); a local session's workers are this interpreter unless the environment says otherwise
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if work_dir is not None:
        work_dir.mkdir(parents=True, exist_ok=True)
        settings["spark.sql.warehouse.dir"] = str(work_dir / "spark-warehouse")
        settings["spark.local.dir"] = str(work_dir / "spark-local")
    settings.update(conf or {})
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    # a session that was already running keeps its static settings; the SQL ones are set again here
    for key, value in SPARK_SESSION_SETTINGS.items():
        spark.conf.set(key, value)
    register_udfs(spark)
    return spark
