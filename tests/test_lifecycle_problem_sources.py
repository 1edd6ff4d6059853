"""A problem in one source does not freeze the warnings that fresh data of the other sources settles.

Each test puts a delivery with a problem beside a household that left assistance (CN-S-0001, 已退出 in a fresh
households snapshot). The household's warnings resolve, and the resolved event names the fresh data that resolved
them and the source that kept its last good picture. The rule's other warnings stay open, and none resolves
merely because of the problem: not even one whose condition, on the kept picture, has lapsed with the passing
of time (a window rule whose event source's newer records are in the delivery that was held back).

The rejected and the held-back deliveries go through real nights (`run_night`); a source the ledger reports
`missing` cannot have open warnings in a real night (the pipeline says `missing` only of a source that never
delivered, whose rules therefore never raised anything), so that case runs the real rule catalog and lifecycle on
the samples' staged tables with the ledger rows such a night would write, as `tests/test_lifecycle.py` does.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from hedui.night import run_night
from hedui.rules import raise_warnings
from hedui.rules.catalog import SOURCES
from tests.spec_samples import build_sample_tables
from hedui.run_info import RunInfo
from tests.conftest import SAMPLES_AS_OF, read_sample_rows, write_csv

LEFT = "CN-S-0001"  # leaves assistance in every test
CHEN = "430482197801304687"  # 陈丽华 of CN-S-0002, who stays
SI = "430482200805065227"  # 陈思 of CN-S-0002


def household_leaves(landing: Path, folder: str) -> None:
    """A fresh households snapshot in which CN-S-0001 has left assistance (状态 已退出); the rest unchanged."""
    header, rows = read_sample_rows("households")
    status = header.index("状态")
    rows = [[*r[:status], "已退出", *r[status + 1:]] if r[0] == LEFT else r for r in rows]
    write_csv(landing / "households" / folder / "households.csv", header, rows, encoding="gb18030")


def warnings_of(con) -> dict[tuple, tuple]:
    """Every warning's latest episode: (rule, household, person) -> (status, last_seen_on, resolved_on)."""
    rows = con.execute(
        """
        select rule_code, household_id, person_id, status, last_seen_on, resolved_on
        from alerts.warnings
        qualify row_number() over (partition by subject_key order by episode_seq desc) = 1
        """
    ).fetchall()
    return {(r[0], r[1], r[2]): (r[3], r[4], r[5]) for r in rows}


def resolved_events(con, as_of: dt.date) -> dict[tuple, dict]:
    rows = con.execute(
        """
        select warnings.rule_code, warnings.household_id, warnings.person_id, warning_events.detail
        from alerts.warning_events
        inner join alerts.warnings using (warning_id)
        where warning_events.event = 'resolved' and warning_events.as_of = ?
        """,
        [as_of],
    ).fetchall()
    return {(r[0], r[1], r[2]): json.loads(r[3]) for r in rows}


def rule_stats(con, as_of: dt.date) -> dict:
    return json.loads(con.execute("select stats from alerts.rule_runs where as_of = ?", [as_of]).fetchone()[0])


def assert_left_household_resolved_by_households(events: dict, problem_source: str, expected: set) -> None:
    """Exactly the warnings of the household that left resolved, each naming the fresh households data."""
    assert set(events) == expected
    for subject, detail in events.items():
        assert detail["resolved_by"] == ["households"], subject
        assert "no longer active" in detail["reason"], subject
        reads_problem = problem_source in detail["problem_sources"]
        assert reads_problem == (subject[0] in RULES_READING[problem_source]), subject


RULES_READING = {
    "vehicle": {"ASSET_VEHICLE"},
    "medical": {"HARDSHIP_MEDICAL", "HARDSHIP_MAJOR_ILLNESS"},
}


# --- a rejected snapshot delivery ---------------------------------------------------------------------------

