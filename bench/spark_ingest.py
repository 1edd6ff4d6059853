"""The ingest (every source of a landing zone) on DuckDB and with its typing and contracts on Spark: wall and CPU.

    .venv/bin/hedui generate CITY --preset demo --as-of 2026-11-20
    nice -n 19 .venv/bin/python bench/spark_ingest.py CITY/landing 2026-11-20 [--spark-master local[2]]

Ingests every source (`hedui.stages.ingest`, what a night's ingest stage runs) into a fresh warehouse with DuckDB
alone, then starts a local Spark session and ingests again into another, with the typing and the compiled
contracts on Spark (`hedui nightly --engine spark`; the files are read by this process either way). CPU is summed
over this process and every process under it (Spark's JVM, pyspark's Python workers), as `bench/spark_linking.py`
does. Checks that both warehouses hold the same staged tables, quarantine, flags and delivery counts. Prints the
load average: on shared cores a figure means little without it. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from spark_linking import Clock  # noqa: E402

from connectors import SOURCES  # noqa: E402
from connectors.sql_text import sql_identifier  # noqa: E402
from hedui import stages  # noqa: E402
from hedui.run_info import RunInfo  # noqa: E402
from hedui.warehouse import migrate  # noqa: E402


def ingest_all(warehouse: Path, landing: Path, as_of: dt.date, scratch: Path, spark_queries=None) -> dict[str, Clock]:
    """Every source ingested into a new warehouse; the clock of each."""
    con = duckdb.connect(str(warehouse))
    clocks = {}
    try:
        migrate(con)
        for source in SOURCES:
            with Clock() as clocks[source]:
                stages.ingest(con, landing, source, RunInfo("bench", as_of), tmp_dir=scratch, results_dir=None,
                              spark_queries=spark_queries)
    finally:
        con.close()
    return clocks


def ingested(warehouse: Path) -> dict[str, list]:
    """The staged tables, quarantine, flags and delivery ledger, run ids aside, each in order."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute(
            "select schema_name, table_name, list(column_name order by column_index) from duckdb_columns()"
            " where schema_name in ('staged', 'quarantine', 'raw') or (schema_name = 'ledger' and table_name ="
            " 'deliveries') group by all order by all").fetchall()
        return {f"{schema}.{table}": con.execute(
            f"select {', '.join(sql_identifier(c) for c in columns if c != 'run_id')} "
            f"from {sql_identifier(schema)}.{sql_identifier(table)} order by all").fetchall()
            for schema, table, columns in tables}
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("landing", type=Path)
    parser.add_argument("as_of", type=dt.date.fromisoformat)
    parser.add_argument("--spark-master", default="local[1]")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="hedui-spark-ingest-"))
    try:
        total = {}
        with Clock() as total["duckdb"]:
            on_duckdb = ingest_all(work / "duckdb.duckdb", args.landing, args.as_of, work / "scratch-duckdb")
        print(f"DuckDB ingest: {total['duckdb']}", flush=True)

        from hedui.engines.spark_session import start_spark
        from hedui.engines.spark_temp_queries import SparkTempQueries

        with Clock() as start:
            spark = start_spark(args.spark_master, app_name="hedui-bench-ingest", work_dir=work / "spark-work")
        print(f"Spark session start ({args.spark_master}): {start}", flush=True)
        queries = SparkTempQueries(spark, work / "parquet", remove_calls=True)
        with Clock() as total["spark"]:
            on_spark = ingest_all(work / "spark.duckdb", args.landing, args.as_of, work / "scratch-spark", queries)
        print(f"Spark ingest (typing and contracts on Spark): {total['spark']}", flush=True)
        spark.stop()
        print(f"{'source':<18}{'DuckDB':>32}{'Spark':>32}")
        for source in SOURCES:
            print(f"{source:<18}{str(on_duckdb[source]):>32}{str(on_spark[source]):>32}")
        print(f"load average {os.getloadavg()[0]:.1f}")
        a, b = ingested(work / "duckdb.duckdb"), ingested(work / "spark.duckdb")
        different = [table for table in a if repr(a[table]) != repr(b.get(table))]
        rows = sum(len(r) for t, r in a.items() if t.startswith("staged."))
        print(f"staged rows {rows}; tables equal on both engines: {'all' if not different else different}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
