"""Who else the registers know: a name-only record whose name a non-member also bears is never linked by guess.

`linked.known_people` keeps every (name, valid ID) any register holds, across nights, so that an incremental
night can tell which names gained a person tonight.
"""

from __future__ import annotations

import duckdb

from matching.records import NAME_CMP_SQL, record_select
from matching.sources import SOURCES, table_exists
from matching.temp_tables import MEMBERS, NAMESAKES, NEW_PEOPLE, RECORDS


def known_people(con: duckdb.DuckDBPyConnection, incremental: bool) -> None:
    """`linked.known_people`: every (name, valid ID) any register holds; and `NAMESAKES`: the names that
    a person who is not a member also carries. Incremental nights add tonight's people and re-decide the
    name-only records of every name that gained a new person (added to `RECORDS`), so the outcome
    equals a full recomputation."""
    if incremental:
        con.execute(
            f"""
            create or replace temp table {NEW_PEOPLE} as
            select distinct name_cmp, id_norm
            from {RECORDS}
            where id_valid and name_cmp <> ''
            except
            select name_cmp, id_norm from linked.known_people
            """
        )
        con.execute(f"insert into linked.known_people select name_cmp, id_norm from {NEW_PEOPLE}")
        already = f"select source, record_key from {RECORDS}"
        extra = " union all ".join(
            record_select(
                source,
                cols,
                f"""
                where not coalesce({cols.id_valid}, false)
                  and {NAME_CMP_SQL.format(name=cols.name)} in (select name_cmp from {NEW_PEOPLE})
                  and ('{source}', record_key) not in ({already})
                """,
            )
            for source, cols in SOURCES.items() if table_exists(con, cols.table)
        )
        if extra:
            con.execute(f"insert into {RECORDS} {extra}")
    else:
        con.execute(
            f"""
            create or replace table linked.known_people as
            select distinct name_cmp, id_norm from {RECORDS} where id_valid and name_cmp <> ''
            union
            select name_cmp, id_norm from {MEMBERS} where name_cmp <> ''
            """
        )
        con.execute("comment on table linked.known_people is 'Every (comparison name, valid ID) pair the registers hold: tells whether a name-only record could belong to someone else'")
    con.execute(
        f"""
        create or replace temp table {NAMESAKES} as
        select distinct known.name_cmp
        from linked.known_people as known
        anti join {MEMBERS} as members on members.id_norm = known.id_norm
        """
    )
