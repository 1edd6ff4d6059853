"""The ID path: a record whose ID is valid links to the member with the same normalised ID.

Method `exact` when the ID as delivered (trimmed) already equals the member's, else `id_normalised`. An ID
carried by members of two households is ambiguous and goes to review (see `matching.writing`).
"""

from __future__ import annotations

import duckdb

from matching.temp_tables import ID_HITS, MEMBERS, RECORDS


def id_path(con: duckdb.DuckDBPyConnection) -> None:
    """`ID_HITS`: every (record, member) pair with the same valid ID, and how many members the record meets."""
    con.execute(
        f"""
        create or replace temp table {ID_HITS} as
        select
            records.source,
            records.record_key,
            members.id_norm as person_id,
            members.household_id,
            case when trim(records.id_raw) = members.id_norm then 'exact' else 'id_normalised' end as method,
            case when records.name_cmp = members.name_cmp then 'exact_norm' else 'different' end as name_level,
            count(*) over (partition by records.source, records.record_key) as n_members
        from {RECORDS} as records
        join {MEMBERS} as members
            on members.id_norm = records.id_norm
        where records.id_valid
        """
    )
