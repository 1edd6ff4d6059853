"""Which deliveries a city has, and what a correct pipeline must do with each."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

MONTHLY_EVENTS = ("social_insurance", "benefits")
MONTHLY_SNAPSHOTS = ("housing_fund", "public_payroll", "business", "staff_roster")
MONTHLY_DELIVERIES = 4  # months M-4 .. M-1 (hedui.synth.income_facts.N_MONTHS)
WEEKS = 53  # weekly event deliveries: as_of, as_of - 7, ..., as_of - 364

IN_FORCE, SUPERSEDED, HELD_BACK, REJECTED, FUTURE, EVENT = (
    "in_force", "superseded", "held_back_truncated", "rejected_broken", "future_ignored", "event")


@dataclass(frozen=True)
class Delivery:
    source: str
    date: dt.date
    fate: str
    late: bool = False  # arrives after a delivery with a later folder date

    @property
    def name(self) -> str:
        return self.date.strftime("%Y%m%d")


def schedule(as_of: dt.date) -> dict[str, list[Delivery]]:
    d = lambda days: as_of + dt.timedelta(days=days)  # noqa: E731
    out = {
        "households": [Delivery("households", d(-35), SUPERSEDED), Delivery("households", d(-4), IN_FORCE),
                       Delivery("households", d(6), FUTURE)],
        "members": [Delivery("members", d(-35), SUPERSEDED), Delivery("members", d(-4), IN_FORCE)],
        # the newest housing delivery lacks a required column: rejected, the older one stands
        "housing": [Delivery("housing", d(-40), IN_FORCE), Delivery("housing", d(-2), REJECTED)],
        # the newest vehicle delivery is truncated (< half the rows): held back, the older one stands
        "vehicle": [Delivery("vehicle", d(-38), IN_FORCE), Delivery("vehicle", d(-3), HELD_BACK)],
        "disability": [Delivery("disability", d(-60), SUPERSEDED), Delivery("disability", d(-5), IN_FORCE)],
        "medical": [Delivery("medical", d(-7 * k), EVENT) for k in reversed(range(WEEKS))]
        + [Delivery("medical", d(7), FUTURE)],
        "death": [Delivery("death", d(-7 * k), EVENT) for k in reversed(range(WEEKS))]
        + [Delivery("death", d(-10), EVENT, late=True)],
    }
    # v2: the income events arrive once a month, each with one month's records (the newest: M-1); the
    # snapshots once a month, the newest in force
    for source in MONTHLY_EVENTS:
        out[source] = [Delivery(source, d(-2 - 30 * k), EVENT) for k in reversed(range(MONTHLY_DELIVERIES))] + [
            Delivery(source, d(10), FUTURE)]
    for source in MONTHLY_SNAPSHOTS:
        out[source] = [Delivery(source, d(-36), SUPERSEDED), Delivery(source, d(-6), IN_FORCE)]
    return out

