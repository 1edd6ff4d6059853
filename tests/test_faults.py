"""Faults: a run killed at random points, a full disk, a truncated department file, a late source, two runs at
once, analysts reading through a run. After each, the warehouse is the previous state or the completed
run's, never a mixture, and the next run completes with nothing lost or doubled.

The kill loop runs HEDUI_FAULT_TRIALS trials (default 8): that is the bounded form `.ci/run` runs. The long
version, 50 trials by default (HEDUI_FAULT_TRIALS_SLOW), runs with `-m slow` or HEDUI_RUN_SLOW=1.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from hedui.night import run_night
from tests.conftest import SAMPLES_AS_OF, read_sample_rows, write_csv
from tests.hostile_support import DEATH_HEADER, assert_accounting_file
from tests.warehouse_state import data_state, without_ledgers

NIGHT2 = dt.date(2026, 11, 4)
ROOT = Path(__file__).parent.parent


def add_night_two(landing: Path) -> None:
    """A few more deliveries for the second night: a death, a settlement, a vehicle snapshot with a car gone."""
    write_csv(landing / "death" / "20261104" / "death.csv", DEATH_HEADER,
              [["430482200805065227", "陈思", "2026-11-02", "2026-11-04"]], encoding="gb18030")
    header, rows = read_sample_rows("medical")
    extra = list(rows[0])
    extra[header.index("结算流水号")] = "Y20261104000001"
    extra[header.index("结算日期")] = "2026-11-04"
    write_csv(landing / "medical" / "20261104" / "medical.csv", header, [extra], encoding="gb18030")
    header, rows = read_sample_rows("vehicle")
    write_csv(landing / "vehicle" / "20261104" / "vehicle.csv", header, rows[1:], encoding="gb18030")


def check_warnings(path: Path) -> None:
    """No warning twice, no event twice, every warning raised exactly once per episode."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert con.execute("select count(*) - count(distinct warning_id) from alerts.warnings").fetchone()[0] == 0
        assert con.execute(
            "select count(*) from (select warning_id, count(*) n from alerts.warning_events "
            "where event = 'raised' group by 1 having n <> 1)").fetchone()[0] == 0
        assert con.execute(
            "select count(*) from alerts.warnings w anti join alerts.warning_events e using (warning_id)"
        ).fetchone()[0] == 0
        columns = [c for (c,) in con.execute(
            "select column_name from duckdb_columns() where schema_name = 'alerts' and table_name = 'warning_events' "
            "and column_name not in ('recorded_at')").fetchall()]
        listed = ", ".join(f'"{c}"' for c in columns)
        assert con.execute(f"select count(*) - count(distinct ({listed})) from alerts.warning_events").fetchone()[0] == 0
    finally:
        con.close()


@pytest.fixture(scope="module")
def two_nights(samples_night, tmp_path_factory):
    """The landing zone of two nights, the warehouse after night 1 (the session's shared first night), and the
    clean states after nights 1 and 2, and after night 2 run twice (a run that completed before its kill is
    followed by a second run of the same night, which adds its own ledger rows)."""
    from tests.conftest import SAMPLES

    base = tmp_path_factory.mktemp("faults")
    landing = base / "landing"
    shutil.copytree(SAMPLES, landing, ignore=shutil.ignore_patterns("README.md"))
    add_night_two(landing)
    night1 = base / "night1.duckdb"
    shutil.copyfile(samples_night.warehouse, night1)
    clean = base / "clean" / "w.duckdb"
    clean.parent.mkdir()
    shutil.copyfile(night1, clean)
    run_night(landing, clean, NIGHT2, deliver=False)
    state1, state2 = data_state(night1), data_state(clean)
    assert state1 != state2
    run_night(landing, clean, NIGHT2, deliver=False)
    state2_twice = data_state(clean)
    assert state2_twice != state2 and without_ledgers(state2_twice) == without_ledgers(state2)
    return {"landing": landing, "night1": night1, "state1": state1, "state2": state2, "state2_twice": state2_twice,
            "base": base}


# --- killed runs ----------------------------------------------------------------------------------------

