"""Text put into SQL as a literal, where DuckDB takes no parameter (DDL such as `comment on`, generated column
lists). Values of rows are always bound as parameters; this is for names and descriptions the code holds."""

from __future__ import annotations


def sql_literal(text: str) -> str:
    """`text` as a single-quoted SQL string literal (a quote inside doubled)."""
    return "'" + str(text).replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    """`name` as a double-quoted SQL identifier (a quote inside doubled)."""
    return '"' + name.replace('"', '""') + '"'
