"""The typed projection of a delivery: raw text cells to parsed, normalised values, in one SQL statement.

The select list is derived from the source's declared columns, one expression per declared type, so that
every source parses IDs, names, dates, months and amounts the same way (the `hd_*` macros of
`connectors/sql/macros.sql`). Each parsed column keeps its raw text beside it as `src_<name>`, which is
what the data contracts compare against to tell "missing" from "unparseable".

Names and IDs go through library code (OpenCC, python-stdnum) behind vectorised DuckDB functions. A year of
settlements repeats the same few million people, so those functions run over each column's DISTINCT values
(one lookup CTE per name or ID column, joined back), not over every row; and the deliveries of a source read
in one night are typed together, in one statement (`connectors.delivery_reader._type_batch`), so a value is
looked up once for the whole batch, not once per weekly delivery. Dates too: parsing one (several
formats, spreadsheet time suffixes, a plausibility range) cost more per row than any other column, and a
delivery holds a few hundred distinct dates in hundreds of thousands of rows. Months (`hd_month`: the first day of
the month, from 202610, 2026-10, 2026年10月 or a spreadsheet date) are looked up the same way.
"""

from __future__ import annotations

from importlib.resources import files

from connectors.spec import Column, Source

SQL_DIR = files("connectors") / "sql"

# The date of the delivery a row belongs to, a column of the cells the typing reads: an ID whose birth date is
# after it is not valid. The delivery's date, not the night's as-of date, so that a later night typing the same
# delivery again (a full recomputation) finds the same IDs valid.
DELIVERED_ON = "_delivered_on"


def _raw_id(column: Column, source: Source) -> str:
    src = f"src_{column.name}"
    return f"coalesce(hd_clean({src}), {source.id_fallback})" if source.id_fallback else f"hd_clean({src})"


def _lookups(source: Source, cells_table: str) -> list[str]:
    """One CTE per name, date, month and ID column: its distinct raw values and what the parsing makes of them."""
    ctes = []
    for column in source.columns:
        if column.type == "name":
            ctes.append(
                f"lookup_{column.name} as (\n"
                f"    select raw, hd_name_norm(hd_clean(raw)) as norm\n"
                f"    from (select distinct src_{column.name} as raw from {cells_table})\n)"
            )
        elif column.type in ("date", "month"):
            parse = "hd_date_plausible" if column.type == "date" else "hd_month"
            ctes.append(
                f"lookup_{column.name} as (\n"
                f"    select raw, {parse}(raw) as parsed\n"
                f"    from (select distinct src_{column.name} as raw from {cells_table})\n)"
            )
        elif column.type == "id":
            # the normalised ID is named once and validated from its name: macros are expanded inline, and
            # hd_id_valid(hd_id_norm(raw)) would repeat hd_id_norm (and its hd_id_compact) at each use of its
            # argument, a query ten times the size on Spark, whose planning costs by the size. Its birth date is
            # compared with the row's delivery date where the lookup is joined back (`_typed`).
            ctes.append(
                f"lookup_{column.name} as (\n"
                f"    select raw, id_norm, hd_id_well_formed(id_norm) as id_well_formed,\n"
                f"        hd_id_birth(id_norm) as id_birth, sci_notation\n"
                f"    from (\n"
                f"        select raw, hd_id_norm(raw) as id_norm, hd_id_sci_notation(raw) as sci_notation\n"
                f"        from (select distinct {_raw_id(column, source)} as raw from {cells_table})\n"
                f"    )\n)"
            )
    return ctes


def _typed(column: Column, source: Source) -> list[str]:
    src = f"src_{column.name}"
    if column.type == "id":
        prefix, lookup = column.id_prefix, f"lookup_{column.name}"
        return [
            f"{_raw_id(column, source)} as {prefix}_raw",
            f"{lookup}.id_norm as {prefix}_norm",
            f"coalesce({lookup}.id_well_formed and {lookup}.id_birth <= cells.{DELIVERED_ON}, false) as {prefix}_valid",
            f"coalesce({lookup}.sci_notation, false) as {prefix}_sci_notation",
        ]
    if column.type == "name":
        return [f"hd_clean({src}) as {column.name}", f"lookup_{column.name}.norm as {column.name}_norm"]
    if column.type in ("date", "month"):
        return [f"lookup_{column.name}.parsed as {column.name}"]
    parse = {
        "text": "hd_clean({})",
        "amount": "hd_amount({})",
        "int": "hd_int({})",
        "number": "hd_number({})",
    }[column.type]
    return [parse.format(src) + f" as {column.name}"]


def _joins(source: Source) -> list[str]:
    joins = []
    for column in source.columns:
        if column.type in ("name", "date", "month"):
            joins.append(f"left join lookup_{column.name} on lookup_{column.name}.raw is not distinct from cells.src_{column.name}")
        elif column.type == "id":
            raw = _raw_id(column, source).replace("src_", "cells.src_")
            joins.append(f"left join lookup_{column.name} on lookup_{column.name}.raw is not distinct from {raw}")
    return joins


def typed_select(source: Source, cells_table: str, carry: tuple[str, ...] = ()) -> str:
    """`with <lookups> select file, row_number, <src_ columns>, <typed columns> from <cells_table> <joins>`;
    the `carry` columns of `cells_table` are passed through untouched (the delivery a row belongs to, when
    several deliveries are typed in one pass). `cells_table` also holds each row's delivery date (`DELIVERED_ON`),
    which the typing reads and does not pass on."""
    lines = ["cells.file", "cells.row_number"] + [f"cells.{c}" for c in carry] + [f"cells.src_{c.name}" for c in source.columns]
    for column in source.columns:
        lines += [line.replace("src_", "cells.src_") for line in _typed(column, source)]
    body = ",\n    ".join(lines)
    lookups = ",\n".join(_lookups(source, cells_table))
    joins = "\n".join(_joins(source))
    return f"with {lookups}\nselect\n    {body}\nfrom {cells_table} as cells\n{joins}"


def staging_query(source: Source, cells_table: str, carry: tuple[str, ...] = ()) -> str:
    """The source's staging SQL (`connectors/sql/<source>.sql`, which reads `delivery_typed`) over the typed
    projection of `cells_table`, as one statement without parameters: what a row becomes depends on the row and
    its delivery, never on the night reading it. Every staging SQL selects `*` of `delivery_typed`, so the `carry`
    columns reach its result."""
    staging_sql = (SQL_DIR / f"{source.name}.sql").read_text(encoding="utf-8")
    return f"with delivery_typed as (\n{typed_select(source, cells_table, carry)}\n)\n{staging_sql}"
