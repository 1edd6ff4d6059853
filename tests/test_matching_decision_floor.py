"""The auto-accept floor weighs a fuzzy candidate against the members who could be the record's person as the
linker saw them (`matching.decision`): in a register of 100,000 members, a name-and-address record whose name
no other member bears, with its one candidate in the record's village, links at 22.5 bits; the same record
goes to review when a member of its name whom the blocking did not compare lives in that village, or when a
namesake the registers know outside the households may live there.

Decided on hand-made stage tables, as `matching.decision` reads them, so that a register of 100,000 members
costs one `range()` instead of a generated city. The weights are those of a record in the 100k city that the
floor of log2(members) + 7 (23.6 bits) kept in review: 14.7 bits for a rare name, 7.8 for the village.
"""

from __future__ import annotations

import math

import duckdb
import pytest

from matching.comparisons import ID_LEVELS, NAME_LEVELS
from matching.decision import NAME_M_EXACT, NAME_M_OTHER, decide
from matching.settings import DEFAULTS
from matching.temp_tables import (
    DECISIONS,
    MEMBERS,
    NAME_TF,
    NAMESAKES,
    PLACE_SHARE,
    PROFILES,
    REJECTED_PAIRS,
    SCORED,
)

REGISTER = 100_000
TOWNSHIP, VILLAGE = "烟洲镇", "大坪村"
NAME_WEIGHT, VILLAGE_WEIGHT = 14.7, 7.8
NAME_U = NAME_M_EXACT / 2**NAME_WEIGHT  # the frequency that gives a rare name its 14.7 bits
VILLAGE_U = 0.6 / 2**VILLAGE_WEIGHT


def _stage(extra_members: list[tuple[str, str, str]] = (), namesakes: list[tuple[str, str | None, str | None]] = (),
           register: int = REGISTER):
    """A register of `register` members, none named 王建国 but the candidate (rid 1, in 大坪村), plus
    `extra_members` (name, township, village); one profile of 王建国 in 大坪村, scored against the candidate
    only, as the blocking left it; `namesakes` (name, township, village) are people the registers know outside
    the households."""
    con = duckdb.connect()
    con.execute(
        f"""
        create temp table {MEMBERS} as
        select 1 as member_rid, 'H1' as household_id, 'M1' as id_norm, '王建国' as name_cmp,
               '19620315' as birth, '{TOWNSHIP}' as township, '{VILLAGE}' as village
        union all
        select i, 'H' || i, 'M' || i, '成员' || i, '19800101', '镇' || (i % 20), '村' || (i % 400)
        from range(2, $n + 1) as r(i)
        """,
        {"n": register - len(extra_members)},
    )
    for offset, (name, township, village) in enumerate(extra_members):
        rid = register - offset + 1
        con.execute(
            f"insert into {MEMBERS} values (?, ?, ?, ?, '19700101', ?, ?)",
            [rid, f"H{rid}", f"M{rid}", name, township, village],
        )
    con.execute(
        f"create temp table {PROFILES} as select 1 as profile_id, '王建国' as name_cmp, null::varchar as id_cmp, "
        f"null::varchar as birth, '{TOWNSHIP}'::varchar as township, '{VILLAGE}'::varchar as village"
    )
    con.execute(
        f"""
        create temp table {SCORED} as
        select 1 as profile_id, 'M1' as m_id, 'H1' as household_id, $score as score, 'missing' as id_level,
               'exact_norm' as name_level, 'missing' as birth_level, 'village' as address_level,
               0.0::double as id_weight, $name_w::double as name_weight, 0.0::double as birth_weight,
               $village_w::double as address_weight
        """,
        {"score": NAME_WEIGHT + VILLAGE_WEIGHT, "name_w": NAME_WEIGHT, "village_w": VILLAGE_WEIGHT},
    )
    con.execute(f"create temp table {NAME_TF} as select '王建国' as name_cmp, $u as u", {"u": NAME_U})
    con.execute(
        f"""
        create temp table {PLACE_SHARE} as
        select '{TOWNSHIP}' as township, '{VILLAGE}' as village, $u as u_village, 0.05 as u_township
        union all
        select '外镇', '外村', 0.0025, 0.05
        """,
        {"u": VILLAGE_U},
    )
    con.execute(f"create temp table {REJECTED_PAIRS} (profile_id bigint, member_rid bigint)")
    con.execute(f"create temp table {NAMESAKES} (name_cmp varchar, id_norm varchar, birth varchar, "
                "township varchar, village varchar)")
    for n, (name, township, village) in enumerate(namesakes):
        con.execute(f"insert into {NAMESAKES} values (?, ?, null, ?, ?)", [name, f"S{n}", township, village])
    return con


