"""Working days on the official Chinese calendar, the center's holiday list, and the weekday fallback."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from hedui.warehouse import migrate
from hedui.workdays import CalendarFileError, add_working_days, calendar_overrides, load_calendar_file

D = dt.date


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (D(2026, 11, 3), 15, D(2026, 11, 24)),  # the spec's check
        (D(2026, 11, 3), 0, D(2026, 11, 3)),
        (D(2026, 11, 6), 1, D(2026, 11, 9)),  # Friday + 1: the weekend does not count
        # Spring Festival 2026: 2-15..2-23 off, Saturday 2-14 and Saturday 2-28 are adjusted working days
        (D(2026, 2, 13), 1, D(2026, 2, 14)),
        (D(2026, 2, 14), 1, D(2026, 2, 24)),
        (D(2026, 2, 27), 1, D(2026, 2, 28)),
        # National Day 2026: 10-1..10-7 off, Sunday 9-20 and Saturday 10-10 are adjusted working days
        (D(2026, 9, 19), 1, D(2026, 9, 20)),
        (D(2026, 9, 30), 1, D(2026, 10, 8)),
        (D(2026, 10, 9), 1, D(2026, 10, 10)),
        (D(2026, 9, 25), 15, D(2026, 10, 22)),
    ],
)
def test_official_calendar_counts_holidays_and_adjusted_working_days(start, n, due):
    assert add_working_days(start, n) == (due, "official_calendar")


def test_year_the_official_calendar_does_not_know_falls_back_to_weekdays():
    # 2099-01-01 is a Thursday; Monday to Friday count
    assert add_working_days(D(2098, 12, 31), 2) == (D(2099, 1, 2), "weekdays_fallback")
    assert add_working_days(D(2099, 1, 2), 1) == (D(2099, 1, 5), "weekdays_fallback")


def test_center_calendar_is_used_for_a_year_the_official_calendar_does_not_know(tmp_path):
    path = tmp_path / "2099.csv"
    path.write_text("date,type\n2099-01-01,休\n2099-01-02,holiday\n2099-01-03,班\n", encoding="utf-8")
    con = duckdb.connect(":memory:")
    migrate(con)  # ref.calendar_days is a schema migration
    assert load_calendar_file(con, path) == 3
    overrides = calendar_overrides(con)
    # Thursday and Friday off, Saturday an adjusted working day
    assert add_working_days(D(2098, 12, 31), 1, overrides) == (D(2099, 1, 3), "center_calendar")
    assert add_working_days(D(2099, 1, 3), 1, overrides) == (D(2099, 1, 5), "center_calendar")


def test_center_calendar_does_not_override_the_official_one():
    overrides = {D(2026, 11, 4): False}
    assert add_working_days(D(2026, 11, 3), 1, overrides) == (D(2026, 11, 4), "official_calendar")


def test_count_spanning_a_known_and_an_unknown_year_reports_the_weaker_basis():
    assert add_working_days(D(2026, 12, 30), 3)[1] == "weekdays_fallback"


def test_loading_a_corrected_calendar_replaces_the_days_it_lists(tmp_path):
    con = duckdb.connect(":memory:")
    migrate(con)  # ref.calendar_days is a schema migration
    assert calendar_overrides(con) == {}
    path = tmp_path / "2099.csv"
    path.write_text("2099-01-03,班\n2099-01-01,休\n", encoding="utf-8")
    load_calendar_file(con, path)
    path.write_text("2099-01-03,休\n", encoding="utf-8")
    load_calendar_file(con, path)
    assert calendar_overrides(con) == {D(2099, 1, 1): False, D(2099, 1, 3): False}


def test_calendar_file_with_a_bad_line_is_refused_whole(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("2099-01-01,休\n2099-13-01,休\n", encoding="utf-8")
    con = duckdb.connect(":memory:")
    migrate(con)  # ref.calendar_days is a schema migration
    with pytest.raises(CalendarFileError, match="bad.csv, line 2"):
        load_calendar_file(con, path)
    assert calendar_overrides(con) == {}
    path.write_text("2099-01-01,maybe\n", encoding="utf-8")
    with pytest.raises(CalendarFileError, match="休/班"):
        load_calendar_file(con, path)


def test_negative_count_is_refused():
    with pytest.raises(ValueError):
        add_working_days(D(2026, 11, 3), -1)