def test_a_rejected_vehicle_delivery_does_not_keep_the_warnings_of_a_household_that_left_open(
        sample_landing, first_night):
    """Night 2: CN-S-0001 leaves assistance; the vehicle delivery is rejected (所有人 missing), and in it 陈丽华's
    car is gone. 王磊's vehicle warning resolves on the fresh households data although the vehicle source has a
    problem; 陈丽华's stays open on the vehicle picture that stands (had the broken delivery been read as her
    car's absence, it would have resolved)."""
    night2 = SAMPLES_AS_OF + dt.timedelta(days=1)
    con = duckdb.connect(str(first_night), read_only=True)
    before = warnings_of(con)
    con.close()
    left_subjects = {s for s in before if s[1] == LEFT}
    assert ("ASSET_VEHICLE", LEFT, "43048219901123357X") in left_subjects

    household_leaves(sample_landing, "20261104")
    header, rows = read_sample_rows("vehicle")
    owner = header.index("所有人")
    rows = [[c for i, c in enumerate(r) if i != owner] for r in rows if r[owner] != "陳麗華"]
    write_csv(sample_landing / "vehicle" / "20261104" / "vehicle.csv", [h for h in header if h != "所有人"], rows,
              encoding="gb18030")
    result = run_night(sample_landing, first_night, night2, deliver=False)
    assert result.outcome == "completed_with_problems"

    con = duckdb.connect(str(first_night), read_only=True)
    try:
        assert con.execute("select problem from ledger.run_sources where source = 'vehicle' and run_id = ?",
                           [result.run_id]).fetchone() == ("rejected",)
        after = warnings_of(con)
        assert after[("ASSET_VEHICLE", LEFT, "43048219901123357X")] == ("resolved", SAMPLES_AS_OF, night2)
        assert after[("ASSET_VEHICLE", "CN-S-0002", CHEN)] == ("open", night2, None)
        assert_left_household_resolved_by_households(resolved_events(con, night2), "vehicle", left_subjects)
        assert all(status == "open" for subject, (status, _, _) in after.items() if subject[1] != LEFT)
        stats = rule_stats(con, night2)
        assert stats["source_problems"] == {"vehicle": "rejected"}
        assert stats["per_rule"]["ASSET_VEHICLE"] == {
            "new": 0, "still_open": 1, "resolved": 1, "suppressed": 0, "held": 0, "deferred": 0}
    finally:
        con.close()


# --- a held-back event delivery, while a window lapses on the picture that stands -----------------------------

MEDICAL_ROW = dict(结算流水号="", 结算类型="正常", 原结算流水号="", 姓名="陈丽华", 身份证号=CHEN, 医疗类别="门诊慢特病",
                   入院日期="", 出院日期="", 结算日期="", 医疗机构名称="常宁市人民医院", 主诊断编码="K80.2",
                   主诊断名称="胆囊结石", 医疗总费用="30000", 统筹基金支付="18000", 大病保险支付="0",
                   医疗救助支付="0", 个人自付="12000")


def medical_delivery(landing: Path, folder: str, settlements: list[tuple[str, str]], damaged: int = 0) -> None:
    """A medical delivery of 陈丽华's settlements (id, date), 12,000 yuan out of pocket each, and `damaged` rows
    whose 结算日期 is no date (each quarantined: together they make the quarantine share jump)."""
    header = list(MEDICAL_ROW)
    rows = [list((MEDICAL_ROW | {"结算流水号": sid, "结算日期": day}).values()) for sid, day in settlements]
    rows += [list((MEDICAL_ROW | {"结算流水号": f"YBAD{n:04d}", "结算日期": "日期不详"}).values())
             for n in range(damaged)]
    write_csv(landing / "medical" / folder / "medical.csv", header, rows, encoding="gb18030")


