"""A city's policy file overrides rule thresholds, and both the night's warnings and the household report follow it.

The spec samples' night is run with a policy file that raises HARDSHIP_MEDICAL's thresholds above the sample
household's 11,900 元 and narrows severe disability to grade 一级 (三级 still for 智力/精神); `hedui report
--policy` with the same file then checks the household's totals against those values.
"""

from __future__ import annotations

import re
import shutil

import duckdb
import pytest
from typer.testing import CliRunner

from hedui.cli import app
from hedui.night import run_night
from hedui.policy import load_policy
from tests.conftest import SAMPLES, SAMPLES_AS_OF

POLICY_YAML = """\
rules:
  HARDSHIP_MEDICAL:
    total_threshold: 12000
    income_test_min_total: 12000
  HARDSHIP_DISABILITY:
    severe_max_grade: 1
  OUTREACH_SEVERE_DISABILITY:
    severe_max_grade: 1
"""

CHEN_LIHUA = "430482197801304687"  # 肢体 二级: severe by default, not under the policy
CHEN_SI = "430482200805065227"  # 智力 三级: severe either way


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    base = tmp_path_factory.mktemp("policy_night")
    landing = base / "landing"
    shutil.copytree(SAMPLES, landing, ignore=shutil.ignore_patterns("README.md"))
    policy_file = base / "policy.yaml"
    policy_file.write_text(POLICY_YAML, encoding="utf-8")
    result = run_night(landing, base / "hedui.duckdb", SAMPLES_AS_OF, policy=load_policy(policy_file),
                       outputs=base / "out")
    con = duckdb.connect(str(result.warehouse), read_only=True)
    yield result, con, policy_file
    con.close()


def _warnings(con) -> dict[tuple, tuple[str, dict]]:
    import json

    rows = con.execute("select rule_code, household_id, person_id, summary_zh, evidence ->> '$.thresholds'"
                       " from warnings").fetchall()
    return {(code, hh, pid): (summary, json.loads(thresholds)) for code, hh, pid, summary, thresholds in rows}


def _report_html(warehouse, household, out, *policy_args: str) -> str:
    result = CliRunner().invoke(app, ["report", household, "--warehouse", str(warehouse), "--out", str(out),
                                      *policy_args])
    assert result.exit_code == 0, result.output
    return next(out.glob(f"核对报告_{household}_*.html")).read_text(encoding="utf-8")


def _check_row(html: str, item: str) -> str:
    [row] = [r for r in re.findall(r"<tr>.*?</tr>", html, flags=re.S) if item in r]
    return row


def test_warnings_follow_the_thresholds_of_the_policy_file(night):
    _, con, _ = night
    warnings = _warnings(con)
    # 11,900 元 reaches the default 10,000 but neither raised threshold
    assert not any(code == "HARDSHIP_MEDICAL" for code, _, _ in warnings)
    assert ("HARDSHIP_DISABILITY", "CN-S-0002", CHEN_LIHUA) not in warnings
    summary, thresholds = warnings[("HARDSHIP_DISABILITY", "CN-S-0002", CHEN_SI)]
    assert "属重度残疾（一级，或智力、精神二、三级）" in summary
    assert thresholds["severe_max_grade"] == 1 and thresholds["severe_max_grade_special"] == 3
    # the rules the policy does not touch raise as under the defaults
    assert ("ASSET_PROPERTY", "CN-S-0001", None) in warnings
    assert ("OUTREACH_SEVERE_DISABILITY", None, "430482197209099119") in warnings  # 精神 二级


def test_report_checks_the_totals_against_the_policy_file_it_is_given(night, tmp_path):
    result, _, policy_file = night
    html = _report_html(result.warehouse, "CN-S-0001", tmp_path / "policy", "--policy", str(policy_file))
    medical = _check_row(html, "天医疗个人自付")
    assert "11,900.00" in medical and "≥ 12,000 元；或 ≥ 12,000 元且" in medical and "未达到" in medical
    # the same household's report under the default policy says the default reached
    default = _check_row(_report_html(result.warehouse, "CN-S-0001", tmp_path / "default"), "天医疗个人自付")
    assert "≥ 10,000 元；或 ≥ 2,000 元且" in default and "未达到" not in default


def test_report_counts_severe_disability_as_the_policy_file_defines_it(night, tmp_path):
    result, _, policy_file = night
    html = _report_html(result.warehouse, "CN-S-0002", tmp_path / "policy", "--policy", str(policy_file))
    severe = _check_row(html, "持有效重度残疾人证的成员")
    assert "一级，或智力、精神二、三级" in severe and ">1<" in severe  # 陈思 only
    default = _check_row(_report_html(result.warehouse, "CN-S-0002", tmp_path / "default"), "持有效重度残疾人证的成员")
    assert "一、二级，或智力、精神三级" in default and ">2<" in default


