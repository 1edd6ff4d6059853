"""The nightly deployment: the flow served with a cron schedule in the city's time zone (Asia/Shanghai).

`hedui serve --landing DIR --warehouse FILE` serves it from this process (it needs a Prefect API: a
`prefect server start` on the center's machine, or Prefect Cloud). `prefect.yaml` at the repository root
declares the same deployment for `prefect deploy` with a process work pool.
"""

from __future__ import annotations

from pathlib import Path

from prefect.schedules import Cron

from flows.nightly import nightly

CITY_TIMEZONE = "Asia/Shanghai"
DEFAULT_CRON = "0 2 * * *"  # 02:00 every night, after the departments' evening exports
LOCAL_API_URL = "http://127.0.0.1:4200/api"  # where `prefect server start` listens by default


class NoPrefectApi(RuntimeError):
    """Serving needs a Prefect server that outlives this process."""


def require_prefect_api() -> str:
    """The configured Prefect API URL (from the environment or the active Prefect profile).

    Without one, Prefect serves the deployment on a temporary in-process API that dies with the process and
    whose scheduler never creates the nightly runs: `hedui serve` would say "being served" and nothing would
    ever run. So it refuses and says how to point it at the center's server."""
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    if not url:
        raise NoPrefectApi(
            "hedui serve needs a Prefect server: run `prefect server start`, then "
            f"export PREFECT_API_URL={LOCAL_API_URL} (or `prefect config set PREFECT_API_URL={LOCAL_API_URL}`)"
        )
    return url


def serve_nightly(landing: Path, warehouse: Path, cron: str = DEFAULT_CRON) -> None:
    require_prefect_api()
    nightly.serve(
        name="hedui-nightly",
        schedules=[Cron(cron, timezone=CITY_TIMEZONE)],
        parameters={"landing": str(Path(landing).resolve()), "warehouse": str(Path(warehouse).resolve())},
        description="Nightly cross-check: ingest, link, warn, publish, deliver lists.",
    )
