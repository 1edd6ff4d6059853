"""What the matching reads of each source, derived from the declarations (`connectors/<source>.py`).

A linked source's records carry one name column and one ID column; the staged table holds the name as
`<name>_norm` and the ID as `<prefix>_raw`, `<prefix>_norm` and `<prefix>_valid` (`connectors.typing_sql`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from connectors import SOURCES
from connectors.spec import Source


@dataclass(frozen=True)
class SourceColumns:
    """The staged columns of one linked source. Identifiers only; never built from data."""

    table: str
    name: str
    id_raw: str
    id_norm: str
    id_valid: str
    address: str | None  # a SQL expression over the staged table's columns, or None


class DeclarationError(ValueError):
    """A declaration cannot give what is derived from it; the message names the source."""


def link_columns(source: Source) -> SourceColumns:
    name, id_ = source.name_column, source.id_column
    if name is None or id_ is None:
        raise DeclarationError(f"{source.name}: a linked source needs a name column and an ID column")
    p = id_.id_prefix
    return SourceColumns(source.staged_table, f"{name.name}_norm", f"{p}_raw", f"{p}_norm", f"{p}_valid",
                         source.link_address)


def link_sources(sources: Mapping[str, Source] = SOURCES) -> dict[str, SourceColumns]:
    """The sources whose records are linked to household members, and their columns."""
    return {name: link_columns(s) for name, s in sources.items() if s.linked}


def event_sources(sources: Mapping[str, Source] = SOURCES) -> tuple[str, ...]:
    """The sources delivered as events (each delivery adds to what came before)."""
    return tuple(name for name, s in sources.items() if s.kind == "event")


LINK_SOURCES = link_sources()
EVENT_SOURCES = event_sources()
