"""A query over DuckDB temporary tables run on Spark, its rows put back into a DuckDB temporary table.

The linking stage (`matching`) passes its work through DuckDB temp tables (`matching.temp_tables`): the records
to link, the members, the ID hits, the candidate pairs. With `--engine spark` a step of it that is one portable
query over such tables (the ID join, `matching.id_path`; the blocking, `matching.blocking`) runs on Spark: each
temp table it reads is written by DuckDB to Parquet and becomes a temporary view of the Spark session under the
same name, the query's Spark 3.3 text (`hedui.engines.spark_sql.to_spark`, parameters bound as literals) runs
there and writes its rows to Parquet, and DuckDB reads them into the temp table the DuckDB step would have
created, with the column types DuckDB's own evaluation has (`describe`, which plans the query without running
it). The stages after it go on as on DuckDB alone.

A step that is Python over rows of a query (the fuzzy scoring, `matching.scoring`) runs the query on Spark the same
way and then a module-level Python function over its partitions (`DataFrame.mapInPandas`), each a stream of
pandas batches, and its output, whose columns and DuckDB types the caller names, comes back the same way. The
function is pickled by reference (its module and name), so the executors import it from the installed hedui:
pyspark 3.3's cloudpickle cannot rebuild a Python 3.11 function sent by value (`hedui.engines.spark_udfs`).

Each call writes its own folder (`<folder>/call-<n>-<table>`): a temp table changes between the steps of a night, so
nothing handed over is reused. The folder is the night's Spark folder, removed when the night ends
(`hedui.engines.night_engine.SparkNight`).
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path
from typing import Any, Callable, Iterator

from connectors.sql_text import sql_identifier, sql_literal
from hedui.engines.spark_sql import to_spark
from hedui.engines.spark_tables import first_line, select_for_spark

__all__ = ["SparkTempQueries", "SparkQueryFailed", "SPARK_TYPES"]

# The DuckDB types a mapped step may return, and the Spark type each is written as (`map_into_temp_table`): the
# name of its class in pyspark.sql.types.
SPARK_TYPES = {"BIGINT": "LongType", "INTEGER": "IntegerType", "DOUBLE": "DoubleType", "VARCHAR": "StringType",
               "BOOLEAN": "BooleanType"}


class SparkQueryFailed(RuntimeError):
    """A query failed on Spark; the message names the step (the ingest's stage and source, or the linking's temp
    table) and the first line of Spark's error, values redacted."""


