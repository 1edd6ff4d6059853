"""The warehouse tables a query reads, handed from DuckDB to Spark as Parquet.

DuckDB keeps the warehouse; Spark reads what a query needs from Parquet files DuckDB writes
(`COPY (select * from staged.vehicle) TO '…/staged.vehicle.parquet' (FORMAT parquet)`), each table once per run
of a stage. Spark sees each as a temporary view of its session, never a table of a metastore: a province's Hive
metastore gets no `staged` database, and two nights never see each other's tables.

A view's name cannot hold a schema (`staged.vehicle`), so the query's table references are renamed on its syntax
tree (`staged.vehicle` → `staged__vehicle AS vehicle`), keeping the name the query's columns are qualified by.

What Parquet cannot carry as DuckDB means it is converted on the way:
- DuckDB's TIMESTAMP is a wall-clock time. Spark 3.3 reads a Parquet timestamp as an instant and shows it in the
  session's time zone, so a TIMESTAMP column is written as the instant that wall-clock time is in that zone
  (`timezone(zone, ts)`): Spark shows the same wall-clock time again.
- JSON columns are text in Parquet; Spark reads them as strings, which is what the portable SQL passes along.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlglot import exp

from connectors.sql_text import sql_identifier, sql_literal
from hedui.engines.spark_sql import SPARK_SESSION_SETTINGS

__all__ = ["tables_read", "view_name", "rename_tables", "ParquetHandover", "BATCH_VIEW"]

# The DuckDB temp table of the household batch (hedui.rules.shared_definitions), which the shared definitions
# read. Spark evaluates a rule over all households at once (it spills what DuckDB cannot), so it sees one batch.
# It is never scoped either (a scoped evaluation runs on DuckDB): the scope's table is empty.
BATCH_VIEW = "_household_batch"
SCOPE_VIEW = "_household_scope"
_BATCH_VIEW_SQL = f"create or replace temp view {BATCH_VIEW} as select cast(1 as bigint) as batches," \
                  " cast(0 as bigint) as batch, false as scoped"
_SCOPE_VIEW_SQL = f"create or replace temp view {SCOPE_VIEW} as select cast(null as string) as household_id" \
                  " where false"


def view_name(table: str) -> str:
    """The Spark view of a warehouse table: `staged.vehicle` → `staged__vehicle`."""
    return table.replace(".", "__")


def _ctes(tree: exp.Expr) -> set[str]:
    return {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}


def tables_read(tree: exp.Expr) -> set[str]:
    """The warehouse tables (`schema.table`) a query reads, its macros expanded. A table without a schema that
    is not one of the query's CTEs must be the household batch; anything else is an error naming it."""
    ctes = _ctes(tree)
    tables = set()
    for table in tree.find_all(exp.Table):
        if not table.name:
            continue  # a table function or subquery in FROM
        if table.db:
            tables.add(f"{table.db}.{table.name}".lower())
        elif table.name.lower() not in ctes and table.name.lower() not in (BATCH_VIEW, SCOPE_VIEW):
            raise ValueError(f"the query reads {table.name}, which is neither a warehouse table (schema.table),"
                             " one of its CTEs nor the household batch")
    return tables


def rename_tables(tree: exp.Expr) -> exp.Expr:
    """Every `schema.table` of the query as its Spark view, aliased by its table name where it had no alias."""
    def rename(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Table) and node.name and node.db:
            renamed = exp.Table(this=exp.to_identifier(view_name(f"{node.db}.{node.name}".lower())))
            alias = node.args.get("alias")
            renamed.set("alias", alias.copy() if alias else exp.TableAlias(this=exp.to_identifier(node.name)))
            return renamed
        return node
    return tree.transform(rename, copy=False)


@dataclass
class ParquetHandover:
    """The warehouse tables written for one night's rules, in `folder`, each once (`hand_over`): the rules read
    them after the income model is built, and nothing changes them until the night's end."""

    spark: object
    folder: Path
    handed: dict[str, Path] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.spark.sql(_BATCH_VIEW_SQL)
        self.spark.sql(_SCOPE_VIEW_SQL)

    def hand_over(self, con, tables: set[str]) -> None:
        """Write each of `tables` not yet handed over from DuckDB (`con`) to Parquet and make it a Spark view."""
        for table in sorted(tables - set(self.handed)):
            path = self.folder / f"{table}.parquet"
            con.execute(f"copy ({self._select(con, table)}) to {sql_literal(str(path))} (format parquet)")
            self.spark.read.parquet(str(path)).createOrReplaceTempView(view_name(table))
            self.handed[table] = path

    @staticmethod
    def _select(con, table: str) -> str:
        schema, name = table.split(".")
        columns = con.execute(
            "select column_name, data_type from duckdb_columns() where schema_name = ? and table_name = ?"
            " order by column_index", [schema, name]).fetchall()
        if not columns:
            raise ValueError(f"no table {table} in the warehouse to hand over to Spark")
        # the names are the query's own tables, found in the warehouse's catalog above
        return select_for_spark(columns, f'"{schema}"."{name}"')



def select_for_spark(columns: list[tuple[str, str]], relation: str) -> str:
    """A select of `relation`'s (column, DuckDB type) as Spark reads DuckDB's meaning of them: a TIMESTAMP (a
    wall-clock time) as the instant it is in the session's zone, which Spark shows as the same wall-clock time."""
    zone = SPARK_SESSION_SETTINGS["spark.sql.session.timeZone"]  # the project's constant, not input
    listed = []
    for column, data_type in columns:
        quoted = sql_identifier(column)
        listed.append(f"timezone('{zone}', {quoted}) as {quoted}" if data_type == "TIMESTAMP" else quoted)
    return f"select {', '.join(listed)} from {relation}"


def first_line(exc: BaseException) -> str:
    """The first line of an error's text (Spark's errors run to a Java stack trace)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""
