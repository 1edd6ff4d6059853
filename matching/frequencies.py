"""How common a name, a village and a township are: the u probabilities of the name and address comparisons.

Measured on the data and smoothed towards priors (policy `tf_prior_population`), so that a rare name in a
small village weighs more than a common name in a large one.
"""

from __future__ import annotations

import duckdb

from matching.records import NAME_CMP_SQL
from matching.sources import EVENT_SOURCES, SOURCES, table_exists
from matching.temp_tables import MEMBERS, NAME_TF, PLACE_SHARE


def term_frequencies(con: duckdb.DuckDBPyConnection, cfg: dict) -> None:
    """`NAME_TF` and `PLACE_SHARE`: u probabilities measured on the data, smoothed towards priors."""
    params = {
        "alpha": float(cfg["tf_prior_population"]),
        "p_name": float(cfg["name_prior_frequency"]),
        "p_village": float(cfg["village_prior_share"]),
        "p_township": float(cfg["township_prior_share"]),
    }
    # A name's frequency among the people the city's registers know: members and the people of the snapshot
    # sources (real estate, vehicles, disability, households). A name shared with many non-members is common
    # too. The event streams (medical, death) carry the same population and are left out on purpose: so a
    # new settlement never changes another record's score, and an incremental night links exactly as a
    # full recomputation would.
    snapshot_people = " union ".join(
        f"select distinct {NAME_CMP_SQL.format(name=cols.name)} as name_cmp, "
        f"coalesce({cols.id_norm}, '{source}:' || record_key) as person from {cols.rows}"
        for source, cols in SOURCES.items()
        if source not in EVENT_SOURCES and table_exists(con, cols.table)
    )
    con.execute(
        f"""
        create or replace temp table {NAME_TF} as
        with people as (
            select distinct name_cmp, id_norm as person from {MEMBERS}
            {"union " + snapshot_people if snapshot_people else ""}
        ),
        counted as (
            select name_cmp, count(*) as n from people where name_cmp <> '' group by name_cmp
        )
        select
            name_cmp,
            (n + $alpha * $p_name) / ((select count(*) from people) + $alpha) as u
        from counted
        """,
        {"alpha": params["alpha"], "p_name": params["p_name"]},
    )
    con.execute(
        f"""
        create or replace temp table {PLACE_SHARE} as
        with total as (select count(*) as n from {MEMBERS}),
        villages as (
            select township, village, count(*) as n from {MEMBERS} group by township, village
        ),
        townships as (
            select township, count(*) as n from {MEMBERS} group by township
        )
        select
            villages.township,
            villages.village,
            (villages.n + $alpha * $p_village) / (total.n + $alpha) as u_village,
            (townships.n + $alpha * $p_township) / (total.n + $alpha) as u_township
        from villages
        join townships on townships.township is not distinct from villages.township
        cross join total
        """,
        {k: v for k, v in params.items() if k != "p_name"},
    )
