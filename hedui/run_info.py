"""What every stage of a nightly run is told about the run it belongs to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from hedui.policy import Policy


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    as_of: dt.date
    policy: Policy = field(default_factory=Policy)
    # Reprocess every delivery in force and relink every record, as if nothing had been seen before
    # (the lifecycle state is kept). Incremental nights must give exactly the same warehouse.
    full_recompute: bool = False