def _decision(con) -> tuple[str, float]:
    decide(con, DEFAULTS)
    return con.execute(f"select decision, auto_accept from {DECISIONS}").fetchone()


def test_in_a_small_register_the_policy_weight_is_the_floor():
    """5,000 members: the others weigh 0.12 x 5,000 (9.2 bits), so 16.2 bits would give odds of 128 to 1; the
    policy's 20 bits is the stricter."""
    assert _decision(_stage(register=5_000)) == ("link", 20.0)


def test_a_unique_name_single_candidate_in_its_village_links_in_a_large_register():
    """Every other member's name differs: each is expected to weigh 0.12 (the m of the other name levels), so
    the candidate is weighed against 0.12 x 100,000 members (13.6 bits), not 100,000 (16.6 bits): the
    floor is 20.6 bits, and 22.5 clears it (log2(members) + 7 asked for 23.6)."""
    decision, floor = _decision(_stage())
    assert NAME_M_OTHER == pytest.approx(0.12)
    assert floor == pytest.approx(math.log2((REGISTER - 1) * NAME_M_OTHER) + 7, abs=1e-3)
    assert 2 ** floor / ((REGISTER - 1) * NAME_M_OTHER) == pytest.approx(128, rel=1e-3)  # posterior odds
    assert decision == "link"
    assert NAME_WEIGHT + VILLAGE_WEIGHT < math.log2(REGISTER) + 7  # the old floor kept it in review


def test_a_member_of_the_same_name_in_another_township_weighs_as_the_address_says():
    """A 王建国 in another township, not compared (the blocking keys the name with the township): their name
    weighs 14.7 bits but their address names another township (-1.85 bits), so together the others weigh
    14.3 bits and the floor is 21.3: the record still links."""
    decision, floor = _decision(_stage(extra_members=[("王建国", "外镇", "外村")]))
    others = (REGISTER - 2) * NAME_M_OTHER + 2**NAME_WEIGHT * 0.25 / 0.9
    assert floor == pytest.approx(math.log2(others) + 7, abs=1e-3)
    assert decision == "link"


def test_an_uncompared_member_of_the_same_name_in_the_village_sends_the_record_to_review():
    """A second 王建国 in 大坪村 whom the blocking did not compare (a block too large to compare): they
    would score as the candidate does, so the floor rises above the candidate's weight."""
    decision, floor = _decision(_stage(extra_members=[("王建国", TOWNSHIP, VILLAGE)]))
    assert floor > NAME_WEIGHT + VILLAGE_WEIGHT + 6
    assert decision == "review_band"


def test_a_rejected_member_of_the_same_name_no_longer_counts_against_the_candidate():
    """The same uncompared 王建国 of 大坪村, rejected for this record by a reviewer: the candidate links."""
    con = _stage(extra_members=[("王建国", TOWNSHIP, VILLAGE)])
    con.execute(f"insert into {REJECTED_PAIRS} values (1, {REGISTER + 1})")
    assert _decision(con)[0] == "link"


def test_a_namesake_with_an_unknown_home_still_makes_the_record_ambiguous():
    """The floor does not replace the namesake rule: a non-member 王建国 whose home is unknown could be the
    record's person, so the record that would now link goes to review as ambiguous."""
    assert _decision(_stage(namesakes=[("王建国", None, None)]))[0] == "ambiguous"
    assert _decision(_stage(namesakes=[("王建国", "外镇", "外村")]))[0] == "link"  # known to live elsewhere


# ---- a record with ID digits: the known non-members of its name, weighed on their valid ID -------------------
#
# The 100k city's vehicle record that was wrongly linked: its ID fails the check character and is one edit from
# the candidate member's, whose name is one character off (19.6 + 4.3 = 23.9 bits, over the 20.6-bit floor). The
# registers also knew a non-member of the record's very name whose valid ID is one edit from its digits.

RECORD_ID = "430482202501040496"  # fails its check character
MEMBER_ONE_EDIT = "430482202501040476"
ID_ONE_EDIT = ID_LEVELS[1].m / ID_LEVELS[1].u
ID_DIFFERENT = ID_LEVELS[4].m / ID_LEVELS[4].u
NAME_ONE_CHAR = NAME_LEVELS[2].m / NAME_LEVELS[2].u


