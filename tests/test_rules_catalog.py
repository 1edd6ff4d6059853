"""The rule catalog loader: every malformed rule file fails loudly, naming the file and the problem."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from hedui.rules import RuleExecutionError, RuleFileError, load_catalog, raise_warnings
from hedui.rules.catalog import DEFAULT_RULES_DIR, OUTPUT_COLUMNS
from hedui.run_info import RunInfo
from tests.conftest import SAMPLES_AS_OF
from tests.spec_samples import build_sample_tables

GOOD = """/*---
code: TEST_RULE
title_zh: 测试规则
title_en: A test rule
category: hidden_asset
severity: high
level: member
policy: a test
sources: [households, members, vehicle]
parameters:
  min_vehicles:
    default: 1
    description: a threshold
    wording_zh: 车辆达到 {} 辆
output:
  household_id: a
  person_id: b
  county: c
  township: d
  person_name: e
  summary_zh: f
  evidence_records: g
  facts: h
---*/

select
    household_id,
    cast(null as varchar) as person_id,
    county,
    township,
    head_name as person_name,
    '测试' as summary_zh,
    to_json([]) as evidence_records,
    to_json({'n': $min_vehicles}) as facts
from staged.households
where household_size >= $min_vehicles
"""


def write_rule(folder: Path, text: str, name: str = "TEST_RULE.sql") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_well_formed_rule_file_loads(tmp_path):
    write_rule(tmp_path, GOOD)
    [rule] = load_catalog(tmp_path)
    assert rule.code == "TEST_RULE"
    assert rule.defaults == {"min_vehicles": 1}
    assert rule.sources == ("households", "members", "vehicle")


@pytest.mark.parametrize(
    ("broken", "problem"),
    [
        (lambda t: t.replace("level: member\n", "level: member\n  oops: [\n"), "not valid YAML"),
        (lambda t: t.replace("title_en: A test rule\n", ""), "lacks required key(s) title_en"),
        (lambda t: t.replace("severity: high", "severity: critical"), "unknown severity 'critical'"),
        (lambda t: t.replace("category: hidden_asset", "category: assets"), "unknown category"),
        (lambda t: t.replace("level: member", "level: family"), "unknown level"),
        (lambda t: t.replace("[households, members, vehicle]", "[households, cars]"), "unknown source(s) cars"),
        (lambda t: t.replace("where household_size >= $min_vehicles", "where household_size >= $max_vehicles"),
         "not declared in the metadata: max_vehicles"),
        (lambda t: t.replace("    wording_zh: 车辆达到 {} 辆\n",
                             "    wording_zh: 车辆达到 {} 辆\n  unused_param:\n    default: 3\n    description: x\n"
                             "    wording_zh: 某值 {}\n"),
         "never uses: unused_param"),
        (lambda t: t.replace("    wording_zh: 车辆达到 {} 辆\n", ""), "needs a wording_zh for caseworkers"),
        (lambda t: t.replace("车辆达到 {} 辆", "车辆达到 {} 辆 {}"), "needs a wording_zh for caseworkers"),
        (lambda t: t.replace("    description: a threshold\n", ""), "needs a default and a description"),
        (lambda t: t.replace("from staged.households", "form staged.households"), "SQL does not parse"),
        (lambda t: t + ";\nselect 1", "exactly one SQL statement"),
        (lambda t: t.split("---*/")[0] + "---*/\ndelete from staged.households where $min_vehicles = 1",
         "single SELECT query"),
        (lambda t: t.replace("code: TEST_RULE", "code: OTHER_RULE"), "named after its code"),
        (lambda t: t.replace("  facts: h\n", ""), "output must describe the columns"),
        (lambda t: t.replace("/*---", "/*", 1), "must open with a metadata block"),
        (lambda t: t.replace("policy: a test\n", "policy: a test\nowner: someone\n"), "unknown key(s) owner"),
        (lambda t: t.replace("  min_vehicles:\n", "  as_of:\n"), "bound by the engine"),
        (lambda t: t.replace("severity: high\n", "severity: high\nseverity: low\n"), "key 'severity' is given twice"),
    ],
)
def test_malformed_rule_file_fails_naming_the_file_and_the_problem(tmp_path, broken, problem):
    write_rule(tmp_path, broken(GOOD))
    with pytest.raises(RuleFileError) as caught:
        load_catalog(tmp_path)
    assert "TEST_RULE.sql" in str(caught.value)
    assert problem in str(caught.value)


def test_empty_catalog_folder_is_an_error(tmp_path):
    with pytest.raises(RuleFileError, match="holds no"):
        load_catalog(tmp_path)


def test_catalog_folder_can_be_set_by_environment(tmp_path, monkeypatch):
    write_rule(tmp_path, GOOD)
    monkeypatch.setenv("HEDUI_RULES_DIR", str(tmp_path))
    assert [rule.code for rule in load_catalog()] == ["TEST_RULE"]


def test_default_catalog_is_the_repository_warnings_folder(monkeypatch):
    """In a checkout (editable install) the package's catalog is the repository's warnings/ itself."""
    monkeypatch.delenv("HEDUI_RULES_DIR", raising=False)
    assert Path(DEFAULT_RULES_DIR).resolve() == Path(__file__).resolve().parents[1] / "warnings"
    assert {rule.path.parent for rule in load_catalog()} == {DEFAULT_RULES_DIR}


def test_repository_rules_bind_their_thresholds_instead_of_pasting_them():
    for rule in load_catalog():
        assert rule.output and list(rule.output) == list(OUTPUT_COLUMNS)
        for name, spec in rule.parameters.items():
            assert f"${name}" in rule.sql, f"{rule.code}: {name} not bound"
            values = spec["default"] if isinstance(spec["default"], list) else [spec["default"]]
            for value in values:
                if isinstance(value, str) and len(value) > 1:
                    assert f"'{value}'" not in rule.sql, f"{rule.code}: {value!r} pasted into the SQL"


def test_repository_rules_read_in_dbt_style():
    for rule in load_catalog():
        assert rule.sql.startswith("with"), rule.code
        assert not re.search(r"\b(SELECT|FROM|WHERE|JOIN)\b", rule.sql), f"{rule.code}: upper-case keywords"
        assert not re.search(r"group by \d", rule.sql), f"{rule.code}: group by position"


def test_a_rule_failing_at_run_time_names_its_file_without_personal_data(tmp_path):
    text = GOOD.replace("household_size >= $min_vehicles", "cast(head_id_norm as integer) > $min_vehicles and household_size >= $min_vehicles")
    text = text.replace("head_id_norm", "head_name")
    write_rule(tmp_path, text)
    con = duckdb.connect(":memory:")
    build_sample_tables(con)
    with pytest.raises(RuleExecutionError) as caught:
        raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF), catalog=load_catalog(tmp_path))
    message = str(caught.value)
    assert "TEST_RULE.sql" in message
    assert "王建国" not in message and "陈丽华" not in message
    assert con.execute("select count(*) from alerts.warnings").fetchone()[0] == 0


def test_a_rule_returning_a_subject_twice_is_an_error(tmp_path):
    write_rule(tmp_path, GOOD.replace("from staged.households\n", "from staged.households, range(2)\n"))
    con = duckdb.connect(":memory:")
    build_sample_tables(con)
    with pytest.raises(RuleExecutionError, match=r"statement \[rule TEST_RULE.sql\]: query returns 4 subject"):
        raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF), catalog=load_catalog(tmp_path))


def test_a_parameter_name_worded_differently_by_two_rules_is_an_error(tmp_path):
    write_rule(tmp_path, GOOD)
    write_rule(tmp_path, GOOD.replace("TEST_RULE", "OTHER_RULE").replace("车辆达到 {} 辆", "车达到 {} 辆"),
               name="OTHER_RULE.sql")
    with pytest.raises(RuleFileError, match="min_vehicles is worded differently"):
        load_catalog(tmp_path)


def test_every_repository_threshold_has_a_chinese_wording():
    from hedui.rules.catalog import threshold_wordings

    rules = load_catalog()
    wordings = threshold_wordings(rules)
    # the rule files' parameters, and the policy's income settings the engine binds for them
    assert set(wordings) == {param for rule in rules for param in (*rule.parameters, *rule.uses_settings)}
    for param, wording in wordings.items():
        assert wording.count("{}") == 1, param
        # words for caseworkers: no parameter names or other identifiers in the wording itself
        assert not re.search(r"[A-Za-z_]{3,}", wording), (param, wording)


def test_a_key_given_twice_in_a_rule_header_is_named_with_its_lines_in_the_file(tmp_path):
    text = GOOD.replace("severity: high\n", "severity: high\nseverity: low\n")
    line = text.splitlines().index("severity: high") + 1
    write_rule(tmp_path, text)
    with pytest.raises(RuleFileError, match=rf"key 'severity' is given twice \(lines {line} and {line + 1}\)"):
        load_catalog(tmp_path)


def test_a_list_as_a_key_in_a_rule_header_is_a_yaml_error_not_a_crash(tmp_path):
    write_rule(tmp_path, GOOD.replace("severity: high\n", "severity: high\n? [a, b]\n: 1\n"))
    with pytest.raises(RuleFileError, match="(?s)not valid YAML: .*unhashable key"):
        load_catalog(tmp_path)
