"""Link every person-bearing department record to the right household member.

`link_records(con, run)` is the stage the nightly flow calls. It reads the staged tables and (re)creates
`linked.links` and `linked.link_review` (docs/internals.md):

1. ID path (set-based, in DuckDB): a record whose ID is valid links to the member with the same `id_norm`;
   method `exact` when the ID as delivered (trimmed) already equals the member's, else `id_normalised`.
   An ID carried by members of two households is ambiguous and goes to review.
2. Fuzzy path, only for records whose ID is missing or invalid: records are folded into distinct profiles
   (name, cleaned ID, township, village), blocked in SQL (`matching.blocking`), compared with rapidfuzz
   over the aligned candidate pairs, scored with Fellegi–Sunter weights (`matching.comparisons`), and
   decided: auto-accept, review band, or ambiguous (never a guess between near-equal members).
"""

from __future__ import annotations

import ctypes
import gc
import hashlib
import json
import logging
import math
import time
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from connectors.link_sources import EVENT_SOURCES, LINK_SOURCES, SourceColumns
from matching import addresses, blocking
from matching.comments import comment_linked_tables
from matching.comparisons import MEMBER_MODEL, add_id_distances
from matching.pinyin_names import homophone_keys
from matching.settings import settings_from_run

log = logging.getLogger(__name__)

# Bump when a change to this package changes which links are made: the next night then relinks everything.
MATCHING_VERSION = 4


# The linked sources and their columns, and the event sources: derived from the declarations.
SOURCES: dict[str, SourceColumns] = LINK_SOURCES

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

# The record's ID, cleaned of spaces and full-width characters, when it looks like an ID at all.
_ID_CMP_SQL = """
case
    when {id_norm} is not null then {id_norm}
    when regexp_full_match(
        upper(translate(regexp_replace(coalesce({id_raw}, ''), '\\s', '', 'g'), '０１２３４５６７８９ｘＸ', '0123456789XX')),
        '[0-9X]{{15,19}}')
    then upper(translate(regexp_replace({id_raw}, '\\s', '', 'g'), '０１２３４５６７８９ｘＸ', '0123456789XX'))
end
"""

_NAME_CMP_SQL = "replace(coalesce({name}, ''), '·', '')"
_BIRTH_FROM_ID_SQL = "case when regexp_full_match(substr({id}, 7, 8), '(18|19|20)[0-9]{{6}}') then substr({id}, 7, 8) end"


@dataclass
class LinkStats:
    """Counts of one linking run (no personal data)."""

    records: dict[str, int] = field(default_factory=dict)  # person-bearing records read, per source
    links: dict[str, dict[str, int]] = field(default_factory=dict)  # source -> method -> links
    review: dict[str, dict[str, int]] = field(default_factory=dict)  # source -> reason -> review rows
    fuzzy_profiles: int = 0
    candidate_pairs: int = 0
    incremental: bool = False  # only new event records were linked (the rest was unchanged)
    auto_accept_weight: float = 0.0  # the weight that linked a fuzzy candidate this run (policy and register size)
    seconds: float = 0.0

    @property
    def total_links(self) -> int:
        return sum(n for per in self.links.values() for n in per.values())


def _table_exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, name = qualified.split(".")
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchone()[0]
    )


def _record_select(source: str, cols: SourceColumns, where: str = "") -> str:
    """The comparison fields of one source's records, in the shape of `_match_records`."""
    return f"""
        select
            '{source}' as source,
            record_key,
            {"delivery_id" if source in EVENT_SOURCES else "null::varchar"} as delivery_id,
            {_NAME_CMP_SQL.format(name=cols.name)} as name_cmp,
            {cols.id_raw} as id_raw,
            {cols.id_norm} as id_norm,
            coalesce({cols.id_valid}, false) as id_valid,
            {_ID_CMP_SQL.format(id_norm=cols.id_norm, id_raw=cols.id_raw)} as id_cmp,
            cast({cols.address or 'null'} as varchar) as address
        from {cols.table}
        {where}
    """


