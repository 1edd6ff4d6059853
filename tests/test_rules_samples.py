"""The rule catalog on the spec samples: exactly the nine expected warnings, and their evidence."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from hedui.policy import Policy, PolicyError
from hedui.rules import load_catalog, raise_warnings
from hedui.run_info import RunInfo
from tests.conftest import SAMPLES_AS_OF
from tests.spec_samples import EXPECTED_SAMPLE_WARNINGS, build_sample_tables

CONTRACT_COLUMNS = [
    "warning_id", "rule_code", "household_id", "person_id", "township", "severity", "status",
    "first_raised_on", "last_seen_on", "due_on", "evidence",
]


@pytest.fixture
def con():
    connection = duckdb.connect(":memory:")
    build_sample_tables(connection)
    yield connection
    connection.close()


def _subjects(con, status="open"):
    return set(
        con.execute(
            "select rule_code, household_id, person_id from main.warnings where status = ?", [status]
        ).fetchall()
    )


def test_samples_raise_exactly_the_nine_expected_warnings(con):
    stats = raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF))
    rows = con.execute("select rule_code, household_id, person_id from main.warnings").fetchall()
    assert len(rows) == 9
    assert set(rows) == EXPECTED_SAMPLE_WARNINGS
    assert stats.totals.new == 9


def test_sample_warnings_are_due_fifteen_official_working_days_later(con):
    stats = raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF))
    assert stats.due_on == dt.date(2026, 11, 24)
    assert con.execute("select distinct due_on, due_basis, first_raised_on, last_seen_on from main.warnings").fetchall() == [
        (dt.date(2026, 11, 24), "official_calendar", SAMPLES_AS_OF, SAMPLES_AS_OF)
    ]


def test_warnings_view_exposes_the_contract_columns_first(con):
    raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF))
    columns = [row[0] for row in con.execute("select * from main.warnings limit 0").description]
    assert columns[: len(CONTRACT_COLUMNS)] == CONTRACT_COLUMNS


def test_outreach_is_unrouted_and_member_warnings_go_to_the_household_township(con):
    raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF))
    townships = dict(
        ((code, hh, pid), township)
        for code, hh, pid, township in con.execute(
            "select rule_code, household_id, person_id, township from main.warnings"
        ).fetchall()
    )
    assert townships[("OUTREACH_SEVERE_DISABILITY", None, "430482197209099119")] is None
    assert townships[("ASSET_VEHICLE", "CN-S-0002", "430482197801304687")] == "宜阳街道"
    assert townships[("ASSET_PROPERTY", "CN-S-0001", None)] == "烟洲镇"


def test_outreach_is_routed_when_the_address_names_a_known_township(con):
    con.execute(
        "update staged.disability set registered_address = '湖南省衡阳市常宁市塔山乡石塘村1组' where person_name = '刘强'"
    )
    raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF))
    assert con.execute(
        "select township, county from main.warnings where rule_code = 'OUTREACH_SEVERE_DISABILITY'"
    ).fetchall() == [("塔山乡", "常宁市")]


def test_evidence_names_records_link_and_applied_thresholds(con):
    raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF))
    evidence = json.loads(
        con.execute(
            "select evidence from main.warnings where rule_code = 'ASSET_VEHICLE' and household_id = 'CN-S-0002'"
        ).fetchone()[0]
    )
    [record] = evidence["records"]
    assert record["source"] == "vehicle"
    assert record["delivery_id"] == "vehicle/20261103"
    assert record["file"] == "vehicle.csv"
    assert record["row_number"] == 2
    assert record["link_method"] == "fuzzy"
    assert record["link_score"] == pytest.approx(11.7)
    assert record["fields"]["号牌号码"] == "湘DD52880"
    assert "普通二轮摩托车" in evidence["thresholds"]["exempt_vehicle_types"]
    assert evidence["summary_zh"].startswith("车管部门")


def test_medical_total_counts_the_resent_settlement_once_and_nets_the_reversal(con):
    raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF))
    facts = json.loads(
        con.execute("select evidence ->> '$.facts' from main.warnings where rule_code = 'HARDSHIP_MEDICAL'").fetchone()[0]
    )
    assert facts["net_out_of_pocket_total"] == pytest.approx(11900)
    assert facts["meets_total_threshold"] is True


@pytest.mark.parametrize(("net_total", "raised"), [(10000, True), (9999.99, False)])
def test_medical_total_threshold_is_ten_thousand_yuan_inclusive(con, net_total, raised):
    """The policy's threshold, at its edge: CN-S-0001's net out-of-pocket total set to exactly 10,000 yuan
    raises, one fen less does not. Its declared income is made high enough that the income test cannot apply,
    so only the total threshold decides."""
    con.execute("update staged.households set declared_monthly_income = 100000 where household_id = 'CN-S-0001'")
    con.execute("update staged.medical set out_of_pocket = out_of_pocket - ? where settlement_id = 'Y20261020000187'",
                [11900 - net_total])
    raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF))
    rows = con.execute("select evidence ->> '$.facts' from main.warnings where rule_code = 'HARDSHIP_MEDICAL' "
                       "and household_id = 'CN-S-0001'").fetchall()
    assert len(rows) == (1 if raised else 0)
    if raised:
        facts = json.loads(rows[0][0])
        assert facts["net_out_of_pocket_total"] == pytest.approx(10000)
        assert (facts["meets_total_threshold"], facts["meets_income_test"]) == (True, False)


def test_medical_income_test_raises_below_the_total_threshold(con):
    # CN-S-0002 declares 0 income: 2,000 yuan out of pocket meets the income test
    con.execute("update staged.medical set out_of_pocket = 2500 where settlement_id = 'Y20261021000033'")
    raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF))
    facts = json.loads(
        con.execute(
            "select evidence ->> '$.facts' from main.warnings where rule_code = 'HARDSHIP_MEDICAL' and household_id = 'CN-S-0002'"
        ).fetchone()[0]
    )
    assert facts["meets_total_threshold"] is False
    assert facts["meets_income_test"] is True


@pytest.mark.parametrize(
    ("days_before_as_of", "counted"),
    [(0, True), (364, True), (365, False)],
)
def test_medical_window_is_365_days_with_both_ends_included(con, days_before_as_of, counted):
    con.execute(
        "update staged.medical set settled_on = ? where settlement_id = 'Y20261020000187'",
        [SAMPLES_AS_OF - dt.timedelta(days=days_before_as_of)],
    )
    raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF))
    subjects = _subjects(con)
    assert (("HARDSHIP_MEDICAL", "CN-S-0001", None) in subjects) is counted
    assert (("HARDSHIP_MAJOR_ILLNESS", "CN-S-0001", "430482196203151313") in subjects) is counted


@pytest.mark.parametrize(
    ("code", "listed"),
    [
        ("C34.9", True), ("C34", True), ("C97", True), ("C98.1", False), ("D61.0", True), ("D62", False),
        ("N18.5", True), ("N18.6", True), ("N18.3", False), ("N18", False), ("Q26.8", True), ("Q27", False),
        ("Z94", True), ("Z940", True), ("Z9", False), ("F31.2", True), ("F32", False), ("c50.1", True),
    ],
)
def test_major_illness_code_matches_listed_code_followed_by_dot_or_digit(con, code, listed):
    con.execute("update staged.medical set diagnosis_code = ? where settlement_id = 'Y20261020000187'", [code])
    raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF))
    assert (("HARDSHIP_MAJOR_ILLNESS", "CN-S-0001", "430482196203151313") in _subjects(con)) is listed


def test_major_illness_ignores_a_reversed_settlement(con):
    con.execute(
        """
        insert into staged.medical (delivery_id, file, row_number, record_key, person_name, person_name_norm, id_raw,
            id_norm, id_valid, settlement_id, settlement_type, original_settlement_id, settled_on, diagnosis_code,
            out_of_pocket)
        values ('medical/20261103', 'medical.csv', 9, 'R1', '王建国', '王建国', '430482196203151313',
            '430482196203151313', true, 'R1', '冲销', 'Y20261020000187', date '2026-11-01', 'C34.9', -11900)
        """
    )
    raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF))
    subjects = _subjects(con)
    assert ("HARDSHIP_MAJOR_ILLNESS", "CN-S-0001", "430482196203151313") not in subjects
    assert ("HARDSHIP_MEDICAL", "CN-S-0001", None) not in subjects


@pytest.mark.parametrize(("birth", "raised"), [(dt.date(2010, 11, 3), True), (dt.date(2010, 11, 4), False)])
def test_outreach_needs_the_person_to_be_sixteen_on_the_as_of_date(con, birth, raised):
    # a valid ID of a person who turns 16 on the as-of date, or the day after
    id17 = f"430482{birth:%Y%m%d}123"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(c) * w for c, w in zip(id17, weights)) % 11]
    person_id = id17 + check
    con.execute(
        """
        insert into staged.disability (delivery_id, file, row_number, record_key, person_name, person_name_norm,
            id_raw, id_norm, id_valid, cert_no, category, grade, grade_num, issued_on, cert_status, registered_address)
        values ('disability/20261103', 'disability.xlsx', 9, ?, '赵小', '赵小', null, ?, true, ?, '视力', '一级', 1,
            date '2020-01-01', '有效', '湖南省衡阳市常宁市宜阳街道')
        """,
        [person_id + "11", person_id, person_id + "11"],
    )
    raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF))
    assert (("OUTREACH_SEVERE_DISABILITY", None, person_id) in _subjects(con)) is raised


def test_policy_override_changes_a_threshold_without_code(con):
    [vehicle_rule] = [rule for rule in load_catalog() if rule.code == "ASSET_VEHICLE"]
    exempt = vehicle_rule.defaults["exempt_vehicle_types"] + ["小型普通客车"]
    policy = Policy(rules={"ASSET_VEHICLE": {"exempt_vehicle_types": exempt}})
    raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF, policy=policy))
    vehicles = {row for row in _subjects(con) if row[0] == "ASSET_VEHICLE"}
    # the new-energy 小型普通客车 of CN-S-0002 is now exempt; the 小型轿车 still counts
    assert vehicles == {("ASSET_VEHICLE", "CN-S-0001", "43048219901123357X")}
    thresholds = json.loads(
        con.execute("select evidence ->> '$.thresholds' from main.warnings where rule_code = 'ASSET_VEHICLE'").fetchone()[0]
    )
    assert thresholds["exempt_vehicle_types"] == exempt


def test_policy_override_of_a_list_replaces_the_default_list(con):
    # the policy gives the whole list: leaving the motorcycle out makes 王建国's motorcycle count
    policy = Policy(rules={"ASSET_VEHICLE": {"exempt_vehicle_types": ["拖拉机"]}})
    raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF, policy=policy))
    assert ("ASSET_VEHICLE", "CN-S-0001", "430482196203151313") in _subjects(con)


def test_policy_override_of_the_verification_period_changes_due_on(con):
    raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF, policy=Policy(verification={"working_days": 5})))
    assert con.execute("select distinct due_on from main.warnings").fetchall() == [(dt.date(2026, 11, 10),)]


def test_policy_naming_an_unknown_rule_parameter_is_refused(con):
    policy = Policy(rules={"ASSET_PROPERTY": {"min_residental_units": 3}})
    with pytest.raises(PolicyError, match="min_residental_units"):
        raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF, policy=policy))
    assert con.execute("select count(*) from alerts.warnings").fetchone()[0] == 0


def test_every_alerts_table_and_column_has_a_comment(con):
    raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF))
    assert con.execute(
        "select count(*) from duckdb_tables() where schema_name = 'alerts' and comment is null"
    ).fetchone()[0] == 0
    assert con.execute(
        "select count(*) from duckdb_columns() where schema_name = 'alerts' and comment is null"
    ).fetchone()[0] == 0


def test_every_rule_of_the_spec_has_a_rule_file():
    codes = {rule.code for rule in load_catalog()}
    assert codes == {
        "ASSET_VEHICLE", "ASSET_PROPERTY", "HARDSHIP_DISABILITY", "HARDSHIP_MEDICAL", "HARDSHIP_MAJOR_ILLNESS",
        "CHANGE_DECEASED", "OUTREACH_SEVERE_DISABILITY",
        # spec v2
        "INCOME_ABOVE_STANDARD", "INCOME_UNDERDECLARED", "ASSET_BUSINESS", "INTEGRITY_PUBLIC_PAYROLL",
        "INTEGRITY_STAFF_RELATIVE",
    }


def test_fallback_calendar_is_recorded_on_the_warning_and_in_the_stats(con):
    as_of = dt.date(2099, 3, 2)
    stats = raise_warnings(con, RunInfo("r1", as_of))
    assert stats.due_basis == "weekdays_fallback"
    assert con.execute("select distinct due_basis from main.warnings").fetchall() == [("weekdays_fallback",)]
