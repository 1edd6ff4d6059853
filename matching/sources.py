"""Which staged tables hold people to link, and under which columns.

Each person-bearing source (its declaration in `connectors/<source>.py`, read by `connectors.link_sources`)
names its table and the columns that carry the person's name, ID (as delivered,
normalised, valid) and address. Event sources (`EVENT_SOURCES`) grow delivery by delivery, so an incremental
night links only their new deliveries; the others are snapshots.
"""

from __future__ import annotations


from connectors.link_sources import EVENT_SOURCES, LINK_SOURCES, SourceColumns
from hedui.warehouse.schema import table_exists

__all__ = ["EVENT_SOURCES", "SOURCES", "SourceColumns", "table_exists"]


# The linked sources and their columns, and the event sources: derived from the declarations.
SOURCES: dict[str, SourceColumns] = LINK_SOURCES
