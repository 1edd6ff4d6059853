"""The nightly flow itself, run by Prefect (a temporary local API) — once, since Prefect's start-up is slow."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from connectors import SOURCES

pytestmark = pytest.mark.prefect


@pytest.fixture(scope="module")
def prefect_api():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def test_nightly_flow_runs_every_stage_and_publishes_a_summary_artifact(prefect_api, tmp_path):
    from prefect.artifacts import Artifact

    from flows.nightly import nightly
    from tests.conftest import SAMPLES, SAMPLES_AS_OF

    landing = tmp_path / "landing"
    shutil.copytree(SAMPLES, landing, ignore=shutil.ignore_patterns("README.md"))
    result = nightly(landing=str(landing), warehouse=str(tmp_path / "w.duckdb"), as_of=SAMPLES_AS_OF.isoformat())
    assert result.outcome == "completed"
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    assert con.execute("select count(*) from warnings").fetchone()[0] == 16  # the v2 README's 9 + 7
    con.close()
    artifact = Artifact.get("hedui-run-summary")
    assert artifact is not None and "ASSET_VEHICLE" in artifact.data
    assert "430482" not in artifact.data  # counts only, no ID numbers


def night_with_a_failing_source(tmp_path, monkeypatch, failing: str, error: Exception, failures: int = 99,
                                warehouse=None, as_of=None):
    """The flow over the spec samples, with `failing`'s ingest raising `error` on its first `failures` attempts
    (every attempt by default). Returns the result and the number of attempts of `failing`'s task.

    The ingest task keeps its real retries (2); only the pause between them is dropped, so that a failing
    source costs no 12 seconds of sleep. With `warehouse` (a warehouse after night 1) the flow runs night 2."""
    from flows import nightly as nightly_module
    from hedui import stages
    from tests.conftest import SAMPLES, SAMPLES_AS_OF

    landing = tmp_path / "landing"
    if not landing.exists():
        shutil.copytree(SAMPLES, landing, ignore=shutil.ignore_patterns("README.md"))
    real_ingest = stages.ingest
    attempts = []

    def flaky(con, landing_, source_name, run, **kwargs):
        if source_name == failing:
            attempts.append(run.run_id)
            if len(attempts) <= failures:
                raise error
        return real_ingest(con, landing_, source_name, run, **kwargs)

    assert nightly_module.ingest_task.retries == 2
    monkeypatch.setattr(stages, "ingest", flaky)
    monkeypatch.setattr(nightly_module, "ingest_task", nightly_module.ingest_task.with_options(retry_delay_seconds=0))
    result = nightly_module.nightly(landing=str(landing), warehouse=str(warehouse or tmp_path / "w.duckdb"),
                                    as_of=(as_of or SAMPLES_AS_OF).isoformat())
    return result, len(attempts)


def second_night_vehicle(landing) -> None:
    """Night 2's vehicle snapshot: 王磊's car gone (taken, it would resolve his ASSET_VEHICLE warning)."""
    from tests.conftest import read_sample_rows, write_csv

    header, rows = read_sample_rows("vehicle")
    write_csv(landing / "vehicle" / "20261104" / "vehicle.csv", header, rows[1:], encoding="gb18030")


def test_a_source_failing_once_is_retried_by_prefect_and_the_night_completes(prefect_api, samples_night, tmp_path,
                                                                           monkeypatch):
    import datetime as dt

    warehouse = tmp_path / "w.duckdb"
    shutil.copyfile(samples_night.warehouse, warehouse)
    shutil.copytree(samples_night.landing, tmp_path / "landing")
    second_night_vehicle(tmp_path / "landing")
    result, attempts = night_with_a_failing_source(tmp_path, monkeypatch, "vehicle", OSError("share hiccup"),
                                                   failures=1, warehouse=warehouse, as_of=dt.date(2026, 11, 4))
    assert attempts == 2  # failed, retried by Prefect, succeeded
    assert (result.outcome, result.failed_sources) == ("completed", [])
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("select problem, in_force_delivery from ledger.run_sources where source = 'vehicle' "
                       "and run_id = ?", [result.run_id]).fetchone() == (None, "vehicle/20261104")
    assert con.execute("select count(*) from staged.vehicle").fetchone()[0] == 4
    con.close()


def test_a_source_failing_on_every_retry_keeps_its_last_good_picture_and_the_others_go_on(
        prefect_api, samples_night, tmp_path, monkeypatch):
    """A second night, so that there is a previous picture to keep: the vehicle task fails on its first try
    and both retries; the night completes with problems, the other sources are read, and the vehicle rows
    and warnings of night 1 stand."""
    import datetime as dt

    warehouse = tmp_path / "w.duckdb"
    shutil.copyfile(samples_night.warehouse, warehouse)
    con = duckdb.connect(str(warehouse), read_only=True)
    night1_vehicles = con.execute("select * from staged.vehicle order by record_key").fetchall()
    con.close()
    shutil.copytree(samples_night.landing, tmp_path / "landing")
    second_night_vehicle(tmp_path / "landing")
    result, attempts = night_with_a_failing_source(tmp_path, monkeypatch, "vehicle", OSError("share unavailable"),
                                                   warehouse=warehouse, as_of=dt.date(2026, 11, 4))
    assert attempts == 3  # the first try and Prefect's two retries
    assert result.failed_sources == ["vehicle"]
    assert result.outcome == "completed_with_problems"
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("select problem, in_force_delivery from ledger.run_sources where source = 'vehicle' "
                           "and run_id = ?", [result.run_id]).fetchone() == ("failed", "vehicle/20261103")
        assert con.execute("select * from staged.vehicle order by record_key").fetchall() == night1_vehicles
        assert con.execute("select count(*) from warnings where rule_code = 'ASSET_VEHICLE' and status = 'open'"
                           ).fetchone()[0] == 2
        assert con.execute("select count(*) from staged.medical").fetchone()[0] == 5
        assert con.execute("select count(*) from ledger.run_sources where run_id = ? and problem is null",
                           [result.run_id]).fetchone()[0] == len(SOURCES) - 1  # every other source was read
    finally:
        con.close()


def test_the_prefect_run_logs_and_artifacts_hold_no_id_or_name_even_when_a_task_fails_quoting_one(
        prefect_api, tmp_path, monkeypatch, capfd):
    """A driver error that quotes the offending row (a name and an ID) fails one source's task. Prefect stores
    the task's log lines, its failure message and the run's artifacts in its API; none may hold a person's ID
    or name, and neither may anything printed while the flow ran."""
    from prefect.client.orchestration import get_client
    from prefect.logging.handlers import APILogWorker

    from tests.test_privacy_leaks import SENSITIVE, leaks

    result, _ = night_with_a_failing_source(
        tmp_path, monkeypatch, "housing",
        ValueError("Conversion Error: could not convert '430482196203151313' (王建国) to DATE"))
    assert result.failed_sources == ["housing"]
    APILogWorker.drain_all(timeout=30)
    stored: list[str] = []
    with get_client(sync_client=True) as client:
        offset = 0
        while batch := client.read_logs(limit=200, offset=offset):
            stored += [log.message for log in batch]
            offset += len(batch)
        stored += [str(a.data) + str(a.description) for a in client.read_artifacts()]
        stored += [str(r.state.message if r.state else "") for r in client.read_task_runs()]
    assert any("housing" in line for line in stored)  # the failure is logged, only without the values
    printed = capfd.readouterr()
    assert [line for line in stored if leaks(line)] == []
    assert leaks(printed.out + printed.err, SENSITIVE) == []


def test_the_prefect_server_a_night_starts_sends_no_telemetry():
    """The center's network has no internet: Prefect's server would report usage to Prefect every night (and log
    its failure). Importing hedui's flows turns that off, unless the operator set it."""
    import os
    import subprocess
    import sys

    code = ("import flows.nightly\nfrom prefect.settings import get_current_settings\n"
            "print(get_current_settings().server.analytics_enabled)")
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_SERVER_ANALYTICS_ENABLED"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip() == "False"
    chosen = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={**env, "PREFECT_SERVER_ANALYTICS_ENABLED": "true"})
    assert chosen.stdout.strip() == "True"
