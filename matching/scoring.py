"""Compare every candidate pair and weigh it: rapidfuzz over the aligned pairs, Fellegi–Sunter weights
(`matching.comparisons`), chunk by chunk so that memory stays bounded.

`score_pairs` is the whole of it for a DataFrame of pairs (`CANDIDATE_PAIRS_SQL`'s columns), pandas and rapidfuzz
only, so it runs the same wherever the pairs are: on DuckDB's machine chunk by chunk (`score_in_chunks`), or with
`--engine spark` on Spark's executors over partitions of the candidate pairs (`score_batches` in
`DataFrame.mapInPandas`, through `hedui.engines.spark_temp_queries`). Either way `SCORED` is a DuckDB temp table
of the columns and types `SCORED_COLUMNS` names, and the decision reads it on DuckDB.
"""

from __future__ import annotations

import ctypes
import gc
from typing import Iterator

import duckdb
import pandas as pd

from matching.comparisons import MEMBER_MODEL, add_id_distances
from matching.pinyin_names import homophone_keys
from matching.temp_tables import CANDIDATES, MEMBERS, NAME_TF, PLACE_SHARE, PROFILES, SCORED

# Candidate pairs are compared in chunks of whole profiles, about this many pairs at a time: memory stays
# bounded however many records lack a valid ID (a million-member city has ~15 million candidate pairs).
PAIRS_PER_CHUNK = 1_000_000


def _profile_chunks(con: duckdb.DuckDBPyConnection) -> list[tuple[int, int]]:
    """Consecutive profile_id ranges, each holding about PAIRS_PER_CHUNK candidate pairs."""
    bounds = con.execute(
        f"""
        with per_profile as (
            select profile_id, count(*) as pairs from {CANDIDATES} group by profile_id
        ),
        cumulated as (
            select profile_id, sum(pairs) over (order by profile_id) as running from per_profile
        )
        select min(profile_id), max(profile_id)
        from cumulated
        group by (running - 1) // $per_chunk
        order by 1
        """,
        {"per_chunk": PAIRS_PER_CHUNK},
    ).fetchall()
    return [(int(lo), int(hi)) for lo, hi in bounds]


def _release_freed_memory() -> None:
    """Free the chunk's frames at once and give their pages back to the operating system.

    A chunk's DataFrames end up in reference cycles (DuckDB's replacement scans read the callers' frame
    locals), which only the cyclic collector frees, and it rarely runs when few Python objects are made: on a
    million-member city the process grew by about 1 GB per chunk of a million pairs, to 17 GB. glibc also
    keeps freed pages unless asked to trim."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


def score_in_chunks(con: duckdb.DuckDBPyConnection, spark_queries=None) -> None:
    """`SCORED`: every candidate pair with its levels and weights, computed chunk by chunk; with `spark_queries`
    (`hedui.engines.spark_temp_queries.SparkTempQueries`) on Spark, partition by partition."""
    if spark_queries is not None:
        spark_queries.map_into_temp_table(con, str(SCORED), CANDIDATE_PAIRS_SQL, tuple(map(str, PAIR_INPUTS)),
                                          score_batches, SCORED_COLUMNS)
        return
    definition = ", ".join(f"{column} {data_type}" for column, data_type in SCORED_COLUMNS.items())
    con.execute(f"create or replace temp table {SCORED} ({definition})")
    for lo, hi in _profile_chunks(con):
        chunk = score_pairs(_candidate_pairs(con, lo, hi))  # noqa: F841 - read by name below
        con.execute(f"insert into {SCORED} select {', '.join(SCORED_COLUMNS)} from chunk")
        del chunk
        _release_freed_memory()


# Every candidate pair with the profile's and the member's comparison fields and the member's name and place
# frequencies: what the comparisons read. Portable SQL (docs/portable-sql.md): on Spark it feeds `score_batches`.
CANDIDATE_PAIRS_SQL = f"""
select
    candidates.profile_id,
    candidates.member_rid,
    profiles.name_cmp as r_name,
    profiles.id_cmp as r_id,
    profiles.birth as r_birth,
    profiles.township as r_township,
    profiles.village as r_village,
    members.name_cmp as m_name,
    members.id_norm as m_id,
    members.birth as m_birth,
    members.township as m_township,
    members.village as m_village,
    members.household_id,
    coalesce(name_tf.u, 1e-6) as u_name,
    coalesce(places.u_village, 1e-3) as u_village,
    coalesce(places.u_township, 0.05) as u_township
