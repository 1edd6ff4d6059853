"""The rule catalog refuses SQL outside the portable subset (issue 15), naming the file and the construct.

A rule is written once and must give the same result on DuckDB and on Spark 3.3; a DuckDB-only function or a
construct no rewrite keeps equal would only show on the province's cluster, at night. So loading the catalog,
which every night does first, stops at it.
"""

from __future__ import annotations

import pytest

from hedui.rules import RuleFileError, load_catalog
from tests.test_rules_catalog import GOOD, write_rule


def test_a_well_formed_portable_rule_loads(tmp_path):
    write_rule(tmp_path, GOOD)
    assert [rule.code for rule in load_catalog(tmp_path)] == ["TEST_RULE"]


@pytest.mark.parametrize("duckdb_only, construct", [
    ("list_sum([household_size, 1]) as n", "list_sum(): not a Spark 3.3 built-in function"),
    ("printf('%d户', household_size) as n", "printf formats other than %.<n>f"),
    ("date_diff('week', current_date, current_date) as n", "date_diff by week"),
    ("(select m.person_name from staged.members as m where m.household_id = households.household_id"
     " order by m.person_name limit 1) as n", "a correlated subquery with LIMIT"),
], ids=["DuckDB-only function", "printf %d", "date_diff by week", "correlated LIMIT subquery"])
def test_a_rule_using_a_construct_outside_the_portable_subset_is_refused_naming_file_and_construct(
        tmp_path, duckdb_only, construct):
    write_rule(tmp_path, GOOD.replace("'测试' as summary_zh,", f"'测试' as summary_zh,\n    {duckdb_only},"))
    with pytest.raises(RuleFileError) as refused:
        load_catalog(tmp_path)
    message = str(refused.value)
    assert message.startswith("TEST_RULE.sql: SQL outside the portable subset")
    assert construct in message


def test_the_repository_catalog_is_portable():
    assert "OUTREACH_SEVERE_DISABILITY" in {rule.code for rule in load_catalog()}
