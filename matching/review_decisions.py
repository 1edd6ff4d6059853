"""The linkage staff's review decisions, applied on every night's linking while the record is unchanged.

A decision (`linked.review_decisions`, written by `hedui review import`) is about one department record and one
candidate member: 同一人 (`same`), 不是同一人 (`different`) or 无法判断 (`undecided`). It is keyed by the record's
source and the fingerprint of its linking fields as the matcher reads them (the comparison name, the cleaned ID,
the address; birth date, township and village are read from those), never by delivery or row: a corrected
resend, a full relink or a new MATCHING_VERSION meets the same decision; a record whose linking fields changed
has another fingerprint and is asked again.

How the stage uses them (`matching.link`):
- `match_decisions`: the decisions of tonight's records (`REVIEW_DECIDED`); records with a rejection get a
  profile of their own (`REVIEW_SPLIT`, read by `matching.profiles`), so a rejection never reaches a record that
  merely shares their name and village.
- `drop_rejected_id_hits` and `drop_rejected_candidates`: a rejected pair is removed from the candidates before
  anything is decided; what remains is decided as if that member had never been a candidate.
- `apply_accepted` (called by `matching.writing` before it writes): an accepted pair is linked, method `review`,
  in place of whatever the matcher decided for that record, as long as the member is still in the register.
- `record_review_links` and `update_queue`: who confirmed each review link (the warnings' evidence says so),
  the queue of records still in review with the night each first entered it, and the queue's health per night.

Decisions change the links of old records, so they are part of the linking inputs (`matching.incremental.inputs_key`):
a night after an import relinks every record, and later incremental nights agree with a full recomputation.
"""

from __future__ import annotations


import duckdb

from matching.incremental import REVIEW_DECISIONS_TABLE
from matching.sources import table_exists
from matching.temp_tables import (
    ALL_OUTCOMES,
    CANDIDATES,
    FUZZY_LOCATED,
    ID_HITS,
    MEMBERS,
    PROFILES,
    RECORDS,
    REVIEW_ACCEPTED,
    REVIEW_DECIDED,
    REVIEW_LINK_ROWS,
    REVIEW_QUEUE,
    REJECTED_PAIRS,
    REVIEW_SPLIT,
)

REVIEW_METHOD = "review"

# The fingerprint of a record's linking fields, over the columns of `RECORDS` (or a `record_select`): what the
# matcher compares. Birth date comes from the ID, township and village from the address.
FINGERPRINT_SQL = "sha256(to_json([{alias}source, {alias}name_cmp, {alias}id_cmp, {alias}address])::varchar)"


def fingerprint_sql(alias: str = "") -> str:
    """The fingerprint expression over a relation with the columns of `RECORDS` (`alias` like 'records.')."""
    return FINGERPRINT_SQL.format(alias=alias)


def match_decisions(con: duckdb.DuckDBPyConnection) -> int:
    """`REVIEW_DECIDED`: the decisions whose record is among tonight's, by fingerprint; `REVIEW_SPLIT`: the
    records with a rejection, which the fuzzy path folds into a profile of their own. Returns how many."""
    # every record is fingerprinted only when there is a decision to meet (a few seconds per million records)
    if table_exists(con, REVIEW_DECISIONS_TABLE) and con.execute(f"select exists (from {REVIEW_DECISIONS_TABLE})").fetchone()[0]:
        con.execute(
            f"""
            create or replace temp table {REVIEW_DECIDED} as
            with fingerprinted as (
                select source, record_key, {fingerprint_sql()} as fingerprint
                from {RECORDS}
            )
            select
                fingerprinted.source,
                fingerprinted.record_key,
                fingerprinted.fingerprint,
                decisions.person_id,
                decisions.household_id,
                decisions.decision,
                decisions.reason,
                decisions.reviewer,
                decisions.decided_at
            from fingerprinted
            join {REVIEW_DECISIONS_TABLE} as decisions
                on decisions.source = fingerprinted.source
                and decisions.record_fingerprint = fingerprinted.fingerprint
            """
        )
    else:  # nobody has decided anything yet (or a bare connection: tests, benchmarks)
        con.execute(
            f"""
            create or replace temp table {REVIEW_DECIDED} (
                source varchar, record_key varchar, fingerprint varchar, person_id varchar, household_id varchar,
                decision varchar, reason varchar, reviewer varchar, decided_at timestamp)
            """
        )
    con.execute(
        f"""
        create or replace temp table {REVIEW_SPLIT} as
        select distinct source, record_key, fingerprint as review_key
        from {REVIEW_DECIDED}
        where decision = 'different'
        """
    )
    return con.execute(f"select count(*) from {REVIEW_DECIDED}").fetchone()[0]