def _stage_with_id(strangers: list[tuple[str, str]]):
    """The register of `_stage`; the profile carries RECORD_ID and no address, its candidate scored one edit
    and one character off; `strangers` (name, valid ID) are non-members the registers know, home unknown."""
    con = _stage()
    con.execute(f"update {PROFILES} set id_cmp = ?, birth = '20250104', township = null, village = null",
                [RECORD_ID])
    score = math.log2(ID_ONE_EDIT) + math.log2(NAME_ONE_CHAR)
    con.execute(
        f"""
        update {SCORED} set m_id = ?, score = ?, id_level = 'one_edit', name_level = 'one_char',
            address_level = 'missing', id_weight = ?, name_weight = ?, address_weight = 0.0
        """,
        [MEMBER_ONE_EDIT, score, math.log2(ID_ONE_EDIT), math.log2(NAME_ONE_CHAR)],
    )
    con.execute(f"update {MEMBERS} set id_norm = ?, name_cmp = '王建军' where member_rid = 1", [MEMBER_ONE_EDIT])
    for name, valid_id in strangers:
        con.execute(f"insert into {NAMESAKES} values (?, ?, null, null, null)", [name, valid_id])
    return con


def test_a_mistyped_id_one_edit_from_a_member_links_when_no_known_person_of_its_name_is_near():
    decision, floor = _decision(_stage_with_id([]))
    assert floor == pytest.approx(math.log2((REGISTER - 1) * NAME_M_OTHER) + 7, abs=1e-3)
    assert decision == "link"


def test_a_non_member_of_the_records_name_one_edit_from_its_id_sends_it_to_review():
    """The non-member weighs what a member would: one edit (19.6 bits) and the record's very name (14.7 bits),
    34.3 bits, more than the candidate's 23.9. The record's ID is likelier theirs: it goes to review."""
    decision, floor = _decision(_stage_with_id([("王建国", "430482202501040396")]))
    others = (REGISTER - 1) * NAME_M_OTHER + ID_ONE_EDIT * 2**NAME_WEIGHT
    assert floor == pytest.approx(math.log2(others) + 7, abs=1e-3)
    assert decision == "review_band"


def test_a_non_member_of_the_records_name_whose_id_is_far_from_its_digits_weighs_little():
    """Same name, but an ID that is not within two edits: such IDs agree for 4% of true matches, so they weigh
    0.04 x 2^14.7 (10.1 bits) together with the name, and the record still links."""
    decision, floor = _decision(_stage_with_id([("王建国", "110101199001011234")]))
    others = (REGISTER - 1) * NAME_M_OTHER + ID_DIFFERENT * 2**NAME_WEIGHT
    assert floor == pytest.approx(math.log2(others) + 7, abs=1e-3)
    assert decision == "link"


# ---- a name-only record: the known non-members of its name, weighed where their homes are -------------------
#
# Since MATCHING_VERSION 8. The namesake rule rules out a non-member whose every known home is elsewhere (the
# record is not ambiguous), but such a person could still be the record's: a home is often known only from
# a property they hold or co-own, and people hold property away from where they live. So each is weighed as
# the comparisons would weigh them (the name's exact weight, the address level of their home nearest the
# record), as an uncompared member of the name is. The 1M city's two wrong housing links were of that kind.

ELSEWHERE = 0.25 / 0.9  # the address ratio of a home in another township (m / u of `different`)


def test_a_known_non_member_of_the_name_in_another_township_weighs_as_the_address_says():
    """One non-member 王建国 the registers know in another township: 14.7 bits of name, -1.85 of address; the
    floor rises to 21.2 bits and the record (22.5) still links, as one uncompared member there would let it."""
    decision, floor = _decision(_stage(namesakes=[("王建国", "外镇", "外村")]))
    others = (REGISTER - 1) * NAME_M_OTHER + 2**NAME_WEIGHT * ELSEWHERE
    assert floor == pytest.approx(math.log2(others) + 7, abs=1e-3)
    assert decision == "link"


def test_a_known_non_member_of_the_name_in_another_village_of_the_township_sends_the_record_to_review():
    """A non-member 王建国 whose known home is in another village of the record's township is not a namesake who
    may live where the record is (not ambiguous), but they weigh 14.7 bits of name and 0.15 / 0.05 of address
    (16.3 bits): the candidate's 22.5 bits are under 128 to 1 against them, and the record goes to review."""
    decision, floor = _decision(_stage(namesakes=[("王建国", TOWNSHIP, "别村")]))
    others = (REGISTER - 1) * NAME_M_OTHER + 2**NAME_WEIGHT * 0.15 / 0.05
    assert floor == pytest.approx(math.log2(others) + 7, abs=1e-3)
    assert decision == "review_band"
    # the same person unknown to the registers: the record links
    assert _decision(_stage())[0] == "link"


# The 1M city's wrong links: a register of 1,000,000 members, a name of 17.4 bits and the record's village of
# 7.1 bits (24.5 bits, over the floor of log2(0.12 x 1,000,000) + 7 = 23.9); the registers knew non-members of
# the name only in other townships (from a property they co-own), and the record was one of theirs.
BIG_REGISTER = 1_000_000
BIG_NAME_WEIGHT, BIG_VILLAGE_WEIGHT = 17.4, 7.1


