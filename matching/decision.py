"""Decide each fuzzy profile: auto-accept, review band, or ambiguous (never a guess between near-equal
members, nor between a member and a namesake the registers know outside the households who could be the
record's person).

A namesake (`matching.namesakes`) could be the person of a name-and-address record unless what the registers
know rules them out: every home known of them lies elsewhere (another township, or another village of the
record's township), or the record carries a birth date and theirs differs. A namesake whose home is unknown,
or one of whose homes is where the record is (or cannot be told apart from it: the record's address names no
township, or one of the two names no village), still makes the record ambiguous."""

from __future__ import annotations

import math

import duckdb

from matching.temp_tables import DECISIONS, MEMBERS, NAMESAKES, PROFILES, SCORED


def auto_accept_weight(cfg: dict, members: int) -> float:
    """The weight a fuzzy candidate needs to be linked without review: the policy's auto_accept_weight, raised
    to log2(members) + auto_accept_prior_margin in a register large enough for a lower weight to leave real
    doubt (see matching.settings)."""
    floor_from_prior = math.log2(max(members, 1)) + float(cfg["auto_accept_prior_margin"])
    return round(max(float(cfg["auto_accept_weight"]), floor_from_prior), 4)


def decide(con: duckdb.DuckDBPyConnection, cfg: dict) -> float:
    """`DECISIONS`: the contending candidates of each profile and what becomes of them; returns the
    auto-accept weight used."""
    members = con.execute(f"select count(*) from {MEMBERS}").fetchall()[0][0]
    auto = auto_accept_weight(cfg, members)
    con.execute(
        f"""
        create or replace temp table {DECISIONS} as
        with ranked as (
            select
                *,
                max(score) over (partition by profile_id) as best
            from {SCORED}
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
        ),

        -- Each namesake of a name-only contender's member, unless the record's birth date rules them out,
        -- with whether any home is known of them and whether one could be where the record is.
        namesake_homes as (
            select
                contenders.profile_id,
                contenders.m_id,
                namesakes.id_norm,
                bool_or(namesakes.township is not null) as home_known,
                bool_or(
                    namesakes.township is not null
                    and (profiles.township is null
                         or (namesakes.township = profiles.township
                             and (namesakes.village is null
                                  or profiles.village is null
                                  or namesakes.village = profiles.village)))
                ) as home_may_be_here
            from contenders
            join {PROFILES} as profiles on profiles.profile_id = contenders.profile_id
            join {MEMBERS} as members on members.id_norm = contenders.m_id
            join {NAMESAKES} as namesakes on namesakes.name_cmp = members.name_cmp
            where contenders.id_level = 'missing'
              and not coalesce(namesakes.birth <> profiles.birth, false)
            group by contenders.profile_id, contenders.m_id, namesakes.id_norm
        ),

        namesake_contended as (
            select distinct profile_id, m_id
            from namesake_homes
            where not home_known or home_may_be_here
        )

        select
            contenders.*,
            case
                when per_profile.n_contenders > 1 then 'ambiguous'
                -- Name and address only, and the registers know someone else by this name who may live where
                -- the record is: the record may be theirs. Never a guess: a person decides.
                when namesake_contended.profile_id is not null then 'ambiguous'
                when contenders.score >= $auto then 'link'
                else 'review_band'
            end as decision
        from contenders
        join per_profile on per_profile.profile_id = contenders.profile_id
        left join namesake_contended
            on namesake_contended.profile_id = contenders.profile_id
            and namesake_contended.m_id = contenders.m_id
        """,
        {
            "floor": float(cfg["review_floor_weight"]),
            "margin": float(cfg["ambiguity_margin"]),
            "auto": auto,
        },
    )
    return auto