def _collect_records(con: duckdb.DuckDBPyConnection, delta_only: bool = False) -> list[str]:
    """All person-bearing records, or (incremental nights) only the event records of deliveries not linked yet.

    A delivery is linked whole or not at all (the night is one transaction), so tonight's new event records are
    exactly the rows of deliveries missing from `linked.linked_deliveries`: found by their delivery, one narrow
    column, instead of an anti-join of every record key against every key linked before."""
    parts, present = [], []
    for source, cols in SOURCES.items():
        if not _table_exists(con, cols.table):
            continue
        if delta_only and source not in EVENT_SOURCES:
            continue
        present.append(source)
        delta = (
            f"where delivery_id not in (select delivery_id from linked.linked_deliveries where source = '{source}')"
            if delta_only else ""
        )
        parts.append(_record_select(source, cols, delta))
    if parts:
        con.execute("create or replace temp table _match_records as " + " union all ".join(parts))
    else:
        con.execute(
            "create or replace temp table _match_records (source varchar, record_key varchar, delivery_id varchar, "
            "name_cmp varchar, "
            "id_raw varchar, id_norm varchar, id_valid boolean, id_cmp varchar, address varchar)"
        )
    return present


def _prepare_members(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"""
        create or replace temp table _match_members as
        select
            row_number() over (order by members.household_id, members.id_norm) as member_rid,
            members.household_id,
            members.id_norm,
            {_NAME_CMP_SQL.format(name='members.person_name_norm')} as name_cmp,
            coalesce(strftime(members.birth_date, '%Y%m%d'), {_BIRTH_FROM_ID_SQL.format(id='members.id_norm')}) as birth,
            households.township,
            nullif(households.village, '') as village
        from staged.members as members
        left join staged.households as households
            on households.household_id = members.household_id
        where members.id_norm is not null
        """
    )


