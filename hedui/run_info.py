"""What every stage of a nightly run is told about the run it belongs to."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field

from hedui.policy import Policy


def new_run_id(as_of: dt.date, started: dt.datetime | None = None) -> str:
    """`asof20261103_started20261104T180012Z_1a2b3c`: the date the run evaluates, then when it started (UTC),
    then a random suffix. Both are said in words, so that the id never reads as one timestamp that never
    happened (the as-of date glued to the wall-clock time). Sorting run ids sorts by as-of date, then start
    time."""
    started = (started or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    return f"asof{as_of:%Y%m%d}_started{started:%Y%m%dT%H%M%SZ}_{secrets.token_hex(3)}"


_RUN_ID_AS_OF = re.compile(r"^asof(\d{8})_")


def run_id_as_of(run_id: str) -> dt.date | None:
    """The as-of date a run id (or a folder named by one) begins with, the inverse of `new_run_id`'s first part;
    None for another name."""
    match = _RUN_ID_AS_OF.match(run_id)
    if not match:
        return None
    try:
        return dt.datetime.strptime(match[1], "%Y%m%d").date()
    except ValueError:
        return None


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
