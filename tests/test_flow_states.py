"""How a night ends in Prefect: a night with problems is not a plain green Completed, and a night whose landing
zone is missing ends Failed (a real flow run, on Prefect's temporary local API)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from typer.testing import CliRunner

from hedui.cli import app
from tests.conftest import SAMPLES_AS_OF, read_sample_rows, write_csv
from tests.test_landing_unusable import _published_home, published_night, _unusable_landing  # noqa: F401

pytestmark = pytest.mark.prefect
NEXT_NIGHT = SAMPLES_AS_OF + dt.timedelta(days=1)


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _last_flow_run():
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        return client.read_flow_runs(sort=FlowRunSort.START_TIME_DESC, limit=1)[0]


@pytest.fixture(scope="module")
def prefect_api():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def test_a_night_with_problems_ends_in_a_named_completed_state_with_the_problems_as_message(
        prefect_api, sample_landing, tmp_path):
    from flows.nightly import PROBLEMS_STATE_NAME, nightly

    header, rows = read_sample_rows("vehicle")
    write_csv(sample_landing / "vehicle" / "20261103" / "vehicle.csv", header, rows[:1])  # 1 row of 5: held back
    write_csv(sample_landing / "vehicle" / "20261101" / "vehicle.csv", header, rows)
    result = nightly(landing=str(sample_landing), warehouse=str(tmp_path / "w.duckdb"),
                     as_of=SAMPLES_AS_OF.isoformat())
    assert result.outcome == "completed_with_problems"  # the caller still gets the night's result
    run = _last_flow_run()
    assert run.state.is_completed() and run.state.name == PROBLEMS_STATE_NAME == "Completed with problems"
    assert "vehicle: held_back" in run.state.message and result.run_id in run.state.message


def test_a_clean_night_ends_plain_completed(prefect_api, sample_landing, tmp_path):
    from flows.nightly import nightly

    result = nightly(landing=str(sample_landing), warehouse=str(tmp_path / "w.duckdb"),
                     as_of=SAMPLES_AS_OF.isoformat())
    assert result.outcome == "completed"
    run = _last_flow_run()
    assert run.state.is_completed() and run.state.name == "Completed"


def test_the_prefect_flow_on_a_missing_landing_zone_ends_failed_and_the_cli_exits_4(prefect_api, published_night,  # noqa: F811
                                                                                   tmp_path):
    before = _digest(published_night)
    landing = _unusable_landing(tmp_path, "missing")
    result = CliRunner().invoke(app, ["nightly", "--landing", str(landing), "--warehouse", str(published_night),
                                      "--as-of", NEXT_NIGHT.isoformat()])
    assert result.exit_code == 4, result.output
    assert "night not run: " in result.output and "does not exist" in result.output
    assert _digest(published_night) == before
    run = _last_flow_run()
    assert run.state.is_failed()
    assert "does not exist" in run.state.message