from {CANDIDATES} as candidates
inner join {PROFILES} as profiles
    on profiles.profile_id = candidates.profile_id
inner join {MEMBERS} as members
    on members.member_rid = candidates.member_rid
left join {NAME_TF} as name_tf
    on name_tf.name_cmp = members.name_cmp
left join {PLACE_SHARE} as places
    on places.township is not distinct from members.township
    and places.village is not distinct from members.village
"""

# the temp tables CANDIDATE_PAIRS_SQL reads
PAIR_INPUTS = (CANDIDATES, PROFILES, MEMBERS, NAME_TF, PLACE_SHARE)


def _candidate_pairs(con: duckdb.DuckDBPyConnection, lo: int, hi: int) -> pd.DataFrame:
    return con.execute(
        f"""
        select *
        from ({CANDIDATE_PAIRS_SQL}) as pairs
        where profile_id between $lo and $hi
        order by profile_id, member_rid
        """,
        {"lo": lo, "hi": hi},
    ).df()


def _mark_homophones(pairs: pd.DataFrame) -> pd.DataFrame:
    """pairs with a boolean `homophone`: the names differ but can be read alike (pinyin over DISTINCT names).

    Joins of the distinct name pairs with the names' reading keys (pandas merges, no loop over pairs), so that it
    needs no database: the same function runs on DuckDB's machine and on Spark's executors."""
    pairs = pairs.copy()
    pairs["homophone"] = False
    differ = (pairs["r_name"] != pairs["m_name"]) & (pairs["r_name"].str.len() == pairs["m_name"].str.len())
    if not differ.any():
        return pairs
    name_pairs = pairs.loc[differ, ["r_name", "m_name"]].drop_duplicates()
    keys = homophone_keys(pd.concat([name_pairs["r_name"], name_pairs["m_name"]]).unique())
    r_keys = name_pairs.merge(keys.rename(columns={"name": "r_name"}), on="r_name")
    alike = r_keys.merge(keys.rename(columns={"name": "m_name"}), on=["m_name", "key"])
    alike = alike[["r_name", "m_name"]].drop_duplicates()
    if len(alike):
        alike["homophone"] = True
        pairs = pairs.drop(columns="homophone").merge(alike, on=["r_name", "m_name"], how="left")
        pairs["homophone"] = pairs["homophone"].astype("boolean").fillna(False).astype(bool)
    return pairs


# SCORED's columns and their DuckDB types, on both engines
SCORED_COLUMNS = {
    "profile_id": "BIGINT", "m_id": "VARCHAR", "household_id": "VARCHAR", "score": "DOUBLE",
    "id_level": "VARCHAR", "name_level": "VARCHAR", "birth_level": "VARCHAR", "address_level": "VARCHAR",
    "id_weight": "DOUBLE", "name_weight": "DOUBLE", "birth_weight": "DOUBLE", "address_weight": "DOUBLE",
}
_PANDAS_TYPES = {"BIGINT": "int64", "VARCHAR": "object", "DOUBLE": "float64"}


def score_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    """The levels, weights and score of every pair of `pairs` (columns of `CANDIDATE_PAIRS_SQL`), as the
    columns of `SCORED_COLUMNS`. Each pair is scored on its own, so any cut of the pairs gives the same rows."""
    if pairs.empty:
        return pd.DataFrame({column: pd.Series(dtype=_PANDAS_TYPES[data_type])
                             for column, data_type in SCORED_COLUMNS.items()})
    pairs = _mark_homophones(pairs)
    pairs = add_id_distances(pairs)
    scored = MEMBER_MODEL.score(pairs)
    return scored[list(SCORED_COLUMNS)]


def score_batches(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """`score_pairs` over a stream of batches of candidate pairs: what Spark's `mapInPandas` runs on each partition.
    Module-level, so that it is pickled by reference and imported on the executors (`hedui.engines.spark_udfs`)."""
    for pairs in batches:
        yield score_pairs(pairs)
