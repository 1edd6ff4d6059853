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


def serve_nightly(landing: Path, warehouse: Path, cron: str = DEFAULT_CRON) -> None:
    nightly.serve(
        name="hedui-nightly",
        schedules=[Cron(cron, timezone=CITY_TIMEZONE)],
        parameters={"landing": str(Path(landing).resolve()), "warehouse": str(Path(warehouse).resolve())},
        description="Nightly cross-check: ingest, link, warn, publish, deliver lists.",
    )
