"""The v2 warnings in the deliverables: integrity warnings on the county's review list (县级复核) and never on a
township's, and the household report's 收入核对 section (the computation month by month and member by member,
under the report's own policy)."""

from __future__ import annotations

import json

import duckdb
import openpyxl
import pytest

from hedui.deliver.lists import write_township_lists
from hedui.deliver.report import household_report_data, render_household_report
from hedui.policy import Policy
from hedui.rules import raise_warnings
from hedui.run_info import RunInfo
from tests.conftest import SAMPLES_AS_OF
from tests.income_samples import LEI, build_income_sample_tables
from tests.spec_samples import build_sample_tables


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    con = duckdb.connect(":memory:")
    build_income_sample_tables(con)
    raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF))
    out = tmp_path_factory.mktemp("income_lists")
    paths = {p.name: p for p in write_township_lists(con, out, SAMPLES_AS_OF)}
    yield con, paths
    con.close()


def _ids(path) -> set[str]:
    rows = list(openpyxl.load_workbook(path).worksheets[0].iter_rows(values_only=True))
    column = rows[0].index("预警编号")
    return {row[column] for row in rows[1:]}


def test_no_integrity_warning_is_on_a_township_list(night):
    con, paths = night
    integrity = {w for (w,) in con.execute("select warning_id from main.warnings where rule_code like 'INTEGRITY_%'")
                 .fetchall()}
    assert len(integrity) == 3
    townships = [p for name, p in paths.items() if "_预警核查清单_" in name]
    assert townships
    for path in townships:
        assert not _ids(path) & integrity, path.name


def test_integrity_warnings_are_on_the_county_review_list_only(night):
    con, paths = night
    review = paths["常宁市_县级复核名单_20261103.xlsx"]
    integrity = {w for (w,) in con.execute("select warning_id from main.warnings where rule_code like 'INTEGRITY_%'")
                 .fetchall()}
    assert _ids(review) == integrity
    summary = "\n".join(str(row[0]) for row in openpyxl.load_workbook(review)["汇总"].iter_rows(values_only=True)
                        if row[0])
    assert "不发乡镇（街道）清单" in summary
    # the township lists say where the integrity warnings went
    township_summary = "\n".join(
        str(row[0]) for row in openpyxl.load_workbook(paths["常宁市宜阳街道_预警核查清单_20261103.xlsx"])["汇总"]
        .iter_rows(values_only=True) if row[0])
    assert "县级复核名单" in township_summary


def test_the_income_warnings_stay_on_the_household_township_list(night):
    con, paths = night
    income = {w for (w,) in con.execute("select warning_id from main.warnings where rule_code = 'INCOME_ABOVE_STANDARD'"
                                        " and household_id = 'CN-S-0001'").fetchall()}
    assert income <= _ids(paths["常宁市烟洲镇_预警核查清单_20261103.xlsx"])


def test_report_income_section_shows_the_computation_month_by_month_and_member_by_member(night, tmp_path):
    con, _ = night
    data = household_report_data(con, "CN-S-0001", SAMPLES_AS_OF, Policy())
    income = data["income"]
    assert str(income["household"]["verified_monthly_income"]) == "7350.00"
    assert [m["month"] for m in income["months"] if m["person_id"] == LEI] == ["2026-08", "2026-09", "2026-10"]
    lei = next(m for m in income["members"] if m["person_id"] == LEI)
    assert lei["wage_source_zh"] == "财政统发工资"
    assert any(c["rule"] == "INCOME_ABOVE_STANDARD" and c["met"] for c in data["checks"])
    html_path, _ = render_household_report(con, "CN-S-0001", tmp_path, SAMPLES_AS_OF, policy=Policy())
    html = html_path.read_text(encoding="utf-8")
    assert "四、收入核对" in html
    for text in ("7,350.00", "人均 2,450.00 元", "限额 540.00 元", "5,200.00", "三者取最大",
                 "退费：与原缴费流水号SB202610004498相抵", "发放状态为已退回，不计入",
                 "缴费基数是缴费的基数，不是实发工资的证明", "县级复核名单"):
        assert text in html, text
    assert LEI not in html  # IDs masked, payroll keys included


def test_a_policy_override_of_the_standard_changes_the_report(night, tmp_path):
    con, _ = night
    policy = Policy(income={"county_standards": {"常宁市": {"农村": 2500}}})
    data = household_report_data(con, "CN-S-0001", SAMPLES_AS_OF, policy)
    assert str(data["income"]["household"]["income_limit"]) == "2500.00"
    assert not data["income"]["above_limit"]
    html = render_household_report(con, "CN-S-0001", tmp_path, SAMPLES_AS_OF, policy=policy)[0].read_text("utf-8")
    assert "限额 2,500.00 元；人均未高于限额" in html


def test_report_without_income_sources_says_income_was_not_verified(tmp_path):
    con = duckdb.connect(":memory:")
    build_sample_tables(con)
    raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF))
    data = household_report_data(con, "CN-S-0001", SAMPLES_AS_OF, Policy())
    assert data["income"] is None
    html = render_household_report(con, "CN-S-0001", tmp_path, SAMPLES_AS_OF, policy=Policy())[0].read_text("utf-8")
    assert "收入未核对（不等于无收入）" in html
    stats = json.loads(con.execute("select stats from alerts.rule_runs").fetchone()[0])
    assert "INCOME_ABOVE_STANDARD" in stats["skipped_rules"]
    con.close()


def test_the_run_summary_names_the_skipped_rules_and_the_untested_households():
    from hedui.deliver.summary import build_run_summary, summary_markdown

    con = duckdb.connect(":memory:")
    build_sample_tables(con)
    con.execute("insert into ledger.runs (run_id, as_of, started_at) values ('r1', ?, now())", [SAMPLES_AS_OF])
    raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF))
    summary = build_run_summary(con, "r1")
    assert "INCOME_ABOVE_STANDARD" in summary.skipped_rules
    markdown = summary_markdown(summary)
    assert "INCOME_ABOVE_STANDARD 未运行：数据来源 benefits、housing_fund、public_payroll、social_insurance 从未交付" \
        in markdown
    con.close()
