"""Compare every candidate pair and weigh it: rapidfuzz over the aligned pairs, Fellegi–Sunter weights
(`matching.comparisons`), chunk by chunk so that memory stays bounded."""

from __future__ import annotations

import ctypes
import gc

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


def score_in_chunks(con: duckdb.DuckDBPyConnection) -> None:
    """`SCORED`: every candidate pair with its levels and weights, computed chunk by chunk."""
    con.execute(f"drop table if exists {SCORED}")
    for lo, hi in _profile_chunks(con) or [(0, -1)]:
        chunk = _score(con, _candidate_pairs(con, lo, hi))  # noqa: F841 - read by name below
        if con.execute("select count(*) from information_schema.tables where table_name = ?", [SCORED.name]).fetchone()[0]:
            con.execute(f"insert into {SCORED} select * from chunk")
        else:
            con.execute(f"create temp table {SCORED} as select * from chunk")
        del chunk
        _release_freed_memory()


def _candidate_pairs(con: duckdb.DuckDBPyConnection, lo: int, hi: int) -> pd.DataFrame:
    return con.execute(
        f"""
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
        join {PROFILES} as profiles on profiles.profile_id = candidates.profile_id
        join {MEMBERS} as members on members.member_rid = candidates.member_rid
        left join {NAME_TF} as name_tf on name_tf.name_cmp = members.name_cmp
        left join {PLACE_SHARE} as places
            on places.township is not distinct from members.township
            and places.village is not distinct from members.village
        where candidates.profile_id between $lo and $hi
        order by candidates.profile_id, candidates.member_rid
        """,
        {"lo": lo, "hi": hi},
    ).df()


def _mark_homophones(con: duckdb.DuckDBPyConnection, pairs: pd.DataFrame) -> pd.DataFrame:
    """pairs with a boolean `homophone`: the names differ but can be read alike (pinyin over DISTINCT names)."""
    pairs = pairs.copy()
    pairs["homophone"] = False
    differ = (pairs["r_name"] != pairs["m_name"]) & (pairs["r_name"].str.len() == pairs["m_name"].str.len())
    if not differ.any():
        return pairs
    name_pairs = pairs.loc[differ, ["r_name", "m_name"]].drop_duplicates()
    keys = homophone_keys(pd.concat([name_pairs["r_name"], name_pairs["m_name"]]).unique())  # noqa: F841 (read by name in SQL)
    # DataFrames are read by DuckDB's replacement scan (by variable name), not `con.register`, which refuses
    # to run while an earlier result on the connection is unfinished.
    alike = con.execute(
        """
        select distinct name_pairs.r_name, name_pairs.m_name
        from name_pairs
        join keys as r_keys on r_keys.name = name_pairs.r_name
        join keys as m_keys on m_keys.name = name_pairs.m_name and m_keys.key = r_keys.key
        """
    ).df()
    if len(alike):
        alike["homophone"] = True
        pairs = pairs.drop(columns="homophone").merge(alike, on=["r_name", "m_name"], how="left")
        pairs["homophone"] = pairs["homophone"].astype("boolean").fillna(False).astype(bool)
    return pairs


SCORED_COLUMNS = [
    "profile_id", "m_id", "household_id", "score",
    "id_level", "name_level", "birth_level", "address_level",
    "id_weight", "name_weight", "birth_weight", "address_weight",
]


def _score(con: duckdb.DuckDBPyConnection, pairs: pd.DataFrame) -> pd.DataFrame:
    if pairs.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c.endswith(("weight", "score")) else "object") for c in SCORED_COLUMNS})
    pairs = _mark_homophones(con, pairs)
    pairs = add_id_distances(pairs)
    scored = MEMBER_MODEL.score(pairs)
    return scored[SCORED_COLUMNS]
