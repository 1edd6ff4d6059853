"""A warehouse file named like one of its own schemas (staged.duckdb, Ledger.duckdb, main.duckdb) is refused with
one line before anything is written: DuckDB would name its database like the schema, and every query on it would
be ambiguous."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from hedui.cli import app
from hedui.warehouse import WarehouseNameClash
from hedui.warehouse.naming import check_warehouse_name
from tests.conftest import SAMPLES_AS_OF


@pytest.mark.parametrize("name", ["staged.duckdb", "Ledger.duckdb", "alerts.db", "main.duckdb", "linked.v2.duckdb"])
def test_a_warehouse_named_like_a_schema_is_refused(tmp_path, name):
    with pytest.raises(WarehouseNameClash, match="choose another name"):
        check_warehouse_name(tmp_path / name)


@pytest.mark.parametrize("name", ["hedui.duckdb", "staged_2026.duckdb", "city-staged.duckdb", "warehouse"])
def test_other_names_are_accepted(tmp_path, name):
    check_warehouse_name(tmp_path / name)


def test_hedui_nightly_on_staged_duckdb_exits_2_with_one_line_and_writes_nothing(sample_landing, tmp_path):
    warehouse = tmp_path / "home" / "staged.duckdb"
    result = CliRunner().invoke(app, ["nightly", "--no-prefect", "--landing", str(sample_landing),
                                      "--warehouse", str(warehouse), "--as-of", SAMPLES_AS_OF.isoformat(),
                                      "--allow-future-as-of"], env={"COLUMNS": "200", "HEDUI_QUIET": "1"})
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "cannot be called staged.duckdb" in lines[0]
    assert not (tmp_path / "home").exists() or not any((tmp_path / "home").iterdir())
