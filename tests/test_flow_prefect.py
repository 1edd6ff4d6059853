"""The nightly flow itself, run by Prefect (a temporary local API) — once, since Prefect's start-up is slow."""

from __future__ import annotations

import shutil

import duckdb
import pytest

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
    assert con.execute("select count(*) from warnings").fetchone()[0] == 9
    con.close()
    artifact = Artifact.get("hedui-run-summary")
    assert artifact is not None and "ASSET_VEHICLE" in artifact.data
    assert "430482" not in artifact.data  # counts only, no ID numbers


def night_with_a_failing_source(tmp_path, monkeypatch, failing: str, error: Exception):
    """The flow over the spec samples, with `failing`'s ingest raising `error` (after its retries)."""
    from flows.nightly import nightly
    from hedui import stages
    from tests.conftest import SAMPLES, SAMPLES_AS_OF

    landing = tmp_path / "landing"
    shutil.copytree(SAMPLES, landing, ignore=shutil.ignore_patterns("README.md"))
    real_ingest = stages.ingest

    def flaky(con, landing_, source_name, run, **kwargs):
        if source_name == failing:
            raise error
        return real_ingest(con, landing_, source_name, run, **kwargs)

    monkeypatch.setattr(stages, "ingest", flaky)
    return nightly(landing=str(landing), warehouse=str(tmp_path / "w.duckdb"), as_of=SAMPLES_AS_OF.isoformat())


def test_a_source_failing_in_the_flow_does_not_stop_the_others(prefect_api, tmp_path, monkeypatch):
    result = night_with_a_failing_source(tmp_path, monkeypatch, "vehicle", OSError("share unavailable"))
    assert result.failed_sources == ["vehicle"]
    assert result.outcome == "completed_with_problems"
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    assert con.execute("select problem from ledger.run_sources where source = 'vehicle'").fetchone() == ("failed",)
    assert con.execute("select count(*) from staged.medical").fetchone()[0] == 5
    con.close()


def test_the_prefect_run_logs_and_artifacts_hold_no_id_or_name_even_when_a_task_fails_quoting_one(
        prefect_api, tmp_path, monkeypatch, capfd):
    """A driver error that quotes the offending row (a name and an ID) fails one source's task. Prefect stores
    the task's log lines, its failure message and the run's artifacts in its API; none may hold a person's ID
    or name, and neither may anything printed while the flow ran."""
    from prefect.client.orchestration import get_client
    from prefect.logging.handlers import APILogWorker

    from tests.test_privacy_leaks import SENSITIVE, leaks

    result = night_with_a_failing_source(
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