class Zygote:
    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, str(ROOT / "tests" / "fault_zygote.py")], cwd=str(ROOT),
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert json.loads(self.process.stdout.readline()) == {"ready": True}

    def start(self, landing: Path, warehouse: Path, as_of: dt.date) -> int:
        self.process.stdin.write(json.dumps({"landing": str(landing), "warehouse": str(warehouse),
                                             "as_of": as_of.isoformat()}) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())["pid"]

    def wait(self) -> int:
        return json.loads(self.process.stdout.readline())["exit"]

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


def kill_trials(two_nights, tmp_path: Path, trials: int, seed: int) -> dict:
    landing, rng = two_nights["landing"], random.Random(seed)
    zygote = Zygote()
    tally = {"trials": 0, "killed": 0, "completed_before_kill": 0, "delays": []}
    try:
        # the run's duration, observed: kills are drawn uniformly over it (and a little past it)
        probe = tmp_path / "probe" / "w.duckdb"
        probe.parent.mkdir()
        shutil.copyfile(two_nights["night1"], probe)
        started = time.perf_counter()
        zygote.start(landing, probe, NIGHT2)
        assert zygote.wait() == 0
        duration = time.perf_counter() - started
        assert data_state(probe) == two_nights["state2"]
        for trial in range(trials):
            warehouse = tmp_path / f"t{trial}" / "w.duckdb"
            warehouse.parent.mkdir()
            shutil.copyfile(two_nights["night1"], warehouse)
            delay = rng.uniform(0, duration * 1.1)
            pid = zygote.start(landing, warehouse, NIGHT2)
            time.sleep(delay)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            code = zygote.wait()
            tally["trials"] += 1
            tally["delays"].append(round(delay, 2))
            if code == -signal.SIGKILL:
                tally["killed"] += 1
            else:
                assert code == 0
                tally["completed_before_kill"] += 1
            # the warehouse is night 1 or night 2, whole
            after_kill = data_state(warehouse)
            assert after_kill in (two_nights["state1"], two_nights["state2"]), f"trial {trial}: a mixed state"
            if code == 0:
                assert after_kill == two_nights["state2"]
            # the next run completes and gives exactly the clean night 2 (run twice if the first one finished)
            run_night(landing, warehouse, NIGHT2, deliver=False)
            expected = two_nights["state2_twice" if code == 0 else "state2"]
            assert data_state(warehouse) == expected, f"trial {trial} (delay {delay:.2f}s)"
            assert not list(warehouse.parent.glob("w.duckdb.tmp-*"))
            assert_accounting_file(warehouse)
            check_warnings(warehouse)
            shutil.rmtree(warehouse.parent)
    finally:
        zygote.close()
    tally["run_seconds"] = round(duration, 2)
    print(f"\nkill loop: {tally}")
    return tally


def test_runs_killed_at_random_points_leave_a_whole_state_and_the_next_run_equals_a_clean_run(two_nights, tmp_path):
    trials = int(os.environ.get("HEDUI_FAULT_TRIALS", "8"))
    tally = kill_trials(two_nights, tmp_path, trials, seed=20261104)
    assert tally["trials"] == trials
    assert tally["killed"] >= trials // 2  # the delays really land inside runs


@pytest.mark.slow
def test_fifty_runs_killed_at_random_points_lose_nothing(two_nights, tmp_path, request):
    if "slow" not in (request.config.option.markexpr or "") and not os.environ.get("HEDUI_RUN_SLOW"):
        pytest.skip("the long kill loop (about 4 minutes): run with `-m slow` or HEDUI_RUN_SLOW=1")
    trials = int(os.environ.get("HEDUI_FAULT_TRIALS_SLOW", "50"))
    tally = kill_trials(two_nights, tmp_path, trials, seed=7)
    assert tally["trials"] == trials and tally["killed"] >= trials // 2


# --- disk full ------------------------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root / CAP_SYS_ADMIN): {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def free_bytes(path: Path) -> int:
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize


def without_failed_runs(state: dict) -> tuple[dict, list]:
    """A `data_state` without `ledger.failed_runs`, and that table's rows."""
    return {k: v for k, v in state.items() if k != "ledger.failed_runs"}, state.get("ledger.failed_runs", [])


