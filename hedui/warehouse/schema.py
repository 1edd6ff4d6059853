"""The warehouse's schema: numbered migrations, applied in order, recorded in `meta.schema_migrations`.

Migration 1 (`baseline`) is `hedui/warehouse/ddl.sql`: the stage schemas, the ledgers and the quarantine.
Every later one is `hedui/warehouse/migrations/NNNN_<name>.sql`. A run applies the pending ones when its
working copy opens (`hedui.warehouse.publish.working_copy`), inside that copy: a migration that fails fails
the run, and the published warehouse stays as it was. Each migration runs in its own transaction with the row
that records it, so the record and the change cannot part.

Warehouses written before migrations were recorded (hedui 0.1.0) have no `meta.schema_migrations`; every
migration runs on them. That is why migrations 1 to 5 are idempotent (`if not exists`, `or replace`): they
meet both an empty file and a 0.1.0 warehouse. A migration added after them runs only on warehouses that
recorded the ones before it, so it may change what it finds without guarding.

A migration may also have a Python step (`_STEPS`), run after its SQL in the same transaction, for what SQL
cannot say: migration 12 works on the per-source tables a warehouse happens to have.

A released migration is never edited (a warehouse that ran it would not see the edit): a change to the schema
is a new file with the next number.

Readers cannot migrate (they hold read-only connections): `check_readable` tells them, in one line, to run a
night first. Tables that a stage rebuilds every night (`create or replace`: the links, the link state, the
known people, the scratch tables) and the per-source raw and staged tables, which are derived from each
source's declaration in `connectors/` (`connectors.ingest.ensure_tables`), are not migrations.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files

import duckdb

from hedui.warehouse.event_versions import store_each_version_once

_FILE_NAME = re.compile(r"(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql")

_LEDGER = """
create schema if not exists meta;
create table if not exists meta.schema_migrations (
    version integer primary key,
    name varchar not null,
    applied_at timestamp not null,
    run_id varchar
);
comment on table meta.schema_migrations is 'The schema migrations applied to this warehouse (hedui/warehouse/migrations), one row each';
comment on column meta.schema_migrations.version is 'Number of the migration (NNNN of NNNN_<name>.sql; 1 is the baseline, hedui/warehouse/ddl.sql)';
comment on column meta.schema_migrations.name is 'Its name';
comment on column meta.schema_migrations.applied_at is 'When it was applied (UTC)';
comment on column meta.schema_migrations.run_id is 'The run (or outcome command) whose working copy applied it';
"""


class SchemaError(RuntimeError):
    """The warehouse's schema does not match this hedui: it needs a night first, or is newer than this hedui."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str
    step: Callable[[duckdb.DuckDBPyConnection], None] | None = None  # run after `sql`, in its transaction


# The Python steps of migrations, by number (see the module's docstring).
_STEPS: dict[int, Callable[[duckdb.DuckDBPyConnection], None]] = {12: store_each_version_once}


def table_exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    """Whether the table `schema.table` exists: a source that never delivered, or a warehouse from before a
    migration, has none to read."""
    schema, name = qualified.split(".")
    return con.execute(
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?", [schema, name]
    ).fetchone()[0] > 0


def known_migrations() -> list[Migration]:
    """Every migration this hedui knows, in order: the baseline, then migrations/NNNN_<name>.sql."""
    package = files("hedui.warehouse")
    found = [Migration(1, "baseline", (package / "ddl.sql").read_text(encoding="utf-8"))]
    for entry in sorted(package.joinpath("migrations").iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".sql"):
            continue
        match = _FILE_NAME.fullmatch(entry.name)
        if match is None:
            raise SchemaError(f"migration file {entry.name}: name must be NNNN_<lower_case_name>.sql")
        version = int(match["version"])
        found.append(Migration(version, match["name"], entry.read_text(encoding="utf-8"), _STEPS.get(version)))
    numbers = [m.version for m in found]
    if numbers != list(range(1, len(found) + 1)):
        raise SchemaError(f"migrations must be numbered 1, 2, 3, ... without gaps or repeats; found {numbers}")
    return found


def applied_migrations(con: duckdb.DuckDBPyConnection) -> dict[int, str]:
    """Version -> name of the migrations recorded in the warehouse; empty for one that records none."""
    recorded = con.execute(
        "select count(*) from duckdb_tables() where schema_name = 'meta' and table_name = 'schema_migrations' "
        "and database_name = current_database()"
    ).fetchone()[0]
    if not recorded:
        return {}
    return dict(con.execute("select version, name from meta.schema_migrations order by version").fetchall())


def pending_migrations(con: duckdb.DuckDBPyConnection) -> list[Migration]:
    """The migrations still to apply, in order; SchemaError when the warehouse is not this hedui's to upgrade."""
    known = known_migrations()
    applied = applied_migrations(con)
    by_version = {m.version: m for m in known}
    newer = sorted(v for v in applied if v not in by_version)
    if newer:
        raise SchemaError(
            f"the warehouse has schema migration {newer[-1]}, newer than this hedui knows ({known[-1].version}): "
            "upgrade hedui"
        )
    renamed = [v for v, name in applied.items() if by_version[v].name != name]
    if renamed:
        v = renamed[0]
        raise SchemaError(
            f"the warehouse's schema migration {v} is {applied[v]!r}, this hedui's is {by_version[v].name!r}: "
            "they come from different versions of hedui"
        )
    return [m for m in known if m.version not in applied]


def migrate(con: duckdb.DuckDBPyConnection, run_id: str | None = None) -> list[Migration]:
    """Apply the pending migrations in order, each recorded in the same transaction; returns those applied."""
    pending = pending_migrations(con)
    if not pending:
        return []
    con.execute(_LEDGER)
    for migration in pending:
        con.execute("begin transaction")
        try:
            con.execute(migration.sql)
            if migration.step is not None:
                migration.step(con)
            con.execute(
                "insert into meta.schema_migrations (version, name, applied_at, run_id) values (?, ?, ?, ?)",
                [migration.version, migration.name, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), run_id],
            )
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    return pending


def check_readable(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Refuse, in one line, a warehouse whose schema this hedui would read wrongly (`name`: its file name), and a
    DuckDB file that is no hedui warehouse at all (no run ledger: it would otherwise read as 'older')."""
    if not table_exists(con, "ledger.runs"):
        raise SchemaError(f"{name} is a DuckDB database but not a hedui warehouse (it has no ledger)")
    pending = pending_migrations(con)
    if pending:
        raise SchemaError(
            f"{name} was written by an older hedui ({len(pending)} schema migration(s) pending): "
            "run `hedui nightly` once to upgrade it"
        )