class SparkTempQueries:
    """Runs portable queries over DuckDB temp tables on `spark`, with `folder` for the Parquet both engines read
    (a path DuckDB's machine and every executor reach)."""

    def __init__(self, spark, folder: Path, *, remove_calls: bool = False) -> None:
        self.spark = spark
        self.folder = Path(folder)
        self._calls = itertools.count(1)
        # remove each call's Parquet once its rows are back in DuckDB (ingest: whole deliveries, personal data)
        self.remove_calls = remove_calls

    def create_temp_table(self, con, name: str, sql: str, inputs: tuple[str, ...],
                          parameters: dict[str, Any] | None = None, *, label: str | None = None) -> None:
        """`create or replace temp table <name> as <sql>`, with `sql` (portable DuckDB SQL reading the temp tables
        `inputs` by those names, its `$parameters` bound from `parameters`) evaluated on Spark. `label` names the
        step in a failure's message (default: the temp table)."""
        self.create_temp_tables(con, {name: sql}, inputs, parameters, label=label)

    def create_temp_tables(self, con, queries: dict[str, str], inputs: tuple[str, ...],
                           parameters: dict[str, Any] | None = None, *, label: str | None = None) -> None:
        """`create_temp_table` of each (name, sql) of `queries`, all reading the same `inputs`, handed over once
        (the contract's failures and counts read the same candidates)."""
        call = self._hand_over(con, next(iter(queries)), inputs)
        try:
            for n, (name, sql) in enumerate(queries.items()):
                out = call / f"output-{n}"
                self._write(label or name, lambda: self.spark.sql(to_spark(sql, parameters).sql), out)
                # the query's own column names and DuckDB's types for them, from DuckDB's plan of the same query
                described = con.execute(f"describe {sql}", parameters or {}).fetchall()
                columns = [(column, data_type) for column, data_type, *_ in described]
                empty = f"create or replace temp table {sql_identifier(name)} as select * from ({sql}) limit 0"
                _read_back(con, name, out, columns, lambda: con.execute(empty, parameters or {}))
        finally:
            if self.remove_calls:
                shutil.rmtree(call, ignore_errors=True)

    def map_into_temp_table(self, con, name: str, sql: str, inputs: tuple[str, ...],
                            function: Callable[[Iterator[Any]], Iterator[Any]],
                            columns: dict[str, str]) -> None:
        """`create or replace temp table <name>` of what `function` yields over the rows of `sql` (portable DuckDB
        SQL over the temp tables `inputs`, evaluated on Spark), partition by partition (`mapInPandas`: an
        iterator of pandas DataFrames in, one out). `columns`: the output's column names and DuckDB types, in
        order (`SPARK_TYPES` says which). `function` must be defined at the top level of an importable module."""
        unknown = {data_type for data_type in columns.values() if data_type not in SPARK_TYPES}
        if unknown:
            raise ValueError(f"{name}: no Spark type for the DuckDB types {sorted(unknown)}")
        from pyspark.sql import types

        schema = types.StructType([types.StructField(column, getattr(types, SPARK_TYPES[data_type])())
                                   for column, data_type in columns.items()])
        call = self._hand_over(con, name, inputs)
        out = call / "output"
        self._write(name, lambda: self.spark.sql(to_spark(sql).sql).mapInPandas(function, schema), out)
        definition = ", ".join(f"{sql_identifier(column)} {data_type}" for column, data_type in columns.items())
        _read_back(con, name, out, list(columns.items()),
                   lambda: con.execute(f"create or replace temp table {sql_identifier(name)} ({definition})"))

    def _hand_over(self, con, name: str, inputs: tuple[str, ...]) -> Path:
        """A new folder for this call, with each of `inputs` written by DuckDB to Parquet and made a Spark view."""
        # Spark skips files and folders whose names begin with "_" or "." (its own markers), as the temp tables'
        # names do: the Parquet files are named apart from them
        call = self.folder / f"call-{next(self._calls)}-{name.lstrip('_')}"
        call.mkdir(parents=True)
        for table in inputs:
            path = call / f"input-{table.lstrip('_')}.parquet"
            con.execute(f"copy ({_select_for_spark(con, table)}) to {sql_literal(str(path))} (format parquet)")
            self.spark.read.parquet(str(path)).createOrReplaceTempView(table)
        return call

    @staticmethod
    def _write(name: str, frame: Callable[[], Any], out: Path) -> None:
        """The Spark DataFrame `frame()` written to Parquet in `out`; a failure names the temp table."""
        try:
            frame().write.parquet(str(out))
        except Exception as exc:  # pyspark's AnalysisException, Py4JJavaError, PythonException: no common base
            from hedui.privacy import redact_error_text

            # Spark's first line, with anything quoted, long numbers and names taken out: the rows are personal
            # data, and an error about one (a failed cast in ANSI mode) can quote its value
            raise SparkQueryFailed(f"{name}: query failed on Spark: {type(exc).__name__}: "
                                   f"{redact_error_text(first_line(exc))}") from None


def _read_back(con, name: str, out: Path, columns: list[tuple[str, str]], create_empty: Callable[[], Any]) -> None:
    """The temp table `name` from Spark's Parquet in `out`, each column cast to its DuckDB type; `create_empty`
    makes it, empty, when Spark wrote no file (no rows)."""
    if not list(out.glob("*.parquet")):
        create_empty()
        return
    listed = ",\n    ".join(f"cast({sql_identifier(column)} as {data_type}) as {sql_identifier(column)}"
                             for column, data_type in columns)
    con.execute(f"create or replace temp table {sql_identifier(name)} as\nselect\n    {listed}\n"
                "from read_parquet($files)", {"files": str(out / "*.parquet")})


def _select_for_spark(con, table: str) -> str:
    """The temp table's columns as Spark reads DuckDB's meaning of them (as warehouse tables are handed over)."""
    columns = [(column, data_type) for column, data_type, *_ in
               con.execute(f"describe {sql_identifier(table)}").fetchall()]
    return select_for_spark(columns, sql_identifier(table))
