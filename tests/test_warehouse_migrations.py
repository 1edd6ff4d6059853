"""One schema, numbered migrations recorded in the warehouse; a warehouse written by hedui 0.1.0 is upgraded.

The fixture `v0.1.0-samples.duckdb.gz` is the warehouse hedui 0.1.0 (commit 4bc90dc, before migrations were
recorded) wrote from the spec samples as of 2026-11-03. It is gzipped: the file is 10 MB of mostly empty DuckDB
blocks and 56 KB compressed, and `*.duckdb` is ignored by git.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from hedui.cli import app
from hedui.night import run_night
from hedui.warehouse import SchemaError, migrate, open_readonly, working_copy
from hedui.warehouse import schema as schema_module
from hedui.warehouse.schema import Migration, known_migrations, pending_migrations
from tests.conftest import FIXTURES, SAMPLES_AS_OF

OLD_WAREHOUSE = FIXTURES / "warehouses" / "v0.1.0-samples.duckdb.gz"
WARNING_COLUMNS = ("warning_id, rule_code, household_id, person_id, status, first_raised_on, last_seen_on, due_on, "
                   "evidence_fingerprint, summary_zh")


def old_warehouse(folder: Path) -> Path:
    path = folder / "hedui.duckdb"
    with gzip.open(OLD_WAREHOUSE, "rb") as packed, open(path, "wb") as unpacked:
        shutil.copyfileobj(packed, unpacked)
    return path


def recorded(path: Path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("select version, name, run_id from meta.schema_migrations order by version").fetchall()
    finally:
        con.close()


def warnings_of(path: Path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"select {WARNING_COLUMNS} from alerts.warnings order by warning_id").fetchall()
    finally:
        con.close()


def schema_of(path: Path) -> dict:
    """Every table's and view's columns with their types and comments, and the tables' comments."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        columns = con.execute(
            "select schema_name, table_name, column_name, data_type, comment from duckdb_columns() "
            "where database_name = current_database() and schema_name <> 'pseudo' order by all"
        ).fetchall()
        tables = con.execute(
            "select schema_name, table_name, comment from duckdb_tables() where database_name = current_database() "
            "union all select schema_name, view_name, comment from duckdb_views() "
            "where database_name = current_database() and not internal order by all"
        ).fetchall()
        return {"columns": columns, "tables": tables}
    finally:
        con.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Night:
    warehouse: Path
    run_id: str
    outcome: str


@pytest.fixture(scope="module")
def upgraded_and_fresh(tmp_path_factory):
    """The 0.1.0 warehouse after `hedui nightly` of today's code, and a fresh warehouse after the same night."""
    base = tmp_path_factory.mktemp("upgrade")
    landing = base / "landing"
    shutil.copytree(FIXTURES / "spec_samples", landing, ignore=shutil.ignore_patterns("README.md"))
    (base / "old").mkdir()
    old = old_warehouse(base / "old")
    result = CliRunner().invoke(app, ["nightly", "--landing", str(landing), "--warehouse", str(old), "--as-of",
                                      SAMPLES_AS_OF.isoformat(), "--no-prefect"], terminal_width=400)
    assert result.exit_code == 0, result.output
    con = duckdb.connect(str(old), read_only=True)
    run_id, outcome = con.execute("select run_id, outcome from ledger.runs order by started_at desc limit 1").fetchone()
    con.close()
    fresh = run_night(landing, base / "fresh" / "hedui.duckdb", SAMPLES_AS_OF, deliver=False)
    return Night(old, run_id, outcome), Night(fresh.warehouse, fresh.run_id, fresh.outcome)


def test_the_fixture_is_a_warehouse_from_before_migrations_were_recorded(tmp_path):
    con = duckdb.connect(str(old_warehouse(tmp_path)), read_only=True)
    try:
        assert pending_migrations(con) == known_migrations()
        assert con.execute("select count(*) from alerts.warnings").fetchone()[0] == 9
    finally:
        con.close()


def test_a_night_upgrades_a_0_1_0_warehouse_and_records_every_migration_with_its_run(upgraded_and_fresh):
    upgraded, _ = upgraded_and_fresh
    assert recorded(upgraded.warehouse) == [(m.version, m.name, upgraded.run_id) for m in known_migrations()]


def test_the_upgraded_warehouse_raises_the_warnings_a_fresh_one_raises(upgraded_and_fresh):
    upgraded, fresh = upgraded_and_fresh
    assert upgraded.outcome == fresh.outcome == "completed"
    rows = warnings_of(upgraded.warehouse)
    # the 0.1.0 run raised the v1 rules' 9; the upgrade night's v2 samples add the income rules' 7
    assert len(rows) == 16 and rows == warnings_of(fresh.warehouse)


def test_the_upgraded_warehouse_has_the_schema_of_a_fresh_one(upgraded_and_fresh):
    upgraded, fresh = upgraded_and_fresh
    assert schema_of(upgraded.warehouse) == schema_of(fresh.warehouse)