def test_a_held_back_medical_delivery_resolves_the_household_that_left_and_holds_a_lapsed_window(
        sample_landing, first_night):
    """Night 2 (2026-11-04): a settlement of 陈丽华 (2026-10-26, 12,000 yuan) raises HARDSHIP_MEDICAL for
    CN-S-0002. Night 3, a year on (2027-10-27): CN-S-0001 leaves assistance, and the medical delivery, which
    holds 陈丽华's new settlement of 2027-10-20, is held back for its jump in quarantined rows. On the medical
    picture that stands, both households' settlements have left the 365-day window: CN-S-0001's medical warnings
    resolve, since fresh households data shows it left; CN-S-0002's is held, since only the missing records
    could tell. (CN-S-0003's income warning also resolves on night 3: its 2026 income has left the income window,
    and no source of the income rules has a problem.) Night 4: the delivery comes again, clean, and CN-S-0002's
    condition does hold: the hold kept a warning the held-back records support."""
    night2, night3, night4 = SAMPLES_AS_OF + dt.timedelta(days=1), dt.date(2027, 10, 27), dt.date(2027, 10, 28)
    medical_delivery(sample_landing, "20261104", [("Y20261026000777", "2026-10-26")])
    run_night(sample_landing, first_night, night2, deliver=False)
    con = duckdb.connect(str(first_night), read_only=True)
    before = warnings_of(con)
    con.close()
    chen_medical = ("HARDSHIP_MEDICAL", "CN-S-0002", None)
    assert before[chen_medical] == ("open", night2, None)
    left_subjects = {s for s, (status, _, _) in before.items() if s[1] == LEFT and status == "open"}
    assert {("HARDSHIP_MEDICAL", LEFT, None), ("HARDSHIP_MAJOR_ILLNESS", LEFT, "430482196203151313")} <= left_subjects

    household_leaves(sample_landing, "20271027")
    medical_delivery(sample_landing, "20271027", [("Y20271020000123", "2027-10-20")], damaged=6)
    result = run_night(sample_landing, first_night, night3, deliver=False, allow_future_as_of=True)
    assert result.outcome == "completed_with_problems"

    con = duckdb.connect(str(first_night), read_only=True)
    try:
        status, reason = con.execute("select status, reason from ledger.deliveries where delivery_id = "
                                     "'medical/20271027' and run_id = ?", [result.run_id]).fetchone()
        assert status == "held_back" and "quarantine share" in reason
        after = warnings_of(con)
        assert after[chen_medical] == ("open", night2, None)  # held: not seen, not resolved
        assert after[("HARDSHIP_MEDICAL", LEFT, None)] == ("resolved", night2, night3)
        events = resolved_events(con, night3)
        assert_left_household_resolved_by_households({s: d for s, d in events.items() if s[1] == LEFT}, "medical",
                                                     left_subjects)
        # a year on, CN-S-0003's income (2026) has left the window of the three months before the as-of month; the
        # income rules read no medical data and their sources have no problem tonight (they only sent nothing
        # new), so the lapse is taken at face value: a plain resolution, naming no problem source
        assert {s: d for s, d in events.items() if s[1] != LEFT} == {
            ("INCOME_ABOVE_STANDARD", "CN-S-0003", None):
                {"reason": "the condition no longer holds in fresh data", "resolved_by": None, "problem_sources": []}}
        stats = rule_stats(con, night3)
        assert stats["source_problems"] == {"medical": "held_back"}
        assert (stats["per_rule"]["HARDSHIP_MEDICAL"]["held"], stats["per_rule"]["HARDSHIP_MEDICAL"]["resolved"]) \
            == (1, 1)
    finally:
        con.close()

    medical_delivery(sample_landing, "20271027", [("Y20271020000123", "2027-10-20")])  # resent clean
    run_night(sample_landing, first_night, night4, deliver=False, allow_future_as_of=True)
    con = duckdb.connect(str(first_night), read_only=True)
    try:
        assert warnings_of(con)[chen_medical] == ("open", night4, None)
        assert con.execute("select count(*) from alerts.warning_events e join alerts.warnings w using (warning_id) "
                           "where w.household_id = 'CN-S-0002' and e.event = 'resolved'").fetchone()[0] == 0
    finally:
        con.close()


# --- a source the ledger reports missing, at the rule engine ----------------------------------------------

@pytest.fixture
def con():
    connection = duckdb.connect(":memory:")
    build_sample_tables(connection)
    yield connection
    connection.close()


def night(con, as_of, run_id, problems=None):
    """One run of the real catalog and lifecycle, with the ledger.run_sources rows a night writes."""
    problems = problems or {}
    con.executemany(
        "insert into ledger.run_sources (run_id, source, problem, fresh) values (?, ?, ?, ?)",
        [(run_id, source, problems.get(source), source not in problems) for source in SOURCES],
    )
    return raise_warnings(con, RunInfo(run_id, as_of))


def settle_for_chen(con, settled_on: dt.date) -> None:
    """A settlement of 陈丽华 with 12,000 yuan out of pocket, staged and linked: HARDSHIP_MEDICAL for CN-S-0002."""
    con.execute(
        """
        insert into staged.medical
        select * replace (
            'Y-CHEN' as record_key, 'Y-CHEN' as settlement_id, '陈丽华' as person_name, '陈丽华' as person_name_norm,
            $chen as id_raw, $chen as id_norm, $settled_on as settled_on, 'K80.2' as diagnosis_code,
            12000 as out_of_pocket
        )
        from staged.medical
        where out_of_pocket = 11900
        limit 1
        """,
        {"chen": CHEN, "settled_on": settled_on},
    )
    con.execute("insert into linked.links (source, record_key, person_id, household_id, method) "
                "values ('medical', 'Y-CHEN', ?, 'CN-S-0002', 'exact')", [CHEN])


