"""The ID path: a record whose ID is valid links to the member with the same normalised ID.

Method `exact` when the ID as delivered (trimmed) already equals the member's, else `id_normalised`. An ID
carried by members of two households is ambiguous and goes to review (see `matching.writing`).

The join is one query in the portable SQL (docs/portable-sql.md), so that with `--engine spark` it runs on Spark
(`hedui.engines.spark_temp_queries`): a province joins a year of records against millions of members there.
"""

from __future__ import annotations

import duckdb

from matching.temp_tables import ID_HITS, MEMBERS, RECORDS

# every (record, member) pair with the same valid ID, and how many members the record meets
ID_JOIN_SQL = f"""
select
    records.source,
    records.record_key,
    members.id_norm as person_id,
    members.household_id,
    case when trim(records.id_raw) = members.id_norm then 'exact' else 'id_normalised' end as method,
    case when records.name_cmp = members.name_cmp then 'exact_norm' else 'different' end as name_level,
    count(*) over (partition by records.source, records.record_key) as n_members
from {RECORDS} as records
inner join {MEMBERS} as members
    on members.id_norm = records.id_norm
where records.id_valid
"""


def id_path(con: duckdb.DuckDBPyConnection, spark_queries=None) -> None:
    """`ID_HITS`: every (record, member) pair with the same valid ID, and how many members the record meets. With
    `spark_queries` (`hedui.engines.spark_temp_queries.SparkTempQueries`) the join runs on Spark."""
    if spark_queries is None:
        con.execute(f"create or replace temp table {ID_HITS} as {ID_JOIN_SQL}")
    else:
        spark_queries.create_temp_table(con, str(ID_HITS), ID_JOIN_SQL, (str(RECORDS), str(MEMBERS)))