def test_the_upgraded_warehouse_keeps_the_history_of_the_0_1_0_run(upgraded_and_fresh):
    upgraded, _ = upgraded_and_fresh
    con = duckdb.connect(str(upgraded.warehouse), read_only=True)
    try:
        assert con.execute("select count(*) from ledger.runs").fetchone()[0] == 2
        raised = con.execute(
            "select count(*) filter (where run_id = ?), count(*) from alerts.warning_events where event = 'raised'",
            [upgraded.run_id]).fetchone()
        assert raised == (7, 16)  # the 0.1.0 run's 9 kept, not raised again; the income rules' 7 new
    finally:
        con.close()


def test_a_second_open_applies_nothing(upgraded_and_fresh, tmp_path):
    upgraded, _ = upgraded_and_fresh
    copy = tmp_path / "hedui.duckdb"
    shutil.copyfile(upgraded.warehouse, copy)
    before = recorded(copy)
    with working_copy(copy, "second-open") as con:
        assert pending_migrations(con) == []
    assert recorded(copy) == before


def test_a_fresh_warehouse_is_migrated_when_its_first_working_copy_opens(tmp_path):
    with working_copy(tmp_path / "hedui.duckdb", "first") as con:
        assert [v for v, in con.execute("select version from meta.schema_migrations").fetchall()] == [
            m.version for m in known_migrations()]
        assert migrate(con) == []


def test_migrations_are_numbered_from_one_without_gaps_and_the_baseline_is_ddl_sql():
    migrations = known_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    assert migrations[0].name == "baseline" and "create table if not exists ledger.runs" in migrations[0].sql


def test_a_failing_migration_fails_the_run_and_publishes_nothing(upgraded_and_fresh, tmp_path, monkeypatch,
                                                                  sample_landing):
    upgraded, _ = upgraded_and_fresh
    warehouse = tmp_path / "w" / "hedui.duckdb"
    warehouse.parent.mkdir()
    shutil.copyfile(upgraded.warehouse, warehouse)
    before = digest(warehouse)
    known = known_migrations()
    broken = Migration(len(known) + 1, "broken", "alter table alerts.warnings add column x integer; select * from no_such_table;")
    monkeypatch.setattr(schema_module, "known_migrations", lambda: [*known, broken])
    with pytest.raises(duckdb.CatalogException):
        run_night(sample_landing, warehouse, SAMPLES_AS_OF, deliver=False)
    assert digest(warehouse) == before
    assert recorded(warehouse)[-1][1] != "broken"
    assert not list(warehouse.parent.glob("hedui.duckdb.tmp-*"))  # the working copy is gone


def test_a_warehouse_from_a_newer_hedui_is_refused_by_writers_and_readers(upgraded_and_fresh, tmp_path):
    upgraded, _ = upgraded_and_fresh
    warehouse = tmp_path / "hedui.duckdb"
    shutil.copyfile(upgraded.warehouse, warehouse)
    con = duckdb.connect(str(warehouse))
    con.execute("insert into meta.schema_migrations values (999, 'from_the_future', now(), null)")
    con.close()
    with pytest.raises(SchemaError, match="newer than this hedui"):
        with working_copy(warehouse, "old-code"):
            pass
    with pytest.raises(SchemaError, match="newer than this hedui"):
        open_readonly(warehouse)


@pytest.mark.parametrize("command", [["status"], ["lists", "--out", "{tmp}/lists"],
                                     ["report", "CN-S-0001", "--out", "{tmp}/reports"]])
def test_read_only_commands_on_a_0_1_0_warehouse_say_in_one_line_to_run_a_night_first(command, tmp_path):
    warehouse = old_warehouse(tmp_path)
    args = [part.replace("{tmp}", str(tmp_path)) for part in command] + ["--warehouse", str(warehouse)]
    result = CliRunner().invoke(app, args, terminal_width=400)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "run `hedui nightly` once to upgrade it" in lines[0]
    assert "hedui.duckdb" in lines[0] and f"{len(known_migrations())} schema migration(s) pending" in lines[0]


@pytest.mark.parametrize("command", [["status"], ["lists", "--out", "{tmp}/lists"],
                                     ["report", "CN-S-0001", "--out", "{tmp}/reports"]])
def test_read_only_commands_work_on_the_0_1_0_warehouse_after_a_night(command, upgraded_and_fresh, tmp_path):
    upgraded, _ = upgraded_and_fresh
    args = [part.replace("{tmp}", str(tmp_path)) for part in command] + ["--warehouse", str(upgraded.warehouse)]
    result = CliRunner().invoke(app, args, terminal_width=400)
    assert result.exit_code == 0, result.output
    if command[0] == "lists":
        assert list((tmp_path / "lists").glob("*.xlsx"))
    if command[0] == "report":
        assert list((tmp_path / "reports").glob("*.html"))
