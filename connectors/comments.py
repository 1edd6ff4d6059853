"""What every column of the `staged` tables means, as DuckDB comments, derived from the source declarations.

A declared column's comment names the header it comes from in the extract spec and how it was typed; the
columns every staged table shares (where a row came from) and the ones a source's staging SQL derives are
described here once; the record key and the columns a source's staging SQL adds are described by its
declaration (`Source.key`, `Source.derived`). `tests/test_warehouse_comments.py` fails when a staged column has
no comment.

Comments (the tables' and their columns') are applied each night when the tables are ensured, and again after
an event table is rebuilt with `create or replace table` (which drops them): `comment_staged_table` is the one
place that writes them.
"""

from __future__ import annotations

import duckdb

from connectors.spec import Column, Source
from connectors.sql_text import sql_literal

PROVENANCE = {
    "delivery_id": "The delivery the row came from: <source>/<YYYYMMDD>, its folder in the landing zone",
    "delivery_date": "Date of that delivery (from its folder name)",
    "file": "File name inside the delivery folder",
    "row_number": "Data row in that file (1 = first row after the header row)",
}

_TYPES = {
    "text": "text, trimmed (NULL when empty)",
    "amount": "yuan, decimal(14,2); 1,234.50元 and ￥1234 read; NULL when empty (unknown, never zero)",
    "int": "integer (NULL when empty or not a whole number)",
    "number": "number (NULL when empty or unreadable)",
    "date": "date; the formats departments send are read (2026-11-03, 2026/11/03, 20261103, 2026年11月3日, "
            "spreadsheet dates); NULL when empty, unreadable or outside 1890–2200",
    "month": "date, the first day of the month; the forms departments send are read (202610, 2026-10, 2026/10, "
             "2026年10月, a spreadsheet date: its month); NULL when empty or unreadable",
}


def _declared(source: Source, column: Column) -> dict[str, str]:
    header = f"{column.header} ({source.title})"
    extra = column.note
    if column.type == "id":
        prefix = "id" if column.name == "id" else column.name
        return {
            f"{prefix}_raw": f"{header} as delivered, trimmed{extra}",
            f"{prefix}_norm": f"{header} as 18 upper-case characters (full-width digits, spaces and lower-case x "
                              "cleaned; a 15-digit number gets 19 and its check character); NULL when it cannot be "
                              "read as a citizen ID",
            f"{prefix}_valid": f"Whether {prefix}_norm is a valid citizen ID: check character and a birth date "
                               "between 1890 and the as-of date (an invalid ID is "
                               + ("never linked: this person is linked by a valid ID only)"
                                  if column.name in {link.id for link in source.id_only_links}
                                  else "only linked by the fuzzy path)"),
        }
    if column.type == "name":
        return {
            column.name: f"{header} as delivered, trimmed (personal data)",
            f"{column.name}_norm": f"{column.name} for comparison: NFKC, simplified characters, no spaces, every "
                                   "middle dot as ·",
        }
    return {column.name: f"{header}: {_TYPES[column.type]}{extra}"}


def staged_column_comments(source: Source) -> dict[str, str]:
    """Every column of `staged.<source>` (and `staged.<source>_events`) with its comment."""
    comments = dict(PROVENANCE)
    for column in source.columns:
        comments.update(_declared(source, column))
    note = f" ({source.key_note})" if source.key_note else ""
    comments["record_key"] = f"Key of the record: {'|'.join(source.key)}{note}"
    comments.update({d.name: d.comment for d in source.derived})
    return comments


def comment_statements(table: str, table_comment: str | None, column_comments: dict[str, str],
                       kind: str = "table") -> list[str]:
    """`comment on` statements for a table (or a view: `kind`) and its columns (the same shape for every schema
    that comments)."""
    statements = [f"comment on {kind} {table} is {sql_literal(table_comment)};"] if table_comment else []
    return statements + [f"comment on column {table}.{column} is {sql_literal(text)};"
                         for column, text in column_comments.items()]


def staged_table_comment(table: str, source: Source) -> str:
    """What a staged table of `source` holds: the snapshot in force, each event once, or every event version."""
    if table.endswith("_events"):
        return (f"{source.title}: every accepted row of every delivery loaded (a key sent again appears once per "
                f"delivery; staged.{source.name} keeps the newest). A view: staged.{source.name} together with "
                f"staged.{source.name}_superseded, so that each version is stored once")
    if table.endswith("_superseded"):
        return (f"{source.title}: the accepted rows that are not their key's newest version (an earlier delivery's "
                f"version of a record sent again, corrected or refunded); staged.{source.name} holds the newest")
    held = " (each event once, newest delivery wins)" if source.kind == "event" else " (the snapshot in force)"
    return f"{source.title}: typed, normalised rows that passed the contract{held}"


def apply_comments(con: duckdb.DuckDBPyConnection, table: str, table_comment: str,
                   column_comments: dict[str, str]) -> None:
    """Comment `table` (a table or a view) and those of `column_comments` it has, writing only the comments that
    differ: each `comment on` is a catalog change, and ingest asks for every source every night (about a second
    a night, on a warehouse whose comments are already right)."""
    schema, name = table.split(".")
    rows = con.execute(
        """
        select column_name, comment, null from duckdb_columns()
        where database_name = current_database() and schema_name = $schema and table_name = $name
        union all
        select null, comment, 'table' from duckdb_tables()
        where database_name = current_database() and schema_name = $schema and table_name = $name
        union all
        select null, comment, 'view' from duckdb_views()
        where database_name = current_database() and schema_name = $schema and view_name = $name
        """, {"schema": schema, "name": name}).fetchall()
    present = {column: comment for column, comment, _ in rows}
    kind = next((kind for column, _, kind in rows if column is None), "table")
    columns = {column: text for column, text in column_comments.items()
               if column in present and present[column] != text}
    statements = comment_statements(table, table_comment if present.get(None) != table_comment else None, columns,
                                    kind)
    execute_comments(con, statements)


def execute_comments(con: duckdb.DuckDBPyConnection, statements: list[str]) -> None:
    """Run `comment on` statements. Each is a catalog change, so a caller outside a transaction opens one around
    them (see `connectors.ingest.ensure_tables`): run one by one, each is a commit that waits for the disk (the
    26 comments of a staged table took 0.28 s one by one, 0.03 s in one transaction)."""
    if statements:
        con.execute("\n".join(statements))


def comment_staged_table(con: duckdb.DuckDBPyConnection, table: str, source: Source) -> None:
    """Comment `table` (a staged table of `source`) and each of its columns that the declaration describes."""
    apply_comments(con, table, staged_table_comment(table, source), staged_column_comments(source))