def test_report_refuses_a_policy_file_with_a_threshold_no_rule_declares(night, tmp_path):
    result, _, _ = night
    typo = tmp_path / "typo.yaml"
    typo.write_text("rules:\n  HARDSHIP_MEDICAL:\n    total_treshold: 12000\n", encoding="utf-8")
    outcome = CliRunner().invoke(app, ["report", "CN-S-0001", "--warehouse", str(result.warehouse),
                                       "--out", str(tmp_path / "r"), "--policy", str(typo)])
    assert outcome.exit_code == 2 and "total_treshold" in outcome.output
    assert not (tmp_path / "r").exists()


def test_every_summary_words_the_parameters_it_was_raised_under(night, tmp_path):
    """The summaries name statuses and use types from the rule's parameters, not from the defaults."""
    from hedui.policy import Policy
    from hedui.rules.catalog import load_catalog
    from hedui.rules.engine import evaluate_rules
    from hedui.run_info import RunInfo

    result, _, _ = night
    policy = Policy(rules={"OUTREACH_SEVERE_DISABILITY": {"active_statuses": ["在保"]},
                           "ASSET_PROPERTY": {"non_residential_use_types": ["商业", "办公", "工业", "仓储"]}})
    # the engine rebuilds the verified-income model (income.*) before the rules, so it needs a writable warehouse:
    # a copy, so that the night the other tests read stays as it was
    warehouse = tmp_path / "wording.duckdb"
    shutil.copy(result.warehouse, warehouse)
    con = duckdb.connect(str(warehouse))
    try:
        evaluate_rules(con, RunInfo("wording", SAMPLES_AS_OF, policy=policy), load_catalog())
        summaries = dict(con.execute("select rule_code || '|' || coalesce(person_id, household_id), summary_zh"
                                     " from _hedui_rule_hits").fetchall())
    finally:
        con.close()
    assert "不在任何在保的救助家庭中" in summaries["OUTREACH_SEVERE_DISABILITY|430482197209099119"]
    assert "商业/办公/工业/仓储用房1套" in summaries["ASSET_PROPERTY|CN-S-0001"]


@pytest.mark.parametrize(("grades", "words"), [
    ((2, 3, ["智力", "精神"]), "一、二级，或智力、精神三级"),
    ((1, 3, ["智力", "精神"]), "一级，或智力、精神二、三级"),
    ((2, 2, ["智力", "精神"]), "一、二级"),
    ((3, 4, ["精神"]), "一、二、三级，或精神四级"),
])
def test_severe_disability_is_worded_from_its_grades(night, grades, words):
    from hedui.rules.shared_definitions import install_rule_macros

    result, _, _ = night
    con = duckdb.connect(str(result.warehouse), read_only=True)
    try:
        install_rule_macros(con)
        assert con.execute("select severe_disability_zh(?, ?, ?)", list(grades)).fetchone()[0] == words
    finally:
        con.close()


def test_a_policy_narrowing_severe_disability_in_one_rule_only_is_refused(night, tmp_path):
    from hedui.policy import Policy, PolicyError
    from hedui.rules.catalog import load_catalog
    from hedui.rules.engine import evaluate_rules
    from hedui.run_info import RunInfo

    result, _, _ = night
    one_rule = Policy(rules={"HARDSHIP_DISABILITY": {"severe_max_grade": 1}}, source="one-rule.yaml")
    con = duckdb.connect(str(result.warehouse), read_only=True)
    try:
        with pytest.raises(PolicyError, match="severe disability must be defined the same") as caught:
            evaluate_rules(con, RunInfo("one-rule", SAMPLES_AS_OF, policy=one_rule), load_catalog())
    finally:
        con.close()
    assert "rules.OUTREACH_SEVERE_DISABILITY: valid_cert_statuses=['有效'], severe_max_grade=2" in str(caught.value)
    typo = tmp_path / "one-rule.yaml"
    typo.write_text("rules:\n  HARDSHIP_DISABILITY:\n    severe_max_grade: 1\n", encoding="utf-8")
    outcome = CliRunner().invoke(app, ["report", "CN-S-0002", "--warehouse", str(result.warehouse),
                                       "--out", str(tmp_path / "r"), "--policy", str(typo)])
    said = " ".join(outcome.output.split())  # the console may wrap a long line
    assert outcome.exit_code == 2 and "severe disability must be defined the same" in said


def test_a_policy_file_giving_a_key_twice_is_refused_naming_the_key_and_lines(tmp_path):
    """PyYAML keeps the last of two equal keys silently: a standard written twice would take the second."""
    from hedui.policy import PolicyError

    path = tmp_path / "policy.yaml"
    path.write_text("income:\n  standards: {城市: 680, 农村: 540}\n  standards: {城市: 780, 农村: 640}\n",
                    encoding="utf-8")
    with pytest.raises(PolicyError, match=r"key 'standards' is given twice \(lines 2 and 3\)"):
        load_policy(path)
