"""Refuse a warehouse file whose name DuckDB would confuse with one of the warehouse's schemas.

DuckDB names a database after its file, up to the first dot: `staged.duckdb` is the database `staged`, and so is
its working copy `staged.duckdb.tmp-<run>`. In it, `staged.housing` could mean the schema `staged` or the
database `staged`, and DuckDB refuses every such reference ("Ambiguous reference to catalog or schema"): the
night failed at its first statement, and an analyst's queries would fail the same way. So the name is refused
before anything is touched, with a line that says why and what to do.
"""

from __future__ import annotations

from pathlib import Path

# The warehouse's schemas (hedui/warehouse/ddl.sql, the migrations and the stages), and the names DuckDB keeps
# for itself.
SCHEMA_NAMES = frozenset({"alerts", "income", "ledger", "linked", "meta", "quarantine", "raw", "ref", "staged"})
RESERVED_NAMES = frozenset({"main", "temp", "system", "memory"})


class WarehouseNameClash(ValueError):
    """The warehouse file's name would be read as one of its own schemas."""


def check_warehouse_name(warehouse: Path) -> None:
    """Raise WarehouseNameClash when DuckDB would name the warehouse's database like a schema in it."""
    database = Path(warehouse).name.split(".")[0]
    if database.lower() in SCHEMA_NAMES | RESERVED_NAMES:
        raise WarehouseNameClash(
            f"the warehouse file cannot be called {Path(warehouse).name}: DuckDB names the database after the "
            f"file ('{database}'), which is also the name of a schema in the warehouse, so every query on it "
            "would be ambiguous; choose another name, for example hedui.duckdb"
        )
