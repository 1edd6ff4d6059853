"""The value forms the v2 income sources bring (spec section 4b): months in every listed form, and unified
social credit codes checked by python-stdnum."""

import datetime as dt

import duckdb
import pytest
from stdnum.cn import uscc

from connectors import normalise


@pytest.fixture(scope="module")
def macros():
    con = duckdb.connect()
    normalise.register(con)
    return con


OCTOBER = dt.date(2026, 10, 1)


@pytest.mark.parametrize(
    "raw",
    ["202610", "2026-10", "2026/10", "2026年10月", " 2026-10 ", "２０２６年１０月", "2026.10",
     # a spreadsheet date cell arrives as a date (with or without the time the reader leaves on it)
     "2026-10-01", "2026-10-01 00:00:00", "2026/10/17", "20261031"],
)
def test_every_listed_month_form_reads_as_the_first_of_that_month(macros, raw):
    assert macros.execute("select hd_month(?)", [raw]).fetchone()[0] == OCTOBER


def test_single_digit_months_read_as_their_month(macros):
    assert macros.execute("select hd_month('2026-9'), hd_month('2026年9月')").fetchone() == (
        dt.date(2026, 9, 1), dt.date(2026, 9, 1))


@pytest.mark.parametrize("raw", ["", "   ", None, "abc", "202613", "2026-00", "999912", "10/2026"])
def test_a_month_that_cannot_be_read_is_unknown_not_a_guess(macros, raw):
    assert macros.execute("select hd_month(?)", [raw]).fetchone()[0] is None


def test_the_sample_business_codes_pass_the_national_check(macros):
    codes = ["92430482MA4Q7K2B3E", "91430482MA4L0R1B1G", "93430482MA4T8N5C2W", "91430482MA4R3P6D4X",
             "91430421MA4U9W7E54"]
    got = macros.execute("select hd_uscc_valid(c) from unnest(?) as t(c)", [codes]).fetchall()
    assert got == [(True,)] * len(codes)


def test_a_code_with_a_wrong_check_character_fails_and_null_stays_unknown(macros):
    good = "91430482MA4L0R1B1G"
    bad = good[:-1] + ("H" if good[-1] != "H" else "J")
    assert not uscc.is_valid(bad)  # the library agrees that the altered code is wrong
    got = macros.execute(
        "select hd_uscc_valid(c) from (values (?), (?), (null), (?)) as t(c)", [good, bad, good.lower()]
    ).fetchall()
    assert got == [(True,), (False,), (None,), (True,)]


def test_the_code_check_works_on_a_batch_with_repeats(macros):
    """The function works on the batch's distinct values and spreads them back: order and repeats must hold."""
    good, bad = "91430482MA4L0R1B1G", "91430482MA4L0R1B1H"
    codes = [good, bad, good, None, bad, good] * 1000
    got = [r[0] for r in macros.execute("select hd_uscc_valid(c) from unnest(?) with ordinality as t(c, i) order by i",
                                        [codes]).fetchall()]
    assert got == [None if c is None else c == good for c in codes]
