"""The review decisions in force are part of the linking inputs key (`matching.incremental.inputs_key`): a night
with a new, changed or withdrawn decision and the same snapshots relinks everything instead of keeping the old
links as unchanged."""

from __future__ import annotations

import duckdb

from matching.incremental import can_link_incrementally, inputs_key
from matching.settings import DEFAULTS


def _warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema ledger")
    con.execute("create schema linked")
    con.execute("create table ledger.source_state as select 'housing' as source, 'c1' as checksum")
    con.execute("create table ledger.event_deliveries (source varchar, delivery_id varchar, checksum varchar)")
    con.execute("create table linked.linked_deliveries (source varchar, delivery_id varchar, checksum varchar)")
    con.execute("create table linked.known_people (name_cmp varchar)")
    con.execute("create table linked.review_decisions (source varchar, record_fingerprint varchar, "
                "person_id varchar, household_id varchar, decision varchar)")
    return con


def _remember(con, key: str) -> None:
    con.execute("create or replace table linked.link_state as select ? as inputs_key, false as incremental", [key])


def test_a_new_decision_changes_the_inputs_key_and_relinks_everything():
    con = _warehouse()
    before = inputs_key(con, DEFAULTS)
    _remember(con, before)
    assert can_link_incrementally(con, inputs_key(con, DEFAULTS))
    con.execute("insert into linked.review_decisions values ('housing', 'f1', 'P1', 'H1', 'same')")
    after = inputs_key(con, DEFAULTS)
    assert after != before
    assert not can_link_incrementally(con, after)


def test_a_changed_or_withdrawn_decision_changes_the_key_again():
    con = _warehouse()
    con.execute("insert into linked.review_decisions values ('housing', 'f1', 'P1', 'H1', 'same')")
    same = inputs_key(con, DEFAULTS)
    con.execute("update linked.review_decisions set decision = 'different'")
    different = inputs_key(con, DEFAULTS)
    con.execute("delete from linked.review_decisions")
    withdrawn = inputs_key(con, DEFAULTS)
    assert len({same, different, withdrawn}) == 3
    con.execute("drop table linked.review_decisions")
    assert inputs_key(con, DEFAULTS) == withdrawn  # no decision in force, whether the table is there or not
