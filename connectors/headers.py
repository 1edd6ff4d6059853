"""Header mapping: the names a column arrives under, to the name it is staged under."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from connectors.spec import Source


class StructuralError(Exception):
    """The file's structure is broken (a required column missing, a duplicated column, no header).
    `records`: the file's records as counted without reading it (the byte scan), when known."""

    records: int | None = None


def clean_header(text: object) -> str:
    """Header text as compared: NFKC (full-width brackets become ASCII), no BOM, no spaces."""
    value = "" if text is None else str(text)
    value = unicodedata.normalize("NFKC", value.replace("\ufeff", ""))
    return re.sub(r"\s+", "", value)


def alias_table(source: Source) -> dict[str, str]:
    return {clean_header(h): col.name for col in source.columns for h in col.headers}


@dataclass(frozen=True)
class HeaderMap:
    """Position of each known column in the file, and the unknown columns kept for the raw layer."""

    known: dict[str, int]  # staged name -> 0-based position
    extra: dict[str, int]  # header text -> position
    width: int

    def missing(self, source: Source) -> list[str]:
        return [c.header for c in source.required if c.name not in self.known]


# The widest source has 17 columns. A header thousands of cells wide (a stray cell in column XFD, a line of
# 50,000 commas) is not an extract: the reader would build a table that wide and DuckDB fails ("tuple width
# exceeds block size") or runs out of memory, crashing the source instead of rejecting the delivery.
MAX_COLUMNS = 1024


def map_header(cells: list[object], source: Source) -> HeaderMap:
    if len(cells) > MAX_COLUMNS:
        raise StructuralError(f"the header row has {len(cells)} columns, more than the {MAX_COLUMNS} any extract has")
    aliases = alias_table(source)
    known: dict[str, int] = {}
    extra: dict[str, int] = {}
    for position, cell in enumerate(cells):
        header = clean_header(cell)
        name = aliases.get(header)
        if name is None:
            if header:
                extra.setdefault(header if header not in extra else f"{header}#{position + 1}", position)
            continue
        if name in known:
            raise StructuralError(
                f"column {source.column(name).header} appears twice (columns {known[name] + 1} and {position + 1})"
            )
        known[name] = position
    return HeaderMap(known, extra, len(cells))


def require_complete(header: HeaderMap, source: Source) -> None:
    missing = header.missing(source)
    if missing:
        raise StructuralError(f"required column(s) missing: {', '.join(missing)}")


def find_header_row(rows: list[list[object]], source: Source, max_title_rows: int = 10) -> tuple[int, HeaderMap]:
    """The first row holding every required column (XLSX sheets may carry title rows above it)."""
    best: tuple[int, HeaderMap] | None = None
    for index, row in enumerate(rows[: max_title_rows + 1]):
        cells = list(row)
        # A sheet is a rectangle as wide as its widest row: one stray cell in column XFD makes every row 16,384
        # cells wide. Empty cells right of the last header name no column, so the header ends at its last name
        # (else the reader builds a 16,384-column table, and DuckDB runs out of memory).
        while cells and clean_header(cells[-1]) == "":
            cells.pop()
        header = map_header(cells, source)
        if not header.missing(source):
            return index, header
        if best is None or len(header.known) > len(best[1].known):
            best = (index, header)
    if best is None:
        raise StructuralError("the sheet is empty: no header row")
    raise StructuralError(
        f"no header row with every required column in the first {max_title_rows + 1} rows; "
        f"missing: {', '.join(best[1].missing(source))}"
    )
