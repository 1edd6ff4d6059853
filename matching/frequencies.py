"""How common a name, a village and a township are: the u probabilities of the name and address comparisons.

Measured on the data and smoothed towards priors (policy `tf_prior_population`), so that a rare name in a
small village weighs more than a common name in a large one.

They are kept in `linked.name_frequencies` and `linked.place_shares` by each linking that measures them. An
incremental night reads them from there instead of measuring them again: it links only when the snapshots, the
matching policy and the code are those of the last linking (`matching.incremental.inputs_key`), and the
frequencies are measured on the members and the snapshots alone, never on the event streams, so they are the
kept ones. Measuring them read the name of every person of every snapshot, 2 of a typical night's seconds on the
prefecture bench city.
"""

from __future__ import annotations

import duckdb

from matching.records import NAME_CMP_SQL
from matching.sources import EVENT_SOURCES, SOURCES, table_exists
from matching.temp_tables import MEMBERS, NAME_TF, PLACE_SHARE

KEPT_NAME_FREQUENCIES = "linked.name_frequencies"
KEPT_PLACE_SHARES = "linked.place_shares"


def term_frequencies(con: duckdb.DuckDBPyConnection, cfg: dict, incremental: bool = False) -> None:
    """`NAME_TF` and `PLACE_SHARE`: u probabilities measured on the data, smoothed towards priors; on an
    incremental night, the ones the last linking kept (see the module)."""
    if incremental and table_exists(con, KEPT_NAME_FREQUENCIES) and table_exists(con, KEPT_PLACE_SHARES):
        con.execute(f"create or replace temp table {NAME_TF} as select * from {KEPT_NAME_FREQUENCIES}")
        con.execute(f"create or replace temp table {PLACE_SHARE} as select * from {KEPT_PLACE_SHARES}")
        return
    _measure(con, cfg)
    con.execute(f"create or replace table {KEPT_NAME_FREQUENCIES} as select * from {NAME_TF}")
    con.execute(f"create or replace table {KEPT_PLACE_SHARES} as select * from {PLACE_SHARE}")


def _measure(con: duckdb.DuckDBPyConnection, cfg: dict) -> None:
    """`NAME_TF` and `PLACE_SHARE` measured on the members and the snapshots."""
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
