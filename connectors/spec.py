"""Declarations of the department sources: columns, header aliases, requiredness, kind and keys.

Every connector is the same mechanism (`connectors.ingest`) applied to one of these declarations; a source
differs from another only in what is declared here and in its staging SQL (`connectors/sql/<source>.sql`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["snapshot", "event"]
ValueType = Literal["text", "name", "id", "date", "amount", "int", "number"]


@dataclass(frozen=True)
class Column:
    """One column of an extract: its header in the spec, other headers it arrives under, its staged name."""

    header: str
    name: str
    type: ValueType = "text"
    required: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.header, *self.aliases)


@dataclass(frozen=True)
class Source:
    name: str
    title: str
    kind: Kind
    columns: tuple[Column, ...]
    person_bearing: bool = True
    # SQL over the typed row giving the ID to use when the ID column is empty (disability: from the 证号).
    id_fallback: str | None = None

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)
