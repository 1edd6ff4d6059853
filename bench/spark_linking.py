"""The linking stage on DuckDB and with its Spark steps, on a copy of a city's warehouse: wall and CPU seconds.

    .venv/bin/hedui generate CITY --preset demo --as-of 2026-11-20
    .venv/bin/hedui nightly --landing CITY/landing --warehouse CITY/W.duckdb --as-of 2026-11-20 --no-prefect
    nice -n 19 .venv/bin/python bench/spark_linking.py CITY/W.duckdb 2026-11-20 [--spark-master local[2]]

Runs `matching.link_records` (a full recomputation, as the first night of a warehouse) on a copy of the
warehouse with DuckDB alone, then starts a local Spark session and runs it again on another copy with the ID join,
the blocking and the fuzzy scoring on Spark (`hedui.engines.spark_temp_queries`, what `hedui nightly --engine
spark` does), timing each Spark step. CPU is summed over this process and every process under it (Spark's JVM,
pyspark's Python workers) from /proc, so it counts what the JVM spends, which the process's own rusage does not.
Checks that both engines leave the same `linked.links` and `linked.link_review`. Prints the load average: on
shared cores a figure means little without it. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from hedui.run_info import RunInfo
from matching import link_records

TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds() -> float:
    """User and system CPU of this process and its descendants, reaped children included."""
    parents, cpu = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:  # ended meanwhile
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after the command name, which may hold spaces
        parents[int(entry)] = int(fields[1])
        cpu[int(entry)] = sum(int(ticks) for ticks in fields[11:15]) / TICKS  # utime, stime, cutime, cstime
    me, total = os.getpid(), 0.0
    for pid, seconds in cpu.items():
        ancestor = pid
        while ancestor and ancestor != me:
            ancestor = parents.get(ancestor, 0)
        total += seconds if ancestor == me else 0.0
    return total


class Clock:
    """Wall and tree CPU seconds of a block."""

    def __enter__(self) -> "Clock":
        self.cpu, self.wall = tree_cpu_seconds(), time.perf_counter()
        return self

    def __exit__(self, *_) -> None:
        self.cpu, self.wall = tree_cpu_seconds() - self.cpu, time.perf_counter() - self.wall

    def __str__(self) -> str:
        return f"{self.wall:.1f} s wall, {self.cpu:.1f} s CPU"


def timed_steps(queries) -> None:
    """Print each Spark step of the linking (the temp table it makes) with its wall and CPU seconds."""
    for method in ("create_temp_table", "map_into_temp_table"):
        step = getattr(queries, method)

        def timed(con, name, *args, _step=step, **kwargs):
            with Clock() as clock:
                _step(con, name, *args, **kwargs)
            print(f"  {name}: {clock}", flush=True)

        setattr(queries, method, timed)


def link_once(warehouse: Path, copy: Path, as_of: dt.date, queries=None) -> tuple[list, list]:
    shutil.copyfile(warehouse, copy)
    con = duckdb.connect(str(copy))
    try:
        (run_id,) = con.execute("select max(run_id) from ledger.runs where as_of = ?", [as_of]).fetchone()
        with Clock() as clock:
            stats = link_records(con, RunInfo(run_id, as_of, full_recompute=True), spark_queries=queries)
        fuzzy = sum(per.get("fuzzy", 0) for per in stats.links.values())
        print(f"{'spark' if queries else 'duckdb'}: link {clock}; {stats.total_links} links ({fuzzy} fuzzy), "
              f"{stats.fuzzy_profiles} fuzzy profiles, {stats.candidate_pairs} candidate pairs", flush=True)
        return (con.execute("select * from linked.links order by all").fetchall(),
                con.execute("select * from linked.link_review order by all").fetchall())
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", type=Path, help="a warehouse after its night (not changed: copies are linked)")
    parser.add_argument("as_of", type=dt.date.fromisoformat, help="the as-of date of that night")
    parser.add_argument("--spark-master", default="local[2]")
    args = parser.parse_args()

    from hedui.engines.spark_session import start_spark
    from hedui.engines.spark_temp_queries import SparkTempQueries

    with tempfile.TemporaryDirectory(prefix="spark-linking-") as scratch:
        base = Path(scratch)
        print(f"load average before: {os.getloadavg()[0]:.1f}")
        on_duckdb = link_once(args.warehouse, base / "duckdb.duckdb", args.as_of)
        with Clock() as clock:
            spark = start_spark(args.spark_master, work_dir=base / "spark-work")
            spark.sql("select 1").collect()
        print(f"spark start ({args.spark_master}): {clock}")
        try:
            queries = SparkTempQueries(spark, base / "parquet")
            timed_steps(queries)
            on_spark = link_once(args.warehouse, base / "spark.duckdb", args.as_of, queries)
        finally:
            spark.stop()
        print(f"load average after: {os.getloadavg()[0]:.1f}")
        print("links equal:", on_spark[0] == on_duckdb[0], "; review rows equal:", on_spark[1] == on_duckdb[1])


if __name__ == "__main__":
    main()
