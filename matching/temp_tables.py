"""The temporary tables of one linking stage, each named once with what it holds.

Every module of `matching` that creates or reads one of these tables takes its name from here, and
`drop_all` removes every one of them when the stage ends, whether it succeeded or not: a table added here is
dropped with the others, and a table not registered here has no name to be created under.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class TempTable:
    name: str
    holds: str

    def __str__(self) -> str:
        return self.name


REGISTRY: dict[str, TempTable] = {}


def _register(name: str, holds: str) -> TempTable:
    table = TempTable(name, holds)
    REGISTRY[name] = table
    return table


# Records and members, in comparison shape (matching.records)
RECORDS = _register("_match_records", "the person-bearing records linked tonight, with their comparison fields")
MEMBERS = _register("_match_members", "every household member with an ID, with comparison fields and place")

# Who else the registers know (matching.namesakes)
KNOWN_PLACES = _register("_match_known_places", "the township and village each address of a record with a valid ID names")
NEW_PEOPLE = _register("_match_new_people", "incremental nights: (name, ID, birth, home) facts no register held before tonight")
REDECIDED = _register("_match_redecided", "incremental nights: records linked or in review to a member whose name gained a fact")
NAMESAKES = _register("_match_namesakes", "the known people who are not members: name, ID, birth and each known home")

# The ID path (matching.id_path)
ID_HITS = _register("_match_id_hits", "records whose valid ID equals a member's, one row per such member")

# Term frequencies (matching.frequencies)
NAME_TF = _register("_match_name_tf", "each comparison name's smoothed frequency among the people known")
PLACE_SHARE = _register("_match_place_share", "each village's and township's smoothed share of the members")

# Fuzzy profiles (matching.profiles, matching.addresses)
FUZZY_RECORDS = _register("_match_fuzzy_records", "records without a valid ID, to be linked by the fuzzy path")
ADDRESS_PLACES = _register("_match_address_places", "the township and village each distinct address names")
FUZZY_LOCATED = _register("_match_fuzzy_located", "the fuzzy records with the township and village found")
PROFILES = _register("_match_profiles", "distinct (name, ID digits, township, village) of the fuzzy records")

# Blocking (matching.blocking: the keys are CTEs of its one query)
CANDIDATES = _register("_match_candidates", "the (profile, member) pairs that share a blocking key")

# Scoring and decision (matching.scoring, matching.decision)
SCORED = _register("_match_scored", "every candidate pair with its comparison levels and weights")
DECISIONS = _register("_match_decisions", "the contending pairs of each profile: link, review band or ambiguous")

# The reviewers' decisions (matching.review_decisions)
REVIEW_DECIDED = _register("_match_review_decided", "the review decisions of tonight's records, matched by fingerprint")
REVIEW_SPLIT = _register("_match_review_split", "records with a rejected pair: each folded into a profile of its own")
REJECTED_PAIRS = _register("_match_rejected_pairs", "the (profile, member) pairs a reviewer rejected, removed from the candidates")
REVIEW_ACCEPTED = _register("_match_review_accepted", "the accepted pairs linked tonight (member still registered)")
REVIEW_LINK_ROWS = _register("_match_review_rows", "the outcome rows of the accepted pairs, method review")
REVIEW_QUEUE = _register("_match_review_queue", "the records in review after tonight, with fingerprint and age")

# Writing (matching.writing)
ALL_OUTCOMES = _register("_match_all", "every decided row of both paths, before it goes to links or review")


def drop_all(con: duckdb.DuckDBPyConnection) -> None:
    """Drop every registered temporary table that exists."""
    for table in REGISTRY.values():
        con.execute(f"drop table if exists {table}")
