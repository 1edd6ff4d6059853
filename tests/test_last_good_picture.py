"""A delivery that is rejected, held back or fails keeps the last good picture, across real nights.

Night 1 is the samples' first night. On night 2 the vehicle department sends a new snapshot in which 王磊's
car (the ASSET_VEHICLE warning of CN-S-0001) is gone; had it been taken, that warning would resolve. The
delivery has a problem (it lacks a required column, holds an implausible drop, its connector fails, or the
source fails partway through writing its rows), so night 2 and night 3 must keep night 1's vehicle rows, say
why in the ledger, and keep the warning open. Once a good delivery arrives, the warning resolves: the
delivery would have mattered.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from hedui.night import run_night
from tests.conftest import SAMPLES_AS_OF, read_sample_rows, write_csv

NIGHT2, NIGHT3, NIGHT4 = (SAMPLES_AS_OF + dt.timedelta(days=n) for n in (1, 2, 3))
LEI = "43048219901123357X"
PICTURE = "select * from staged.vehicle order by record_key"


def vehicle_delivery(landing: Path, folder: str, problem: str) -> None:
    """The night-2 vehicle snapshot without 王磊's car, damaged as `problem` says."""
    header, rows = read_sample_rows("vehicle")
    without_lei = [r for r in rows if r[4] != LEI]
    if problem == "rejected":  # 所有人 (the owner's name, required) missing
        keep = [i for i, h in enumerate(header) if h != "所有人"]
        header, without_lei = [header[i] for i in keep], [[r[i] for i in keep] for r in without_lei]
    elif problem == "held_back":  # one row against five in force: below the 50 % floor
        without_lei = without_lei[:1]
    write_csv(landing / "vehicle" / folder / "vehicle.csv", header, without_lei, encoding="gb18030")


def fail_vehicle(monkeypatch, problem: str) -> None:
    if problem == "failed":  # the connector itself raises, before writing anything (a share that is gone)
        from hedui import stages

        real = stages.ingest

        def ingest(con, landing, source, run, **kwargs):
            if source == "vehicle":
                raise OSError("share unavailable")
            return real(con, landing, source, run, **kwargs)

        monkeypatch.setattr(stages, "ingest", ingest)
    elif problem == "failed_partway":  # inside the source's transaction, after its staged rows were replaced
        import connectors.ingest as ingest_module

        real_record = ingest_module._record_run_source

        def record(con, run, source, outcome):
            if source.name == "vehicle" and outcome.problem is None:
                assert con.execute("select count(*) from staged.vehicle").fetchone()[0] == 4  # rows half-written
                raise OSError("connection to the share dropped while writing")
            return real_record(con, run, source, outcome)

        monkeypatch.setattr(ingest_module, "_record_run_source", record)


def lei_warning(con) -> tuple:
    return con.execute("select status, last_seen_on, resolved_on from alerts.warnings "
                       "where rule_code = 'ASSET_VEHICLE' and person_id = ?", [LEI]).fetchone()


def vehicle_source(con, as_of: dt.date) -> tuple:
    return con.execute("select problem, fresh, in_force_delivery, rows_in_force from ledger.run_sources "
                       "where source = 'vehicle' and run_id = (select run_id from ledger.runs where as_of = ?)",
                       [as_of]).fetchone()


@pytest.mark.parametrize("problem", ["rejected", "held_back", "failed", "failed_partway"])
def test_a_bad_vehicle_delivery_keeps_the_last_good_picture_and_its_warnings_for_two_nights(
        problem, sample_landing, first_night, monkeypatch):
    con = duckdb.connect(str(first_night), read_only=True)
    night1_rows, night1_raw = con.execute(PICTURE).fetchall(), con.execute(
        "select * from raw.vehicle order by all").fetchall()
    assert lei_warning(con)[0] == "open"
    con.close()

    vehicle_delivery(sample_landing, "20261104", problem)
    with monkeypatch.context() as patch:
        fail_vehicle(patch, problem)
        for night in (NIGHT2, NIGHT3):
            result = run_night(sample_landing, first_night, night, deliver=False)
            assert result.outcome == "completed_with_problems"
            assert result.failed_sources == (["vehicle"] if problem.startswith("failed") else [])

    con = duckdb.connect(str(first_night), read_only=True)
    try:
        expected_problem = "failed" if problem.startswith("failed") else problem
        for night in (NIGHT2, NIGHT3):
            assert vehicle_source(con, night) == (expected_problem, False, "vehicle/20261103", 5), night
        # the old staged rows remain, whole: no half-written picture, no row of the new delivery
        assert con.execute(PICTURE).fetchall() == night1_rows
        assert con.execute("select * from raw.vehicle order by all").fetchall() == night1_raw
        assert con.execute("select in_force_delivery from ledger.source_state where source = 'vehicle'"
                           ).fetchone() == ("vehicle/20261103",)
        assert con.execute("select count(*) from quarantine.rows where delivery_id = 'vehicle/20261104'"
                           ).fetchone()[0] == 0
        if problem.startswith("failed"):
            assert con.execute("select count(*) from ledger.deliveries where delivery_id = 'vehicle/20261104'"
                               ).fetchone()[0] == 0  # nothing of the failed attempt was committed
        else:
            assert {s for (s,) in con.execute("select status from ledger.deliveries "
                                              "where delivery_id = 'vehicle/20261104'").fetchall()} == {problem}
        # the rule engine knew of the problem; on the kept picture both vehicle warnings still hold
        for night in (NIGHT2, NIGHT3):
            stats = json.loads(con.execute("select stats from alerts.rule_runs where as_of = ?", [night]).fetchone()[0])
            assert stats["source_problems"] == {"vehicle": expected_problem}
            assert stats["per_rule"]["ASSET_VEHICLE"]["still_open"] == 2 and stats["totals"]["resolved"] == 0
        # the warning stays open, seen on both nights, never resolved
        assert lei_warning(con) == ("open", NIGHT3, None)
        assert con.execute("select count(*) from alerts.warning_events where event = 'resolved'").fetchone()[0] == 0
    finally:
        con.close()

    # a good delivery on night 4 is taken, and only then does the warning resolve
    vehicle_delivery(sample_landing, "20261106", "none")
    run_night(sample_landing, first_night, NIGHT4, deliver=False)
    con = duckdb.connect(str(first_night), read_only=True)
    try:
        assert vehicle_source(con, NIGHT4) == (None, True, "vehicle/20261106", 4)
        assert lei_warning(con) == ("resolved", NIGHT3, NIGHT4)
    finally:
        con.close()