def test_a_missing_medical_source_neither_resolves_a_lapsed_window_nor_keeps_a_household_that_left_open(con):
    """Both CN-S-0001 and CN-S-0002 have HARDSHIP_MEDICAL open. A year on, the medical source is reported missing,
    and on the picture that stands both households' settlements have left the window; CN-S-0001 has also left
    assistance in the fresh households snapshot. CN-S-0001's warnings resolve, naming the households data;
    CN-S-0002's is held. The night after, with the medical source fresh again, the lapse does resolve."""
    settle_for_chen(con, dt.date(2026, 10, 26))
    night(con, SAMPLES_AS_OF, "r1")
    chen_medical = ("HARDSHIP_MEDICAL", "CN-S-0002", None)
    assert warnings_of(con)[chen_medical][0] == "open"

    year_on = dt.date(2027, 10, 27)
    con.execute("update staged.households set status = '已退出' where household_id = ?", [LEFT])
    stats = night(con, year_on, "r2", problems={"medical": "missing"})
    after = warnings_of(con)
    assert after[chen_medical] == ("open", SAMPLES_AS_OF, None)
    assert after[("HARDSHIP_MEDICAL", LEFT, None)] == ("resolved", SAMPLES_AS_OF, year_on)
    events = resolved_events(con, year_on)
    assert events[("HARDSHIP_MEDICAL", LEFT, None)] == {
        "reason": "fresh households data: the household is no longer active",
        "resolved_by": ["households"],
        "problem_sources": ["medical"],
    }
    assert events[("HARDSHIP_MAJOR_ILLNESS", LEFT, "430482196203151313")]["reason"] == (
        "fresh households data: the member's household is no longer active")
    assert not [subject for subject in events if subject[1] != LEFT]
    assert (stats.per_rule["HARDSHIP_MEDICAL"].held, stats.per_rule["HARDSHIP_MEDICAL"].resolved) == (1, 1)

    night(con, year_on + dt.timedelta(days=1), "r3")
    assert warnings_of(con)[chen_medical][0] == "resolved"


# --- which fresh data counts, at the rule engine -----------------------------------------------------------

def test_a_member_who_left_the_household_in_fresh_members_data_resolves_while_the_certificates_are_missing(con):
    """陈思 leaves CN-S-0002 in the fresh members snapshot while the disability source is missing: her
    HARDSHIP_DISABILITY warning resolves on the members data; her mother's, whose certificate the disability
    picture no longer shows (a picture the ledger says is not good), is held."""
    night(con, SAMPLES_AS_OF, "r1")
    con.execute("delete from staged.members where id_norm = ?", [SI])
    con.execute("delete from staged.disability where id_norm = ?", [CHEN])
    stats = night(con, SAMPLES_AS_OF + dt.timedelta(days=1), "r2", problems={"disability": "missing"})
    after = warnings_of(con)
    assert after[("HARDSHIP_DISABILITY", "CN-S-0002", SI)][0] == "resolved"
    assert after[("HARDSHIP_DISABILITY", "CN-S-0002", CHEN)] == ("open", SAMPLES_AS_OF, None)
    detail = resolved_events(con, SAMPLES_AS_OF + dt.timedelta(days=1))[("HARDSHIP_DISABILITY", "CN-S-0002", SI)]
    assert (detail["resolved_by"], detail["problem_sources"]) == (["members"], ["disability"])
    assert stats.per_rule["HARDSHIP_DISABILITY"].held == 1


def test_scope_judged_on_a_source_with_a_problem_does_not_resolve(con):
    """The households delivery itself has a problem: its staged picture (here changed, which real ingestion never
    lets happen) is no fresh evidence that CN-S-0001 left, so its warnings whose condition lapsed are held."""
    night(con, SAMPLES_AS_OF, "r1")
    con.execute("update staged.households set status = '已退出' where household_id = ?", [LEFT])
    stats = night(con, SAMPLES_AS_OF + dt.timedelta(days=1), "r2", problems={"households": "rejected"})
    assert stats.totals.resolved == 0
    assert stats.totals.held == sum(1 for s in warnings_of(con) if s[1] == LEFT)
    assert all(status == "open" for status, _, _ in warnings_of(con).values())


def test_an_outreach_person_who_joined_an_active_household_resolves_while_deaths_are_missing(con):
    """刘强 (outreach: severe disability, in no household) becomes a member of the active CN-S-0003 in fresh
    households and members data on a night the death source is missing: the outreach warning resolves."""
    night(con, SAMPLES_AS_OF, "r1")
    liu = "430482197209099119"
    con.execute(
        """
        insert into staged.members
        select * replace ('CN-S-0003|' || $liu as record_key, '刘强' as person_name, '刘强' as person_name_norm,
                          $liu as id_raw, $liu as id_norm, '配偶' as relation)
        from staged.members
        where household_id = 'CN-S-0003'
        """,
        {"liu": liu},
    )
    stats = night(con, SAMPLES_AS_OF + dt.timedelta(days=1), "r2", problems={"death": "missing"})
    assert warnings_of(con)[("OUTREACH_SEVERE_DISABILITY", None, liu)][0] == "resolved"
    detail = resolved_events(con, SAMPLES_AS_OF + dt.timedelta(days=1))[("OUTREACH_SEVERE_DISABILITY", None, liu)]
    assert detail["resolved_by"] == ["households", "members"] and detail["problem_sources"] == ["death"]
    assert stats.per_rule["OUTREACH_SEVERE_DISABILITY"].resolved == 1
