"""Which staged tables hold people to link, and under which columns.

Each person-bearing source names its table and the columns that carry the person's name, ID (as delivered,
normalised, valid) and address. Event sources (`EVENT_SOURCES`) grow delivery by delivery, so an incremental
night links only their new deliveries; the others are snapshots.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class SourceColumns:
    table: str
    name: str
    id_raw: str
    id_norm: str
    id_valid: str
    address: str | None  # a SQL expression over the staged table's columns, or None


# Identifiers only; never built from data.
SOURCES: dict[str, SourceColumns] = {
    "housing": SourceColumns("staged.housing", "person_name_norm", "id_raw", "id_norm", "id_valid", "address"),
    "vehicle": SourceColumns("staged.vehicle", "person_name_norm", "id_raw", "id_norm", "id_valid", None),
    "medical": SourceColumns("staged.medical", "person_name_norm", "id_raw", "id_norm", "id_valid", None),
    "disability": SourceColumns(
        "staged.disability", "person_name_norm", "id_raw", "id_norm", "id_valid", "registered_address"
    ),
    "death": SourceColumns("staged.death", "person_name_norm", "id_raw", "id_norm", "id_valid", None),
    "households": SourceColumns(
        "staged.households",
        "head_name_norm",
        "head_id_raw",
        "head_id_norm",
        "head_id_valid",
        "coalesce(township, '') || coalesce(village, '')",
    ),
}


EVENT_SOURCES = ("medical", "death")


def table_exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    """Whether `schema.table` exists: a source that never delivered has no staged table to read."""
    schema, name = qualified.split(".")
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchone()[0]
    )
