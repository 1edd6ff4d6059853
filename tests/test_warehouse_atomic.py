"""Runs are atomic and idempotent: readers never see half a run, a killed run changes nothing, two runs never
write at once, and the same inputs and as-of date give the same warehouse."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from hedui.night import run_night
from hedui.warehouse import WarehouseBusy
from hedui.warehouse.lock import writer_lock
from tests.conftest import SAMPLES_AS_OF, write_csv
from tests.warehouse_state import data_state

LATER = dt.date(2026, 11, 4)


def add_death(landing: Path) -> None:
    write_csv(landing / "death" / "20261104" / "death.csv", ["公民身份号码", "姓名", "死亡日期", "注销日期"],
              [["430482200805065227", "陈思", "2026-11-02", "2026-11-04"]], encoding="gb18030")


def test_same_inputs_and_as_of_twice_give_the_same_warehouse(sample_landing, first_night):
    """The second run changes no data; its ledgers record it as a second run that found everything unchanged."""
    warehouse = first_night
    first = data_state(warehouse, ledgers=False)
    run_night(sample_landing, warehouse, SAMPLES_AS_OF, deliver=False)
    assert data_state(warehouse, ledgers=False) == first
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("select count(*) from ledger.runs where as_of = ?", [SAMPLES_AS_OF]).fetchone()[0] == 2
        assert con.execute("select distinct status from ledger.deliveries where run_id = (select run_id from "
                           "ledger.runs order by started_at desc limit 1)").fetchall() == [("unchanged",)]
    finally:
        con.close()


def test_a_fresh_warehouse_from_the_same_inputs_is_identical(sample_landing, tmp_path):
    run_night(sample_landing, tmp_path / "a.duckdb", SAMPLES_AS_OF, deliver=False)
    run_night(sample_landing, tmp_path / "b.duckdb", SAMPLES_AS_OF, deliver=False)
    assert data_state(tmp_path / "a.duckdb") == data_state(tmp_path / "b.duckdb")


def test_reader_holding_the_warehouse_open_neither_blocks_a_run_nor_sees_it(sample_landing, first_night):
    warehouse = first_night
    reader = duckdb.connect(str(warehouse), read_only=True)
    before = reader.execute("select count(*) from staged.death").fetchone()[0]
    add_death(sample_landing)
    run_night(sample_landing, warehouse, LATER, deliver=False)
    assert reader.execute("select count(*) from staged.death").fetchone()[0] == before
    assert reader.execute("select count(*) from ledger.runs").fetchone()[0] == 1
    reader.close()
    fresh = duckdb.connect(str(warehouse), read_only=True)
    assert fresh.execute("select count(*) from staged.death").fetchone()[0] == before + 1
    fresh.close()


def test_second_run_refuses_while_another_is_writing(sample_landing, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    with writer_lock(warehouse.resolve()):
        with pytest.raises(WarehouseBusy):
            run_night(sample_landing, warehouse, SAMPLES_AS_OF, deliver=False)
    assert not warehouse.exists()


RUN_SCRIPT = """
import datetime as dt, sys
from pathlib import Path
from hedui.night import run_night
run_night(Path(sys.argv[1]), Path(sys.argv[2]), dt.date.fromisoformat(sys.argv[3]), deliver=False)
"""


def start_run(landing: Path, warehouse: Path, as_of: dt.date) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", RUN_SCRIPT, str(landing), str(warehouse), as_of.isoformat()],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_run_killed_halfway_leaves_the_previous_state_and_the_next_run_completes(sample_landing, first_night,
                                                                                  tmp_path):
    warehouse = first_night
    clean = tmp_path / "clean.duckdb"
    shutil.copyfile(first_night, clean)  # before the killed run: the clean history is night 1, then LATER
    before = data_state(warehouse)
    add_death(sample_landing)
    process = start_run(sample_landing, warehouse, LATER)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob("w.duckdb.tmp-*")) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.5)  # well inside the run: the working copy exists and is being written
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert data_state(warehouse) == before
    run_night(sample_landing, warehouse, LATER, deliver=False)
    run_night(sample_landing, clean, LATER, deliver=False)
    assert data_state(warehouse) == data_state(clean)
    assert not list(tmp_path.glob("w.duckdb.tmp-*"))
