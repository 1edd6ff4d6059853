"""Blocking: the few members worth comparing with each fuzzy record profile, found by equi-joins in SQL.

Key families (policy `blocking_keys`):
- `id_windows`: the ID with one window of 4 positions masked, for 6 overlapping windows. Any single edit or
  transposition of two adjacent characters falls inside some window, so an ID one edit or one
  transposition away from a member's still shares that key; each key keeps 14 characters (region, most of
  the birth date, the sequence number and the check character), so blocks are tiny.
- `name_township`: the normalised name and the township named in the record's address.
- `surname_village`: the surname (first character) and the township and village (one-character slips in the
  given name, homophones included).
- `given_village`: the given name and the village (a slip in the surname: 章/张).
- `name_birth`: the name and the birth date read from the record's ID (an ID damaged beyond one edit).
A key shared by more than `max_block_size` members is skipped.

The keys and the join are one query in the portable SQL (docs/portable-sql.md), so that with `--engine spark` the
blocking runs on Spark (`hedui.engines.spark_temp_queries`), as the ID join does: a province blocks a year of
records without a valid ID against millions of members there.
"""

from __future__ import annotations

import duckdb

from matching.temp_tables import CANDIDATES, MEMBERS, PROFILES

ID_WINDOWS = ((1, 4), (4, 7), (7, 10), (10, 13), (13, 16), (16, 18))
KEY_FAMILIES = ("id_windows", "name_township", "surname_village", "given_village", "name_birth")


def _id_window_keys(id_col: str, rid_col: str, source: str) -> list[str]:
    parts = []
    for n, (a, b) in enumerate(ID_WINDOWS, start=1):
        parts.append(
            f"select {rid_col}, 'id{n}' as kind, "
            f"substr({id_col}, 1, {a - 1}) || '_' || substr({id_col}, {b + 1}) as key "
            f"from {source} where length({id_col}) = 18"
        )
    return parts


def _name_keys(families: set[str], source: str, rid_col: str, birth_col: str) -> list[str]:
    parts = []
    if "name_township" in families:
        parts.append(
            f"select {rid_col}, 'nt' as kind, name_cmp || '|' || township as key "
            f"from {source} where name_cmp <> '' and township is not null"
        )
    if "surname_village" in families:
        parts.append(
            f"select {rid_col}, 'sv' as kind, substr(name_cmp, 1, 1) || '|' || township || '|' || village as key "
            f"from {source} where name_cmp <> '' and township is not null and village is not null"
        )
    if "given_village" in families:
        parts.append(
            f"select {rid_col}, 'gv' as kind, substr(name_cmp, 2) || '|' || township || '|' || village as key "
            f"from {source} where length(name_cmp) >= 2 and township is not null and village is not null"
        )
    if "name_birth" in families:
        parts.append(
            f"select {rid_col}, 'nb' as kind, name_cmp || '|' || {birth_col} as key "
            f"from {source} where name_cmp <> '' and {birth_col} is not null"
        )
    return parts


def candidates_sql(families: list[str]) -> str | None:
    """The query of the (profile_id, member_rid) pairs that share a blocking key of `families`, with the keys of
    more than `$max_block` members left out; None when no family is chosen.

    Reads `MEMBERS` (member_rid, id_norm, name_cmp, birth, township, village) and `PROFILES` (profile_id, id_cmp,
    name_cmp, birth, township, village). The block sizes are counted with a window in a subquery, not DuckDB's
    QUALIFY, which Spark 3.3 does not have."""
    unknown = set(families) - set(KEY_FAMILIES)
    if unknown:
        raise ValueError(f"matching.blocking_keys: unknown key families {sorted(unknown)}; known: {KEY_FAMILIES}")
    fam = set(families)
    member_parts = (_id_window_keys("id_norm", "member_rid", str(MEMBERS)) if "id_windows" in fam else [])
    member_parts += _name_keys(fam, str(MEMBERS), "member_rid", "birth")
    profile_parts = (_id_window_keys("id_cmp", "profile_id", str(PROFILES)) if "id_windows" in fam else [])
    profile_parts += _name_keys(fam, str(PROFILES), "profile_id", "birth")
    if not member_parts:
        return None
    member_union = "\n        union all\n        ".join(member_parts)
    profile_union = "\n        union all\n        ".join(profile_parts)
    return f"""
with member_keys_all as (
        {member_union}
),
member_keys as (
    select member_rid, kind, key
    from (
        select member_rid, kind, key, count(*) over (partition by kind, key) as block_size
        from member_keys_all
    ) as sized
    where block_size <= $max_block
),
profile_keys as (
    select distinct profile_id, kind, key
    from (
        {profile_union}
    ) as keyed
)
select distinct
    profile_keys.profile_id,
    member_keys.member_rid
from profile_keys
inner join member_keys
    on member_keys.kind = profile_keys.kind
    and member_keys.key = profile_keys.key
"""


def build_candidates(con: duckdb.DuckDBPyConnection, families: list[str], max_block_size: int,
                     spark_queries=None) -> int:
    """(Re)create `CANDIDATES` (profile_id, member_rid); returns the number of pairs. With `spark_queries`
    (`hedui.engines.spark_temp_queries.SparkTempQueries`) the keys and their join run on Spark."""
    sql = candidates_sql(families)
    if sql is None:
        con.execute(f"create or replace temp table {CANDIDATES} (profile_id bigint, member_rid bigint)")
        return 0
    parameters = {"max_block": int(max_block_size)}
    if spark_queries is None:
        con.execute(f"create or replace temp table {CANDIDATES} as {sql}", parameters)
    else:
        spark_queries.create_temp_table(con, str(CANDIDATES), sql, (str(MEMBERS), str(PROFILES)), parameters)
    return con.execute(f"select count(*) from {CANDIDATES}").fetchone()[0]