def test_disk_full_during_a_run_fails_cleanly_and_the_previous_state_stands(two_nights, small_disk):
    warehouse = small_disk / "w.duckdb"
    shutil.copyfile(two_nights["night1"], warehouse)
    size = warehouse.stat().st_size
    failures, completions, leftovers = [], 0, []
    for share in (0.2, 0.9, 1.05, 1.3, 2.0, 6.0):
        ballast = small_disk / "ballast"
        leave = int(size * share)
        with open(ballast, "wb") as handle:
            handle.write(b"\0" * max(0, free_bytes(small_disk) - leave))
        try:
            run_night(two_nights["landing"], warehouse, NIGHT2, deliver=False)
        except Exception as exc:  # noqa: BLE001 - what a full disk raises is the point
            failures.append(f"{type(exc).__name__}: {exc}")
            message = str(exc).lower()
            assert "space" in message or "disk" in message or "write" in message, exc
            # the failure itself may be recorded (ledger.failed_runs), when there is room for that: nothing else
            state, recorded = without_failed_runs(data_state(warehouse))
            assert state == without_failed_runs(two_nights["state1"])[0]
            assert all(stage for stage, *_ in recorded)
            leftovers.extend(p.name for p in small_disk.glob("w.duckdb.tmp-*"))
        else:
            completions += 1
            assert without_failed_runs(data_state(warehouse))[0] == without_failed_runs(two_nights["state2"])[0]
            shutil.copyfile(two_nights["night1"], warehouse)  # back to night 1 for the next share
        finally:
            ballast.unlink()
    print(f"\ndisk full: {len(failures)} failed cleanly, {completions} completed: {failures}; left: {leftovers}")
    assert failures, "no run ran out of space: the test did not test anything"
    run_night(two_nights["landing"], warehouse, NIGHT2, deliver=False)  # space again: the next run completes
    assert without_failed_runs(data_state(warehouse))[0] == without_failed_runs(two_nights["state2"])[0]
    assert not list(small_disk.glob("w.duckdb.tmp-*"))


