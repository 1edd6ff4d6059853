"""Late sources: a department that stops delivering is said, night after night, until it delivers again.

A source without a new delivery keeps its last picture in force, and `ledger.run_sources` marks it fresh: its
newest delivery *was* taken. That is right for the lifecycle (no delivery is not a problem with a delivery), but
a vehicle register last sent three months ago by a department that sends one every month is stale, and nothing
said so. The spec gives no cadences, so each source's usual interval is learnt from its own history: the longest
of the usual gaps between the dates of its last deliveries, their 90th percentile (any delivery that arrived
counts, whatever its fate: a rejected one shows the department is sending). Not the median: a source sent in two
parts a day apart each month has gaps of 1 and 30 days, and its median gap of 1 would call it late all month. A source is late when its newest delivery is older than `late_factor`
(policy `deliveries.late_factor`, default 2) times that interval and more than `late_min_days` (7) past it: a
source sent every working day is not late over a weekend or a week's holiday. A source with fewer than three deliveries has
no usual interval yet and is never late, unless the policy names one (`deliveries.expected_every_days`:
{source: days}).

Being late changes nothing the night computes: the warnings, the lifecycle and the run's outcome are as before.
It is said in the run's message (`ledger.runs.message`) and in the run summary, where operators look.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

# The gaps of this many latest deliveries make the usual interval: recent enough to follow a department that
# changed its rhythm, enough to ride over one delivery sent late.
RECENT_GAPS = 12

_CADENCE_SQL = f"""
with arrived as (
    select distinct source, delivery_date
    from ledger.deliveries
    where delivery_date is not null
        and delivery_date <= $as_of
        and status in ('loaded', 'unchanged', 'superseded', 'rejected', 'held_back')
),

gaps as (
    select
        source,
        delivery_date,
        delivery_date - lag(delivery_date) over (partition by source order by delivery_date) as gap_days
    from arrived
),

recent_gaps as (
    select
        source,
        gap_days,
        row_number() over (partition by source order by delivery_date desc) as recency
    from gaps
    where gap_days is not null
)

select
    arrived.source,
    max(arrived.delivery_date) as newest,
    (
        select quantile_cont(recent_gaps.gap_days, 0.9)
        from recent_gaps
        where recent_gaps.source = arrived.source
            and recent_gaps.recency <= {RECENT_GAPS}
        having count(*) >= 2
    ) as usual_days
from arrived
group by arrived.source
order by arrived.source
"""


@dataclass(frozen=True)
class LateSource:
    source: str
    newest_delivery: dt.date
    age_days: int
    usual_days: float
    from_policy: bool  # the interval is the policy's expected_every_days, not learnt

    def note_en(self) -> str:
        return (f"{self.source} late (newest delivery {self.newest_delivery.isoformat()}, {self.age_days} days ago; "
                f"{'expected' if self.from_policy else 'usually'} every {_days(self.usual_days)})")



def _days(days: float) -> str:
    return "1 day" if days == 1 else f"{days:g} days"


def late_sources(con: duckdb.DuckDBPyConnection, as_of: dt.date, *, late_factor: float = 2.0, late_min_days: int = 7,
                 expected_every_days: dict[str, int] | None = None) -> list[LateSource]:
    """The sources whose newest delivery on or before `as_of` is older than `late_factor` times their usual
    interval (the policy's, else the learnt one) and more than `late_min_days` past it, by source name."""
    expected = {source: int(days) for source, days in (expected_every_days or {}).items()}
    late = []
    for source, newest, learnt in con.execute(_CADENCE_SQL, {"as_of": as_of}).fetchall():
        usual = expected.get(source, learnt)
        if usual is None or usual <= 0:
            continue
        age = (as_of - newest).days
        if age > late_factor * usual and age > usual + late_min_days:
            late.append(LateSource(source, newest, age, float(usual), source in expected))
    return late
