"""Delivery selection: which deliveries count, and what happens to the others."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from hedui import stages
from hedui.run_info import RunInfo
from tests.conftest import SAMPLES_AS_OF, read_sample_rows, write_csv


def ingest(con, landing: Path, source: str, as_of: dt.date, tmp_path: Path, run_id: str = "run"):
    run = RunInfo(run_id, as_of)
    return stages.ingest(con, landing, source, run, tmp_dir=tmp_path / "scratch", results_dir=None)


def ledger(con, source: str, run_id: str | None = None):
    sql = "select delivery_id, status, rows_read, rows_loaded, rows_quarantined, rows_set_aside, reason from ledger.deliveries where source = ?"
    params = [source]
    if run_id:
        sql += " and run_id = ?"
        params.append(run_id)
    return {r[0]: r[1:] for r in con.execute(sql + " order by delivery_id", params).fetchall()}


def add_vehicle_delivery(landing: Path, folder: str, rows: list[list[str]] | None = None, header=None) -> Path:
    base_header, base_rows = read_sample_rows("vehicle")
    return write_csv(landing / "vehicle" / folder / "vehicle.csv", header or base_header,
                     base_rows if rows is None else rows, encoding="gb18030")


def test_newest_snapshot_on_or_before_as_of_replaces_the_older(ingest_con, sample_landing, tmp_path):
    header, rows = read_sample_rows("vehicle")
    add_vehicle_delivery(sample_landing, "20261101", rows[:4])
    add_vehicle_delivery(sample_landing, "20261110", rows[:1])  # after the as-of date
    outcome = ingest(ingest_con, sample_landing, "vehicle", SAMPLES_AS_OF, tmp_path)
    assert outcome.in_force_delivery == "vehicle/20261103"
    entries = ledger(ingest_con, "vehicle")
    assert entries["vehicle/20261103"][0] == "loaded"
    assert entries["vehicle/20261101"][0] == "superseded"
    assert entries["vehicle/20261110"][0] == "future"
    assert ingest_con.execute("select count(*) from staged.vehicle").fetchone()[0] == 5
    assert ingest_con.execute("select distinct delivery_id from staged.vehicle").fetchall() == [("vehicle/20261103",)]


def test_snapshot_under_half_the_previous_is_held_back_and_the_previous_stands(ingest_con, sample_landing, tmp_path):
    ingest(ingest_con, sample_landing, "vehicle", SAMPLES_AS_OF, tmp_path, "run-1")
    header, rows = read_sample_rows("vehicle")
    add_vehicle_delivery(sample_landing, "20261110", rows[:2])
    outcome = ingest(ingest_con, sample_landing, "vehicle", dt.date(2026, 11, 10), tmp_path, "run-2")
    assert outcome.problem == "held_back"
    assert outcome.in_force_delivery == "vehicle/20261103"
    status, read, loaded, quarantined, set_aside, reason = ledger(ingest_con, "vehicle", "run-2")["vehicle/20261110"]
    assert (status, read, loaded, set_aside) == ("held_back", 2, 0, 2)
    assert "implausible drop" in reason
    assert ingest_con.execute("select count(*) from staged.vehicle").fetchone()[0] == 5
    assert ingest_con.execute("select distinct delivery_id from staged.vehicle").fetchall() == [("vehicle/20261103",)]


def test_truncated_newest_snapshot_is_held_back_even_on_a_first_run(ingest_con, sample_landing, tmp_path):
    header, rows = read_sample_rows("vehicle")
    add_vehicle_delivery(sample_landing, "20261102", rows[:1])
    shutil.move(sample_landing / "vehicle" / "20261103", sample_landing / "vehicle" / "20261101")
    outcome = ingest(ingest_con, sample_landing, "vehicle", SAMPLES_AS_OF, tmp_path)
    assert outcome.problem == "held_back"
    assert outcome.in_force_delivery == "vehicle/20261101"


def test_structurally_broken_delivery_is_rejected_whole_and_last_good_picture_stands(ingest_con, sample_landing, tmp_path):
    ingest(ingest_con, sample_landing, "vehicle", SAMPLES_AS_OF, tmp_path, "run-1")
    picture = "select * from staged.vehicle order by record_key"
    good = ingest_con.execute(picture).fetchall()
    header, rows = read_sample_rows("vehicle")
    broken_header = [h for h in header if h != "所有人"]  # a required column missing
    broken_rows = [r[:3] + r[4:] for r in rows]
    add_vehicle_delivery(sample_landing, "20261110", broken_rows, header=broken_header)
    outcome = ingest(ingest_con, sample_landing, "vehicle", dt.date(2026, 11, 10), tmp_path, "run-2")
    status, *_, reason = ledger(ingest_con, "vehicle", "run-2")["vehicle/20261110"]
    assert status == "rejected"
    assert "机动车所有人" in reason
    assert outcome.problem == "rejected"
    assert outcome.in_force_delivery == "vehicle/20261103"
    # the broken delivery holds the same five cars: only the staged delivery id and contents tell them apart
    assert ingest_con.execute("select distinct delivery_id from staged.vehicle").fetchall() == [("vehicle/20261103",)]
    assert len(good) == 5 and ingest_con.execute(picture).fetchall() == good
    assert ingest_con.execute("select in_force_delivery from ledger.source_state where source = 'vehicle'"
                              ).fetchone() == ("vehicle/20261103",)


def test_unchanged_snapshot_is_not_read_again(ingest_con, sample_landing, tmp_path):
    ingest(ingest_con, sample_landing, "housing", SAMPLES_AS_OF, tmp_path, "run-1")
    outcome = ingest(ingest_con, sample_landing, "housing", dt.date(2026, 11, 4), tmp_path, "run-2")
    assert ledger(ingest_con, "housing", "run-2")["housing/20261103"][0] == "unchanged"
    assert not outcome.changed
    assert outcome.problem is None


def test_events_accumulate_and_an_overlapping_delivery_counts_each_event_once(ingest_con, sample_landing, tmp_path):
    header, rows = read_sample_rows("medical")
    new_row = list(rows[1])
    new_row[0] = "Y20261105000001"
    write_csv(sample_landing / "medical" / "20261106" / "part1.csv", header, [rows[0], rows[1], new_row],
              encoding="utf-8-sig")
    ingest(ingest_con, sample_landing, "medical", dt.date(2026, 11, 6), tmp_path)
    assert ingest_con.execute("select count(*) from staged.medical").fetchone()[0] == 6
    assert ingest_con.execute("select count(*) from staged.medical_events").fetchone()[0] == 9


def test_corrected_event_resend_replaces_its_earlier_version(ingest_con, sample_landing, tmp_path):
    ingest(ingest_con, sample_landing, "medical", SAMPLES_AS_OF, tmp_path, "run-1")
    header, rows = read_sample_rows("medical")
    corrected = [r for r in rows if r[0] != "Y20261029000099"]
    write_csv(sample_landing / "medical" / "20261103" / "medical.csv", header, corrected, encoding="gb18030")
    ingest(ingest_con, sample_landing, "medical", dt.date(2026, 11, 4), tmp_path, "run-2")
    status, *_, reason = ledger(ingest_con, "medical", "run-2")["medical/20261103"]
    assert status == "loaded" and "corrected resend" in reason
    assert ingest_con.execute(
        "select count(*) from staged.medical where settlement_id = 'Y20261029000099'"
    ).fetchone()[0] == 0


def test_event_delivery_seen_again_unchanged_is_skipped(ingest_con, sample_landing, tmp_path):
    ingest(ingest_con, sample_landing, "death", SAMPLES_AS_OF, tmp_path, "run-1")
    ingest(ingest_con, sample_landing, "death", dt.date(2026, 11, 4), tmp_path, "run-2")
    assert ledger(ingest_con, "death", "run-2")["death/20261103"][0] == "unchanged"
    assert ingest_con.execute("select count(*) from staged.death").fetchone()[0] == 2


def test_late_event_delivery_is_accumulated(ingest_con, sample_landing, tmp_path):
    ingest(ingest_con, sample_landing, "death", SAMPLES_AS_OF, tmp_path, "run-1")
    write_csv(sample_landing / "death" / "20261101" / "late.csv", ["公民身份号码", "姓名", "死亡日期", "注销日期"],
              [["430482200805065227", "陈思", "2026-10-31", ""]])
    ingest(ingest_con, sample_landing, "death", dt.date(2026, 11, 4), tmp_path, "run-2")
    assert ledger(ingest_con, "death", "run-2")["death/20261101"][0] == "loaded"
    assert ingest_con.execute("select count(*) from staged.death").fetchone()[0] == 3


def test_folder_that_is_not_a_date_is_ignored_with_a_reason(ingest_con, sample_landing, tmp_path):
    (sample_landing / "death" / "latest").mkdir()
    (sample_landing / "death" / "20261332").mkdir()
    ingest(ingest_con, sample_landing, "death", SAMPLES_AS_OF, tmp_path)
    entries = ledger(ingest_con, "death")
    assert entries["death/latest"][0] == "ignored"
    assert entries["death/20261332"][0] == "ignored"


def test_symlink_leading_out_of_the_landing_zone_is_refused(ingest_con, sample_landing, tmp_path):
    outside = tmp_path / "outside" / "20261102"
    outside.mkdir(parents=True)
    shutil.copy(next((sample_landing / "death" / "20261103").iterdir()), outside / "death.csv")
    (sample_landing / "death" / "20261102").symlink_to(outside, target_is_directory=True)
    ingest(ingest_con, sample_landing, "death", SAMPLES_AS_OF, tmp_path)
    status, *_, reason = ledger(ingest_con, "death")["death/20261102"]
    assert status == "rejected" and "symbolic link" in reason


def test_source_that_never_delivered_is_missing_not_empty(ingest_con, tmp_path):
    landing = tmp_path / "empty-landing"
    landing.mkdir()
    outcome = ingest(ingest_con, landing, "vehicle", SAMPLES_AS_OF, tmp_path)
    assert outcome.problem == "missing"
    row = ingest_con.execute("select problem, fresh from ledger.run_sources where source = 'vehicle'").fetchone()
    assert row == ("missing", False)


@pytest.mark.parametrize("kind", ["empty", "header_only"])
def test_empty_file_and_header_only_file(ingest_con, sample_landing, tmp_path, kind):
    header, _ = read_sample_rows("death")
    target = sample_landing / "death" / "20261104" / "death.csv"
    target.parent.mkdir(parents=True)
    if kind == "empty":
        target.write_bytes(b"")
    else:
        write_csv(target, header, [])
    ingest(ingest_con, sample_landing, "death", dt.date(2026, 11, 4), tmp_path)
    status, read, *_ = ledger(ingest_con, "death")["death/20261104"]
    assert status == ("rejected" if kind == "empty" else "loaded")
    if kind == "header_only":
        assert read == 0


def test_new_workbook_delivery_on_a_later_night_is_read(ingest_con, sample_landing, tmp_path):
    ingest(ingest_con, sample_landing, "disability", SAMPLES_AS_OF, tmp_path, "run-1")
    target = sample_landing / "disability" / "20261110"
    target.mkdir()
    shutil.copy(sample_landing / "disability" / "20261103" / "disability.xlsx", target / "残疾人证.xlsx")
    outcome = ingest(ingest_con, sample_landing, "disability", dt.date(2026, 11, 10), tmp_path, "run-2")
    assert outcome.in_force_delivery == "disability/20261110"
    assert ledger(ingest_con, "disability", "run-2")["disability/20261110"][0] == "loaded"


def test_held_back_and_rejected_deliveries_are_not_read_again_when_unchanged(ingest_con, sample_landing, tmp_path):
    ingest(ingest_con, sample_landing, "vehicle", SAMPLES_AS_OF, tmp_path, "run-1")
    header, rows = read_sample_rows("vehicle")
    add_vehicle_delivery(sample_landing, "20261110", rows[:2])
    broken = sample_landing / "housing" / "20261110"
    broken.mkdir()
    (broken / "housing.csv").write_text("权利人,坐落\n王建国,somewhere\n", encoding="utf-8")
    for run_id, day in (("run-2", 10), ("run-3", 11)):
        ingest(ingest_con, sample_landing, "vehicle", dt.date(2026, 11, day), tmp_path, run_id)
        ingest(ingest_con, sample_landing, "housing", dt.date(2026, 11, day), tmp_path, run_id)
    held = ledger(ingest_con, "vehicle", "run-3")["vehicle/20261110"]
    rejected = ledger(ingest_con, "housing", "run-3")["housing/20261110"]
    assert held[0] == "held_back" and "not read again" in held[-1] and held[1] == 2
    assert rejected[0] == "rejected" and "not read again" in rejected[-1] and "不动产单元号" in rejected[-1]