def test_a_run_that_cannot_copy_the_warehouse_for_lack_of_space_removes_its_partial_copy(two_nights, small_disk):
    warehouse = small_disk / "w.duckdb"
    shutil.copyfile(two_nights["night1"], warehouse)
    ballast = small_disk / "ballast"
    with open(ballast, "wb") as handle:
        handle.write(b"\0" * max(0, free_bytes(small_disk) - warehouse.stat().st_size // 5))
    with pytest.raises(OSError, match="No space left"):
        run_night(two_nights["landing"], warehouse, NIGHT2, deliver=False)
    assert data_state(warehouse) == two_nights["state1"]
    assert not list(small_disk.glob("w.duckdb.tmp-*")), "the partial copy was left on the full disk"


# --- a truncated department file ------------------------------------------------------------------------

def test_a_department_file_truncated_mid_row_quarantines_the_cut_row_and_the_rest_loads(two_nights, tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(two_nights["landing"], landing)
    header, rows = read_sample_rows("medical")
    path = write_csv(landing / "medical" / "20261104" / "medical.csv", header, rows, encoding="gb18030")
    content = path.read_bytes()
    last_row_start = content.rstrip(b"\n").rfind(b"\n") + 1
    path.write_bytes(content[: last_row_start + 30])  # cut inside the last row, between two fields' commas
    warehouse = tmp_path / "w.duckdb"
    shutil.copyfile(two_nights["night1"], warehouse)
    run_night(landing, warehouse, NIGHT2, deliver=False)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        d = con.execute("select status, rows_read, rows_loaded, rows_quarantined from ledger.deliveries "
                        "where delivery_id = 'medical/20261104' order by run_id desc limit 1").fetchone()
        assert d[0] == "loaded" and d[1] == len(rows) and d[3] >= 1
        reason = con.execute("select reason from quarantine.rows where delivery_id = 'medical/20261104' "
                             "and row_number = ?", [len(rows)]).fetchone()[0]
        assert "truncated" in reason
        assert con.execute("select count(*) from ledger.run_sources where run_id = (select max(run_id) from "
                           "ledger.runs) and problem = 'failed'").fetchone()[0] == 0
    finally:
        con.close()
    assert_accounting_file(warehouse)


# --- a late source --------------------------------------------------------------------------------------

def test_a_source_late_for_a_week_reports_its_age_and_its_warnings_stay_open(sample_landing, first_night):
    """No source delivers for a week: each night takes the newest delivery there is (so the vehicle source is
    `fresh` with no `problem`: nothing was rejected or held back), its picture's age grows to 7 days and is
    reported, and no warning is resolved by the mere passing of time."""
    warehouse = first_night
    con = duckdb.connect(str(warehouse), read_only=True)
    open_before = set(con.execute("select warning_id from main.warnings where status = 'open'").fetchall())
    vehicle_warnings = con.execute("select warning_id from main.warnings where rule_code = 'ASSET_VEHICLE'").fetchall()
    con.close()
    assert vehicle_warnings, "the samples should raise a vehicle warning to keep open"
    week_later = SAMPLES_AS_OF + dt.timedelta(days=7)
    for day in range(1, 8):  # a nightly run every night; no source delivers anything new
        run_night(sample_landing, warehouse, SAMPLES_AS_OF + dt.timedelta(days=day), deliver=False)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        age, fresh, problem = con.execute(
            "select picture_age_days, fresh, problem from ledger.run_sources where source = 'vehicle' "
            "and run_id = (select run_id from ledger.runs where as_of = ?)", [week_later]).fetchone()
        assert (age, fresh, problem) == (7, True, None)
        ages = con.execute("select r.as_of, s.picture_age_days from ledger.run_sources s join ledger.runs r "
                           "using (run_id) where s.source = 'vehicle' order by r.as_of").fetchall()
        assert [a for _, a in ages] == list(range(8))  # reported every night, growing by one
        assert con.execute("select count(*) from alerts.warning_events where event = 'resolved'").fetchone()[0] == 0
        still = con.execute("select count(*) from main.warnings where rule_code = 'ASSET_VEHICLE' "
                            "and warning_id in (select unnest(?))", [[w for (w,) in vehicle_warnings]]).fetchone()[0]
        assert still == len(vehicle_warnings)
        assert open_before and open_before <= set(
            con.execute("select warning_id from main.warnings where status = 'open'").fetchall())
    finally:
        con.close()


# --- two runs at once -----------------------------------------------------------------------------------

RUN_SCRIPT = """
import datetime as dt, sys
from pathlib import Path
from hedui.night import run_night
run_night(Path(sys.argv[1]), Path(sys.argv[2]), dt.date.fromisoformat(sys.argv[3]), deliver=False,
          wait_seconds=float(sys.argv[4]))
"""


def start_runs(landing: Path, warehouse: Path, as_of: dt.date, wait: float, n: int = 2) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", RUN_SCRIPT, str(landing), str(warehouse), as_of.isoformat(),
                              str(wait)], cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(n)]


def test_a_run_started_while_another_writes_refuses_and_changes_nothing(two_nights, tmp_path):
    """The first run is represented by what it holds for its whole duration, the writer lock, held here by
    the test (as `test_warehouse_atomic` does): the second run, a separate process, must refuse with
    `WarehouseBusy` every time, not only when the timing happens to overlap. Once the lock is free, a run
    completes."""
    from hedui.warehouse.lock import writer_lock

    warehouse = tmp_path / "w.duckdb"
    shutil.copyfile(two_nights["night1"], warehouse)
    with writer_lock(warehouse.resolve()):
        [process] = start_runs(two_nights["landing"], warehouse, NIGHT2, wait=0, n=1)
        code, err = process.wait(timeout=300), process.stderr.read()
        assert code != 0 and "WarehouseBusy" in err, (code, err)
        assert data_state(warehouse) == two_nights["state1"]
        assert not list(tmp_path.glob("w.duckdb.tmp-*"))
    [process] = start_runs(two_nights["landing"], warehouse, NIGHT2, wait=0, n=1)
    assert process.wait(timeout=300) == 0, process.stderr.read()
    assert data_state(warehouse) == two_nights["state2"]


def test_two_runs_started_at_once_never_both_write(two_nights, tmp_path):
    """Two real runs at once: whichever way the timing falls, the warehouse is one night 2 (one refused) or
    night 2 run twice in turn (the first finished before the second took the lock), ledgers included."""
    warehouse = tmp_path / "w.duckdb"
    shutil.copyfile(two_nights["night1"], warehouse)
    processes = start_runs(two_nights["landing"], warehouse, NIGHT2, wait=0)
    results = [(p.wait(timeout=300), p.stderr.read()) for p in processes]
    codes = sorted(code for code, _ in results)
    assert codes[0] == 0, results
    refused = [err for code, err in results if code != 0]
    assert all("WarehouseBusy" in err for err in refused), results
    assert data_state(warehouse) == two_nights["state2" if refused else "state2_twice"]
    con = duckdb.connect(str(warehouse), read_only=True)
    runs = con.execute("select count(*) from ledger.runs where as_of = ?", [NIGHT2]).fetchone()[0]
    con.close()
    assert runs == sum(1 for code, _ in results if code == 0)


def test_two_runs_started_at_once_with_wait_run_one_after_the_other(two_nights, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    shutil.copyfile(two_nights["night1"], warehouse)
    processes = start_runs(two_nights["landing"], warehouse, NIGHT2, wait=300)
    results = [(p.wait(timeout=600), p.stderr.read()) for p in processes]
    assert [code for code, _ in results] == [0, 0], results
    con = duckdb.connect(str(warehouse), read_only=True)
    spans = con.execute("select started_at, finished_at from ledger.runs where as_of = ? order by started_at",
                        [NIGHT2]).fetchall()
    con.close()
    assert len(spans) == 2  # the second started from the first's published warehouse: both are in its ledger
    assert spans[0][1] <= spans[1][0], "the two runs overlapped"
    assert data_state(warehouse) == two_nights["state2_twice"]


# --- analysts -------------------------------------------------------------------------------------------

ANALYST = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("set enable_progress_bar = false")
con.create_function("slowly", lambda x: (time.sleep(0.02), x)[1], ["BIGINT"], "BIGINT")
print("ready", flush=True)
started = time.time()
count = con.execute("select count(*) from staged.death, range(1000) r(i) where slowly(i) >= 0").fetchone()[0]
deaths = con.execute("select count(*) from staged.death").fetchone()[0]
runs = con.execute("select count(*) from ledger.runs").fetchone()[0]
print(count, deaths, runs, started, time.time(), flush=True)
"""


def test_a_long_analyst_query_spanning_the_publication_completes_on_its_snapshot(two_nights, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    shutil.copyfile(two_nights["night1"], warehouse)
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
                               "print(c.execute('select count(*) from staged.death').fetchone()[0], flush=True); sys.stdin.read(); "
                               "print(c.execute('select count(*) from staged.death').fetchone()[0], flush=True)", str(warehouse)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    before = int(holder.stdout.readline())
    analyst = subprocess.Popen([sys.executable, "-c", ANALYST, str(warehouse)], stdout=subprocess.PIPE, text=True)
    assert analyst.stdout.readline().strip() == "ready"
    run_night(two_nights["landing"], warehouse, NIGHT2, deliver=False)
    published = time.time()
    count, deaths, runs, started, finished = analyst.stdout.readline().split()
    assert analyst.wait(timeout=120) == 0
    holder.stdin.close()
    assert int(holder.stdout.readline()) == before  # held through the run: still the old snapshot
    assert holder.wait(timeout=60) == 0
    assert float(finished) > published, "the analyst's query did not span the publication: make it longer"
    assert (int(count), int(deaths), int(runs)) == (before * 1000, before, 1)
    assert data_state(warehouse) == two_nights["state2"]
    fresh = duckdb.connect(str(warehouse), read_only=True)
    assert fresh.execute("select count(*) from staged.death").fetchone()[0] > before
    fresh.close()
