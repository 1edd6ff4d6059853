"""Migration 12 (`each_version_once`): each version of an event record stored once, and the delivered text not
kept a second time. What SQL alone cannot say: which per-source tables a warehouse has (a source that never
delivered has none, a fresh file has none at all), so the step finds them.

Before it, an event source kept every version in the table `staged.<source>_events` and copied each key's
newest into `staged.<source>`: the common case, a record sent once, was stored twice. After it,
`staged.<source>` is unchanged, the versions that are not their key's newest move to
`staged.<source>_superseded`, and `staged.<source>_events` is a view of the two (`connectors.ingest`). No version
is lost: the step checks that the two tables together hold every row the old table held, and fails the
migration (which then changes nothing) otherwise.

`raw.<source>` kept every delivered row as text. It keeps, from now on, only the columns a file had beyond its
source's declaration (`extra`), which the extract spec promises to keep and no staged table holds; the rest was
a third copy of what the landing files, the staged rows (`person_name`, `id_raw`, the `*_raw` columns) and
`quarantine.rows` already hold.
"""

from __future__ import annotations

import duckdb

_ROW = ("delivery_id", "file", "row_number")


def _tables(con: duckdb.DuckDBPyConnection, schema: str) -> dict[str, set[str]]:
    """The base tables of `schema` with their columns."""
    found: dict[str, set[str]] = {}
    for table, column in con.execute(
        "select c.table_name, c.column_name from duckdb_columns() as c join duckdb_tables() as t "
        "on t.database_name = c.database_name and t.schema_name = c.schema_name and t.table_name = c.table_name "
        "where c.database_name = current_database() and c.schema_name = ?", [schema]
    ).fetchall():
        found.setdefault(table, set()).add(column)
    return found


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"select count(*) from {table}").fetchone()[0]


def store_each_version_once(con: duckdb.DuckDBPyConnection) -> None:
    """Split every `staged.<source>_events` table into `staged.<source>_superseded` and a view, and cut every
    `raw.<source>` table down to its unknown columns. Runs inside the migration's transaction."""
    staged = _tables(con, "staged")
    for events in sorted(name for name in staged if name.endswith("_events")):
        current = events.removesuffix("_events")
        if current not in staged or not set(_ROW) <= staged[events]:
            raise RuntimeError(f"staged.{events} has no staged.{current} beside it, or no row identity: "
                               "not a hedui event table")
        on = " and ".join(f"version.{c} = newest.{c}" for c in _ROW)
        con.execute(
            f"""
            create table staged.{current}_superseded as
            select version.* from staged.{events} as version anti join staged.{current} as newest on {on}
            """
        )
        before = _count(con, f"staged.{events}")
        after = _count(con, f"staged.{current}") + _count(con, f"staged.{current}_superseded")
        if before != after:
            raise RuntimeError(f"staged.{events} holds {before} versions, staged.{current} and its superseded "
                               f"versions {after}: not every newest version is one of the stored versions")
        con.execute(f"drop table staged.{events}")
        con.execute(f"create view staged.{events} as select * from staged.{current} "
                    f"union all by name select * from staged.{current}_superseded")
    for raw, columns in sorted(_tables(con, "raw").items()):
        if {*_ROW, "extra"} <= columns and columns != {*_ROW, "extra"}:
            con.execute(f"create table raw.{raw}__unknown as select delivery_id, file, row_number, extra "
                        f"from raw.{raw} where extra is not null")
            con.execute(f"drop table raw.{raw}")
            con.execute(f"alter table raw.{raw}__unknown rename to {raw}")
