"""The rules stage on Spark: each rule's query runs on Spark, its rows come back to DuckDB as `_rule_output`.

`hedui.rules.engine` evaluates a rule into the DuckDB temp table `_rule_output` and takes it from there: it checks
the columns and the subjects, builds each hit's evidence document and fingerprint (`_INSERT_HITS`) and applies the
lifecycle, the lists and the ledger, all on DuckDB. With `SparkRules` only the query moves: the tables it reads are
handed to Spark as Parquet (`hedui.engines.spark_tables`), its Spark 3.3 text (`hedui.engines.spark_sql`) runs on
Spark, and its rows are written to Parquet and read back by DuckDB into `_rule_output`, where the DuckDB path
would have put them. Spark never writes to the warehouse, and never needs an UPDATE.

Evidence JSON is serialised by DuckDB on both paths, so both hash the same bytes. A rule builds its evidence as
`to_json(<list of records>) as evidence_records` and `to_json({...}) as facts`; on Spark the `to_json` is left
out and the values come back typed (lists of structs, dates, decimals) through Parquet. DuckDB casts them to the
types its own evaluation of the rule has (`describe`, which plans the query without running it: a Spark decimal
sum is DECIMAL(24, 2) where DuckDB's is DECIMAL(38, 2); a JSON field is text in Parquet) and writes the JSON
itself. Spark's own `to_json` would differ in bytes: it writes `12541.3` for a DECIMAL(14, 2), dates of
timestamps in its own pattern, and doubles of 10⁷ and more as `1.2345678E7`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp

from connectors.sql_text import sql_identifier
from hedui.engines.macros import expand_macros, project_macros
from hedui.engines.spark_sql import tree_to_spark
from hedui.engines.star_columns import name_star_columns
from hedui.engines.spark_tables import ParquetHandover, first_line, rename_tables, tables_read

__all__ = ["SparkRules", "SparkRuleFailed", "EVIDENCE_COLUMNS", "typed_evidence"]

# the rule output's JSON columns: each is `to_json(<value>) as <column>` in a rule
EVIDENCE_COLUMNS = ("evidence_records", "facts")


class SparkRuleFailed(RuntimeError):
    """A rule could not be evaluated on Spark (its query failed there, or its evidence is not built as the engine
    expects); the message says why, the rule engine names the rule file."""


def typed_evidence(tree: exp.Expr) -> tuple[exp.Expr, set[str]]:
    """The query with `to_json(x) as evidence_records` and `to_json(x) as facts` as `x as …`, and the columns it
    found so built. Changes `tree`."""
    found: set[str] = set()

    def unwrap(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Alias) and node.alias in EVIDENCE_COLUMNS:
            value = node.this
            if isinstance(value, exp.JSONFormat) and not value.args.get("options"):
                inner = value.this
            elif isinstance(value, exp.Anonymous) and value.name.lower() == "to_json" and len(value.expressions) == 1:
                inner = value.expressions[0]
            else:
                return node
            found.add(node.alias)
            return exp.alias_(inner.copy(), node.alias, copy=False)
        return node

    return tree.transform(unwrap, copy=False), found


def duckdb_output_types(con, sql: str, parameters: dict[str, Any]) -> dict[str, str]:
    """The type of each column of a rule's query on DuckDB, its evidence unwrapped as on Spark (planned by
    `describe`, not run): what DuckDB's own evaluation of the rule would serialise."""
    tree, _ = typed_evidence(sqlglot.parse_one(sql, read="duckdb"))
    described = con.execute(f"describe {tree.sql('duckdb')}", parameters).fetchall()
    return {row[0]: row[1] for row in described}


class SparkRules:
    """Evaluates rules on a Spark session, with `folder` for the Parquet both engines read (a path DuckDB's machine
    and every Spark executor can reach: local for `local[N]`, a shared mount on a cluster)."""

    def __init__(self, spark, folder: Path) -> None:
        self.spark = spark
        self.folder = Path(folder)
        self.tables = ParquetHandover(spark, self.folder / "tables")

    def spark_sql(self, con, rule, parameters: dict[str, Any]) -> tuple[str, set[str]]:
        """The Spark text of a rule with its evidence typed, and the warehouse tables it reads. DuckDB (`con`)
        names the columns of its CTEs' stars (`hedui.engines.star_columns`)."""
        tree = name_star_columns(con, sqlglot.parse_one(rule.sql, read="duckdb"), parameters)
        tree, found = typed_evidence(expand_macros(tree, project_macros()))
        missing = [column for column in EVIDENCE_COLUMNS if column not in found]
        if missing:
            raise SparkRuleFailed(
                f"{' and '.join(missing)} not built as `to_json(<value>) as <column>`: the Spark engine returns the"
                " value and DuckDB writes its JSON, so that both engines fingerprint the same bytes")
        tables = tables_read(tree)
        return tree_to_spark(rename_tables(tree), parameters).sql, tables

    def create_rule_output(self, con, rule, parameters: dict[str, Any]) -> None:
        """Evaluate `rule` on Spark with its bound `parameters` and leave its rows in DuckDB's temp table
        `_rule_output`, with DuckDB's column types and its evidence as DuckDB's JSON."""
        try:
            text, tables = self.spark_sql(con, rule, parameters)
            self.tables.hand_over(con, tables)
        except ValueError as exc:  # NotPortable, a table that is not the warehouse's
            raise SparkRuleFailed(str(exc)) from None
        out = self.folder / "rule_output" / rule.code
        try:
            self.spark.sql(text).write.mode("overwrite").parquet(str(out))
        except Exception as exc:  # pyspark's AnalysisException, Py4JJavaError, PythonException: no common base
            raise SparkRuleFailed(f"query failed on Spark: {type(exc).__name__}: {first_line(exc)}") from None
        types = duckdb_output_types(con, rule.sql, parameters)
        files = str(out / "*.parquet")
        columns = [row[0] for row in con.execute("describe select * from read_parquet($files)",
                                                 {"files": files}).fetchall()]
        select = ",\n    ".join(_typed_column(column, types.get(column)) for column in columns)
        con.execute(f"create or replace temp table _rule_output as\nselect\n    {select}\n"
                    "from read_parquet($files)", {"files": files})


def _typed_column(column: str, duckdb_type: str | None) -> str:
    """A Spark output column as DuckDB's evaluation types it; the evidence columns as DuckDB's JSON of it. The
    names and types come from the two engines' catalogs (the rule's own column names), not from data."""
    quoted = sql_identifier(column)
    if duckdb_type is None:
        return quoted  # not a column of the rule on DuckDB: the engine's check of the columns names it
    if column in EVIDENCE_COLUMNS:
        return f"to_json(cast({quoted} as {duckdb_type})) as {quoted}"
    return f"cast({quoted} as {duckdb_type}) as {quoted}"