def _stage_big_city(namesakes: list[tuple[str, str | None, str | None]]):
    con = _stage(namesakes=namesakes, register=BIG_REGISTER)
    con.execute(f"update {NAME_TF} set u = ?", [NAME_M_EXACT / 2**BIG_NAME_WEIGHT])
    con.execute(f"update {PLACE_SHARE} set u_village = ? where village = ?", [0.6 / 2**BIG_VILLAGE_WEIGHT, VILLAGE])
    con.execute(f"update {SCORED} set score = ?, name_weight = ?, address_weight = ?",
                [BIG_NAME_WEIGHT + BIG_VILLAGE_WEIGHT, BIG_NAME_WEIGHT, BIG_VILLAGE_WEIGHT])
    return con


def test_two_known_non_members_of_the_name_elsewhere_send_the_big_citys_record_to_review():
    decision, floor = _decision(_stage_big_city([("王建国", "外镇", "外村"), ("王建国", "远镇", "远村")]))
    others = (BIG_REGISTER - 1) * NAME_M_OTHER + 2 * 2**BIG_NAME_WEIGHT * ELSEWHERE
    assert floor == pytest.approx(math.log2(others) + 7, abs=1e-3)
    assert floor > BIG_NAME_WEIGHT + BIG_VILLAGE_WEIGHT
    assert decision == "review_band"


def test_the_big_citys_record_links_when_the_registers_know_no_one_else_of_its_name():
    decision, floor = _decision(_stage_big_city([]))
    assert floor == pytest.approx(math.log2((BIG_REGISTER - 1) * NAME_M_OTHER) + 7, abs=1e-3)
    assert decision == "link"


def test_each_known_non_member_counts_once_at_their_home_nearest_the_record():
    """A person the registers know with homes in two places, and rows without one: weighed once, at the
    nearer home (here the record's township, 0.15 / 0.05), not once per row."""
    con = _stage()
    con.execute(f"insert into {NAMESAKES} values ('王建国', 'S9', null, '外镇', '外村'), "
                f"('王建国', 'S9', null, ?, '别村'), ('王建国', 'S9', null, null, null)", [TOWNSHIP])
    decision, floor = _decision(con)
    others = (REGISTER - 1) * NAME_M_OTHER + 2**NAME_WEIGHT * 0.15 / 0.05
    assert floor == pytest.approx(math.log2(others) + 7, abs=1e-3)
    assert decision == "review_band"


# ---- a common name: thousands of namesakes, within a small memory ------------------------------------------------


def test_name_only_records_of_a_name_with_thousands_of_namesakes_are_decided_within_a_small_memory(tmp_path):
    """2,000 name-only records of one name and 5,000 known non-members of it: whether a namesake could be each
    record's person is asked per record (does one exist?), never by pairing the records with the namesakes (10
    million pairs here; on the 300k-member city that pairing spilled more than 20 GB). At a 64 MB memory limit
    with 16 MB of spill, the decision completes, and only the record in a namesake's village is ambiguous."""
    con = _stage(register=1_000)
    con.execute(f"set temp_directory = '{tmp_path / 'spill'}'")
    con.execute("set memory_limit = '64MB'")
    con.execute("set max_temp_directory_size = '16MB'")
    con.execute("set threads = 1")
    records = 2_000
    con.execute(f"delete from {PROFILES}")
    con.execute(f"delete from {SCORED}")
    # every record in 大坪村 but the last, which is in 外村 where one namesake lives; all in the review band
    con.execute(
        f"""
        insert into {PROFILES}
        select i, '王建国', null, null, case when i = $n then '外镇' else '{TOWNSHIP}' end,
               case when i = $n then '外村' else '{VILLAGE}' end
        from range(1, $n + 1) as r(i)
        """,
        {"n": records},
    )
    con.execute(
        f"""
        insert into {SCORED}
        select i, 'M1', 'H1', 15.0, 'missing', 'exact_norm', 'missing', 'village', 0.0, 10.0, 0.0, 5.0
        from range(1, $n + 1) as r(i)
        """,
        {"n": records},
    )
    con.execute(
        f"""
        insert into {NAMESAKES}
        select '王建国', 'S' || i, null, '远镇' || (i % 50), '远村' || (i % 7)
        from range(1, 5_001) as r(i)
        union all
        select '王建国', 'S0', null, '外镇', '外村'
        """
    )
    decide(con, DEFAULTS)
    decisions = dict(con.execute(f"select decision, count(*) from {DECISIONS} group by 1").fetchall())
    assert decisions == {"review_band": records - 1, "ambiguous": 1}
    assert con.execute(f"select profile_id from {DECISIONS} where decision = 'ambiguous'").fetchone()[0] == records
