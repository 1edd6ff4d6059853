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
