"""The verified-income model and the five v2 rules (INCOME_ABOVE_STANDARD, INCOME_UNDERDECLARED, ASSET_BUSINESS,
INTEGRITY_PUBLIC_PAYROLL, INTEGRITY_STAFF_RELATIVE) on hand-built staged tables: the spec samples' figures and
warnings, and every boundary the rules name, each moved across by changing one staged row."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import duckdb
import pytest

from hedui.policy import Policy, PolicyError, load_policy
from hedui.rules import load_catalog, raise_warnings
from hedui.rules.engine import evaluate_rules
from hedui.run_info import RunInfo
from tests.conftest import SAMPLES_AS_OF
from tests.income_samples import (
    CHEN,
    EXPECTED_ALL_SAMPLE_WARNINGS,
    EXPECTED_INCOME_SAMPLE_WARNINGS,
    LEI,
    LI,
    WANG,
    ZHANG,
    add_income_tables,
    build_income_sample_tables,
)
from tests.spec_samples import EXPECTED_SAMPLE_WARNINGS, build_sample_tables

V2_CODES = {"INCOME_ABOVE_STANDARD", "INCOME_UNDERDECLARED", "ASSET_BUSINESS", "INTEGRITY_PUBLIC_PAYROLL",
            "INTEGRITY_STAFF_RELATIVE"}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture
def con():
    connection = duckdb.connect(":memory:")
    build_income_sample_tables(connection)
    yield connection
    connection.close()


def _hits(con, catalog, policy: Policy | None = None, as_of: dt.date = SAMPLES_AS_OF) -> set[tuple]:
    """The v2 subjects the catalog raises tonight (rule_code, household_id, person_id), without the lifecycle."""
    evaluate_rules(con, RunInfo("t", as_of, policy=policy or Policy()), catalog)
    rows = con.execute("select rule_code, household_id, person_id from _hedui_rule_hits").fetchall()
    return {row for row in rows if row[0] in V2_CODES}


def _summary(con, code: str, household: str) -> str:
    return con.execute("select summary_zh from _hedui_rule_hits where rule_code = ? and household_id = ?",
                       [code, household]).fetchone()[0]


def _household(con, household: str) -> dict:
    cur = con.execute("select * from income.households where household_id = ?", [household])
    return dict(zip([d[0] for d in cur.description], cur.fetchone()))


def _member(con, person: str) -> dict:
    cur = con.execute("select * from income.members where person_id = ?", [person])
    return dict(zip([d[0] for d in cur.description], cur.fetchone()))


# --- the spec samples ---------------------------------------------------------------------------------------------

def test_samples_raise_exactly_the_sixteen_expected_warnings_all_due_2026_11_24(con):
    stats = raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF))
    subjects = set(con.execute("select rule_code, household_id, person_id from main.warnings where status = 'open'")
                   .fetchall())
    assert subjects == EXPECTED_ALL_SAMPLE_WARNINGS
    assert len(EXPECTED_INCOME_SAMPLE_WARNINGS) == 7 and len(subjects) == 16
    assert {due for (due,) in con.execute("select distinct due_on from main.warnings").fetchall()} == {
        dt.date(2026, 11, 24)}
    assert stats.skipped_rules == {}
    assert stats.income_not_tested == {}


def test_sample_figures_are_those_of_the_samples_readme(con, catalog):
    _hits(con, catalog)
    one = _household(con, "CN-S-0001")
    assert one["verified_monthly_income"] == Decimal("7350.00")
    assert one["per_capita_income"] == Decimal("2450.00")
    assert one["income_limit"] == Decimal("540.00") and one["urban_rural"] == "农村"
    lei = _member(con, LEI)
    assert (lei["social_insurance_wage"], lei["housing_fund_wage"], lei["public_payroll_wage"]) == (
        Decimal("5000.00"), Decimal("4500.00"), Decimal("5200.00"))
    assert lei["wage"] == Decimal("5200.00") and lei["wage_source"] == "public_payroll"
    assert _member(con, WANG)["benefits"] == Decimal("2150.00")
    three = _household(con, "CN-S-0003")
    assert three["per_capita_income"] == Decimal("1900.00")
    assert three["income_limit"] == Decimal("810.00") and three["multiplier"] == 1.5
    assert _household(con, "CN-S-0002")["verified_monthly_income"] == Decimal("0.00")
    assert (one["window_start"], one["window_end"]) == (dt.date(2026, 8, 1), dt.date(2026, 10, 31))


def test_model_tables_hold_each_component_by_member_and_month_with_its_records(con, catalog):
    _hits(con, catalog)
    months = con.execute(
        "select month, social_insurance_base, housing_fund_base, public_payroll_pay, social_insurance_keys,"
        " public_payroll_keys from income.member_months where person_id = ? order by month", [LEI]).fetchall()
    assert [m[0] for m in months] == [dt.date(2026, 8, 1), dt.date(2026, 9, 1), dt.date(2026, 10, 1)]
    assert [m[1] for m in months] == [Decimal("5000.00")] * 3
    assert months[2][2] == Decimal("4500.00") and months[2][3] == Decimal("5200.00")
    # October: the resent charge once, the duplicate charge and the refund that cancels it
    assert months[2][4] == ["SB202610004411", "SB202610004498", "SB202610009902"]
    assert len(months[2][5]) == 1


def test_analyst_tables_carry_comments(con, catalog):
    _hits(con, catalog)
    uncommented = con.execute(
        "select table_name || '.' || column_name from duckdb_columns()"
        " where schema_name = 'income' and (comment is null or comment = '')").fetchall()
    assert uncommented == []
    assert con.execute("select count(*) from duckdb_tables() where schema_name = 'income'"
                       " and comment is not null").fetchone()[0] == 4


def test_evidence_says_which_records_counted_and_which_not_and_why(con, catalog):
    from hedui.deliver.evidence import install_deliver_macros

    raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF))
    install_deliver_macros(con)
    summary, detail = con.execute(
        "select summary_zh, evidence_detail(evidence, false) from main.warnings"
        " where rule_code = 'INCOME_ABOVE_STANDARD' and household_id = 'CN-S-0001'").fetchone()
    assert "缴费基数是缴费的基数，不是实发工资的证明" in summary
    assert "三者中最大" in summary and "家庭人口3人" in summary and "540.00" in summary
    assert "退费：与原缴费流水号SB202610004498相抵" in detail
    assert "费款所属期2026-07不在统计期内，不计入" in detail
    assert "发放状态为已退回，不计入" in detail
    assert "待遇所属期2026-07不在统计期内，不计入" in detail
    facts = json.loads(con.execute("select evidence ->> '$.facts' from main.warnings"
                                   " where rule_code = 'INCOME_ABOVE_STANDARD' and household_id = 'CN-S-0001'")
                       .fetchone()[0])
    assert facts["divisor"] == 3 and facts["multiplier"] == 1.0
    assert {m["person_name"]: m["wage_source"] for m in facts["members"]}["王磊"] == "public_payroll"


def test_flexible_employment_sealed_account_and_exempt_payment_are_worded_as_ignored(con, catalog):
    _hits(con, catalog)
    notes = {row[0] for row in con.execute(
        "select note_zh from income.records where household_id = 'CN-S-0002' and not counted").fetchall()}
    assert "参保身份为灵活就业人员：缴费基数由本人选择，不是收入的证据，不计入" in notes
    assert "账户状态为封存，不计入" in notes
    assert "待遇类型丧葬补助金为一次性支付，不计入" in notes


# --- boundaries of INCOME_ABOVE_STANDARD ----------------------------------------------------------------------------

@pytest.mark.parametrize(("pay", "raised"), [("810.00", False), ("810.01", True)])
def test_above_the_limit_raises_and_at_the_limit_does_not(con, catalog, pay, raised):
    con.execute("update staged.public_payroll set gross_pay = ? where id_norm = '430482198512126049'", [pay])
    hits = _hits(con, catalog)
    assert (("INCOME_ABOVE_STANDARD", "CN-S-0003", None) in hits) is raised


def test_the_largest_of_the_three_wage_sources_is_the_wage(con, catalog):
    con.execute("update staged.public_payroll set gross_pay = 4000 where id_norm = ?", [LEI])
    _hits(con, catalog)
    assert (_member(con, LEI)["wage"], _member(con, LEI)["wage_source"]) == (Decimal("5000.00"), "social_insurance")
    con.execute("update staged.housing_fund set deposit_base = 6000 where id_norm = ?", [LEI])
    _hits(con, catalog)
    assert (_member(con, LEI)["wage"], _member(con, LEI)["wage_source"]) == (Decimal("6000.00"), "housing_fund")
    # the three are one job: the household counts 6000, not their sum
    assert _household(con, "CN-S-0001")["verified_monthly_income"] == Decimal("8150.00")


def test_a_refund_is_netted_against_the_contribution_it_cancels(con, catalog):
    _hits(con, catalog)
    assert _member(con, LEI)["social_insurance_wage"] == Decimal("5000.00")
    con.execute("delete from staged.social_insurance where contribution_status = '退费'")
    con.execute("update staged.public_payroll set gross_pay = 0 where id_norm = ?", [LEI])
    _hits(con, catalog)
    assert _member(con, LEI)["social_insurance_wage"] == Decimal("6666.67")


def test_a_refund_nets_in_the_month_of_the_record_it_cancels(con, catalog):
    # the refund arrives with November's 费款所属期, outside the window; it still cancels the October charge
    con.execute("update staged.social_insurance set contribution_month = '2026-11-01'"
                " where contribution_status = '退费'")
    _hits(con, catalog)
    assert _member(con, LEI)["social_insurance_wage"] == Decimal("5000.00")


def test_a_resent_contribution_is_counted_once(con, catalog):
    _hits(con, catalog)
    october = con.execute(
        "select social_insurance_base from income.member_months where person_id = ? and month = '2026-10-01'",
        [LEI]).fetchone()[0]
    assert october == Decimal("5000.00")
    assert con.execute("select count(*) from income.records where record_key = 'SB202610004411'").fetchone()[0] == 1


def test_flexible_employment_contributions_are_ignored(con, catalog):
    assert ("INCOME_ABOVE_STANDARD", "CN-S-0002", None) not in _hits(con, catalog)
    con.execute("update staged.social_insurance set participant_type = '单位职工' where id_norm = ?", [CHEN])
    hits = _hits(con, catalog)
    assert _household(con, "CN-S-0002")["verified_monthly_income"] == Decimal("3000.00")
    assert ("INCOME_ABOVE_STANDARD", "CN-S-0002", None) in hits


def test_an_exempt_one_off_payment_is_ignored(con, catalog):
    _hits(con, catalog)
    assert _member(con, CHEN)["benefits"] == Decimal("0.00")
    con.execute("update staged.benefits set benefit_type = '基本养老金' where payment_id = 'DY2026090555'")
    hits = _hits(con, catalog)
    assert _member(con, CHEN)["benefits"] == Decimal("1666.67")
    assert ("INCOME_ABOVE_STANDARD", "CN-S-0002", None) in hits


def test_a_returned_payment_is_ignored(con, catalog):
    _hits(con, catalog)
    assert _member(con, WANG)["benefits"] == Decimal("2150.00")
    con.execute("update staged.benefits set payment_status = '已发放' where payment_id = 'DY2026100987'")
    _hits(con, catalog)
    assert _member(con, WANG)["benefits"] == Decimal("2866.67")


def test_a_month_outside_the_window_is_ignored(con, catalog):
    _hits(con, catalog)
    assert _member(con, LEI)["social_insurance_wage"] == Decimal("5000.00")
    # as of October the window is July to September: July's 4,800 counts, October's charges do not
    _hits(con, catalog, as_of=dt.date(2026, 10, 15))
    assert _member(con, LEI)["social_insurance_wage"] == Decimal("4933.33")
    assert _member(con, LEI)["public_payroll_wage"] == Decimal("0.00")


def test_a_sealed_fund_account_is_ignored(con, catalog):
    con.execute("update staged.housing_fund set last_deposit_month = '2026-10-01' where id_norm = ?", [CHEN])
    assert ("INCOME_ABOVE_STANDARD", "CN-S-0002", None) not in _hits(con, catalog)
    con.execute("update staged.housing_fund set account_status = '正常' where id_norm = ?", [CHEN])
    assert ("INCOME_ABOVE_STANDARD", "CN-S-0002", None) in _hits(con, catalog)
    assert _household(con, "CN-S-0002")["per_capita_income"] == Decimal("1000.00")


def test_household_size_divides_and_the_member_count_stands_in_when_it_is_empty_or_zero(con, catalog):
    con.execute("update staged.households set household_size = 7 where household_id = 'CN-S-0001'")
    _hits(con, catalog)
    assert _household(con, "CN-S-0001")["per_capita_income"] == Decimal("1050.00")
    con.execute("update staged.households set household_size = 0 where household_id = 'CN-S-0001'")
    _hits(con, catalog)
    assert _household(con, "CN-S-0001")["divisor"] == 3


def test_unknown_urban_rural_is_not_tested_and_counted(con, catalog):
    con.execute("update staged.households set urban_rural = null where household_id = 'CN-S-0003'")
    stats = raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF))
    subjects = set(con.execute("select rule_code, household_id, person_id from main.warnings").fetchall())
    assert ("INCOME_ABOVE_STANDARD", "CN-S-0003", None) not in subjects
    assert ("INCOME_ABOVE_STANDARD", "CN-S-0001", None) in subjects
    assert _household(con, "CN-S-0003")["not_tested_reason"].startswith("城乡未知")
    assert stats.income_not_tested == {"城乡未知：无法确定适用的低保标准，未核对": 1}
    recorded = json.loads(con.execute("select stats from alerts.rule_runs").fetchone()[0])
    assert sum(recorded["income_not_tested"].values()) == 1


def test_an_exited_household_raises_nothing(con, catalog):
    # 张伟 of CN-S-0004 (已退出): per capita 3,100 against 540, and the legal representative of a going company
    hits = _hits(con, catalog)
    assert not {hit for hit in hits if hit[1] == "CN-S-0004"}
    con.execute("update staged.households set status = '在保' where household_id = 'CN-S-0004'")
    hits = _hits(con, catalog)
    assert ("INCOME_ABOVE_STANDARD", "CN-S-0004", None) in hits
    assert ("ASSET_BUSINESS", "CN-S-0004", ZHANG) in hits


# --- INCOME_UNDERDECLARED ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("declared", "pay", "raised"), [
    (1500, 1900, False),   # 400 over: below 500 yuan
    (1400, 1900, True),    # 500 over, and 500 >= 30 % of 1,400
    (1800, 2300, False),   # 500 over, but below 30 % of 1,800 (540)
    (1700, 2300, True),    # 600 over, and at least 30 % of 1,700 (510)
])
def test_underdeclared_needs_both_500_yuan_and_30_percent(con, catalog, declared, pay, raised):
    con.execute("update staged.households set declared_monthly_income = ? where household_id = 'CN-S-0003'",
                [declared])
    con.execute("update staged.public_payroll set gross_pay = ? where id_norm = '430482198512126049'", [pay])
    assert (("INCOME_UNDERDECLARED", "CN-S-0003", None) in _hits(con, catalog)) is raised


def test_underdeclared_thresholds_are_parameters_and_worded_from_them(con, catalog):
    # CN-S-0003: 1,900 verified against 1,500 declared, 400 over
    policy = Policy(rules={"INCOME_UNDERDECLARED": {"min_excess": 300}})
    assert ("INCOME_UNDERDECLARED", "CN-S-0003", None) not in _hits(con, catalog, policy)  # 400 < 30 % of 1,500
    policy = Policy(rules={"INCOME_UNDERDECLARED": {"min_excess": 300, "min_excess_share": 0.2}})
    assert ("INCOME_UNDERDECLARED", "CN-S-0003", None) in _hits(con, catalog, policy)
    assert "高出至少300元且至少为申报月收入的20%" in _summary(con, "INCOME_UNDERDECLARED", "CN-S-0003")


# --- business and integrity ----------------------------------------------------------------------------------------

def test_revoked_company_and_exempt_cooperative_raise_no_business_warning(con, catalog):
    hits = _hits(con, catalog)
    assert {hit for hit in hits if hit[0] == "ASSET_BUSINESS"} == {("ASSET_BUSINESS", "CN-S-0001", WANG)}
    con.execute("update staged.business set entity_type = '有限责任公司' where person_name = '陈丽华'")
    assert ("ASSET_BUSINESS", "CN-S-0002", CHEN) in _hits(con, catalog)


def test_only_established_staff_in_the_window_raise_public_payroll(con, catalog):
    hits = _hits(con, catalog)
    assert {hit for hit in hits if hit[0] == "INTEGRITY_PUBLIC_PAYROLL"} == {
        ("INTEGRITY_PUBLIC_PAYROLL", "CN-S-0001", LEI)}  # not 阿依古丽 (编外聘用)
    con.execute("update staged.public_payroll set payroll_month = '2026-07-01' where id_norm = ?", [LEI])
    assert ("INTEGRITY_PUBLIC_PAYROLL", "CN-S-0001", LEI) not in _hits(con, catalog)


def test_filed_separately_households_raise_no_staff_relative_warning_and_empty_does(con, catalog):
    # CN-S-0001 is filed separately (是): 李秀英, the sister of a civil affairs officer, raises nothing
    assert ("INTEGRITY_STAFF_RELATIVE", "CN-S-0001", LI) not in _hits(con, catalog)
    con.execute("update staged.households set filed_separately = false, filed_separately_raw = null"
                " where household_id = 'CN-S-0001'")
    assert ("INTEGRITY_STAFF_RELATIVE", "CN-S-0001", LI) in _hits(con, catalog)


def test_a_relative_named_without_an_id_raises_nothing(con, catalog):
    # 赵磊 names 张伟 (CN-S-0004) without an ID: even with the household active, nothing is raised for him
    con.execute("update staged.households set status = '在保' where household_id = 'CN-S-0004'")
    hits = _hits(con, catalog)
    assert not {hit for hit in hits if hit[0] == "INTEGRITY_STAFF_RELATIVE" and hit[1] == "CN-S-0004"}
    # a link made for the relative despite the missing ID is not trusted either
    key = con.execute("select record_key from staged.staff_roster where staff_name = '赵磊'").fetchone()[0]
    con.execute("insert into linked.links (source, record_key, person_id, household_id, method, score)"
                " values ('staff_roster_relative', ?, ?, 'CN-S-0004', 'fuzzy', 25.0)", [key, ZHANG])
    hits = _hits(con, catalog)
    assert not {hit for hit in hits if hit[0] == "INTEGRITY_STAFF_RELATIVE" and hit[1] == "CN-S-0004"}


def test_integrity_warnings_keep_the_household_township(con):
    raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF))
    rows = dict(con.execute("select household_id, township from main.warnings"
                            " where rule_code = 'INTEGRITY_STAFF_RELATIVE'").fetchall())
    assert rows == {"CN-S-0002": "宜阳街道", "CN-S-0003": "塔山乡"}


# --- policy ------------------------------------------------------------------------------------------------------

def test_a_county_standard_in_the_policy_changes_the_warnings_and_their_wording(con, catalog, tmp_path):
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text("income:\n  county_standards:\n    常宁市: {农村: 2500}\n", encoding="utf-8")
    policy = load_policy(policy_file)
    hits = _hits(con, catalog, policy)
    assert ("INCOME_ABOVE_STANDARD", "CN-S-0001", None) not in hits  # 2,450 per capita is not above 2,500
    assert ("INCOME_ABOVE_STANDARD", "CN-S-0003", None) not in hits  # 1,900 is not above 1.5 × 2,500
    policy_file.write_text("income:\n  county_standards:\n    常宁市: {农村: 2000}\n", encoding="utf-8")
    hits = _hits(con, catalog, load_policy(policy_file))
    assert ("INCOME_ABOVE_STANDARD", "CN-S-0001", None) in hits
    assert "低保标准2000.00元" in _summary(con, "INCOME_ABOVE_STANDARD", "CN-S-0001")


def test_a_multiplier_and_a_default_standard_can_be_overridden(con, catalog):
    policy = Policy(income={"standards": {"农村": 600}, "category_multipliers": {
        "城市低保": 1.0, "农村低保": 1.0, "特困供养": 1.0, "低保边缘": 4.0, "支出型困难": 2.0}})
    hits = _hits(con, catalog, policy)
    assert ("INCOME_ABOVE_STANDARD", "CN-S-0003", None) not in hits  # 1,900 <= 4 × 600
    assert _household(con, "CN-S-0001")["standard"] == Decimal("600.00")
    assert _household(con, "CN-S-0002")["standard"] == Decimal("680.00")  # 城市 keeps its default


@pytest.mark.parametrize("income", [
    {"standard": 700},
    {"standards": {"城市": 680, "农村": 540, "镇": 600}},
    {"county_standards": {"常宁市": {"乡": 500}}},
    {"category_multipliers": {"低保边缘": "1.5"}},
    {"business_roles": "法定代表人"},
])
def test_an_unknown_or_malformed_income_setting_is_an_error(con, catalog, income):
    with pytest.raises(PolicyError):
        evaluate_rules(con, RunInfo("t", SAMPLES_AS_OF, policy=Policy(income=income)), catalog)


def test_the_business_roles_of_the_policy_apply_and_appear_in_the_thresholds(con, catalog):
    policy = Policy(income={"business_roles": ["法定代表人"]})
    assert not {hit for hit in _hits(con, catalog, policy) if hit[0] == "ASSET_BUSINESS"}
    con.execute("update staged.business set registration_status = '在业' where entity_type = '有限责任公司'")
    _hits(con, catalog, policy)
    thresholds = json.loads(con.execute("select evidence ->> '$.thresholds' from _hedui_rule_hits"
                                        " where rule_code = 'ASSET_BUSINESS'").fetchone()[0])
    assert thresholds["business_roles"] == ["法定代表人"]


# --- sources that never delivered -----------------------------------------------------------------------------------

def test_rules_whose_sources_have_no_staged_table_are_skipped_and_reported():
    con = duckdb.connect(":memory:")
    build_sample_tables(con)  # the v1 tables only: a landing zone that never delivered the v2 sources
    stats = raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF))
    subjects = set(con.execute("select rule_code, household_id, person_id from main.warnings").fetchall())
    assert subjects == EXPECTED_SAMPLE_WARNINGS
    assert set(stats.skipped_rules) == V2_CODES
    assert stats.skipped_rules["INCOME_ABOVE_STANDARD"] == ["benefits", "housing_fund", "public_payroll",
                                                            "social_insurance"]
    assert stats.skipped_rules["INTEGRITY_STAFF_RELATIVE"] == ["staff_roster"]
    recorded = json.loads(con.execute("select stats from alerts.rule_runs").fetchone()[0])
    assert set(recorded["skipped_rules"]) == V2_CODES
    con.close()


def test_a_source_the_ledger_says_never_delivered_skips_its_rules_instead_of_reading_no_income(con):
    # staged tables exist (empty, as ensure_tables makes them) but no social insurance delivery was ever accepted
    con.execute("delete from staged.social_insurance")
    con.execute("insert into ledger.run_sources (run_id, source, in_force_delivery, problem, fresh)"
                " values ('r1', 'social_insurance', null, 'missing', false)")
    stats = raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF))
    assert set(stats.skipped_rules) == {"INCOME_ABOVE_STANDARD", "INCOME_UNDERDECLARED"}
    codes = {code for (code,) in con.execute("select distinct rule_code from main.warnings").fetchall()}
    assert "INCOME_ABOVE_STANDARD" not in codes and "ASSET_BUSINESS" in codes


def test_income_warnings_stand_on_a_night_their_source_is_gone(con):
    raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF))
    con.execute("drop table staged.social_insurance")
    stats = raise_warnings(con, RunInfo("r2", SAMPLES_AS_OF + dt.timedelta(days=1)))
    assert "INCOME_ABOVE_STANDARD" in stats.skipped_rules
    statuses = dict(con.execute("select household_id, status from main.warnings"
                                " where rule_code = 'INCOME_ABOVE_STANDARD'").fetchall())
    assert statuses == {"CN-S-0001": "open", "CN-S-0003": "open"}


def test_the_v2_tables_can_be_added_to_an_existing_sample_warehouse():
    con = duckdb.connect(":memory:")
    build_sample_tables(con)
    add_income_tables(con)
    assert con.execute("select count(*) from linked.links where source = 'staff_roster_relative'").fetchone()[0] == 2
    con.close()


def test_the_shipped_policy_file_shows_the_income_defaults():
    from hedui.income.settings import DEFAULTS, income_settings

    shipped = load_policy()
    assert shipped.income == DEFAULTS  # "Values shown are the defaults" (policy.yaml)
    assert income_settings(shipped) == income_settings(Policy())


def test_every_income_column_the_analyst_guide_names_exists(con, catalog):
    import re
    from pathlib import Path

    guide = (Path(__file__).resolve().parent.parent / "docs" / "analyst-guide.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `income\.(\w+)` \|[^|]*\| ([^|]+) \|$", guide, flags=re.M)
    assert {table for table, _ in rows} == {"records", "member_months", "members", "households"}
    _hits(con, catalog)
    for table, columns in rows:
        named = [part.strip() for part in re.sub(r"\([^)]*\)", "", columns).split(",")]
        named = [name for name in named if re.fullmatch(r"[a-z_]+", name)]
        existing = {c for (c,) in con.execute("select column_name from duckdb_columns() where schema_name = 'income'"
                                              " and table_name = ?", [table]).fetchall()}
        assert set(named) <= existing, (table, set(named) - existing)
