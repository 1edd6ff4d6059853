"""The nightly schedule really fires: a real `prefect server start` (from this venv, on a free loopback port,
with its own PREFECT_HOME and SQLite database) and `hedui serve` against it, as the center runs them.

What this guards: Prefect 3.8.8's scheduler service failed on every loop under SQLAlchemy 2.1 ("Can't
evaluate bulk DML statement", in `_insert_scheduled_flow_runs`), so the deployment was registered with its
cron and never got a single scheduled run. The test reads the runs the server's scheduler creates and checks
they fall at 02:00 Asia/Shanghai, i.e. 18:00 UTC the day before. Both processes are stopped in teardown.

Also: `hedui serve` without a Prefect API refuses (Prefect would otherwise serve on a temporary in-process API
whose scheduler never creates a run, and print "being served").
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
SERVER_START_SECONDS = 60
SCHEDULE_SECONDS = 45


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _isolated_env(home: Path, **extra: str) -> dict[str, str]:
    """This process's environment without any PREFECT_* of the caller (a profile, an API URL, a database):
    the server and the client touch only `home`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_UI_ENABLED="false",
               PREFECT_LOGGING_LEVEL="WARNING", **extra)
    return env


def _stop(process: subprocess.Popen) -> None:
    """Stop a process we started and everything it started (its own session), politely first."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


@pytest.fixture
def prefect_server(tmp_path):
    """A real Prefect server; yields its API URL."""
    import httpx

    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=_isolated_env(tmp_path / "prefect-home"), stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True, cwd=tmp_path,
        )
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            if server.poll() is not None:
                pytest.fail(f"prefect server start exited with {server.returncode}:\n{_tail(log)}")
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the Prefect server did not answer within {SERVER_START_SECONDS} s:\n{_tail(log)}")
            time.sleep(0.5)
        yield url, log
    finally:
        _stop(server)


def _scheduled_runs(url: str, deployment_name: str):
    """The deployment and its flow runs, read through Prefect's own client."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: url}):
        with get_client(sync_client=True) as client:
            try:
                deployment = client.read_deployment_by_name(deployment_name)
            except Exception:  # not registered yet
                return None, []
            runs = client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])))
    return deployment, runs


@pytest.mark.prefect
def test_served_nightly_deployment_gets_scheduled_runs_at_0200_shanghai(prefect_server, tmp_path):
    url, server_log = prefect_server
    serve_log = tmp_path / "serve.log"
    with open(serve_log, "wb") as out:
        serve = subprocess.Popen(
            [str(BIN / "hedui"), "serve", "--landing", str(tmp_path / "landing"),
             "--warehouse", str(tmp_path / "w.duckdb")],
            env=_isolated_env(tmp_path / "serve-home", PREFECT_API_URL=url), stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True, cwd=tmp_path,
        )
    try:
        deadline = time.monotonic() + SCHEDULE_SECONDS
        deployment, runs = None, []
        while time.monotonic() < deadline and len(runs) < 3:
            if serve.poll() is not None:
                pytest.fail(f"hedui serve exited with {serve.returncode}:\n{_tail(serve_log)}")
            time.sleep(2)
            deployment, runs = _scheduled_runs(url, "hedui-nightly/hedui-nightly")
    finally:
        _stop(serve)

    assert deployment is not None, f"hedui serve registered no deployment:\n{_tail(serve_log)}"
    [schedule] = deployment.schedules
    assert schedule.active
    assert schedule.schedule.cron == "0 2 * * *" and schedule.schedule.timezone == "Asia/Shanghai"
    assert deployment.parameters["warehouse"] == str((tmp_path / "w.duckdb").resolve())
    assert len(runs) >= 3, (
        "the server's scheduler created no scheduled run for the served deployment "
        f"(SQLAlchemy 2.1 breaks Prefect 3.8.8's scheduler):\n{_tail(server_log)}"
    )
    starts = sorted(run.expected_start_time.astimezone(dt.timezone.utc) for run in runs)
    assert all(run.state.is_scheduled() for run in runs)
    assert all((start.hour, start.minute, start.second) == (18, 0, 0) for start in starts)  # 02:00 in Shanghai
    assert [b - a for a, b in zip(starts, starts[1:])] == [dt.timedelta(days=1)] * (len(starts) - 1)
    assert starts[0] > dt.datetime.now(dt.timezone.utc)


def test_hedui_serve_without_a_prefect_api_refuses_with_one_line_saying_how(tmp_path):
    result = subprocess.run(
        [str(BIN / "hedui"), "serve", "--landing", str(tmp_path / "landing"), "--warehouse", str(tmp_path / "w.duckdb")],
        env=_isolated_env(tmp_path / "home", COLUMNS="80"), capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert result.returncode == 2
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout + result.stderr
    assert "prefect server start" in lines[0] and "PREFECT_API_URL=http://127.0.0.1:4200/api" in lines[0]
    assert "being served" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_a_prefect_api_url_set_in_the_prefect_profile_is_enough_to_serve(tmp_path):
    env = _isolated_env(tmp_path / "home")
    subprocess.run([str(BIN / "prefect"), "config", "set", "PREFECT_API_URL=http://127.0.0.1:4200/api"],
                   env=env, check=True, capture_output=True, timeout=120)
    found = subprocess.run(
        [sys.executable, "-c", "from flows.deployment import require_prefect_api; print(require_prefect_api())"],
        env=env, capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[1],
    )
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == "http://127.0.0.1:4200/api"
