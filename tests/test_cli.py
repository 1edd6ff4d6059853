"""The command line's own promises, end to end on real warehouses: recording an outcome, loading the center's
calendar, waiting for a busy warehouse, the DuckDB memory limit, and the demo.

Commands run in-process through typer's runner (the same code path as the `hedui` script, without paying the
imports again), except the demo: the session's `tiny_demo` runs it once, as a process of its own, for this file,
`test_summary_nights` and `test_synth_truth`. `test_privacy_leaks` runs the installed script as a subprocess.
`outcome import` is tested in `test_outcomes`.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from hedui.cli import app
from hedui.warehouse.lock import writer_lock
from tests.conftest import SAMPLES_AS_OF, query, write_csv
from tests.hostile_support import DEATH_HEADER

LATER = SAMPLES_AS_OF + dt.timedelta(days=1)
CHEN_SI = "430482200805065227"  # a member of CN-S-0002 in the samples


def hedui(*args: str):
    result = CliRunner().invoke(app, [str(a) for a in args], env={"HEDUI_QUIET": "1", "COLUMNS": "200"})
    return result


# --- outcome record ----------------------------------------------------------------------------------------

def test_outcome_record_closes_the_warning_in_the_published_warehouse(first_night):
    [(warning_id,)] = query(first_night, "select warning_id from main.warnings where rule_code = 'ASSET_PROPERTY'")
    done = hedui("outcome", "record", warning_id, "不属实", "--warehouse", first_night,
                 "--reason", "房产已于10月过户", "--by", "C017")
    assert done.exit_code == 0, done.output
    assert f"recorded 不属实 for {warning_id}" in done.output
    assert query(first_night, "select status, closed_on is not null from main.warnings where warning_id = ?",
                 [warning_id]) == [("dismissed", True)]
    assert query(first_night, "select outcome, reason, recorded_by, origin from alerts.outcomes") == [
        ("dismissed", "房产已于10月过户", "C017", "manual")]
    assert query(first_night, "select event, status_after from alerts.warning_events where warning_id = ? "
                 "order by recorded_at desc limit 1", [warning_id]) == [("outcome", "dismissed")]
    assert not list(first_night.parent.glob("w.duckdb.tmp-*"))  # written through a working copy, published


def test_outcome_record_refuses_a_dismissal_without_reason_and_an_unknown_warning(first_night):
    [(warning_id,)] = query(first_night, "select warning_id from main.warnings where rule_code = 'ASSET_PROPERTY'")
    before = query(first_night, "select warning_id, status from main.warnings order by 1")
    missing_reason = hedui("outcome", "record", warning_id, "dismissed", "--warehouse", first_night)
    unknown = hedui("outcome", "record", "W-NOT-A-WARNING", "confirmed", "--warehouse", first_night)
    assert (missing_reason.exit_code, unknown.exit_code) == (2, 2), (missing_reason.output, unknown.output)
    assert "recorded" not in missing_reason.output + unknown.output
    assert query(first_night, "select warning_id, status from main.warnings order by 1") == before
    assert query(first_night, "select count(*) from alerts.outcomes") == [(0,)]


# --- calendar load, and due dates across holidays --------------------------------------------------------

def add_death_before_new_year(landing: Path) -> None:
    """陈思 (CN-S-0002) dies on 2026-12-28: a new CHANGE_DECEASED warning on the night of 2026-12-30, due 15
    working days later, in 2027, a year the chinese-calendar package does not know."""
    write_csv(landing / "death" / "20261229" / "death.csv", DEATH_HEADER,
              [[CHEN_SI, "陈思", "2026-12-28", "2026-12-29"]], encoding="gb18030")


def new_death_warning(warehouse: Path) -> list[tuple]:
    return query(warehouse, "select due_on, due_basis, first_raised_on from alerts.warnings "
                 "where rule_code = 'CHANGE_DECEASED' and person_id = ?", [CHEN_SI])


def test_without_a_center_calendar_a_due_date_in_2027_counts_weekdays(sample_landing, first_night):
    from hedui.night import run_night

    add_death_before_new_year(sample_landing)
    # dated after today's clock when this was written: a trial night, hence the flag
    run_night(sample_landing, first_night, dt.date(2026, 12, 30), deliver=False, allow_future_as_of=True)
    # 12-31 (official), then Monday to Friday: 2027-01-01 counts, the 15th working day is 2027-01-20
    assert new_death_warning(first_night) == [(dt.date(2027, 1, 20), "weekdays_fallback", dt.date(2026, 12, 30))]


def test_hedui_calendar_load_then_a_night_dates_warnings_on_the_center_calendar(sample_landing, first_night,
                                                                              tmp_path):
    """The State Council's 2027 list as the center types it: New Year's Day and Monday 01-04 off, Saturday
    01-09 an adjusted working day. Loaded through the CLI into the warehouse, then used by the next night."""
    from hedui.night import run_night

    calendar = tmp_path / "2027.csv"
    calendar.write_text("日期,类型\n2027-01-01,休\n2027-01-04,休\n2027-01-09,班\n", encoding="utf-8")
    done = hedui("calendar", "load", calendar, "--warehouse", first_night)
    assert done.exit_code == 0, done.output
    assert "loaded 3 calendar day(s)" in done.output
    assert query(first_night, "select day, is_workday, source from ref.calendar_days order by day") == [
        (dt.date(2027, 1, 1), False, "2027.csv"), (dt.date(2027, 1, 4), False, "2027.csv"),
        (dt.date(2027, 1, 9), True, "2027.csv")]
    add_death_before_new_year(sample_landing)
    # dated after today's clock when this was written: a trial night, hence the flag
    run_night(sample_landing, first_night, dt.date(2026, 12, 30), deliver=False, allow_future_as_of=True)
    # 12-31 (1); 01-05..01-08 (2-5); Saturday 01-09 (6); 01-11..15 (7-11); 01-18..21 (12-15)
    assert new_death_warning(first_night) == [(dt.date(2027, 1, 21), "center_calendar", dt.date(2026, 12, 30))]


def test_a_bad_calendar_file_is_refused_and_loads_nothing(first_night, tmp_path):
    calendar = tmp_path / "2027.csv"
    calendar.write_text("2027-01-01,休\n2027-02-30,休\n", encoding="utf-8")
    done = hedui("calendar", "load", calendar, "--warehouse", first_night)
    assert done.exit_code != 0
    assert "loaded" not in done.output
    assert query(first_night, "select count(*) from ref.calendar_days") == [(0,)]


def test_raise_warnings_dates_warnings_raised_before_national_day_after_it():
    """Through the rule engine: warnings first raised on 2026-09-30 are due 15 official working days later,
    skipping National Day (10-01..10-07) and counting the adjusted Saturday 10-10: 2026-10-27."""
    from hedui.rules import raise_warnings
    from tests.spec_samples import build_sample_tables
    from hedui.run_info import RunInfo

    con = duckdb.connect(":memory:")
    build_sample_tables(con)
    stats = raise_warnings(con, RunInfo("r1", dt.date(2026, 9, 30)))
    assert stats.due_on == dt.date(2026, 10, 27)
    rows = con.execute("select distinct due_on, due_basis from alerts.warnings").fetchall()
    assert con.execute("select count(*) from alerts.warnings").fetchone()[0] > 0
    assert rows == [(dt.date(2026, 10, 27), "official_calendar")]
    con.close()


# --- nightly --wait and --memory-limit -------------------------------------------------------------------

def test_nightly_refuses_an_as_of_date_before_the_latest_run_in_one_line_with_exit_code_3(sample_landing, first_night):
    before = query(first_night, "select run_id from ledger.runs order by 1")
    earlier = SAMPLES_AS_OF - dt.timedelta(days=1)
    done = hedui("nightly", "--no-prefect", "--landing", sample_landing, "--warehouse", first_night,
                 "--as-of", earlier.isoformat())
    assert done.exit_code == 3, done.output
    assert done.output.strip().count("\n") == 0, done.output
    assert f"{earlier.isoformat()} is earlier than {SAMPLES_AS_OF.isoformat()}" in done.output
    assert query(first_night, "select run_id from ledger.runs order by 1") == before


def test_nightly_without_wait_refuses_a_busy_warehouse(sample_landing, first_night):
    before = query(first_night, "select count(*) from ledger.runs")
    with writer_lock(first_night.resolve()):
        done = hedui("nightly", "--no-prefect", "--landing", sample_landing, "--warehouse", first_night,
                     "--as-of", LATER.isoformat())
    assert done.exit_code == 3, done.output
    assert "another run is writing" in done.output
    assert query(first_night, "select count(*) from ledger.runs") == before


def test_nightly_with_wait_runs_once_the_other_writer_is_done(sample_landing, first_night):
    """Another writer holds the warehouse for two seconds; `--wait 60` waits for it, then runs."""
    held, released = threading.Event(), []

    def other_writer():
        with writer_lock(first_night.resolve()):
            held.set()
            time.sleep(2)
            released.append(dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))

    thread = threading.Thread(target=other_writer)
    thread.start()
    assert held.wait(30)
    done = hedui("nightly", "--no-prefect", "--landing", sample_landing, "--warehouse", first_night,
                 "--as-of", LATER.isoformat(), "--wait", "60", "--memory-limit", "1GB")
    thread.join()
    assert done.exit_code == 0, done.output
    assert "completed" in done.output
    [(started,)] = query(first_night, "select started_at from ledger.runs where as_of = ?", [LATER])
    assert started >= released[0], "the run began before the other writer let go"


def test_nightly_memory_limit_reaches_duckdb(sample_landing, tmp_path, caplog):
    """A limit far too small for any work makes DuckDB itself refuse (OutOfMemoryException in each source),
    which shows the option is applied to the run's connection; nothing is published."""
    warehouse = tmp_path / "tiny-memory.duckdb"
    done = hedui("nightly", "--no-prefect", "--landing", sample_landing, "--warehouse", warehouse,
                 "--as-of", SAMPLES_AS_OF.isoformat(), "--memory-limit", "2MB")
    assert done.exit_code == 2
    assert "out of memory" in done.output and "--memory-limit" in done.output
    # the statement where the connector's code ran it, then the error
    assert re.search(r"source households failed in statement connectors/\S+\.py:\d+ .*: OutOfMemoryException",
                     caplog.text)
    assert not warehouse.exists()


# --- demo ----------------------------------------------------------------------------------------------

def test_demo_generates_a_tiny_city_and_runs_its_night_end_to_end(tiny_demo):
    home, done = tiny_demo
    assert done.returncode == 0, done.stderr
    warehouse = home / "hedui.duckdb"
    assert f"warehouse: {warehouse}" in done.stdout.replace("\n", "")
    assert (home / "city" / "landing").is_dir() and (home / "city" / "truth" / "warnings.csv").is_file()
    [(outcome, as_of)] = query(warehouse, "select outcome, as_of from ledger.runs")
    assert as_of == SAMPLES_AS_OF and outcome in ("completed", "completed_with_problems")
    assert query(warehouse, "select count(*) > 0 from main.warnings") == [(True,)]
    assert list((home / "outputs" / "2026-11-03" / "lists").glob("*.xlsx"))
