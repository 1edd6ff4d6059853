"""Connectors: one per department source, all built on one mechanism (see `connectors.ingest`).

`SOURCES` holds every source's declaration (`connectors/<source>.py`), in the order the night ingests them;
everything else that names sources derives from it (see `connectors.spec`)."""

from connectors import (
    benefits,
    business,
    death,
    disability,
    households,
    housing,
    housing_fund,
    medical,
    members,
    public_payroll,
    social_insurance,
    staff_roster,
    vehicle,
)
from connectors.spec import Column, Source

SOURCES: dict[str, Source] = {
    m.SOURCE.name: m.SOURCE
    for m in (households, members, housing, vehicle, medical, disability, death,
              social_insurance, benefits, housing_fund, public_payroll, business, staff_roster)
}

__all__ = ["SOURCES", "Column", "Source"]