def _id_path(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        create or replace temp table _match_id_hits as
        select
            records.source,
            records.record_key,
            members.id_norm as person_id,
            members.household_id,
            case when trim(records.id_raw) = members.id_norm then 'exact' else 'id_normalised' end as method,
            case when records.name_cmp = members.name_cmp then 'exact_norm' else 'different' end as name_level,
            count(*) over (partition by records.source, records.record_key) as n_members
        from _match_records as records
        join _match_members as members
            on members.id_norm = records.id_norm
        where records.id_valid
        """
    )


def _term_frequencies(con: duckdb.DuckDBPyConnection, cfg: dict) -> None:
    """u probabilities measured on the data, smoothed towards priors (policy tf_prior_population)."""
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
        f"select distinct {_NAME_CMP_SQL.format(name=cols.name)} as name_cmp, "
        f"coalesce({cols.id_norm}, '{source}:' || record_key) as person from {cols.table}"
        for source, cols in SOURCES.items()
        if source not in EVENT_SOURCES and _table_exists(con, cols.table)
    )
    con.execute(
        f"""
        create or replace temp table _match_name_tf as
        with people as (
            select distinct name_cmp, id_norm as person from _match_members
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
        """
        create or replace temp table _match_place_share as
        with total as (select count(*) as n from _match_members),
        villages as (
            select township, village, count(*) as n from _match_members group by township, village
        ),
        townships as (
            select township, count(*) as n from _match_members group by township
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


def _known_people(con: duckdb.DuckDBPyConnection, incremental: bool) -> None:
    """`linked.known_people`: every (name, valid ID) any register holds; and `_match_namesakes`: the names that
    a person who is not a member also carries. Incremental nights add tonight's people and re-decide the
    name-only records of every name that gained a new person (added to `_match_records`), so the outcome
    equals a full recomputation."""
    if incremental:
        con.execute(
            """
            create or replace temp table _match_new_people as
            select distinct name_cmp, id_norm
            from _match_records
            where id_valid and name_cmp <> ''
            except
            select name_cmp, id_norm from linked.known_people
            """
        )
        con.execute("insert into linked.known_people select name_cmp, id_norm from _match_new_people")
        already = "select source, record_key from _match_records"
        extra = " union all ".join(
            _record_select(
                source,
                cols,
                f"""
                where not coalesce({cols.id_valid}, false)
                  and {_NAME_CMP_SQL.format(name=cols.name)} in (select name_cmp from _match_new_people)
                  and ('{source}', record_key) not in ({already})
                """,
            )
            for source, cols in SOURCES.items() if _table_exists(con, cols.table)
        )
        if extra:
            con.execute(f"insert into _match_records {extra}")
    else:
        con.execute(
            """
            create or replace table linked.known_people as
            select distinct name_cmp, id_norm from _match_records where id_valid and name_cmp <> ''
            union
            select name_cmp, id_norm from _match_members where name_cmp <> ''
            """
        )
        con.execute("comment on table linked.known_people is 'Every (comparison name, valid ID) pair the registers hold: tells whether a name-only record could belong to someone else'")
    con.execute(
        """
        create or replace temp table _match_namesakes as
        select distinct known.name_cmp
        from linked.known_people as known
        anti join _match_members as members on members.id_norm = known.id_norm
        """
    )


def _fuzzy_profiles(con: duckdb.DuckDBPyConnection) -> int:
    con.execute(
        """
        create or replace temp table _match_fuzzy_records as
        select source, record_key, name_cmp, id_cmp, address
        from _match_records
        where not id_valid
        """
    )
    addresses.locate_addresses(con)
    con.execute(
        """
        create or replace temp table _match_fuzzy_located as
        select
            fuzzy.source,
            fuzzy.record_key,
            fuzzy.name_cmp,
            fuzzy.id_cmp,
            places.township,
            places.village
        from _match_fuzzy_records as fuzzy
        left join _match_address_places as places
            on places.address = fuzzy.address
        """
    )
    con.execute(
        f"""
        create or replace temp table _match_profiles as
        with distinct_profiles as (
            select distinct name_cmp, id_cmp, township, village
            from _match_fuzzy_located
        )
        select
            row_number() over (order by name_cmp, id_cmp, township, village) as profile_id,
            name_cmp,
            id_cmp,
            {_BIRTH_FROM_ID_SQL.format(id='id_cmp')} as birth,
            township,
            village
        from distinct_profiles
        """
    )
    return con.execute("select count(*) from _match_profiles").fetchone()[0]


# Candidate pairs are compared in chunks of whole profiles, about this many pairs at a time: memory stays
# bounded however many records lack a valid ID (a million-member city has ~15 million candidate pairs).
PAIRS_PER_CHUNK = 1_000_000


def _profile_chunks(con: duckdb.DuckDBPyConnection) -> list[tuple[int, int]]:
    """Consecutive profile_id ranges, each holding about PAIRS_PER_CHUNK candidate pairs."""
    bounds = con.execute(
        """
        with per_profile as (
            select profile_id, count(*) as pairs from _match_candidates group by profile_id
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
    """Free the chunk's frames now and give their pages back to the operating system.

    A chunk's DataFrames end up in reference cycles (DuckDB's replacement scans read the callers' frame
    locals), which only the cyclic collector frees, and it rarely runs when few Python objects are made: on a
    million-member city the process grew by about 1 GB per chunk of a million pairs, to 17 GB. glibc also
    keeps freed pages unless asked to trim."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


def _score_in_chunks(con: duckdb.DuckDBPyConnection) -> None:
    """`_match_scored`: every candidate pair with its levels and weights, computed chunk by chunk."""
    con.execute("drop table if exists _match_scored")
    for lo, hi in _profile_chunks(con) or [(0, -1)]:
        chunk = _score(con, _candidate_pairs(con, lo, hi))  # noqa: F841 - read by name below
        if con.execute("select count(*) from information_schema.tables where table_name = '_match_scored'").fetchone()[0]:
            con.execute("insert into _match_scored select * from chunk")
        else:
            con.execute("create temp table _match_scored as select * from chunk")
        del chunk
        _release_freed_memory()


def _candidate_pairs(con: duckdb.DuckDBPyConnection, lo: int, hi: int) -> pd.DataFrame:
    return con.execute(
        """
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
        from _match_candidates as candidates
        join _match_profiles as profiles on profiles.profile_id = candidates.profile_id
        join _match_members as members on members.member_rid = candidates.member_rid
        left join _match_name_tf as name_tf on name_tf.name_cmp = members.name_cmp
        left join _match_place_share as places
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


def auto_accept_weight(cfg: dict, members: int) -> float:
    """The weight a fuzzy candidate needs to be linked without review: the policy's auto_accept_weight, raised
    to log2(members) + auto_accept_prior_margin in a register large enough for a lower weight to leave real
    doubt (see matching.settings)."""
    floor_from_prior = math.log2(max(members, 1)) + float(cfg["auto_accept_prior_margin"])
    return round(max(float(cfg["auto_accept_weight"]), floor_from_prior), 4)


def _decide(con: duckdb.DuckDBPyConnection, cfg: dict) -> float:
    members = con.execute("select count(*) from _match_members").fetchall()[0][0]
    auto = auto_accept_weight(cfg, members)
    con.execute(
        """
        create or replace temp table _match_decisions as
        with ranked as (
            select
                *,
                max(score) over (partition by profile_id) as best
            from _match_scored
        ),

        contenders as (
            select *
            from ranked
            where score >= $floor
              and score >= best - $margin
        ),

        per_profile as (
            select profile_id, count(*) as n_contenders
            from contenders
            group by profile_id
        )

        select
            contenders.*,
            case
                when per_profile.n_contenders > 1 then 'ambiguous'
                -- Name and address only, and the registers know someone else by this name whose home they do
                -- not know: the record may be theirs. Never a guess: a person decides.
                when contenders.id_level = 'missing' and namesakes.name_cmp is not null then 'ambiguous'
                when contenders.score >= $auto then 'link'
                else 'review_band'
            end as decision
        from contenders
        join per_profile on per_profile.profile_id = contenders.profile_id
        join _match_members as members on members.id_norm = contenders.m_id
        left join _match_namesakes as namesakes on namesakes.name_cmp = members.name_cmp
        """,
        {
            "floor": float(cfg["review_floor_weight"]),
            "margin": float(cfg["ambiguity_margin"]),
            "auto": auto,
        },
    )
    return auto


_FUZZY_ROWS_SQL = """
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
from _match_decisions as decisions
join _match_profiles as profiles on profiles.profile_id = decisions.profile_id
join _match_fuzzy_located as located
    on located.name_cmp is not distinct from profiles.name_cmp
    and located.id_cmp is not distinct from profiles.id_cmp
    and located.township is not distinct from profiles.township
    and located.village is not distinct from profiles.village
"""

_ID_ROWS_SQL = """
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
from _match_id_hits
"""


def _write(con: duckdb.DuckDBPyConnection, incremental: bool) -> None:
    con.execute(f"create or replace temp table _match_all as {_ID_ROWS_SQL} union all {_FUZZY_ROWS_SQL}")
    cols = "source, record_key, person_id, household_id, method, score, id_level, name_level, birth_level, address_level, weights"
    if incremental:
        # Only tonight's records were linked (new event deliveries, and name-only records re-decided): replace
        # their rows; every other record keeps its link.
        for table in ("linked.links", "linked.link_review"):
            con.execute(
                f"""
                delete from {table}
                where (source, record_key) in (select source, record_key from _match_records)
                """
            )
    else:
        con.execute(f"create or replace table linked.links ({LINK_COLUMNS})")
        con.execute(f"create or replace table linked.link_review ({LINK_COLUMNS}, reason varchar)")
    con.execute(
        f"insert into linked.links select {cols} from _match_all where decision = 'link' "
        "order by source, record_key"
    )
    con.execute(
        f"insert into linked.link_review select {cols}, decision as reason from _match_all "
        "where decision in ('review_band', 'ambiguous') order by source, record_key, score desc nulls last, person_id"
    )


def _inputs_key(con: duckdb.DuckDBPyConnection, cfg: dict) -> str | None:
    """What every link depends on besides the record itself: the snapshots in force (by checksum), the
    matching policy and this module's version. When it is unchanged, old links stay right."""
    if not _table_exists(con, "ledger.source_state"):
        return None
    snapshots = con.execute("select source, checksum from ledger.source_state order by source").fetchall()
    payload = json.dumps({"snapshots": snapshots, "matching": cfg, "version": MATCHING_VERSION},
                         sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def _can_link_incrementally(con: duckdb.DuckDBPyConnection, key: str | None) -> bool:
    """Old links stay right when the inputs key is unchanged and every event delivery linked before is still
    loaded with the same content. A corrected resend (same delivery, new checksum) can change or drop any of its
    records, so it relinks everything, as a changed snapshot does."""
    if key is None or not all(
        _table_exists(con, t)
        for t in ("linked.link_state", "linked.linked_deliveries", "linked.known_people", "ledger.event_deliveries")
    ):
        return False
    stored = con.execute("select inputs_key from linked.link_state").fetchone()
    if stored is None or stored[0] != key:
        return False
    changed = con.execute(
        """
        select count(*)
        from linked.linked_deliveries as linked
        left join ledger.event_deliveries as loaded
            on loaded.source = linked.source and loaded.delivery_id = linked.delivery_id
        where loaded.checksum is distinct from linked.checksum
        """
    ).fetchall()[0][0]
    return changed == 0


def _remember(con: duckdb.DuckDBPyConnection, incremental: bool, key: str | None) -> None:
    """The inputs the links were made with, and the event deliveries (with their checksums) now linked: after
    this stage every loaded event delivery is, since tonight's delta was every row of the others."""
    con.execute("create or replace table linked.link_state (inputs_key varchar, incremental boolean)")
    con.execute("insert into linked.link_state values (?, ?)", [key, incremental])
    con.execute("create or replace table linked.linked_deliveries (source varchar, delivery_id varchar, checksum varchar)")
    if _table_exists(con, "ledger.event_deliveries"):
        con.execute(
            f"""
            insert into linked.linked_deliveries
            select source, delivery_id, checksum
            from ledger.event_deliveries
            where source in {EVENT_SOURCES}
            order by source, delivery_id
            """
        )
    con.execute("comment on table linked.linked_deliveries is 'The event deliveries (and their checksums) whose records are all linked: the next night links only the records of other deliveries'")
    con.execute("comment on table linked.link_state is 'What the links were computed from (snapshot checksums, matching policy, code version)'")


def _cleanup(con: duckdb.DuckDBPyConnection) -> None:
    for name in (
        "_match_records", "_match_members", "_match_id_hits", "_match_name_tf", "_match_place_share",
        "_match_fuzzy_records", "_match_address_places", "_match_fuzzy_located", "_match_profiles",
        "_match_member_keys", "_match_profile_keys", "_match_candidates", "_match_decisions", "_match_all",
        "_match_new_people", "_match_namesakes", "_match_scored",
    ):
        con.execute(f"drop table if exists {name}")


def link_records(con: duckdb.DuckDBPyConnection, run) -> LinkStats:
    """(Re)create linked.links and linked.link_review from the staged tables; return counts."""
    started = time.perf_counter()
    cfg = settings_from_run(run)
    stats = LinkStats()
    key = _inputs_key(con, cfg)
    incremental = _can_link_incrementally(con, key) and not getattr(run, "full_recompute", False)
    stats.incremental = incremental
    con.execute("create schema if not exists linked")  # also linked alone: tests and benchmarks on bare connections
    try:
        present_sources = _collect_records(con, delta_only=incremental)
        _prepare_members(con)
        _known_people(con, incremental)
        _id_path(con)
        _term_frequencies(con, cfg)
        stats.fuzzy_profiles = _fuzzy_profiles(con)
        stats.candidate_pairs = blocking.build_candidates(con, list(cfg["blocking_keys"]), int(cfg["max_block_size"]))
        _score_in_chunks(con)
        stats.auto_accept_weight = _decide(con, cfg)
        _write(con, incremental)
        _remember(con, incremental, key)
        comment_linked_tables(con)  # its tables were just (re)created, which drops comments
        for source, n in con.execute("select source, count(*) from _match_records group by source").fetchall():
            stats.records[source] = n
        for source in present_sources:
            stats.records.setdefault(source, 0)
        for source, method, n in con.execute(
            "select source, method, count(*) from linked.links group by source, method order by source, method"
        ).fetchall():
            stats.links.setdefault(source, {})[method] = n
        for source, reason, n in con.execute(
            "select source, reason, count(distinct record_key) from linked.link_review "
            "group by source, reason order by source, reason"
        ).fetchall():
            stats.review.setdefault(source, {})[reason] = n
    finally:
        _cleanup(con)
    stats.seconds = round(time.perf_counter() - started, 3)
    log.info(
        "linking done: %d links, %d fuzzy profiles, %d candidate pairs, auto-accept at %.1f bits, %.1fs; "
        "links per source/method %s; review %s",
        stats.total_links, stats.fuzzy_profiles, stats.candidate_pairs, stats.auto_accept_weight,
        stats.seconds, stats.links, stats.review,
    )
    return stats
