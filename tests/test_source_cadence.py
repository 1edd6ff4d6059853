"""A source that stops delivering is said to be late, from its own rhythm or the policy's, and nothing else moves."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from types import SimpleNamespace

from connectors.cadence import late_sources
from hedui.night import run_night
from hedui.policy import Policy, PolicyError, load_policy
from hedui.stages import _late_notes
from tests.conftest import SAMPLES_AS_OF, query

AS_OF = dt.date(2026, 11, 30)


def _ledger(deliveries: list[tuple[str, str, str]]) -> duckdb.DuckDBPyConnection:
    """An in-memory ledger.deliveries with (source, delivery date, status) rows."""
    con = duckdb.connect()
    con.execute("create schema ledger")
    con.execute("create table ledger.deliveries (source varchar, delivery_date date, status varchar)")
    con.executemany("insert into ledger.deliveries values (?, ?, ?)", deliveries)
    return con


def _weekly(source: str, last: dt.date, count: int, status: str = "loaded") -> list[tuple[str, str, str]]:
    return [(source, (last - dt.timedelta(days=7 * k)).isoformat(), status) for k in range(count)]


def test_a_weekly_source_silent_for_more_than_two_weeks_is_late():
    con = _ledger(_weekly("medical", AS_OF - dt.timedelta(days=15), 6))
    [late] = late_sources(con, AS_OF)
    assert (late.source, late.age_days, late.usual_days, late.from_policy) == ("medical", 15, 7, False)
    assert late.note_en() == "medical late (newest delivery 2026-11-15, 15 days ago; usually every 7 days)"


def test_a_weekly_source_two_weeks_after_its_last_delivery_is_not_late_yet():
    con = _ledger(_weekly("medical", AS_OF - dt.timedelta(days=14), 6))
    assert late_sources(con, AS_OF) == []


def test_the_same_delivery_seen_by_many_runs_is_one_delivery():
    rows = _weekly("medical", AS_OF - dt.timedelta(days=10), 4)
    # every later night records the delivery in force again as unchanged: same date, no gap of 0 days
    rows += [("medical", (AS_OF - dt.timedelta(days=10)).isoformat(), "unchanged")] * 9
    assert late_sources(con := _ledger(rows), AS_OF) == []
    assert late_sources(con, AS_OF, late_factor=1.2, late_min_days=0)[0].usual_days == 7


def test_a_rejected_delivery_shows_the_department_is_sending():
    rows = _weekly("vehicle", AS_OF - dt.timedelta(days=21), 5) + [("vehicle", (AS_OF - dt.timedelta(days=2)).isoformat(),
                                                                    "rejected")]
    assert late_sources(_ledger(rows), AS_OF) == []


def test_a_source_with_two_deliveries_has_no_rhythm_yet_unless_the_policy_gives_one():
    con = _ledger(_weekly("vehicle", AS_OF - dt.timedelta(days=90), 2))
    assert late_sources(con, AS_OF) == []
    [late] = late_sources(con, AS_OF, expected_every_days={"vehicle": 30})
    assert (late.usual_days, late.from_policy, late.age_days) == (30, True, 90)
    assert late.note_en().endswith("expected every 30 days)")


def test_deliveries_dated_after_the_as_of_date_do_not_count():
    rows = _weekly("death", AS_OF - dt.timedelta(days=30), 5) + [("death", "2026-12-05", "future")]
    [late] = late_sources(_ledger(rows), AS_OF)
    assert late.newest_delivery == AS_OF - dt.timedelta(days=30)


def test_a_source_sent_in_two_parts_a_day_apart_each_month_is_not_late_mid_month():
    rows = [("housing", d, "loaded") for d in ("2026-07-01", "2026-07-02", "2026-08-01", "2026-08-02",
                                                "2026-09-01", "2026-09-02", "2026-10-01", "2026-10-02",
                                                "2026-11-01", "2026-11-02")]
    con = _ledger(rows)
    assert late_sources(con, dt.date(2026, 11, 20)) == []  # the usual gap is ~30 days, not the median's 1
    assert late_sources(con, dt.date(2026, 12, 20)) == []  # 48 days: one month's parts missing, within 2 × 30
    [late] = late_sources(con, dt.date(2027, 1, 10))       # 69 days: two months missing
    assert 29 < late.usual_days <= 31


def test_a_source_sent_every_working_day_is_not_late_over_a_holiday_week():
    days = [dt.date(2026, 9, 1) + dt.timedelta(days=k) for k in range(30)]
    rows = [("death", d.isoformat(), "loaded") for d in days if d.weekday() < 5]  # to 2026-09-30
    assert late_sources(_ledger(rows), dt.date(2026, 10, 8)) == []   # National Day week: 8 days, not late
    assert late_sources(_ledger(rows), dt.date(2026, 10, 9)) == []   # usual gap ~3 (a weekend) + 7 days
    assert [s.source for s in late_sources(_ledger(rows), dt.date(2026, 10, 10))] == ["death"]


def test_a_source_whose_reader_failed_tonight_is_not_called_late():
    con = _ledger(_weekly("vehicle", AS_OF - dt.timedelta(days=30), 5) + _weekly("medical", AS_OF - dt.timedelta(days=30), 5))
    run = SimpleNamespace(as_of=AS_OF, policy=Policy())
    assert [note.split()[0] for note in _late_notes(con, run, failed={"vehicle"})] == ["medical"]


@pytest.mark.parametrize(("setting", "said"), [
    ("data_docs_days: three months", "deliveries.data_docs_days must be an integer"),
    ("data_docs_days: -1", "deliveries.data_docs_days must be at least 0"),
    ("late_factor: 0", "deliveries.late_factor must be at least 1.0"),
    ("late_min_days: 2.5", "deliveries.late_min_days must be an integer"),
    ("expected_every_days: {vehicle: monthly}", "deliveries.expected_every_days.vehicle must be an integer"),
    ("expected_every_days: {vehicle: 0}", "deliveries.expected_every_days.vehicle must be at least 1"),
])
def test_a_mistyped_delivery_setting_is_refused_when_the_policy_is_read(tmp_path, setting, said):
    path = tmp_path / "policy.yaml"
    path.write_text(f"deliveries:\n  {setting}\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=said):
        load_policy(path)


def test_a_policy_expecting_a_source_hedui_does_not_know_is_refused(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("deliveries:\n  expected_every_days: {cars: 30}\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="unknown source\\(s\\) cars"):
        load_policy(path)


def test_a_night_says_which_source_is_late_and_keeps_its_outcome(sample_landing, tmp_path):
    """The samples deliver each source once: a policy expecting vehicles daily makes the vehicle register,
    delivered 2026-11-03, late on 2026-11-06; the night's outcome is what it would be without it."""
    policy = tmp_path / "policy.yaml"
    policy.write_text("deliveries:\n  expected_every_days: {vehicle: 1}\n  late_min_days: 0\n", encoding="utf-8")
    warehouse = tmp_path / "home" / "hedui.duckdb"
    run_night(sample_landing, warehouse, SAMPLES_AS_OF, deliver=False)
    later = run_night(sample_landing, warehouse, SAMPLES_AS_OF + dt.timedelta(days=3), deliver=False,
                      policy=load_policy(policy))
    [(outcome, message)] = query(warehouse, "select outcome, message from ledger.runs where run_id = ?",
                                 [later.run_id])
    assert outcome == "completed"
    assert "vehicle late (newest delivery 2026-11-03, 3 days ago; expected every 1 day)" in message
    assert "medical late" not in message
