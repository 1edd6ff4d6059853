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


def test_a_source_failing_in_the_flow_does_not_stop_the_others(prefect_api, tmp_path, monkeypatch):
    from flows.nightly import nightly
    from hedui import stages
    from tests.conftest import SAMPLES, SAMPLES_AS_OF

    landing = tmp_path / "landing"
    shutil.copytree(SAMPLES, landing, ignore=shutil.ignore_patterns("README.md"))
    real_ingest = stages.ingest

    def flaky(con, landing_, source_name, run, **kwargs):
        if source_name == "vehicle":
            raise OSError("share unavailable")
        return real_ingest(con, landing_, source_name, run, **kwargs)

    monkeypatch.setattr(stages, "ingest", flaky)
    result = nightly(landing=str(landing), warehouse=str(tmp_path / "w.duckdb"), as_of=SAMPLES_AS_OF.isoformat())
    assert result.failed_sources == ["vehicle"]
    assert result.outcome == "completed_with_problems"
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    assert con.execute("select problem from ledger.run_sources where source = 'vehicle'").fetchone() == ("failed",)
    assert con.execute("select count(*) from staged.medical").fetchone()[0] == 5
    con.close()
