"""The linking stage's temporary tables are registered in one place (`matching.temp_tables`), and none
outlives the stage."""

from __future__ import annotations

import re
from pathlib import Path

from matching import link_records, temp_tables
from test_matching_fixtures import run_info, sample_city

MATCHING = Path(temp_tables.__file__).parent


def _temp_tables(con) -> set[str]:
    return {name for (name,) in con.execute("select table_name from duckdb_tables() where temporary").fetchall()}


def test_every_temporary_table_the_linking_stage_makes_is_registered(monkeypatch):
    drop_all = temp_tables.drop_all
    monkeypatch.setattr(temp_tables, "drop_all", lambda con: None)  # keep them, to see what was made
    con = sample_city().build()
    link_records(con, run_info())
    made = _temp_tables(con)
    assert {"_match_records", "_match_candidates", "_match_scored", "_match_decisions"} <= made
    assert made <= set(temp_tables.REGISTRY), f"not registered: {sorted(made - set(temp_tables.REGISTRY))}"
    drop_all(con)
    assert _temp_tables(con) == set()


def test_no_temporary_table_is_left_after_linking():
    con = sample_city().build()
    link_records(con, run_info())
    assert _temp_tables(con) == set()


def test_only_the_registry_spells_a_temporary_table_name():
    spelled = {
        path.name: sorted(set(re.findall(r"\b_match_\w+", path.read_text(encoding="utf-8"))))
        for path in MATCHING.glob("*.py")
        if path.name != "temp_tables.py"
    }
    assert {name: found for name, found in spelled.items() if found} == {}
