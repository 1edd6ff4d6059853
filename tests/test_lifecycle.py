"""The warning lifecycle across nights, on the spec samples."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from hedui.rules import raise_warnings, record_outcome
from hedui.rules.catalog import SOURCES
from hedui.run_info import AsOfBeforeLatestRun, RunInfo
from tests.conftest import SAMPLES_AS_OF
from tests.spec_samples import build_sample_tables

DAY1 = SAMPLES_AS_OF
DAY2 = SAMPLES_AS_OF + dt.timedelta(days=1)
DAY3 = SAMPLES_AS_OF + dt.timedelta(days=2)
LEI_CAR = ("ASSET_VEHICLE", "CN-S-0001", "43048219901123357X")


@pytest.fixture
def con():
    connection = duckdb.connect(":memory:")
    build_sample_tables(connection)
    yield connection
    connection.close()


def night(con, as_of, run_id, problems=None):
    """One run, with its ledger.run_sources rows: every source fresh unless `problems` says otherwise."""
    problems = problems or {}
    con.executemany(
        "insert into ledger.run_sources (run_id, source, problem, fresh) values (?, ?, ?, ?)",
        [(run_id, source, problems.get(source), source not in problems) for source in SOURCES],
    )
    return raise_warnings(con, RunInfo(run_id, as_of))


def warning(con, subject):
    code, household, person = subject
    return con.execute(
        """
        select warning_id, status, first_raised_on, last_seen_on, resolved_on, reopened_from, evidence_fingerprint
        from alerts.warnings
        where rule_code = ? and household_id is not distinct from ? and person_id is not distinct from ?
        order by episode_seq desc
        """,
        [code, household, person],
    ).fetchall()


def events(con, warning_id=None):
    sql = "select warning_id, run_id, event, status_after from alerts.warning_events"
    if warning_id:
        return con.execute(sql + " where warning_id = ? order by recorded_at", [warning_id]).fetchall()
    return con.execute(sql + " order by recorded_at").fetchall()


def snapshot(con):
    return (
        con.execute("select * exclude (evidence), cast(evidence as varchar) from alerts.warnings order by warning_id").fetchall(),
        con.execute("select count(*) from alerts.warning_events").fetchone()[0],
    )


def new_vehicle_delivery(con, delivery_id):
    """The vehicle snapshot delivered again, unchanged in content."""
    con.execute("update staged.vehicle set delivery_id = ?", [delivery_id])


def add_second_car_for_lei(con, delivery_id="vehicle/20261104"):
    con.execute(
        """
        insert into staged.vehicle (delivery_id, file, row_number, record_key, person_name, person_name_norm, id_raw,
            id_norm, id_valid, plate, plate_type, vehicle_type, use_nature, registered_on, vehicle_status)
        values (?, 'vehicle.csv', 6, '湘D7Z1Z1|43048219901123357X|王磊', '王磊', '王磊', '43048219901123357X',
            '43048219901123357X', true, '湘D7Z1Z1', '小型汽车', '小型轿车', '非营运', date '2026-11-01', '正常')
        """,
        [delivery_id],
    )
    con.execute(
        """
        insert into linked.links (source, record_key, person_id, household_id, method, score)
        values ('vehicle', '湘D7Z1Z1|43048219901123357X|王磊', '43048219901123357X', 'CN-S-0001', 'exact', null)
        """
    )


def transfer_leis_cars(con):
    con.execute("update staged.vehicle set vehicle_status = '转出', delivery_id = 'vehicle/20261104' where person_name = '王磊'")


def test_next_night_keeps_id_and_first_raised_on_and_moves_last_seen_on(con):
    night(con, DAY1, "r1")
    before = {row[0]: row for row in con.execute("select warning_id, first_raised_on from alerts.warnings").fetchall()}
    stats = night(con, DAY2, "r2")
    after = con.execute("select warning_id, first_raised_on, last_seen_on, status from alerts.warnings").fetchall()
    assert {row[0] for row in after} == set(before)
    assert {(row[1], row[2], row[3]) for row in after} == {(DAY1, DAY2, "open")}
    assert stats.totals.still_open == 9 and stats.totals.new == 0
    assert [e for e in events(con) if e[2] != "raised"] == []


def test_warning_ids_are_deterministic_across_warehouses():
    ids = []
    for _ in range(2):
        connection = duckdb.connect(":memory:")
        build_sample_tables(connection)
        raise_warnings(connection, RunInfo("some-run", DAY1))
        ids.append(sorted(r[0] for r in connection.execute("select warning_id from alerts.warnings").fetchall()))
        connection.close()
    assert ids[0] == ids[1]


def test_fresh_snapshot_without_the_condition_resolves_the_warning(con):
    night(con, DAY1, "r1")
    transfer_leis_cars(con)
    stats = night(con, DAY2, "r2")
    [(warning_id, status, first, last, resolved_on, _, _)] = warning(con, LEI_CAR)
    assert (status, first, last, resolved_on) == ("resolved", DAY1, DAY1, DAY2)
    assert stats.per_rule["ASSET_VEHICLE"].resolved == 1
    assert events(con, warning_id)[-1][1:] == ("r2", "resolved", "resolved")


@pytest.mark.parametrize("problem", ["held_back", "rejected", "missing", "failed"])
def test_source_with_a_problem_never_resolves_a_warning_even_if_its_staged_picture_changed(con, problem):
    """Defence in depth, at the rule engine: the ledger says the vehicle source has a problem, yet its staged
    picture changed (which real ingestion never lets happen); the engine still holds the warning. The same
    promise through real ingestion, real ledger rows and real nights (rejected, held back, failed, failed
    partway through writing) is `tests/test_last_good_picture.py`."""
    night(con, DAY1, "r1")
    transfer_leis_cars(con)  # defence in depth: the staged picture changed although the ledger says it is not good
    stats = night(con, DAY2, "r2", problems={"vehicle": problem})
    [(warning_id, status, _, last, resolved_on, _, _)] = warning(con, LEI_CAR)
    assert (status, last, resolved_on) == ("open", DAY1, None)
    assert stats.per_rule["ASSET_VEHICLE"].held == 1
    assert stats.source_problems == {"vehicle": problem}
    # another rule's warnings, whose sources are fine, are unaffected
    assert stats.per_rule["CHANGE_DECEASED"].still_open == 1
    # once the source is fresh again, the absence does resolve it
    night(con, DAY3, "r3")
    assert warning(con, LEI_CAR)[0][1] == "resolved"


def test_stale_source_picture_does_not_resolve(con):
    night(con, DAY1, "r1")
    transfer_leis_cars(con)
    con.execute(
        "insert into ledger.run_sources (run_id, source, problem, fresh) select 'r2', unnest(?), null, true",
        [[s for s in SOURCES if s != "vehicle"]],
    )
    con.execute("insert into ledger.run_sources (run_id, source, problem, fresh) values ('r2', 'vehicle', null, false)")
    raise_warnings(con, RunInfo("r2", DAY2))
    assert warning(con, LEI_CAR)[0][1] == "open"


def test_absence_based_rule_defers_new_warnings_while_its_source_has_a_problem(con):
    night(con, DAY1, "r1")
    # the members picture loses 陈思: the outreach rule would now see her as in no household
    con.execute("delete from staged.members where person_name = '陈思'")
    con.execute("delete from linked.links where person_id = '430482200805065227'")
    stats = night(con, DAY2, "r2", problems={"members": "rejected"})
    outreach_si = ("OUTREACH_SEVERE_DISABILITY", None, "430482200805065227")
    assert warning(con, outreach_si) == []
    assert stats.per_rule["OUTREACH_SEVERE_DISABILITY"].deferred == 1
    # the vehicle rule reads members too, but raises from records present: its warnings stay as they are
    assert stats.per_rule["ASSET_VEHICLE"].still_open == 2
    night(con, DAY3, "r3")
    assert warning(con, outreach_si)[0][1] == "open"


def test_dismissed_warning_stays_dismissed_while_evidence_is_unchanged(con):
    night(con, DAY1, "r1")
    [(warning_id, *_)] = warning(con, LEI_CAR)
    record_outcome(con, warning_id, "不属实", "车辆已于10月底过户给他人", as_of=DAY1)
    new_vehicle_delivery(con, "vehicle/20261104")  # the same records in a newer delivery
    stats = night(con, DAY2, "r2")
    rows = warning(con, LEI_CAR)
    assert [(r[0], r[1]) for r in rows] == [(warning_id, "dismissed")]
    assert stats.per_rule["ASSET_VEHICLE"].suppressed == 1
    assert stats.per_rule["ASSET_VEHICLE"].new == 0


def test_dismissed_warning_comes_back_as_a_new_episode_when_evidence_changes(con):
    night(con, DAY1, "r1")
    [(old_id, *_)] = warning(con, LEI_CAR)
    record_outcome(con, old_id, "dismissed", "car sold", as_of=DAY1)
    add_second_car_for_lei(con)
    stats = night(con, DAY2, "r2")
    [(new_id, status, first, last, _, reopened_from, _), (same_old, old_status, *_)] = warning(con, LEI_CAR)
    assert new_id != old_id and same_old == old_id
    assert (status, first, last, reopened_from, old_status) == ("open", DAY2, DAY2, old_id, "dismissed")
    assert stats.per_rule["ASSET_VEHICLE"].new == 1
    assert [e[2] for e in events(con, new_id)] == ["reopened"]


def test_resolved_warning_whose_condition_returns_opens_a_new_episode(con):
    night(con, DAY1, "r1")
    transfer_leis_cars(con)
    night(con, DAY2, "r2")
    con.execute("update staged.vehicle set vehicle_status = '正常', delivery_id = 'vehicle/20261105' where person_name = '王磊'")
    night(con, DAY3, "r3")
    [(new_id, status, first, _, _, reopened_from, _), (old_id, old_status, _, _, resolved_on, _, _)] = warning(con, LEI_CAR)
    assert (status, first, old_status, resolved_on) == ("open", DAY3, "resolved", DAY2)
    assert reopened_from == old_id and new_id != old_id
    assert con.execute("select due_on from alerts.warnings where warning_id = ?", [new_id]).fetchone()[0] > DAY3


def test_changed_evidence_of_an_open_warning_is_updated_in_place_with_an_event(con):
    night(con, DAY1, "r1")
    [(warning_id, _, _, _, _, _, old_fingerprint)] = warning(con, LEI_CAR)
    add_second_car_for_lei(con)
    night(con, DAY2, "r2")
    [(same_id, status, first, last, _, _, fingerprint)] = warning(con, LEI_CAR)
    assert (same_id, status, first, last) == (warning_id, "open", DAY1, DAY2)
    assert fingerprint != old_fingerprint
    assert [e[2] for e in events(con, warning_id)] == ["raised", "evidence_changed"]
    plates = con.execute(
        "select evidence ->> '$.records[*].fields.号牌号码' from alerts.warnings where warning_id = ?", [warning_id]
    ).fetchone()[0]
    assert sorted(plates) == ["湘D3K7Q2", "湘D7Z1Z1"]


def test_a_newer_delivery_of_the_same_records_keeps_the_fingerprint(con):
    night(con, DAY1, "r1")
    [(warning_id, *_, fingerprint)] = warning(con, LEI_CAR)
    new_vehicle_delivery(con, "vehicle/20261104")
    night(con, DAY2, "r2")
    [(_, *_, same_fingerprint)] = warning(con, LEI_CAR)
    assert same_fingerprint == fingerprint
    assert [e[2] for e in events(con, warning_id)] == ["raised"]
    delivery = con.execute(
        "select evidence ->> '$.records[0].delivery_id' from alerts.warnings where warning_id = ?", [warning_id]
    ).fetchone()[0]
    assert delivery == "vehicle/20261104"


def test_rerunning_the_same_as_of_date_changes_nothing(con):
    night(con, DAY1, "r1")
    transfer_leis_cars(con)
    night(con, DAY2, "r2")
    before = snapshot(con)
    stats = night(con, DAY2, "r2-again")
    assert snapshot(con) == before
    assert stats.totals.new == 0 and stats.totals.resolved == 0


def test_an_as_of_date_earlier_than_the_latest_processed_is_refused(con):
    night(con, DAY2, "r1")
    before = snapshot(con)
    with pytest.raises(AsOfBeforeLatestRun, match="2026-11-03 is earlier than 2026-11-04"):
        night(con, DAY1, "r0")
    assert snapshot(con) == before
