"""The warnings stage committed in steps (as the night runs it on its working copy, `hedui.step_commits`) leaves
the warehouse that the stage in one transaction leaves, night after night, and no scratch table behind."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from hedui.rules import engine, raise_warnings
from hedui.run_info import RunInfo
from tests.conftest import SAMPLES_AS_OF
from tests.spec_samples import build_sample_tables
from tests.warehouse_state import data_state


def _two_nights(path, *, commit_steps: bool) -> dict:
    con = duckdb.connect(str(path))
    build_sample_tables(con)
    for night, as_of in enumerate((SAMPLES_AS_OF, SAMPLES_AS_OF + dt.timedelta(days=1)), start=1):
        raise_warnings(con, RunInfo(f"r{night}", as_of), commit_steps=commit_steps)
    scratch = con.execute("select table_name from duckdb_tables() where starts_with(table_name, '_hedui_')").fetchall()
    con.close()
    assert scratch == []
    return data_state(path)


def test_warnings_stage_in_committed_steps_leaves_the_warehouse_one_transaction_leaves(tmp_path):
    in_steps = _two_nights(tmp_path / "steps.duckdb", commit_steps=True)
    in_one = _two_nights(tmp_path / "one.duckdb", commit_steps=False)
    assert in_steps["alerts.warnings"]  # the samples raise warnings: the comparison is not of two empty tables
    assert in_steps["alerts.list_texts"]
    assert in_steps == in_one


def test_a_failure_in_one_transaction_leaves_no_hit_or_scratch_table(tmp_path, monkeypatch):
    """Outside the night (one transaction) a rule failing midway rolls everything back, the scratch tables of the
    database (`_hedui_rule_hits`, the windows' records) included."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    build_sample_tables(con)

    def failing_lifecycle(*args, **kwargs):
        raise RuntimeError("the lifecycle failed")

    monkeypatch.setattr(engine.lifecycle, "apply_lifecycle", failing_lifecycle)
    with pytest.raises(RuntimeError, match="lifecycle failed"):
        raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF))
    assert con.execute("select count(*) from duckdb_tables() where starts_with(table_name, '_hedui_')").fetchone() == (0,)
    assert con.execute("select count(*) from alerts.warnings").fetchone() == (0,)
