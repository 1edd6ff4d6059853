"""Review decisions in the linker, on hand-written staged tables (seconds): a rejected candidate is removed before
anything is decided, and only for the record decided on; an accepted candidate links with method `review`."""

from __future__ import annotations

import datetime as dt

from hedui.warehouse.schema import known_migrations
from matching import link_records
from matching.records import record_select
from matching.review_decisions import fingerprint_sql
from matching.sources import SOURCES
from test_matching_fixtures import ADDR, household, housing, links_of, member, review_of, run_info, sample_city, valid_id

WANG = "430482196203151313"
WANG_UNIT = "430482002003GB00007F00020003||王建国"


def _with_decisions_table(con) -> None:
    """The tables of migration 0009, as a migrated warehouse has them."""
    (migration,) = [m for m in known_migrations() if m.version == 9]
    con.execute("create schema if not exists ledger")
    con.execute(migration.sql)


def _fingerprint(con, source: str, record_key: str) -> str:
    return con.execute(
        f"select {fingerprint_sql()} from ({record_select(source, SOURCES[source])}) where record_key = ?",
        [record_key],
    ).fetchone()[0]


def _decide(con, source: str, record_key: str, person_id: str, household_id: str, decision: str) -> None:
    con.execute(
        "insert into linked.review_decisions values (?, ?, ?, ?, ?, '理由', '核对员', ?, 'test')",
        [source, _fingerprint(con, source, record_key), person_id, household_id, decision, dt.datetime(2026, 11, 4)],
    )


def _twin_city():
    """A second 王建国, in another household of the same village: the sample's name-only unit is ambiguous."""
    c = sample_city()
    twin = valid_id("43048219700707123")
    c.households.append(household("CN-S-0201", "王建国", twin, "在保", "烟洲镇", "大坪村"))
    c.members.append(member("CN-S-0201", "王建国", twin))
    return c, twin


def test_rejecting_one_of_two_near_equal_candidates_links_the_other_by_the_matcher():
    c, twin = _twin_city()
    con = c.build()
    _with_decisions_table(con)
    link_records(con, run_info())
    assert set(review_of(con).query("record_key == @WANG_UNIT").person_id) == {WANG, twin}
    _decide(con, "housing", WANG_UNIT, twin, "CN-S-0201", "different")
    link_records(con, run_info())
    links = links_of(con).query("record_key == @WANG_UNIT")
    assert list(zip(links.person_id, links.method)) == [(WANG, "fuzzy")]
    assert review_of(con).query("record_key == @WANG_UNIT").empty


def test_a_rejection_reaches_only_the_record_decided_on_not_a_namesake_record_of_the_same_village():
    """A second unit of 王建国 without an ID, at another address in 大坪村: the same fuzzy profile (name, ID
    digits, township, village), another fingerprint. Rejecting the twin for the first unit leaves it ambiguous."""
    c, twin = _twin_city()
    other = "430482002003GB00099F00020099||王建国"
    c.housing.append(housing("430482002003GB00099F00020099", "王建国", "", None, ADDR + "烟洲镇大坪村6组8号"))
    con = c.build()
    _with_decisions_table(con)
    _decide(con, "housing", WANG_UNIT, twin, "CN-S-0201", "different")
    link_records(con, run_info())
    assert list(links_of(con).query("record_key == @WANG_UNIT").person_id) == [WANG]
    review = review_of(con)
    assert set(review[review.record_key == other].person_id) == {WANG, twin}


def test_an_id_shared_by_two_households_links_to_the_one_not_rejected_and_an_accepted_one_by_review():
    c = sample_city()
    c.households.append(household("CN-S-0601", "陈思", "430482200805065227", "在保", "宜阳街道", "向阳社区"))
    c.members.append(member("CN-S-0601", "陈思", "430482200805065227"))
    con = c.build()
    _with_decisions_table(con)
    _decide(con, "medical", "Y20261021000033", "430482200805065227", "CN-S-0601", "different")
    link_records(con, run_info())
    row = links_of(con).query("record_key == 'Y20261021000033'")
    assert list(zip(row.household_id, row.method)) == [("CN-S-0002", "exact")]
    con.execute("delete from linked.review_decisions")
    _decide(con, "medical", "Y20261021000033", "430482200805065227", "CN-S-0601", "same")
    link_records(con, run_info())
    row = links_of(con).query("record_key == 'Y20261021000033'")
    assert list(zip(row.household_id, row.method)) == [("CN-S-0601", "review")]
    assert con.execute("select reviewer from linked.review_links").fetchall() == [("核对员",)]


def test_an_accepted_member_who_left_the_register_links_nothing_by_review():
    c = sample_city()
    con = c.build()
    _with_decisions_table(con)
    _decide(con, "housing", WANG_UNIT, valid_id("43048219700707123"), "CN-S-0201", "same")  # no such member
    link_records(con, run_info())
    assert list(links_of(con).query("record_key == @WANG_UNIT").method) == ["fuzzy"]
