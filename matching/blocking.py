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
"""

from __future__ import annotations

import duckdb

from matching.temp_tables import CANDIDATES, MEMBER_KEYS, MEMBERS, PROFILE_KEYS, PROFILES

ID_WINDOWS = ((1, 4), (4, 7), (7, 10), (10, 13), (13, 16), (16, 18))
KEY_FAMILIES = ("id_windows", "name_township", "surname_village", "given_village", "name_birth")


def _id_window_keys(id_col: str, rid_col: str, source: str) -> list[str]:
    parts = []
    for n, (a, b) in enumerate(ID_WINDOWS, start=1):
        parts.append(
            f"select {rid_col} as rid, 'id{n}' as kind, "
            f"substr({id_col}, 1, {a - 1}) || '_' || substr({id_col}, {b + 1}) as key "
            f"from {source} where length({id_col}) = 18"
        )
    return parts


def _name_keys(families: set[str], source: str, rid_col: str, birth_col: str) -> list[str]:
    parts = []
    if "name_township" in families:
        parts.append(
            f"select {rid_col} as rid, 'nt' as kind, name_cmp || '|' || township as key "
            f"from {source} where name_cmp <> '' and township is not null"
        )
    if "surname_village" in families:
        parts.append(
            f"select {rid_col} as rid, 'sv' as kind, substr(name_cmp, 1, 1) || '|' || township || '|' || village as key "
            f"from {source} where name_cmp <> '' and township is not null and village is not null"
        )
    if "given_village" in families:
        parts.append(
            f"select {rid_col} as rid, 'gv' as kind, substr(name_cmp, 2) || '|' || township || '|' || village as key "
            f"from {source} where length(name_cmp) >= 2 and township is not null and village is not null"
        )
    if "name_birth" in families:
        parts.append(
            f"select {rid_col} as rid, 'nb' as kind, name_cmp || '|' || {birth_col} as key "
            f"from {source} where name_cmp <> '' and {birth_col} is not null"
        )
    return parts


def build_candidates(con: duckdb.DuckDBPyConnection, families: list[str], max_block_size: int) -> int:
    """(Re)create `CANDIDATES` (profile_id, member_rid); returns the number of pairs.

    Reads `MEMBERS` (member_rid, id_norm, name_cmp, birth, township, village) and `PROFILES` (profile_id,
    id_cmp, name_cmp, birth, township, village); keys go through `MEMBER_KEYS` and `PROFILE_KEYS`.
    """
    unknown = set(families) - set(KEY_FAMILIES)
    if unknown:
        raise ValueError(f"matching.blocking_keys: unknown key families {sorted(unknown)}; known: {KEY_FAMILIES}")
    fam = set(families)
    member_parts = (_id_window_keys("id_norm", "member_rid", str(MEMBERS)) if "id_windows" in fam else [])
    member_parts += _name_keys(fam, str(MEMBERS), "member_rid", "birth")
    profile_parts = (_id_window_keys("id_cmp", "profile_id", str(PROFILES)) if "id_windows" in fam else [])
    profile_parts += _name_keys(fam, str(PROFILES), "profile_id", "birth")
    if not member_parts:
        con.execute(f"create or replace temp table {CANDIDATES} (profile_id bigint, member_rid bigint)")
        return 0
    con.execute(
        f"create or replace temp table {MEMBER_KEYS} as "
        "select rid as member_rid, kind, key from (" + " union all ".join(member_parts) + ") "
        "qualify count(*) over (partition by kind, key) <= $max_block",
        {"max_block": int(max_block_size)},
    )
    con.execute(
        f"create or replace temp table {PROFILE_KEYS} as "
        "select distinct rid as profile_id, kind, key from (" + " union all ".join(profile_parts) + ")"
    )
    con.execute(
        f"""
        create or replace temp table {CANDIDATES} as
        select distinct
            profile_keys.profile_id,
            member_keys.member_rid
        from {PROFILE_KEYS} as profile_keys
        join {MEMBER_KEYS} as member_keys
            on member_keys.kind = profile_keys.kind
            and member_keys.key = profile_keys.key
        """
    )
    return con.execute(f"select count(*) from {CANDIDATES}").fetchone()[0]
