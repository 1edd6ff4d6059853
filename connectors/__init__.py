"""Connectors: one per department source, all built on one mechanism (see `connectors.ingest`).

`SOURCES` holds every source's declaration (`connectors/<source>.py`), in the order the night ingests them;
everything else that names sources derives from it (see `connectors.spec`)."""

from connectors import death, disability, households, housing, medical, members, vehicle
from connectors.spec import Column, Source

SOURCES: dict[str, Source] = {
    m.SOURCE.name: m.SOURCE for m in (households, members, housing, vehicle, medical, disability, death)
}

__all__ = ["SOURCES", "Column", "Source"]
