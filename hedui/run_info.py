"""What every stage of a nightly run is told about the run it belongs to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from hedui.policy import Policy


class AsOfBeforeLatestRun(ValueError):
    """Runs go forward in time: a warning's history cannot be rewritten by an older as-of date."""


def refuse_as_of_before(latest: dt.date | None, as_of: dt.date) -> None:
    """Raise `AsOfBeforeLatestRun` when `as_of` is earlier than `latest`, the latest as-of date the warehouse
    has processed; re-running the latest date is allowed (it changes nothing when the inputs are the same)."""
    if latest is not None and as_of < latest:
        raise AsOfBeforeLatestRun(
            f"as-of date {as_of.isoformat()} is earlier than {latest.isoformat()}, the latest run in this "
            "warehouse: warnings only move forward in time, and an earlier date would rewrite their history. "
            "Use a new warehouse to replay the past."
        )


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    as_of: dt.date
    policy: Policy = field(default_factory=Policy)
    # Reprocess every delivery in force and relink every record, as if nothing had been seen before
    # (the lifecycle state is kept). Incremental nights must give exactly the same warehouse.
    full_recompute: bool = False
