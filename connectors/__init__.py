"""Connectors: one per department source, all built on one mechanism (see `connectors.ingest`)."""

from connectors import death, disability, households, housing, medical, members, vehicle
from connectors.spec import Column, Source

SOURCES: dict[str, Source] = {
    m.SOURCE.name: m.SOURCE for m in (households, members, housing, vehicle, medical, disability, death)
}

__all__ = ["SOURCES", "Column", "Source"]
