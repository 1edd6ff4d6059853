"""A run id says its as-of date and its start in words, and the Data Docs' history reads the as-of date back from
it (hedui.run_info): the two sides share one definition, so a change of the id's form cannot silently make every
night's results undatable (and kept forever)."""

from __future__ import annotations

import datetime as dt

from hedui.run_info import new_run_id, run_id_as_of


def test_the_as_of_date_is_read_back_from_a_new_run_id():
    for as_of in (dt.date(2026, 11, 3), dt.date(2027, 1, 1), dt.date(2026, 2, 28)):
        assert run_id_as_of(new_run_id(as_of)) == as_of


def test_run_ids_sort_by_as_of_date_then_start():
    late_start_early_date = new_run_id(dt.date(2026, 11, 3), dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc))
    early_start_late_date = new_run_id(dt.date(2026, 11, 4), dt.datetime(2026, 11, 4, tzinfo=dt.timezone.utc))
    same_date_later = new_run_id(dt.date(2026, 11, 4), dt.datetime(2026, 11, 5, tzinfo=dt.timezone.utc))
    assert sorted([same_date_later, early_start_late_date, late_start_early_date]) == [
        late_start_early_date, early_start_late_date, same_date_later]


def test_a_name_that_is_not_a_run_id_has_no_as_of_date():
    for name in ("expectations", "asof2026113_started", "asof20261341_started20261130T000000Z_abcdef", ""):
        assert run_id_as_of(name) is None
