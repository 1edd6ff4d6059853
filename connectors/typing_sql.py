"""The typed projection of a delivery: raw text cells to parsed, normalised values, in one SQL select.

The select list is derived from the source's declared columns, one expression per declared type, so that
all seven sources parse IDs, names, dates and amounts the same way (the `hd_*` macros of
`connectors/sql/macros.sql`). Each parsed column keeps its raw text beside it as `src_<name>`, which is
what the data contracts compare against to tell "missing" from "unparseable".
"""

from __future__ import annotations

from pathlib import Path

from connectors.spec import Column, Source


def _typed(column: Column, source: Source) -> list[str]:
    src = f"src_{column.name}"
    if column.type == "id":
        prefix = "id" if column.name == "id" else column.name
        raw = f"coalesce(hd_clean({src}), {source.id_fallback})" if source.id_fallback else f"hd_clean({src})"
        return [
            f"{raw} as {prefix}_raw",
            f"hd_id_norm({raw}) as {prefix}_norm",
            f"hd_id_valid(hd_id_norm({raw}), $as_of) as {prefix}_valid",
            f"hd_id_sci_notation({raw}) as {prefix}_sci_notation",
        ]
    if column.type == "name":
        return [f"hd_clean({src}) as {column.name}", f"hd_name_norm(hd_clean({src})) as {column.name}_norm"]
    parse = {
        "text": "hd_clean({})",
        "date": "hd_date_plausible({})",
        "amount": "hd_amount({})",
        "int": "hd_int({})",
        "number": "hd_number({})",
    }[column.type]
    return [parse.format(src) + f" as {column.name}"]


def typed_select(source: Source, cells_table: str) -> str:
    """`select file, row_number, <src_ columns>, <typed columns> from <cells_table>`."""
    lines = ["file", "row_number"]
    lines += [f"src_{c.name}" for c in source.columns]
    for column in source.columns:
        lines += _typed(column, source)
    body = ",\n    ".join(lines)
    return f"select\n    {body}\nfrom {cells_table}"


SQL_DIR = Path(__file__).parent / "sql"


def staging_query(source: Source, cells_table: str) -> str:
    """The source's staging SQL (`connectors/sql/<source>.sql`, which reads `delivery_typed`) over the typed
    projection of `cells_table`, as one statement taking the parameter `$as_of`."""
    staging_sql = (SQL_DIR / f"{source.name}.sql").read_text(encoding="utf-8")
    return f"with delivery_typed as (\n{typed_select(source, cells_table)}\n)\n{staging_sql}"
