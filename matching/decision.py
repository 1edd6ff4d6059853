"""Decide each fuzzy profile: auto-accept, review band, or ambiguous (never a guess between near-equal
members, nor between a member and a namesake the registers know outside the households who could be the
record's person).

A candidate is linked when its weight reaches the policy's `auto_accept_weight` and is `auto_accept_prior_margin`
bits (7: odds of 128 to 1) above the weight of every other member who could be the record's person, taken
together (`OTHERS_WEIGHT_SQL`, below). Those are the record's other candidates, each with the weight it scored;
the members who bear the record's very name but were not compared with it (another township; a block too large
to compare), each weighed as the comparisons would weigh them (the name's exact weight, and the address level
their place and the record's give), unless a reviewer rejected them for this record; and all other members, each
at the likelihood ratio expected of a member whose name is not the record's: 1 - m of `exact_norm`, 0.12, since
over pairs of different people every comparison's ratio averages the sum of its m probabilities, 1. And the
people the registers know outside the households (`NAMESAKES`) who bear the record's very name, each weighed as
the comparisons would weigh them: their valid ID against the record's digits (1 when the record carries none),
the name's exact weight, and the address level of the home of theirs nearest the record (1 when none is known).
A record whose ID fails its check character and is one edit from a member's is a member's mistyped ID only if it
is not as near the valid ID of someone else of its name: since MATCHING_VERSION 7 a non-member of the name one
edit away weighs as much as the candidate, and the record goes to review. Since MATCHING_VERSION 8 they are
weighed for a name-only record too: a non-member whose every known home is elsewhere does not make it ambiguous
(below), but may still be its person (a home is often known only from a property they hold or co-own, and people
hold property away from where they live), exactly as a member of the name in another township may be. On the
1M city two name-only housing records of such non-members were linked to a member of the name in the record's
village at 24.5 bits against a floor of 23.9 that weighed members only.

Until MATCHING_VERSION 6 the bar was log2(members) + 7: every other member at that average of 1, as if none had
been looked at. So a name-and-address record whose name no other member bears, with its one candidate in the
record's village, was weighed against the whole register (16.6 bits at 100,000 members) where the blocking had
compared every member of its name in its township and the register knows no other: it is now weighed against
0.12 x members (13.6 bits), and links at 20.6 bits instead of 23.6.

A namesake (`matching.namesakes`) could be the person of a name-and-address record unless what the registers
know rules them out: every home known of them lies elsewhere (another township, or another village of the
record's township), or the record carries a birth date and theirs differs. A namesake whose home is unknown,
or one of whose homes is where the record is (or cannot be told apart from it: the record's address names no
township, or one of the two names no village), still makes the record ambiguous."""

from __future__ import annotations

import duckdb

from matching.comparisons import ADDRESS_LEVELS, ID_LEVELS, NAME_LEVELS
from matching.temp_tables import DECISIONS, MEMBERS, NAME_TF, NAMESAKES, PLACE_SHARE, PROFILES, REJECTED_PAIRS, SCORED


# The m probabilities of the name comparison (matching.comparisons): a member who bears the record's very name
# weighs log2(m_exact / u_name); one who does not is expected to weigh the sum of the other levels' m.
NAME_M_EXACT = NAME_LEVELS[0].m
NAME_M_OTHER = sum(level.m for level in NAME_LEVELS[1:])

# The summed likelihood ratio (2 ** weight) of everyone but the contender who could be the record's person, per
# contender: the profile's other candidates, the members of the record's name it was not compared with, and
# every remaining member at the expected ratio of a member whose name differs (see the module docstring).
OTHERS_WEIGHT_SQL = """
    (candidates.lr_sum - pow(2, contenders.score))
    + coalesce(outside.lr_sum, 0)
    + coalesce(strangers.lr_sum, 0)
    + greatest($members - candidates.n_candidates - coalesce(outside.n_same_name, 0), 0) * $m_other
"""

# The ID comparison's likelihood ratio (m / u) of a profile's ID digits and a known person's valid ID, levelled
# as `matching.comparisons.classify_id` levels them (Damerau–Levenshtein, a transposition where Levenshtein
# counts 2); the birth comparison adds nothing beside an ID (its digits carry the birth date).
ID_RATIO_SQL = """
    case
        when id_dl is null then 1.0
        when id_dl = 0 then $id_exact
        when id_dl = 1 and id_lev = 2 then $id_transposition
        when id_dl = 1 then $id_one_edit
        when id_dl = 2 then $id_two_edits
        else $id_different
    end
"""

