"""A query over DuckDB temporary tables run on Spark, its rows put back into a DuckDB temporary table.

The linking stage (`matching`) passes its work through DuckDB temp tables (`matching.temp_tables`): the records
to link, the members, the ID hits, the candidate pairs. With `--engine spark` a step of it that is one portable
query over such tables (the ID join, `matching.id_path`) runs on Spark: each temp table it reads is written by
DuckDB to Parquet and becomes a temporary view of the Spark session under the same name, the query's Spark 3.3
text (`hedui.engines.spark_sql.to_spark`) runs there and writes its rows to Parquet, and DuckDB reads them into
the temp table the DuckDB step would have created, with the column types DuckDB's own evaluation has
(`describe`, which plans the query without running it). The stages after it go on as on DuckDB alone.

Each call writes its own folder (`<folder>/call-<n>-<table>`): a temp table changes between the steps of a night, so
nothing handed over is reused. The folder is the night's Spark folder, removed when the night ends
(`hedui.engines.night_engine.SparkNight`).
"""

from __future__ import annotations

import itertools
from pathlib import Path

from connectors.sql_text import sql_identifier, sql_literal
from hedui.engines.spark_sql import to_spark
from hedui.engines.spark_tables import first_line, select_for_spark

__all__ = ["SparkTempQueries", "SparkQueryFailed"]


class SparkQueryFailed(RuntimeError):
    """A linking query failed on Spark; the message names the temp table it was to create and Spark's error."""


class SparkTempQueries:
    """Runs portable queries over DuckDB temp tables on `spark`, with `folder` for the Parquet both engines read
    (a path DuckDB's machine and every executor reach)."""

    def __init__(self, spark, folder: Path) -> None:
        self.spark = spark
        self.folder = Path(folder)
        self._calls = itertools.count(1)

    def create_temp_table(self, con, name: str, sql: str, inputs: tuple[str, ...]) -> None:
        """`create or replace temp table <name> as <sql>`, with `sql` (portable DuckDB SQL reading the temp tables
        `inputs` by those names, no parameters) evaluated on Spark."""
        # Spark skips files and folders whose names begin with "_" or "." (its own markers), as the temp tables'
        # names do: the Parquet files are named apart from them
        call = self.folder / f"call-{next(self._calls)}-{name.lstrip('_')}"
        call.mkdir(parents=True)
        for table in inputs:
            path = call / f"input-{table.lstrip('_')}.parquet"
            con.execute(f"copy ({_select_for_spark(con, table)}) to {sql_literal(str(path))} (format parquet)")
            self.spark.read.parquet(str(path)).createOrReplaceTempView(table)
        out = call / "output"
        try:
            self.spark.sql(to_spark(sql).sql).write.parquet(str(out))
        except Exception as exc:  # pyspark's AnalysisException, Py4JJavaError: no common base
            raise SparkQueryFailed(f"{name}: query failed on Spark: {type(exc).__name__}: {first_line(exc)}") from None
        # the query's own column names and DuckDB's types for them, from DuckDB's plan of the same query
        described = con.execute(f"describe {sql}").fetchall()
        columns = ",\n    ".join(f"cast({sql_identifier(column)} as {data_type}) as {sql_identifier(column)}"
                                 for column, data_type, *_ in described)
        if not list(out.glob("*.parquet")):  # no rows and no file: the DuckDB shape, empty
            con.execute(f"create or replace temp table {sql_identifier(name)} as select * from ({sql}) limit 0")
            return
        con.execute(f"create or replace temp table {sql_identifier(name)} as\nselect\n    {columns}\n"
                    "from read_parquet($files)", {"files": str(out / "*.parquet")})


def _select_for_spark(con, table: str) -> str:
    """The temp table's columns as Spark reads DuckDB's meaning of them (as warehouse tables are handed over)."""
    columns = [(column, data_type) for column, data_type, *_ in
               con.execute(f"describe {sql_identifier(table)}").fetchall()]
    return select_for_spark(columns, sql_identifier(table))
