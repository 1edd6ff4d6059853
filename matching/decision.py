"""Decide each fuzzy profile: auto-accept, review band, or ambiguous (never a guess between near-equal
members, nor between a member and a namesake the registers know outside the households)."""

from __future__ import annotations

import math

import duckdb

from matching.temp_tables import DECISIONS, MEMBERS, NAMESAKES, SCORED


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
        join {MEMBERS} as members on members.id_norm = contenders.m_id
        left join {NAMESAKES} as namesakes on namesakes.name_cmp = members.name_cmp
        """,
        {
            "floor": float(cfg["review_floor_weight"]),
            "margin": float(cfg["ambiguity_margin"]),
            "auto": auto,
        },
    )
    return auto
