"""Hostile use of the command line and the warehouse file (issue 12, classes 8-11; issue 17's wrong paths and
file types): every one of these ends in one line and a non-zero exit code, never a traceback, never an echo of
an ID typed by mistake, and the warehouse stays as it was."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from hedui.cli import app
from hedui.night import AsOfRefused, check_as_of, today_in_city
from hedui.warehouse import open_readonly, working_copy
from hedui.warehouse.lock import writer_lock

A_CITIZEN_ID = "430482196508022424"


def run(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=True)


def one_line_failure(result, code: int | None = None) -> str:
    """The command failed with one line of output and no traceback; returns the line."""
    assert result.exit_code != 0, result.output
    if code is not None:
        assert result.exit_code == code, (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """A published warehouse with one (empty) run: the DDL, a ledger row, no data."""
    path = tmp_path / "wh" / "hedui.duckdb"
    with working_copy(path, "setup") as con:
        con.execute("insert into ledger.runs (run_id, as_of, started_at) values ('r1', date '2026-11-03', now())")
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- 11. a warehouse file that is not one, a busy one, wrong paths and file types ------------------------

@pytest.mark.parametrize("content", [b"", b"\x00" * 4096, b"not a database at all\n" * 100,
                                     b"DUCK" + bytes(range(256)) * 40])
@pytest.mark.parametrize("command", [["status"], ["lists", "--out", "OUT"], ["report", "H1", "--out", "OUT"],
                                     ["outcome", "record", "W1", "confirmed"]])
def test_a_corrupt_or_empty_warehouse_file_is_one_line_and_left_untouched(tmp_path, content, command):
    path = tmp_path / "hedui.duckdb"
    path.write_bytes(content)
    args = [str(tmp_path / "out") if a == "OUT" else a for a in command]
    line = one_line_failure(run(*args, "--warehouse", str(path)))
    assert "not a readable DuckDB database" in line
    assert path.read_bytes() == content


def test_a_duckdb_file_that_is_not_a_hedui_warehouse_is_one_line(tmp_path):
    path = tmp_path / "other.duckdb"
    duckdb.connect(str(path)).close()
    assert "not a hedui warehouse" in one_line_failure(run("status", "--warehouse", str(path)))


def test_a_warehouse_path_that_does_not_exist_is_one_line(tmp_path):
    line = one_line_failure(run("status", "--warehouse", str(tmp_path / "nope" / "hedui.duckdb")))
    assert "no warehouse file" in line


def test_outcome_record_on_a_busy_warehouse_is_one_line_and_changes_nothing(warehouse, monkeypatch):
    import hedui.warehouse

    real = hedui.warehouse.working_copy
    monkeypatch.setattr(hedui.warehouse, "working_copy",  # the command waits 30 s for the lock; the test 1 s
                        lambda path, run_id, **kw: real(path, run_id, **{**kw, "wait_seconds": 1}))
    before = digest(warehouse)
    with writer_lock(warehouse.resolve()):
        line = one_line_failure(run("outcome", "record", "W1", "confirmed", "--warehouse", str(warehouse)), 3)
    assert "another run is writing" in line
    assert digest(warehouse) == before


def test_a_warehouse_held_read_write_by_an_analyst_is_one_line_for_readers(warehouse):
    analyst = subprocess.Popen(  # another process, read-write, held open
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('open', flush=True); "
         "time.sleep(60)", str(warehouse)], stdout=subprocess.PIPE, text=True)
    try:
        assert analyst.stdout.readline().strip() == "open"
        line = one_line_failure(run("status", "--warehouse", str(warehouse)), 3)
    finally:
        analyst.kill()
        analyst.wait()
    assert "in use" in line


@pytest.mark.skipif(__import__("os").geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_warehouse_folder_is_one_line(warehouse):
    folder = warehouse.parent
    folder.chmod(0o555)
    try:
        line = one_line_failure(run("outcome", "record", "W1", "confirmed", "--warehouse", str(warehouse)))
    finally:
        folder.chmod(0o755)
    assert "Permission denied" in line


@given(kind=st.sampled_from(["binary", "missing", "folder", "csv-as-xlsx"]),
       command=st.sampled_from(["calendar load", "outcome import"]))
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_family_wrong_path_or_wrong_file_type_given_to_a_command_is_one_line(warehouse, tmp_path, kind, command):
    target = tmp_path / f"given-{kind}"
    if kind == "binary":
        target.write_bytes(bytes(range(256)) * 8)
    elif kind == "folder":
        target.mkdir(exist_ok=True)
    elif kind == "csv-as-xlsx":
        target = tmp_path / "list.xlsx"
        target.write_text("预警编号,核查结果\nW1,属实\n", encoding="utf-8")
    before = digest(warehouse)
    one_line_failure(run(*command.split(), str(target), "--warehouse", str(warehouse)))
    assert digest(warehouse) == before


def test_a_household_number_holding_a_slash_is_one_line(warehouse):
    one_line_failure(run("report", "12/34", "--warehouse", str(warehouse), "--out", str(warehouse.parent / "r")))


# --- 8. an ID given by mistake is never echoed ---------------------------------------------------------

@pytest.mark.parametrize("given_id", [A_CITIZEN_ID, "430482650802242", "李秀英"])
def test_report_and_outcome_record_do_not_echo_what_was_given(warehouse, given_id):
    for args in (["report", given_id, "--out", str(warehouse.parent / "r")],
                 ["outcome", "record", given_id, "confirmed"]):
        result = run(*args, "--warehouse", str(warehouse))
        line = one_line_failure(result, 2)
        assert given_id not in result.output and given_id[:10] not in line, result.output


# --- 9. the as-of date ---------------------------------------------------------------------------------

@pytest.mark.parametrize("as_of", ["2099-12-31", "9999-12-31", (dt.date.today() + dt.timedelta(days=30)).isoformat()])
def test_an_as_of_far_in_the_future_is_refused_without_the_flag_and_nothing_is_written(tmp_path, as_of):
    wh = tmp_path / "hedui.duckdb"
    line = one_line_failure(run("nightly", "--landing", str(tmp_path), "--warehouse", str(wh), "--as-of", as_of,
                                "--no-prefect"), 2)
    assert "--allow-future-as-of" in line or "out of range" in line
    assert not wh.exists()


def test_an_out_of_range_as_of_is_one_line_even_with_the_flag(tmp_path):
    line = one_line_failure(run("nightly", "--landing", str(tmp_path), "--warehouse", str(tmp_path / "w.duckdb"),
                                "--as-of", "9999-12-31", "--no-prefect", "--allow-future-as-of"), 2)
    assert "out of range" in line


def test_as_of_check_allows_today_and_the_next_few_days_and_needs_the_flag_beyond():
    today = today_in_city()
    check_as_of(today)
    check_as_of(today + dt.timedelta(days=3))
    with pytest.raises(AsOfRefused):
        check_as_of(today + dt.timedelta(days=4))
    check_as_of(today + dt.timedelta(days=4000), allow_future=True)


# --- 10. an analyst's read-write connection leaves a WAL -----------------------------------------------

def leave_a_wal(warehouse: Path) -> None:
    """What an analyst's read-write session that was killed (or never checkpointed) leaves behind."""
    con = duckdb.connect(str(warehouse))
    con.execute("pragma disable_checkpoint_on_shutdown")
    con.execute("set wal_autocheckpoint = '1TB'")
    con.execute("create table main.analyst_notes as select 1 as x")
    con.close()
    assert warehouse.with_name(warehouse.name + ".wal").exists()


def test_publication_sets_a_stray_wal_aside_and_readers_work_after_it(warehouse):
    leave_a_wal(warehouse)
    with working_copy(warehouse, "night-2") as con:
        con.execute("select 1").fetchall()
    wal = warehouse.with_name(warehouse.name + ".wal")
    assert not wal.exists()
    assert warehouse.with_name(warehouse.name + ".wal.stray-night-2").exists()
    con = open_readonly(warehouse)
    try:
        tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    finally:
        con.close()
    assert "analyst_notes" not in tables  # the analyst's writes are not published (the guide says so)
    assert run("status", "--warehouse", str(warehouse)).exit_code == 0
