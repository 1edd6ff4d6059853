"""The fuzzy path's input: records without a valid ID, placed by their address and folded into profiles.

Records that share name, cleaned ID digits, township and village are compared once, as one profile: a
register that repeats a person over many rows costs one comparison per candidate member, not one per row. A
record with a pair rejected by a reviewer (`matching.review_decisions`) is a profile of its own, keyed by its
fingerprint (`review_key`), so that its rejection removes no candidate of another record.
"""

from __future__ import annotations

import duckdb

from matching import addresses
from matching.records import BIRTH_FROM_ID_SQL
from matching.temp_tables import ADDRESS_PLACES, FUZZY_LOCATED, FUZZY_RECORDS, PROFILES, RECORDS, REVIEW_SPLIT


def fuzzy_profiles(con: duckdb.DuckDBPyConnection) -> int:
    """`FUZZY_RECORDS`, `FUZZY_LOCATED` and `PROFILES`; returns the number of profiles."""
    con.execute(
        f"""
        create or replace temp table {FUZZY_RECORDS} as
        select source, record_key, name_cmp, id_cmp, address
        from {RECORDS}
        where not id_valid
        """
    )
    addresses.locate_addresses(con)
    con.execute(
        f"""
        create or replace temp table {FUZZY_LOCATED} as
        select
            fuzzy.source,
            fuzzy.record_key,
            fuzzy.name_cmp,
            fuzzy.id_cmp,
            places.township,
            places.village,
            split.review_key
        from {FUZZY_RECORDS} as fuzzy
        left join {ADDRESS_PLACES} as places
            on places.address = fuzzy.address
        left join {REVIEW_SPLIT} as split
            on split.source = fuzzy.source and split.record_key = fuzzy.record_key
        """
    )
    con.execute(
        f"""
        create or replace temp table {PROFILES} as
        with distinct_profiles as (
            select distinct name_cmp, id_cmp, township, village, review_key
            from {FUZZY_LOCATED}
        )
        select
            row_number() over (order by name_cmp, id_cmp, township, village, review_key) as profile_id,
            name_cmp,
            id_cmp,
            {BIRTH_FROM_ID_SQL.format(id='id_cmp')} as birth,
            township,
            village,
            review_key
        from distinct_profiles
        """
    )
    return con.execute(f"select count(*) from {PROFILES}").fetchone()[0]
