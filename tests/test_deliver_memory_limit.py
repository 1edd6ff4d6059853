"""The deliver stage works within the night's DuckDB memory limit and temp directory: it reads the published
warehouse through a connection of its own, which without them would take 80% of the machine's memory (on the heavy
bench city the lists' query ran to 18.8 GiB with a 5 GB limit set for the night)."""

from __future__ import annotations

import datetime as dt

from hedui import night
from hedui.deliver import lists
from hedui.paths import WarehousePaths
from hedui.warehouse import working_copy


def test_the_deliver_stage_reads_the_warehouse_within_the_night_s_memory_limit(tmp_path, monkeypatch):
    paths = WarehousePaths(tmp_path / "hedui.duckdb")
    with working_copy(paths.warehouse, "setup"):
        pass
    seen = {}

    def record_settings(con, out_dir, as_of, **kwargs):
        seen.update(dict(con.execute(
            "select name, value from duckdb_settings() where name in ('memory_limit', 'temp_directory')").fetchall()))
        return []

    monkeypatch.setattr(lists, "write_township_lists", record_settings)
    night.deliver_outputs(paths, "r1", dt.date(2026, 11, 20), tmp_path / "out", None, memory_limit="123MB")
    assert seen["memory_limit"] == "117.3 MiB"  # 123 MB, as DuckDB reports it
    assert seen["temp_directory"] == str(paths.duckdb_temp)
