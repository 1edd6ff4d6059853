"""Find the township and village that a free-text address names, among the places the households know.

Set-based: every distinct address is tested against every known township name (a few dozen per county) and
the longest one contained wins; then the villages of that township are looked for after it. No regular
expression guesses at what a township looks like, so 宜阳街道, 烟洲镇, 塔山乡 and odd names all work.
"""

from __future__ import annotations

import duckdb

from matching.temp_tables import ADDRESS_PLACES, FUZZY_RECORDS

LOCATE_SQL = """
create or replace temp table {into} as
with addresses as (
    select distinct address
    from {records}
    where address is not null and address <> ''
),

known_townships as (
    select distinct township
    from staged.households
    where township is not null and township <> ''
),

known_villages as (
    select distinct township, village
    from staged.households
    where township is not null and village is not null and village <> ''
),

township_hits as (
    select
        addresses.address,
        known_townships.township,
        strpos(addresses.address, known_townships.township) as found_at
    from addresses
    join known_townships
        on strpos(addresses.address, known_townships.township) > 0
),

best_township as (
    select address, township, found_at
    from township_hits
    qualify row_number() over (partition by address order by length(township) desc, found_at) = 1
),

village_hits as (
    select
        best_township.address,
        known_villages.village
    from best_township
    join known_villages
        on known_villages.township = best_township.township
        and strpos(substr(best_township.address, best_township.found_at + length(best_township.township)),
                   known_villages.village) > 0
),

best_village as (
    select address, village
    from village_hits
    qualify row_number() over (partition by address order by length(village) desc, village) = 1
)

select
    best_township.address,
    best_township.township,
    best_village.village
from best_township
left join best_village
    on best_village.address = best_township.address
"""


def locate_addresses(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create `ADDRESS_PLACES` (address, township, village) for the addresses of `FUZZY_RECORDS`."""
    locate(con, str(FUZZY_RECORDS), str(ADDRESS_PLACES))


def locate(con: duckdb.DuckDBPyConnection, records: str, into: str) -> None:
    """(Re)create the temporary table `into` (address, township, village) for the distinct addresses of
    `records` (a table or a parenthesised query with an `address` column): the fuzzy records' addresses, and
    the homes the registers know of people with an ID (`matching.namesakes`), read the same way."""
    con.execute(LOCATE_SQL.format(into=into, records=records))
