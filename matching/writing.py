"""Write the decisions of both paths: links to `linked.links`, review rows to `linked.link_review`."""

from __future__ import annotations

from typing import Callable

import duckdb

from matching.temp_tables import ALL_OUTCOMES, DECISIONS, FUZZY_LOCATED, ID_HITS, PROFILES, RECORDS

LINK_COLUMNS = """
    source varchar,
    record_key varchar,
    person_id varchar,
    household_id varchar,
    method varchar,
    score double,
    id_level varchar,
    name_level varchar,
    birth_level varchar,
    address_level varchar,
    weights json
"""

# Each profile's decisions, back on every record folded into it.
_FUZZY_ROWS_SQL = f"""
select
    located.source,
    located.record_key,
    decisions.m_id as person_id,
    decisions.household_id,
    'fuzzy' as method,
    decisions.score,
    decisions.id_level,
    decisions.name_level,
    decisions.birth_level,
    decisions.address_level,
    json_object(
        'id', decisions.id_weight,
        'name', decisions.name_weight,
        'birth', decisions.birth_weight,
        'address', decisions.address_weight
    ) as weights,
    decisions.decision
from {DECISIONS} as decisions
join {PROFILES} as profiles on profiles.profile_id = decisions.profile_id
join {FUZZY_LOCATED} as located
    on located.name_cmp is not distinct from profiles.name_cmp
    and located.id_cmp is not distinct from profiles.id_cmp
    and located.township is not distinct from profiles.township
    and located.village is not distinct from profiles.village
    and located.review_key is not distinct from profiles.review_key
"""

_ID_ROWS_SQL = f"""
select
    source,
    record_key,
    person_id,
    household_id,
    method,
    cast(null as double) as score,
    method as id_level,
    name_level,
    cast(null as varchar) as birth_level,
    cast(null as varchar) as address_level,
    cast(null as json) as weights,
    case when n_members > 1 then 'ambiguous' else 'link' end as decision
from {ID_HITS}
"""


def write_links(con: duckdb.DuckDBPyConnection, incremental: bool,
                adjust: Callable[[duckdb.DuckDBPyConnection], None] | None = None) -> None:
    """(Re)create `linked.links` and `linked.link_review`, or, on an incremental night, replace the rows of
    tonight's records only. `adjust` may change the decided rows (`ALL_OUTCOMES`) first: the reviewers'
    accepted pairs (`matching.review_decisions.apply_accepted`)."""
    con.execute(f"create or replace temp table {ALL_OUTCOMES} as {_ID_ROWS_SQL} union all {_FUZZY_ROWS_SQL}")
    if adjust is not None:
        adjust(con)
    cols = "source, record_key, person_id, household_id, method, score, id_level, name_level, birth_level, address_level, weights"
    if incremental:
        # Only tonight's records were linked (new event deliveries, and name-only records re-decided): replace
        # their rows; every other record keeps its link.
        for table in ("linked.links", "linked.link_review"):
            con.execute(
                f"""
                delete from {table}
                where (source, record_key) in (select source, record_key from {RECORDS})
                """
            )
    else:
        con.execute(f"create or replace table linked.links ({LINK_COLUMNS})")
        con.execute(f"create or replace table linked.link_review ({LINK_COLUMNS}, reason varchar)")
    con.execute(
        f"insert into linked.links select {cols} from {ALL_OUTCOMES} where decision = 'link' "
        "order by source, record_key"
    )
    con.execute(
        f"insert into linked.link_review select {cols}, decision as reason from {ALL_OUTCOMES} "
        "where decision in ('review_band', 'ambiguous') order by source, record_key, score desc nulls last, person_id"
    )
