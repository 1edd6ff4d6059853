"""What the matching reads of each source, derived from the declarations (`connectors/<source>.py`).

A linked source's records carry one name column and one ID column (the first of each it declares); the staged
table holds the name as `<name>_norm` and the ID as `<prefix>_raw`, `<prefix>_norm` and `<prefix>_valid`
(`connectors.typing_sql`). A declaration's `id_only_links` name a second person of the same record (the
staff roster's declared relative): each is a link source of its own, under its own name, read by ID only.
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
    # Linked by the ID path only: only the records whose ID is valid are read, so a person named without a
    # (valid) ID is never linked by name.
    id_only: bool = False

    @property
    def rows(self) -> str:
        """What the matching reads the records from: the staged table, or its rows with a valid ID."""
        if self.id_only:
            return f"(select * from {self.table} where {self.id_valid})"
        return self.table


class DeclarationError(ValueError):
    """A declaration cannot give what is derived from it; the message names the source."""


def link_columns(source: Source) -> SourceColumns:
    name, id_ = source.name_column, source.id_column
    if name is None or id_ is None:
        raise DeclarationError(f"{source.name}: a linked source needs a name column and an ID column")
    p = id_.id_prefix
    return SourceColumns(source.staged_table, f"{name.name}_norm", f"{p}_raw", f"{p}_norm", f"{p}_valid",
                         source.link_address)


def id_only_columns(source: Source) -> dict[str, SourceColumns]:
    """The second persons of a source's records (`Source.id_only_links`), each under its own link source."""
    out = {}
    if source.id_only_links and source.kind == "event":
        # an incremental night links only an event source's new deliveries, under the declaration's name
        raise DeclarationError(f"{source.name}: id-only links are declared on snapshot sources only")
    for link in source.id_only_links:
        name, id_ = source.column(link.name), source.column(link.id)
        if name.type != "name" or id_.type != "id":
            raise DeclarationError(f"{source.name}: {link.link_source} needs a name column and an ID column")
        p = id_.id_prefix
        out[link.link_source] = SourceColumns(source.staged_table, f"{name.name}_norm", f"{p}_raw", f"{p}_norm",
                                              f"{p}_valid", None, id_only=True)
    return out


def link_sources(sources: Mapping[str, Source] = SOURCES) -> dict[str, SourceColumns]:
    """The link sources: every source whose records are linked to household members (under its own name), and
    the second persons its records name (under theirs), with their columns."""
    out: dict[str, SourceColumns] = {}
    for name, source in sources.items():
        if source.linked:
            out[name] = link_columns(source)
            out.update(id_only_columns(source))
    return out


def event_sources(sources: Mapping[str, Source] = SOURCES) -> tuple[str, ...]:
    """The sources delivered as events (each delivery adds to what came before)."""
    return tuple(name for name, s in sources.items() if s.kind == "event")


LINK_SOURCES = link_sources()
EVENT_SOURCES = event_sources()
