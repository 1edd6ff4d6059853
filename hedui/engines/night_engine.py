"""Which engine a night's heavy queries run on: DuckDB (the default) or Spark (`hedui nightly --engine spark`):
the ingest's typing and contracts, the linking's ID join, blocking and fuzzy scoring, and the rules' queries.

A `SparkEngine` says where Spark runs (`local[N]` or a master URL), where the Parquet both engines read lives, and
any Spark settings a province adds. `SparkNight` starts (or joins) the session and holds what the linking's ID
join, blocking and scoring take (`SparkTempQueries`) and what `hedui.rules.engine` takes (`SparkRules`);
`close` stops the session only if this night started it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from hedui.engines.spark_session import spark_missing

__all__ = ["ENGINES", "SparkEngine", "SparkNight", "check_engine"]

ENGINES = ("duckdb", "spark")


@dataclass(frozen=True)
class SparkEngine:
    """Spark for a night's rules stage. `parquet_dir`: where DuckDB writes the tables the rules read and Spark
    writes their rows, a folder the machine running hedui and every executor reach (default: the run's scratch
    folder beside the warehouse, fine for `local[N]`)."""

    master: str = "local[2]"
    parquet_dir: Path | None = None
    conf: dict[str, str] = field(default_factory=dict)


def check_engine(engine: str) -> None:
    """Refuse an unknown engine, or Spark where it cannot start, before the night touches the warehouse."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: one of {', '.join(ENGINES)}")
    if engine == "spark":
        missing = spark_missing()
        if missing:
            raise RuntimeError(f"--engine spark: {missing}")


class SparkNight:
    """The Spark session of one night, the `SparkTempQueries` of its ingest and its linking, and the `SparkRules` of
    its rules."""

    def __init__(self, engine: SparkEngine, scratch: Path) -> None:
        from pyspark import SparkContext

        from hedui.engines.spark_rules import SparkRules
        from hedui.engines.spark_session import start_spark
        from hedui.engines.spark_temp_queries import SparkTempQueries

        # a session already running in this process (a test's, a notebook's) is joined, and left running
        self._started_here = SparkContext._active_spark_context is None
        # A shared --spark-parquet folder gets one folder per run, removed when the night ends: its Parquet holds
        # whole staged tables, personal data included, and two nights (or warehouses) must not mix their files.
        # The default, inside the run's scratch folder, goes with it.
        self._shared = Path(engine.parquet_dir) / scratch.name if engine.parquet_dir else None
        folder = self._shared or scratch / "spark"
        self.spark = start_spark(engine.master, app_name="hedui-nightly", work_dir=scratch / "spark-work",
                                 conf=engine.conf)
        self.rules = SparkRules(self.spark, Path(folder))
        self.link_queries = SparkTempQueries(self.spark, Path(folder) / "link")
        # the ingest's typing and contracts: whole deliveries handed over, each call's Parquet removed once read back
        self.ingest_queries = SparkTempQueries(self.spark, Path(folder) / "ingest", remove_calls=True)

    def close(self) -> None:
        if self._started_here:
            self.spark.stop()
        if self._shared is not None:
            shutil.rmtree(self._shared, ignore_errors=True)
