"""Who else the registers know, and where they live: a name-only record whose name a non-member also bears is
never linked by guess, unless what the registers know of that person rules them out.

`linked.known_people` keeps, across nights, one row per fact the registers hold about a person with a valid ID:
the name, the ID, the birth date (the register's for a member, else the one the ID carries) and a home, the
township and village of an address of theirs (a member's household; the 户籍地址 of a disability certificate
and the 坐落 of a property held under the ID; the village of a household whose head they are), found by the
matcher's own address code (`matching.addresses`). A record without an address, or whose address names no
known township, gives a row without a home. `matching.decision` reads `NAMESAKES`, the rows of people who
are not members, to tell whether such a person could be the one a name-only record is about.

An incremental night adds tonight's facts and re-decides the name-only records that a new fact can change, so
that the outcome equals a full recomputation (docs/internals.md, incremental linking).
"""

from __future__ import annotations

import duckdb

from matching.addresses import locate
from matching.records import BIRTH_FROM_ID_SQL, NAME_CMP_SQL, record_select
from matching.sources import SOURCES, table_exists
from matching.temp_tables import KNOWN_PLACES, MEMBERS, NAMESAKES, NEW_PEOPLE, PROFILES, RECORDS, REDECIDED, SCORED

KNOWN_PEOPLE_COLUMNS = "name_cmp, id_norm, birth, township, village"

# The facts tonight's records (in `RECORDS`) give about people with a valid ID: one row per (name, ID, home).
_RECORD_FACTS_SQL = f"""
select distinct
    records.name_cmp,
    records.id_norm,
    {BIRTH_FROM_ID_SQL.format(id='records.id_norm')} as birth,
    places.township,
    places.village
from {RECORDS} as records
left join {KNOWN_PLACES} as places
    on places.address = records.address
where records.id_valid and records.name_cmp <> ''
"""


def known_people(con: duckdb.DuckDBPyConnection, incremental: bool) -> None:
    """`linked.known_people` (see the module). Incremental nights add tonight's facts and add to `RECORDS` the
    name-only records a new fact may decide otherwise, so the outcome equals a full recomputation."""
    locate(con, f"(select address from {RECORDS} where id_valid and name_cmp <> '')", str(KNOWN_PLACES))
    if incremental:
        _add_tonights_facts(con)
    else:
        con.execute(
            f"""
            create or replace table linked.known_people as
            {_RECORD_FACTS_SQL}
            union
            select {KNOWN_PEOPLE_COLUMNS} from {MEMBERS} where name_cmp <> ''
            """
        )


def namesakes_of_the_scored(con: duckdb.DuckDBPyConnection) -> None:
    """`NAMESAKES`: the known people who are not members, of the names the decisions weigh them for
    (`matching.decision`): the names of the profiles scored tonight and of the members scored against them. Every
    known person was copied before, millions of rows on the prefecture bench city, though a typical night's few
    thousand profiles name a small part of them."""
    con.execute(
        f"""
        create or replace temp table {NAMESAKES} as
        select known.*
        from linked.known_people as known
        semi join (
            select name_cmp from {PROFILES}
            union
            select members.name_cmp
            from {SCORED} as scored
            join {MEMBERS} as members on members.id_norm = scored.m_id
        ) as weighed
            on weighed.name_cmp = known.name_cmp
        anti join {MEMBERS} as members on members.id_norm = known.id_norm
        """
    )


def _add_tonights_facts(con: duckdb.DuckDBPyConnection) -> None:
    """Add tonight's new facts to `linked.known_people`; add to `RECORDS` the name-only records of every name
    that a new fact concerns in a way that can change a decision: a person new under that name, or a home of
    theirs not known before (another row without a home, for a person already known, changes nothing).

    Those are the records of that name, and the records linked or in review to a member of that name (a
    record spelt otherwise, 章伟 for 张伟, is decided by the member's namesakes)."""
    # The known facts compared are those of tonight's IDs only (every fact has an ID): set apart by a semi join,
    # which reads the millions of known facts once against tonight's few thousand IDs, where the set difference
    # and the NOT EXISTS each hashed all of them (on the prefecture bench city: 0.5 s instead of 2.6).
    con.execute(
        f"""
        create or replace temp table {NEW_PEOPLE} as
        with facts as (
            {_RECORD_FACTS_SQL}
        ),
        known as (
            select {KNOWN_PEOPLE_COLUMNS}
            from linked.known_people
            where id_norm in (select id_norm from facts)
        ),
        tonight as (
            select * from facts
            except
            select * from known
        )
        select
            tonight.*,
            tonight.township is not null or not exists (
                select 1
                from known
                where known.name_cmp = tonight.name_cmp and known.id_norm = tonight.id_norm
            ) as changes_decisions
        from tonight
        """
    )
    con.execute(f"insert into linked.known_people select {KNOWN_PEOPLE_COLUMNS} from {NEW_PEOPLE}")
    # A night whose records name nobody new (a week of settlements of people the registers know) re-decides
    # nothing: the name-only records of every source are not read (seconds on the prefecture bench city).
    if not con.execute(f"select count(*) from {NEW_PEOPLE} where changes_decisions").fetchone()[0]:
        return
    names = f"(select name_cmp from {NEW_PEOPLE} where changes_decisions)"
    con.execute(
        f"""
        create or replace temp table {REDECIDED} as
        select distinct decided.source, decided.record_key
        from (
            select source, record_key, person_id from linked.links
            union all
            select source, record_key, person_id from linked.link_review
        ) as decided
        join {MEMBERS} as members on members.id_norm = decided.person_id
        where members.name_cmp in {names}
        """
    )
    extra = " union all ".join(
        record_select(
            source,
            cols,
            f"""
            where not coalesce({cols.id_valid}, false)
              and ({NAME_CMP_SQL.format(name=cols.name)} in {names}
                   or record_key in (select record_key from {REDECIDED} where source = '{source}'))
              and record_key not in (select record_key from {RECORDS} where source = '{source}')
            """,
        )
        for source, cols in SOURCES.items() if table_exists(con, cols.table)
    )
    if extra:
        con.execute(f"insert into {RECORDS} {extra}")
