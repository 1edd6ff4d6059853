"""The SQL engines hedui's heavy stages can run on: DuckDB (the default, one machine) and Spark 3.3 (a province).

Rules, staging queries and macros are written once, in a portable subset of DuckDB SQL (docs/portable-sql.md).
`hedui.engines.macros` expands the DuckDB macros inline (Spark 3.3 has no SQL functions);
`hedui.engines.spark_sql` holds the project's sqlglot dialect for Spark 3.3, which applies the rewrites of
`hedui.engines.spark_rewrites` where a plain transpilation would silently change results, and the check that
the result calls only Spark 3.3's built-in functions (`spark_builtins.txt`) and the project's own vectorised
functions.
"""