def drop_rejected_id_hits(con: duckdb.DuckDBPyConnection) -> None:
    """The ID path without the rejected pairs: an ID shared by two households, one of them rejected, links to
    the other; `n_members` is counted again."""
    con.execute(
        f"""
        delete from {ID_HITS}
        where (source, record_key, person_id, household_id) in (
            select source, record_key, person_id, household_id
            from {REVIEW_DECIDED}
            where decision = 'different'
        )
        """
    )
    con.execute(
        f"""
        update {ID_HITS} as hits
        set n_members = counted.n_members
        from (
            select source, record_key, count(*) as n_members
            from {ID_HITS}
            group by source, record_key
        ) as counted
        where counted.source = hits.source
            and counted.record_key = hits.record_key
            and counted.n_members <> hits.n_members
        """
    )


def drop_rejected_candidates(con: duckdb.DuckDBPyConnection) -> int:
    """The fuzzy candidates without the rejected pairs (before scoring and deciding); `REJECTED_PAIRS` keeps them,
    so the decision knows those members were ruled out by a person. A record with a rejection has a profile of
    its own (`REVIEW_SPLIT`), so only its pairs go. Returns the pairs removed."""
    con.execute(
        f"""
        create or replace temp table {REJECTED_PAIRS} as
        select distinct profiles.profile_id, members.member_rid
        from {PROFILES} as profiles
        join {REVIEW_SPLIT} as split on split.review_key = profiles.review_key
        join {REVIEW_DECIDED} as decided
            on decided.source = split.source
            and decided.record_key = split.record_key
            and decided.decision = 'different'
        join {MEMBERS} as members
            on members.id_norm = decided.person_id
            and members.household_id = decided.household_id
        """
    )
    removed = con.execute(
        f"""
        delete from {CANDIDATES}
        where (profile_id, member_rid) in (select profile_id, member_rid from {REJECTED_PAIRS})
        """
    ).fetchone()
    return removed[0] if removed else 0


def apply_accepted(con: duckdb.DuckDBPyConnection) -> None:
    """`ALL_OUTCOMES` with every accepted pair linked (method `review`) in place of the matcher's outcome for that
    record, while the member is still in the register (else the record is decided as usual). The pair keeps its
    levels and weights when it was a candidate tonight. The latest 同一人 of a record wins."""
    con.execute(
        f"""
        create or replace temp table {REVIEW_ACCEPTED} as
        select decided.source, decided.record_key, decided.person_id, decided.household_id,
               decided.reviewer, decided.decided_at, decided.reason
        from {REVIEW_DECIDED} as decided
        where decided.decision = 'same'
            and exists (
                select 1 from {MEMBERS} as members
                where members.id_norm = decided.person_id and members.household_id = decided.household_id
            )
        qualify row_number() over (
            partition by decided.source, decided.record_key order by decided.decided_at desc, decided.person_id
        ) = 1
        """
    )
    con.execute(
        f"""
        create or replace temp table {REVIEW_LINK_ROWS} as
        select
            accepted.source,
            accepted.record_key,
            accepted.person_id,
            accepted.household_id,
            '{REVIEW_METHOD}' as method,
            outcomes.score,
            outcomes.id_level,
            outcomes.name_level,
            outcomes.birth_level,
            outcomes.address_level,
            outcomes.weights,
            'link' as decision
        from {REVIEW_ACCEPTED} as accepted
        left join {ALL_OUTCOMES} as outcomes
            on outcomes.source = accepted.source
            and outcomes.record_key = accepted.record_key
            and outcomes.person_id = accepted.person_id
            and outcomes.household_id = accepted.household_id
        """
    )
    con.execute(
        f"""
        delete from {ALL_OUTCOMES}
        where (source, record_key) in (select source, record_key from {REVIEW_ACCEPTED})
        """
    )
    con.execute(f"insert into {ALL_OUTCOMES} select * from {REVIEW_LINK_ROWS}")


