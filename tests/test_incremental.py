"""Incremental nights equal full recomputation: for each kind of night, the same history processed
incrementally (unchanged snapshots skipped, new events merged, only new events linked) and with
`full_recompute=True` gives the same warehouse."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Callable

import duckdb
import pytest

from hedui.night import run_night
from tests.conftest import read_sample_rows, write_csv
from tests.review_nights import review_night  # noqa: F401 (a fixture)
from tests.warehouse_state import data_state

NEXT_NIGHT = dt.date(2026, 11, 10)


def new_events(landing: Path) -> None:
    header, rows = read_sample_rows("medical")
    fresh = list(rows[0])
    fresh[0], fresh[8], fresh[16] = "Y20261105000001", "2026-11-05", "2,000.00"
    resent_corrected = list(rows[1])
    resent_corrected[16] = "216.5"  # the same settlement again, amended: the newest version wins
    stranger = list(rows[4])
    stranger[0], stranger[3], stranger[4] = "Y20261106000002", "陳思", "430482200805065228"  # invalid ID: fuzzy path
    write_csv(landing / "medical" / "20261110" / "medical.csv", header, [fresh, resent_corrected, stranger],
              encoding="gb18030")
    write_csv(landing / "death" / "20261110" / "death.csv", ["公民身份号码", "姓名", "死亡日期", "注销日期"],
              [["430482200805065227", "陈思", "2026-11-08", "2026-11-09"]])


def changed_snapshot(landing: Path) -> None:
    header, rows = read_sample_rows("housing")
    rows = [list(r) for r in rows]
    rows[2][6] = "商业"  # the no-ID unit changes its use
    write_csv(landing / "housing" / "20261110" / "housing.csv", header, rows)
    header, rows = read_sample_rows("vehicle")
    write_csv(landing / "vehicle" / "20261110" / "vehicle.csv", header, rows[1:], encoding="gb18030")


def corrected_event_resend(landing: Path) -> None:
    header, rows = read_sample_rows("medical")
    write_csv(landing / "medical" / "20261103" / "medical.csv", header, [r for r in rows if r[3] != "刘强"],
              encoding="gb18030")


def corrected_resend_changing_an_id(landing: Path) -> None:
    """The same delivery again with the same settlements, one of them now carrying another member's ID: no record
    disappears, yet a link must move."""
    header, rows = read_sample_rows("medical")
    rows = [list(r) for r in rows]
    rows[1][3], rows[1][4] = "陈丽华", "430482197801304687"  # Y20261021000033 was 陈丽华's, not her daughter's
    write_csv(landing / "medical" / "20261103" / "medical.csv", header, rows, encoding="gb18030")


def nothing_new(landing: Path) -> None:
    pass


NIGHTS: dict[str, Callable[[Path], None]] = {
    "new_events_only": new_events,
    "snapshot_redelivered_with_changes": changed_snapshot,
    "corrected_event_resend": corrected_event_resend,
    "corrected_resend_changing_an_id": corrected_resend_changing_an_id,
    "nothing_new": nothing_new,
}


def incremental_and_full(landing: Path, warehouse: Path, as_of: dt.date, tmp_path: Path) -> tuple[Path, Path]:
    """The night of `as_of` run on two copies of `warehouse`: as the nightly runs it, and recomputing everything."""
    incremental, full = tmp_path / "incremental.duckdb", tmp_path / "full.duckdb"
    shutil.copyfile(warehouse, incremental)
    shutil.copyfile(warehouse, full)
    run_night(landing, incremental, as_of, deliver=False)
    run_night(landing, full, as_of, deliver=False, full_recompute=True)
    return incremental, full


@pytest.mark.parametrize("night", NIGHTS)
def test_incremental_night_equals_full_recomputation(night, sample_landing, first_night, tmp_path):
    """Same data, and the same pictures in force per source. The rest of the ledgers differs by design: a full
    recompute reads again the deliveries an incremental night finds unchanged."""
    NIGHTS[night](sample_landing)
    incremental, full = incremental_and_full(sample_landing, first_night, NEXT_NIGHT, tmp_path)
    assert data_state(incremental, ledgers=False) == data_state(full, ledgers=False)
    in_force = ("ledger.source_state", "ledger.event_deliveries", "ledger.run_sources")
    incremental_ledger, full_ledger = data_state(incremental), data_state(full)
    assert [incremental_ledger[t] for t in in_force] == [full_ledger[t] for t in in_force]


def nights(landing: Path, warehouse: Path, change: Callable[[Path], None], later_nights: int = 1):
    """After the first night on the samples (`warehouse`, a copy of it), `change` to the landing zone and
    `later_nights` more nights; the warehouse opened read-only (the caller closes it)."""
    change(landing)
    for night in range(later_nights):
        run_night(landing, warehouse, NEXT_NIGHT + dt.timedelta(days=night), deliver=False)
    return duckdb.connect(str(warehouse), read_only=True)


def linked_incrementally(con) -> bool:
    return con.execute("select incremental from linked.link_state").fetchone()[0]


def test_a_night_of_new_events_links_only_the_new_events(sample_landing, first_night):
    con = nights(sample_landing, first_night, new_events)
    assert linked_incrementally(con) is True
    assert con.execute("select count(*) from staged.medical").fetchone()[0] == 7
    assert con.execute(
        "select out_of_pocket::double from staged.medical where settlement_id = 'Y20261021000033'"
    ).fetchone() == (216.5,)
    con.close()


def test_a_changed_snapshot_relinks_everything(sample_landing, first_night):
    con = nights(sample_landing, first_night, changed_snapshot)
    assert linked_incrementally(con) is False
    con.close()


def _mark_kept_name_frequencies(warehouse: Path) -> None:
    """Set every kept name frequency to a value no measurement gives, to tell reading them from measuring."""
    con = duckdb.connect(str(warehouse))
    try:
        assert con.execute("select count(*) from linked.name_frequencies").fetchone()[0] > 0
        con.execute("update linked.name_frequencies set u = 0.5")
    finally:
        con.close()


def test_a_night_of_new_events_reads_the_kept_name_frequencies(sample_landing, first_night):
    """Incremental linking runs only when the snapshots and the policy are those of the last linking, and the
    frequencies are measured on those alone: kept, not measured again."""
    _mark_kept_name_frequencies(first_night)
    con = nights(sample_landing, first_night, new_events)
    assert linked_incrementally(con) is True
    assert con.execute("select distinct u from linked.name_frequencies").fetchall() == [(0.5,)]
    con.close()


def test_a_changed_snapshot_measures_the_name_frequencies_again(sample_landing, first_night):
    _mark_kept_name_frequencies(first_night)
    con = nights(sample_landing, first_night, changed_snapshot)
    assert linked_incrementally(con) is False
    assert con.execute("select count(*) from linked.name_frequencies where u = 0.5").fetchone()[0] == 0
    con.close()


def test_a_corrected_resend_that_keeps_every_record_still_moves_the_link(sample_landing, first_night):
    con = nights(sample_landing, first_night, corrected_resend_changing_an_id)
    assert linked_incrementally(con) is False
    assert con.execute(
        "select person_id from linked.links where source = 'medical' and record_key = 'Y20261021000033'"
    ).fetchall() == [("430482197801304687",)]
    con.close()


def test_the_night_after_new_events_stays_incremental_and_counts_both_deliveries_linked(sample_landing, first_night):
    con = nights(sample_landing, first_night, new_events, later_nights=2)
    assert linked_incrementally(con) is True
    assert con.execute(
        "select count(*) from linked.linked_deliveries where source = 'medical'"
    ).fetchone()[0] == 2
    con.close()


def test_nights_with_review_decisions_equal_full_recomputation(review_night, tmp_path):  # noqa: F811
    """Night 2 puts three name-only units in review; a reviewer decides all three (同一人, 不是同一人, 无法判断).
    The night after the import relinks every record (the decisions are linking inputs) and equals a full
    recomputation; the night after that, with new events only, links incrementally, keeps the decisions, and
    equals a full recomputation too."""
    from tests.review_nights import NIGHT_3, WANG_UNIT, decide_on_night_2

    landing, night2 = tmp_path / "landing", tmp_path / "night2.duckdb"
    shutil.copytree(review_night[0], landing)
    shutil.copyfile(review_night[1], night2)
    decide_on_night_2(landing, night2, tmp_path / "review")
    incremental, full = tmp_path / "incremental.duckdb", tmp_path / "full.duckdb"
    shutil.copyfile(night2, incremental)
    shutil.copyfile(night2, full)
    for as_of, change in ((NIGHT_3, nothing_new), (NEXT_NIGHT, new_events)):
        change(landing)
        run_night(landing, incremental, as_of, deliver=False)
        run_night(landing, full, as_of, deliver=False, full_recompute=True)
        assert data_state(incremental, ledgers=False) == data_state(full, ledgers=False)
        con = duckdb.connect(str(incremental), read_only=True)
        try:
            assert linked_incrementally(con) is (as_of == NEXT_NIGHT)  # the night after the import relinks all
            assert con.execute("select person_id, method from linked.links where record_key = ?",
                               [WANG_UNIT]).fetchall() == [("430482196203151313", "review")]
        finally:
            con.close()


def test_a_record_dated_after_its_delivery_stays_quarantined_when_a_later_night_recomputes_everything(
        sample_landing, first_night, tmp_path):
    """A settlement and a death dated after the date of their delivery cannot have been in the department's
    extract: quarantined the night the delivery is read, and again by a full recomputation weeks later, whose as-of
    date is past them. Judged against the night's as-of date instead, the full recomputation loaded them and the
    same inputs gave two warehouses."""
    header, rows = read_sample_rows("medical")
    early = list(rows[0])
    early[0], early[8] = "Y20261115000001", "2026-11-15"
    write_csv(sample_landing / "medical" / "20261110" / "medical.csv", header, [early], encoding="gb18030")
    write_csv(sample_landing / "death" / "20261110" / "death.csv", ["公民身份号码", "姓名", "死亡日期", "注销日期"],
              [["430482196508022424", "李秀英", "2026-11-12", ""]])
    run_night(sample_landing, first_night, NEXT_NIGHT, deliver=False)
    incremental, full = incremental_and_full(sample_landing, first_night, NEXT_NIGHT + dt.timedelta(days=10), tmp_path)
    assert data_state(incremental, ledgers=False) == data_state(full, ledgers=False)
    con = duckdb.connect(str(full), read_only=True)
    try:
        assert con.execute("select count(*) from staged.medical where settlement_id = 'Y20261115000001'"
                           ).fetchone()[0] == 0
        reasons = {r for (r,) in con.execute(
            "select reason from quarantine.rows where source in ('medical', 'death')").fetchall()}
    finally:
        con.close()
    assert "结算日期 2026-11-15 is after the date of its delivery 2026-11-10" in reasons
    assert "死亡日期 2026-11-12 is after the date of its delivery 2026-11-10" in reasons