# The address comparison's likelihood ratio (m / u) for a profile (`profiles`) and a member (`named`) with the
# shares of the member's place (`places`), as `matching.comparisons.classify_address` levels it.
ADDRESS_RATIO_SQL = """
    case
        when profiles.township is null then 1.0
        when named.township = profiles.township and named.village = profiles.village
            then $m_village / coalesce(places.u_village, 1e-3)
        when named.township = profiles.township then $m_township / coalesce(places.u_township, 0.05)
        else $m_elsewhere / $u_elsewhere
    end
"""


def decide(con: duckdb.DuckDBPyConnection, cfg: dict) -> float:
    """`DECISIONS`: the contending candidates of each profile, the weight each needed to be linked
    (`auto_accept`) and what becomes of them; returns the highest such weight of a sole contender (for the run's
    log: the strictest bar a record met or missed)."""
    members = con.execute(f"select count(*) from {MEMBERS}").fetchall()[0][0]
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

        -- Every member compared with the profile, and their likelihood ratios summed.
        candidates as (
            select profile_id, count(*) as n_candidates, sum(pow(2, score)) as lr_sum
            from {SCORED}
            group by profile_id
        ),

        -- The members who bear the profile's very name, by place, each weighed as the comparisons would weigh
        -- them: the name's exact weight and the address level the profile's place and theirs give.
        same_name as (
            select
                profiles.profile_id,
                named.member_rid,
                ($m_exact / coalesce(name_tf.u, 1e-6)) * ({ADDRESS_RATIO_SQL}) as lr
            from {PROFILES} as profiles
            join {MEMBERS} as named on named.name_cmp = profiles.name_cmp
            left join {NAME_TF} as name_tf on name_tf.name_cmp = profiles.name_cmp
            left join {PLACE_SHARE} as places
                on places.township is not distinct from named.township
                and places.village is not distinct from named.village
            where profiles.name_cmp <> ''
              and profiles.profile_id in (select profile_id from contenders)
        ),

        -- The members compared with the profile, or ruled out for it by a reviewer.
        seen as (
            select scored.profile_id, members.member_rid
            from {SCORED} as scored
            join {MEMBERS} as members
                on members.id_norm = scored.m_id and members.household_id = scored.household_id
            union
            select profile_id, member_rid
            from {REJECTED_PAIRS}
        ),

        -- Those of the profile's name who were neither compared with it nor ruled out.
        outside as (
            select
                same_name.profile_id,
                count(*) as n_same_name,
                sum(same_name.lr) as lr_sum
            from same_name
            anti join seen
                on seen.profile_id = same_name.profile_id and seen.member_rid = same_name.member_rid
            group by same_name.profile_id
        ),

        -- The people the registers know outside the households (`NAMESAKES`, one row per home) who bear the
        -- profile's name, each weighed as the comparisons would weigh them: the ID level of their valid ID
        -- against the record's digits (neutral when it carries none), the name's exact weight, and the address
        -- level of the home of theirs that could be nearest the record (1, no evidence either way, when no home
        -- of theirs is known). A mistyped ID one edit from theirs is as likely to be theirs as a member's; a
        -- name-only record in another village may be about a property of theirs. Only for a contender that
        -- reaches the policy's weight: one below it is in review whatever the others weigh.
        stranger_ids as (
            select
                profiles.profile_id,
                profiles.name_cmp,
                named.id_norm,
                damerau_levenshtein(profiles.id_cmp, named.id_norm) as id_dl,
                levenshtein(profiles.id_cmp, named.id_norm) as id_lev,
                max(case when named.township is not null then {ADDRESS_RATIO_SQL} end) as address_lr
            from {PROFILES} as profiles
            join {NAMESAKES} as named on named.name_cmp = profiles.name_cmp
            left join {PLACE_SHARE} as places
                on places.township is not distinct from named.township
                and places.village is not distinct from named.village
            where profiles.name_cmp <> ''
              and profiles.profile_id in (select profile_id from contenders where score >= $auto)
            group by profiles.profile_id, profiles.name_cmp, profiles.id_cmp, named.id_norm
        ),

        strangers as (
            select
                stranger_ids.profile_id,
                sum(
                    ({ID_RATIO_SQL})
                    * ($m_exact / coalesce(name_tf.u, 1e-6))
                    * coalesce(stranger_ids.address_lr, 1.0)
                ) as lr_sum
            from stranger_ids
            left join {NAME_TF} as name_tf on name_tf.name_cmp = stranger_ids.name_cmp
            group by stranger_ids.profile_id
        ),

        floors as (
            select
                contenders.profile_id,
                contenders.m_id,
                contenders.household_id,
                round(greatest(
                    $auto,
                    log2(greatest({OTHERS_WEIGHT_SQL}, 1.0)) + $prior_margin
                ), 4) as auto_accept
            from contenders
            join candidates on candidates.profile_id = contenders.profile_id
            left join outside on outside.profile_id = contenders.profile_id
            left join strangers on strangers.profile_id = contenders.profile_id
        ),

        -- The name-only contenders, with the name of their member and the record's birth date and place.
        name_only as (
            select distinct
                contenders.profile_id,
                contenders.m_id,
                members.name_cmp,
                profiles.birth,
                profiles.township,
                profiles.village
            from contenders
            join {PROFILES} as profiles on profiles.profile_id = contenders.profile_id
            join {MEMBERS} as members on members.id_norm = contenders.m_id
            where contenders.id_level = 'missing'
        ),

        -- Each namesake once (their birth date is the one their ID carries), with whether any home is known.
        namesake_people as (
            select name_cmp, id_norm, birth, bool_or(township is not null) as home_known
            from {NAMESAKES}
            group by name_cmp, id_norm, birth
        ),

        -- A name-only contender is contended when a namesake of its member, not ruled out by the record's birth
        -- date, has no known home or a home that could be where the record is. Asked as semi joins (does one
        -- exist?), never by pairing each contender with each namesake: a common name has thousands, and on a
        -- city of 5 million residents that pairing spilled more than 20 GB.
        namesake_contended as (
            -- a namesake of whom no home is known
            select name_only.profile_id, name_only.m_id
            from name_only
            semi join namesake_people as people
                on people.name_cmp = name_only.name_cmp
                and not people.home_known
                and not coalesce(people.birth <> name_only.birth, false)
            union
            -- a record without a place: any namesake with a known home may live where it is
            select name_only.profile_id, name_only.m_id
            from name_only
            semi join {NAMESAKES} as namesakes
                on namesakes.name_cmp = name_only.name_cmp
                and namesakes.township is not null
                and not coalesce(namesakes.birth <> name_only.birth, false)
            where name_only.township is null
            union
            -- a namesake with a home in the record's township, in its village or where either village is unknown
            select name_only.profile_id, name_only.m_id
            from name_only
            semi join {NAMESAKES} as namesakes
                on namesakes.name_cmp = name_only.name_cmp
                and namesakes.township = name_only.township
                and (namesakes.village is null or name_only.village is null or namesakes.village = name_only.village)
                and not coalesce(namesakes.birth <> name_only.birth, false)
        )

        select
            contenders.*,
            floors.auto_accept,
            case
                when per_profile.n_contenders > 1 then 'ambiguous'
                -- Name and address only, and the registers know someone else by this name who may live where
                -- the record is: the record may be theirs. Never a guess: a person decides.
                when namesake_contended.profile_id is not null then 'ambiguous'
                when contenders.score >= floors.auto_accept then 'link'
                else 'review_band'
            end as decision
        from contenders
        join per_profile on per_profile.profile_id = contenders.profile_id
        join floors
            on floors.profile_id = contenders.profile_id
            and floors.m_id = contenders.m_id
            and floors.household_id is not distinct from contenders.household_id
        left join namesake_contended
            on namesake_contended.profile_id = contenders.profile_id
            and namesake_contended.m_id = contenders.m_id
        """,
        {
            "floor": float(cfg["review_floor_weight"]),
            "margin": float(cfg["ambiguity_margin"]),
            "auto": float(cfg["auto_accept_weight"]),
            "prior_margin": float(cfg["auto_accept_prior_margin"]),
            "members": members,
            "m_exact": NAME_M_EXACT,
            "m_other": NAME_M_OTHER,
            "m_village": ADDRESS_LEVELS[0].m,
            "m_township": ADDRESS_LEVELS[1].m,
            "m_elsewhere": ADDRESS_LEVELS[2].m,
            "u_elsewhere": ADDRESS_LEVELS[2].u,
            **{f"id_{level.name}": level.m / level.u for level in ID_LEVELS if not level.neutral},
        },
    )
    strictest = con.execute(
        f"""
        select max(decisions.auto_accept)
        from {DECISIONS} as decisions
        where decisions.decision in ('link', 'review_band')
        """
    ).fetchone()[0]
    return float(strictest) if strictest is not None else float(cfg["auto_accept_weight"])
