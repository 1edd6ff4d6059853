"""How many batches the warnings stage cuts evidence into (`hedui.evidence_batches`): as few as the memory allows,
since each batch reads the rule's tables again; more only when a batch's records would not fit the limit, or a
vector of the widest rows (a household's evidence each) would not fit its share."""

import duckdb
import pytest

from hedui.evidence_batches import EVIDENCE_BYTES_PER_RECORD, VECTOR_ROWS, evidence_batches, memory_limit_bytes


@pytest.fixture()
def con():
    con = duckdb.connect()
    yield con
    con.close()


def _limit(con, text: str):
    con.execute(f"set memory_limit = '{text}'")


def test_an_ordinary_citys_evidence_is_one_batch(con):
    _limit(con, "5GB")
    assert evidence_batches(con, records=500_000, rows=100_000) == 1


def test_at_a_large_limit_only_the_records_that_fit_in_memory_bound_the_batches(con):
    """The heavy bench city: 18.6 million settlements of 125,000 households, 150 each: a vector of such rows fits,
    so the batches are those whose records fit the limit."""
    _limit(con, "5GB")
    batches = evidence_batches(con, records=18_600_000, rows=125_000)
    assert batches == -(-18_600_000 * EVIDENCE_BYTES_PER_RECORD // memory_limit_bytes(con))
    assert 125_000 / batches > VECTOR_ROWS  # each batch still fills whole vectors


def test_at_a_small_limit_the_batches_hold_fewer_rows_than_a_vector(con):
    """160 MB and 150 records per household: a vector of 2,048 such rows would not fit, so each batch is made small
    enough to be one short vector, and more records per household make more batches."""
    _limit(con, "160MB")
    batches = evidence_batches(con, records=37_500, rows=250)
    assert 250 / batches < VECTOR_ROWS and batches > 1
    assert evidence_batches(con, records=75_000, rows=250) > batches


def test_without_rows_every_batch_is_taken_to_be_one_vector(con):
    _limit(con, "160MB")
    assert evidence_batches(con, records=37_500) == evidence_batches(con, records=37_500, rows=250)
