"""A record whose ID fails its check character is linked to the member one edit away only when nobody else the
registers know could as well be its person: a non-member of the record's name whose valid ID is one edit from the
record's digits is such a person (the mistyped ID may be theirs), so the record goes to review instead
(`matching.decision`, docs/internals.md "How a fuzzy candidate is decided").

In the samples, member 王建国 holds 430482196203151313. The medical settlements below carry MISTYPED: his ID
with its 15th digit changed, which fails the check character. The decoy is STRANGER, a non-member also called
王建国 whose valid ID differs from MISTYPED only in the check character: MISTYPED is one edit from both.
"""

from __future__ import annotations

import datetime as dt

import duckdb
from stdnum.cn import ric

from hedui.night import run_night
from tests.conftest import SAMPLES_AS_OF, read_sample_rows, write_csv
from tests.test_matching_namesakes import night_equals_full_recompute

MEMBER = "430482196203151313"
_BODY = MEMBER[:14] + "7" + MEMBER[15:17]  # the 15th digit mistyped: 1 -> 7
STRANGER = _BODY + ric.calc_check_digit(_BODY + "0")
MISTYPED = _BODY + MEMBER[17]  # the member's check character on the mistyped digits
MISTYPED_SERIAL = "Y20261030000881"


def add_medical(landing, serial: str, name: str, person_id: str, day: str = "20261103") -> None:
    """One medical settlement of `name` under `person_id`, in its own file of `day`."""
    header, rows = read_sample_rows("medical")
    row = list(rows[4])
    row[0], row[3], row[4] = serial, name, person_id
    if day != "20261103":
        row[header.index("结算日期")] = f"{day[:4]}-{day[4:6]}-{day[6:]}"
    write_csv(landing / "medical" / day / f"extra-{serial}.csv", header, [row], encoding="gb18030")


def outcome(warehouse, record_key: str) -> tuple[list, list]:
    """(links, review rows) of one medical record: [(person_id, method)], [(person_id, reason)]."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        links = con.execute(
            "select person_id, method from linked.links where source = 'medical' and record_key = ?", [record_key]
        ).fetchall()
        review = con.execute(
            "select person_id, reason from linked.link_review where source = 'medical' and record_key = ?",
            [record_key],
        ).fetchall()
    finally:
        con.close()
    return links, review


def check_character_holds(person_id: str) -> bool:
    return ric.calc_check_digit(person_id[:17] + "0") == person_id[17]


def test_the_decoy_ids_are_what_the_tests_say():
    assert check_character_holds(MEMBER) and check_character_holds(STRANGER)
    assert not check_character_holds(MISTYPED)
    assert sum(a != b for a, b in zip(MISTYPED, MEMBER)) == 1
    assert sum(a != b for a, b in zip(MISTYPED, STRANGER)) == 1


def test_a_mistyped_member_id_links_when_no_known_person_of_the_name_is_as_near(sample_landing, tmp_path):
    """Without the decoy, the settlement under MISTYPED is the member's: one edit from his ID, his name."""
    add_medical(sample_landing, MISTYPED_SERIAL, "王建国", MISTYPED)
    run_night(sample_landing, tmp_path / "w.duckdb", SAMPLES_AS_OF, deliver=False)
    assert outcome(tmp_path / "w.duckdb", MISTYPED_SERIAL) == ([(MEMBER, "fuzzy")], [])


def test_a_non_member_of_the_name_one_edit_from_a_mistyped_id_sends_it_to_review(sample_landing, tmp_path):
    """The registers also know STRANGER, 王建国 too, from a settlement under his valid ID: MISTYPED is one edit
    from his ID as from the member's, so it is as likely his. The record goes to review (the member is still its
    only candidate, shown to the reviewer), and nothing is linked."""
    add_medical(sample_landing, MISTYPED_SERIAL, "王建国", MISTYPED)
    add_medical(sample_landing, "Y20261030000882", "王建国", STRANGER)
    run_night(sample_landing, tmp_path / "w.duckdb", SAMPLES_AS_OF, deliver=False)
    assert outcome(tmp_path / "w.duckdb", MISTYPED_SERIAL) == ([], [(MEMBER, "review_band")])


def test_a_non_member_one_edit_away_under_another_name_does_not_stop_the_link(sample_landing, tmp_path):
    """A known non-member with STRANGER's ID but another name (李小梅): the names disagree, which is rare for the
    same person (m 0.03), so the member, whose name agrees, is still by far the likelier: linked."""
    add_medical(sample_landing, MISTYPED_SERIAL, "王建国", MISTYPED)
    add_medical(sample_landing, "Y20261030000882", "李小梅", STRANGER)
    run_night(sample_landing, tmp_path / "w.duckdb", SAMPLES_AS_OF, deliver=False)
    assert outcome(tmp_path / "w.duckdb", MISTYPED_SERIAL) == ([(MEMBER, "fuzzy")], [])


def test_a_near_id_non_member_known_on_a_later_night_gives_what_a_full_recompute_gives(sample_landing, first_night):
    """Night 1 links the settlement under MISTYPED to the member. Night 2 brings only a settlement of STRANGER:
    the night links incrementally, yet the old record is decided again (its name gained a known person) and goes
    to review, as a full recompute of the same night has it."""
    add_medical(sample_landing, MISTYPED_SERIAL, "王建国", MISTYPED)
    run_night(sample_landing, first_night, SAMPLES_AS_OF, deliver=False)
    assert outcome(first_night, MISTYPED_SERIAL) == ([(MEMBER, "fuzzy")], [])
    add_medical(sample_landing, "Y20261104000882", "王建国", STRANGER, day="20261104")
    night_equals_full_recompute(sample_landing, first_night, SAMPLES_AS_OF + dt.timedelta(days=1), incremental=True)
    assert outcome(first_night, MISTYPED_SERIAL) == ([], [(MEMBER, "review_band")])
