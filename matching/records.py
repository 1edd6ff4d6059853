"""The records to link and the members to link them to, each in the shape the comparisons read.

A record's name is compared without its middle dots, its ID once cleaned of spaces and full-width characters
(when it looks like an ID at all), its address as the source delivers it. A member's birth date is the
register's, or else the one its ID carries.
"""

from __future__ import annotations

import duckdb

from connectors.sql_text import sql_literal
from matching.sources import EVENT_SOURCES, SOURCES, SourceColumns, table_exists
from matching.temp_tables import MEMBERS, RECORDS

# The record's ID, cleaned of spaces and full-width characters, when it looks like an ID at all.
ID_CMP_SQL = """
case
    when {id_norm} is not null then {id_norm}
    when regexp_full_match(
        upper(translate(regexp_replace(coalesce({id_raw}, ''), '\\s', '', 'g'), '０１２３４５６７８９ｘＸ', '0123456789XX')),
        '[0-9X]{{15,19}}')
    then upper(translate(regexp_replace({id_raw}, '\\s', '', 'g'), '０１２３４５６７８９ｘＸ', '0123456789XX'))
end
"""

NAME_CMP_SQL = "replace(coalesce({name}, ''), '·', '')"
BIRTH_FROM_ID_SQL = "case when regexp_full_match(substr({id}, 7, 8), '(18|19|20)[0-9]{{6}}') then substr({id}, 7, 8) end"


def record_select(source: str, cols: SourceColumns, where: str = "") -> str:
    """The comparison fields of one source's records, in the shape of `RECORDS`."""
    return f"""
        select
            '{source}' as source,
            record_key,
            {"delivery_id" if source in EVENT_SOURCES else "null::varchar"} as delivery_id,
            {NAME_CMP_SQL.format(name=cols.name)} as name_cmp,
            {cols.id_raw} as id_raw,
            {cols.id_norm} as id_norm,
            coalesce({cols.id_valid}, false) as id_valid,
            {ID_CMP_SQL.format(id_norm=cols.id_norm, id_raw=cols.id_raw)} as id_cmp,
            cast({cols.address or 'null'} as varchar) as address
        from {cols.rows}
        {where}
    """


def collect_records(con: duckdb.DuckDBPyConnection, delta_only: bool = False) -> list[str]:
    """`RECORDS`: all person-bearing records, or (incremental nights) only the event records of deliveries not
    linked yet; returns the sources whose staged table exists.

    A delivery is linked whole or not at all (the night is one transaction), so tonight's new event records are
    exactly the rows of deliveries missing from `linked.linked_deliveries`: found by their delivery, one narrow
    column, where an anti-join would compare every record key with every key linked before. Those deliveries are
    named first (`_unlinked_deliveries`) and the records read by a list of them: a year of settlements stored in
    delivery order is then read only where tonight's deliveries lie (DuckDB skips the rest by its min/max per
    row group), where a filter by a subquery read all of it (on the prefecture bench city: 0.1 s instead of 2)."""
    parts, present = [], []
    for source, cols in SOURCES.items():
        if not table_exists(con, cols.table):
            continue
        if delta_only and source not in EVENT_SOURCES:
            continue
        present.append(source)
        delta = ""
        if delta_only:
            unlinked = _unlinked_deliveries(con, source, cols)
            delta = f"where delivery_id in ({', '.join(map(sql_literal, unlinked))})" if unlinked else "where false"
        parts.append(record_select(source, cols, delta))
    if parts:
        con.execute(f"create or replace temp table {RECORDS} as " + " union all ".join(parts))
    else:
        con.execute(
            f"create or replace temp table {RECORDS} (source varchar, record_key varchar, delivery_id varchar, "
            "name_cmp varchar, "
            "id_raw varchar, id_norm varchar, id_valid boolean, id_cmp varchar, address varchar)"
        )
    return present


def _unlinked_deliveries(con: duckdb.DuckDBPyConnection, source: str, cols: SourceColumns) -> list[str]:
    """The deliveries of an event source's records that are not linked yet, in order."""
    return [delivery_id for (delivery_id,) in con.execute(
        f"""
        select distinct delivery_id
        from {cols.rows}
        where delivery_id not in (select delivery_id from linked.linked_deliveries where source = ?)
        order by delivery_id
        """,
        [source],
    ).fetchall()]


def prepare_members(con: duckdb.DuckDBPyConnection) -> None:
    """`MEMBERS`: every member with an ID, numbered, with the township and village of the household."""
    con.execute(
        f"""
        create or replace temp table {MEMBERS} as
        select
            row_number() over (order by members.household_id, members.id_norm) as member_rid,
            members.household_id,
            members.id_norm,
            {NAME_CMP_SQL.format(name='members.person_name_norm')} as name_cmp,
            coalesce(strftime(members.birth_date, '%Y%m%d'), {BIRTH_FROM_ID_SQL.format(id='members.id_norm')}) as birth,
            households.township,
            nullif(households.village, '') as village
        from staged.members as members
        left join staged.households as households
            on households.household_id = members.household_id
        where members.id_norm is not null
        """
    )