def record_review_links(con: duckdb.DuckDBPyConnection, incremental: bool) -> None:
    """`linked.review_links`: who confirmed each link of method `review`, and when (a warehouse from before
    migration 0009, or a bare connection, has no such table: nothing to keep)."""
    if not table_exists(con, "linked.review_links"):
        return
    if incremental:
        con.execute(
            f"""
            delete from linked.review_links
            where (source, record_key) in (select source, record_key from {RECORDS})
            """
        )
    else:
        con.execute("delete from linked.review_links")
    con.execute(
        f"""
        insert into linked.review_links
        select source, record_key, person_id, household_id, reviewer, decided_at, reason
        from {REVIEW_ACCEPTED}
        order by source, record_key
        """
    )


def update_queue(con: duckdb.DuckDBPyConnection, run) -> None:
    """`linked.review_queue`: one row per record in `linked.link_review`, with the night it first entered the
    queue (kept across nights and relinks by source and fingerprint) and whether a reviewer marked it 无法判断;
    and `ledger.review_queue_nights`: the queue's health after this night.

    Tonight's records are fingerprinted afresh; on an incremental night the other records in review are the ones
    of the queue before (their fields did not change, or they would have been linked tonight)."""
    if not table_exists(con, "linked.review_queue"):
        return
    as_of = getattr(run, "as_of", None)
    con.execute(
        f"""
        create or replace temp table {REVIEW_QUEUE} as
        with items as (
            select source, record_key, min(reason) as reason, count(*) as candidates
            from linked.link_review
            group by source, record_key
        ),
        tonight as (
            select records.source, records.record_key, {fingerprint_sql('records.')} as fingerprint,
                   located.township, located.village
            from {RECORDS} as records
            semi join items on items.source = records.source and items.record_key = records.record_key
            left join {FUZZY_LOCATED} as located
                on located.source = records.source and located.record_key = records.record_key
        ),
        fields as (
            select
                items.*,
                coalesce(tonight.fingerprint, before.record_fingerprint) as record_fingerprint,
                case when tonight.record_key is not null then tonight.township else before.township end as township,
                case when tonight.record_key is not null then tonight.village else before.village end as village
            from items
            left join tonight on tonight.source = items.source and tonight.record_key = items.record_key
            left join linked.review_queue as before
                on before.source = items.source and before.record_key = items.record_key
        ),
        first_queued as (
            select source, record_fingerprint, min(first_queued_on) as first_queued_on
            from linked.review_queue
            group by source, record_fingerprint
        ),
        marked as (
            select distinct source, record_fingerprint
            from {REVIEW_DECISIONS_TABLE}
            where decision = 'undecided'
        )
        select
            fields.source,
            fields.record_key,
            fields.record_fingerprint,
            fields.reason,
            fields.candidates,
            fields.township,
            fields.village,
            coalesce(first_queued.first_queued_on, $as_of::date) as first_queued_on,
            case when marked.source is not null then 'undecided' end as decision,
            first_queued.source is null as is_new
        from fields
        left join first_queued
            on first_queued.source = fields.source and first_queued.record_fingerprint = fields.record_fingerprint
        left join marked
            on marked.source = fields.source and marked.record_fingerprint = fields.record_fingerprint
        """,
        {"as_of": as_of},
    )
    con.execute("delete from linked.review_queue")
    con.execute(
        f"""
        insert into linked.review_queue
        select source, record_key, record_fingerprint, reason, candidates, township, village, first_queued_on, decision
        from {REVIEW_QUEUE}
        order by source, record_key
        """
    )
    run_id = getattr(run, "run_id", None)
    if run_id is not None and as_of is not None and table_exists(con, "ledger.review_queue_nights"):
        con.execute("delete from ledger.review_queue_nights where run_id = ?", [run_id])
        con.execute(
            f"""
            insert into ledger.review_queue_nights
            select
                $run_id,
                $as_of,
                count(distinct (source, record_fingerprint)) filter (where decision is null),
                count(distinct (source, record_fingerprint)) filter (where is_new),
                count(distinct (source, record_fingerprint)) filter (where decision = 'undecided'),
                (select count(*) from linked.links where method = '{REVIEW_METHOD}'),
                (select count(*) from {REVIEW_DECISIONS_TABLE} where decision = 'different'),
                min(first_queued_on) filter (where decision is null)
            from {REVIEW_QUEUE}
            """,
            {"run_id": run_id, "as_of": as_of},
        )
