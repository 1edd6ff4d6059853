"""The Spark 3.3 dialect's rewrites and the macro expansion: each DuckDB construct and the Spark text it becomes.

No Spark runs here (that is the `spark` tests' work); these show, for each difference the feasibility probe of
issue 15 found, what the project writes instead, and that what cannot be kept equal is refused by name.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlglot

from hedui.engines.macros import MacroError, expand_macros, macros_from_sql, project_macros
from hedui.engines.spark_sql import (
    NotPortable,
    functions_called,
    spark_builtins,
    spark_problems,
    to_spark,
    unknown_functions,
)

# (DuckDB, Spark 3.3) for each rewrite
ORDERED_DESC = (
    "SELECT CASE WHEN SIZE(TRANSFORM(ARRAY_SORT(COLLECT_LIST(NAMED_STRUCT('k0', k, 'v', x)), (hd_l, hd_r) -> CASE"
    " WHEN hd_l.k0 IS NOT DISTINCT FROM hd_r.k0 THEN 0 WHEN hd_l.k0 IS NULL THEN 1 WHEN hd_r.k0 IS NULL THEN -1"
    " WHEN hd_l.k0 < hd_r.k0 THEN 1 ELSE -1 END), hd_s -> hd_s.v)) = 0 THEN NULL ELSE TRANSFORM(ARRAY_SORT("
    "COLLECT_LIST(NAMED_STRUCT('k0', k, 'v', x)), (hd_l, hd_r) -> CASE WHEN hd_l.k0 IS NOT DISTINCT FROM hd_r.k0"
    " THEN 0 WHEN hd_l.k0 IS NULL THEN 1 WHEN hd_r.k0 IS NULL THEN -1 WHEN hd_l.k0 < hd_r.k0 THEN 1 ELSE -1 END),"
    " hd_s -> hd_s.v) END FROM t"
)

REWRITES = {
    "ordered list keeps its order, its NULLs, and is NULL when empty": (
        "select list(x order by k desc) from t", ORDERED_DESC),
    "date_diff counts year boundaries as DuckDB does": (
        "select date_diff('year', birth, as_of), date_diff('month', b, a), date_diff('day', b, a) from t",
        "SELECT (YEAR(as_of) - YEAR(birth)), ((YEAR(a) - YEAR(b)) * 12 + MONTH(a) - MONTH(b)), DATEDIFF(a, b)"
        " FROM t"),
    "chr above 255 becomes the character itself": (
        "select trim(s, ' ' || chr(9) || chr(12288)) from t",
        "SELECT TRIM(' ' || CHR(9) || '\u3000' FROM s) FROM t"),
    "to_json keeps NULL fields": (
        "select to_json({'a': x}) from t",
        "SELECT TO_JSON(STRUCT(x AS a), MAP('ignoreNullFields', 'false')) FROM t"),
    "printf of fixed decimals rounds half to even, without thousands separators": (
        "select printf('%.2f', amount) || '元', printf('共%.1f%%', share) from t",
        "SELECT REPLACE(FORMAT_NUMBER(CAST(amount AS DOUBLE), 2), ',', '') || '元',"
        " CONCAT('共', REPLACE(FORMAT_NUMBER(CAST(share AS DOUBLE), 1), ',', ''), '%') FROM t"),
    "membership in a list parameter is array_contains, also in a select list": (
        "select x in (select unnest(['a', 'b'])), y not in (select unnest([])), z in (select unnest(l)) from t",
        "SELECT ARRAY_CONTAINS(ARRAY('a', 'b'), x), NOT FALSE,"
        " CASE WHEN SIZE(l) = 0 THEN FALSE ELSE ARRAY_CONTAINS(l, z) END FROM t"),
    "hash buckets stay non-negative": (
        "select hash(h) % 4 from t", "SELECT PMOD(HASH(h), 4) FROM t"),
    "years added to a date are months": (
        "select birth + to_years(16) <= d from t", "SELECT ADD_MONTHS(birth, (16) * 12) <= d FROM t"),
    "a computed list index counts from 1": (
        "select ['一', '二'][g], [1, 2][1] from t", "SELECT TRY_ELEMENT_AT(ARRAY('一', '二'), CAST(g AS INT)), ARRAY(1, 2)[0] FROM t"),
    "the length of a list is its size": (
        "select len(['a', 'b']) from t", "SELECT SIZE(ARRAY('a', 'b')) FROM t"),
    "a full regular-expression match is anchored": (
        "select regexp_full_match(s, '[0-9]{15}') from t", "SELECT s RLIKE '^(?:[0-9]{15})\\\\z' FROM t"),
    "several date formats are tried in order": (
        "select try_strptime(s, ['%Y%m%d', '%Y年%m月%d日']) from t",
        "SELECT COALESCE(TO_TIMESTAMP(s, 'yyyyMMdd'), TO_TIMESTAMP(s, 'yyyy年M月d日')) FROM t"),
    "a CTE materialisation hint is dropped": (
        "with d as not materialized (select a from t) select a from d", "WITH d AS (SELECT a FROM t) SELECT a FROM d"),
    "a star modifier over a CTE names its columns": (
        "with d as (select a, b from t) select * replace (b + 1 as b) from d",
        "WITH d AS (SELECT a, b FROM t) SELECT a, b + 1 AS b FROM d"),
    "a range in FROM becomes an explode": (
        "select x from range(1, 3) r(x)",
        "SELECT x FROM (SELECT EXPLODE(CASE WHEN 1 < 3 THEN FILTER(SEQUENCE(1, 3, 1), hd_v -> hd_v < 3) END) AS x)"
        " AS r"),
    "arg_min skips the rows whose value is NULL, as DuckDB's does": (
        "select arg_min(category || grade, grade_num), arg_max(a, b) from t",
        "SELECT MIN_BY(category || grade, CASE WHEN NOT category || grade IS NULL THEN grade_num END),"
        " MAX_BY(a, CASE WHEN NOT a IS NULL THEN b END) FROM t"),
    "a quotient is a double, rounded as DuckDB rounds doubles": (
        "select cast(round(total / months, 2) as decimal(14, 2)), a / 2 from t",
        "SELECT CAST(ROUND((CASE WHEN months = 0 THEN CAST(total AS DOUBLE) * CAST('Infinity' AS DOUBLE) ELSE"
        " CAST(total AS DOUBLE) / months END) * CAST(100 AS DOUBLE), 0) / CAST(100 AS DOUBLE) AS DECIMAL(14, 2)),"
        " CAST(a AS DOUBLE) / 2 FROM t"),
    "a decimal cast numerator is divided as a double too (only a double cast is left as it is)": (
        "select cast(a as decimal(14, 2)) / 2, cast(a as double) / 2 from t",
        "SELECT CAST(CAST(a AS DECIMAL(14, 2)) AS DOUBLE) / 2, CAST(a AS DOUBLE) / 2 FROM t"),
    "a division by zero is infinity or NaN as on DuckDB, not NULL": (
        "select a / b, a / 0.5 from t",
        "SELECT CASE WHEN b = 0 THEN CAST(a AS DOUBLE) * CAST('Infinity' AS DOUBLE) ELSE CAST(a AS DOUBLE) / b END,"
        " CAST(a AS DOUBLE) / 0.5 FROM t"),
    "a value named in a one-row subquery is written in place": (
        "select (select case when year(m) > 1890 then m end from (select cast(s as date) as m)) from t",
        "SELECT (CASE WHEN YEAR((CAST(s AS DATE))) > 1890 THEN (CAST(s AS DATE)) END) FROM t"),
    "unordered any_value is the first non-NULL value": (
        "select any_value(y) from t", "SELECT FIRST(y, TRUE) FROM t"),
    "DuckDB's timestamp is Spark 3.3's timestamp": (
        "select cast(s as timestamp) from t", "SELECT CAST(s AS TIMESTAMP) FROM t"),
}


@pytest.mark.parametrize("duckdb_sql, spark_sql", list(REWRITES.values()), ids=list(REWRITES))
def test_rewrite_turns_the_duckdb_construct_into_equal_spark_sql(duckdb_sql, spark_sql):
    assert to_spark(duckdb_sql).sql == spark_sql


def test_distinct_string_agg_ordered_by_its_value_collects_a_set_and_keeps_its_filter():
    spark = to_spark("select string_agg(distinct x, '、' order by x) filter (where c) from t").sql
    assert "ARRAY_JOIN(TRANSFORM(ARRAY_SORT(COLLECT_SET(NAMED_STRUCT('k0', x, 'v', x)) FILTER(WHERE c)," in spark
    assert "LISTAGG" not in spark and "STRING_AGG" not in spark


def test_any_value_ordered_takes_the_first_non_null_value_in_that_order():
    spark = to_spark("select any_value(x order by k) from t").sql
    assert spark.startswith("SELECT TRY_ELEMENT_AT(FILTER(TRANSFORM(ARRAY_SORT(COLLECT_LIST(NAMED_STRUCT('k0', k,")
    assert spark.endswith("hd_e -> NOT hd_e IS NULL), 1) FROM t")


def test_to_json_is_flagged_since_spark_writes_other_bytes_than_duckdb():
    assert to_spark("select to_json({'a': 1})").flags and not to_spark("select 1").flags


@pytest.mark.parametrize("duckdb_sql, construct", [
    ("select regexp_replace(s, 'a', 'b') from t", "regexp_replace of the first match only"),
    ("select (select u.x from u where u.y = t.y order by u.x limit 1) from t", "a correlated subquery with LIMIT"),
    ("select * replace (1 as a) from staged.t", "Spark 3.3 has no star modifiers"),
    ("select (select min(u.x) from u where contains(t.s, u.y)) from t", "a correlated predicate other than an equality"),
    ("select (select u.x from u where u.y = t.y) from t", "a correlated scalar subquery that is not aggregated"),
    ("select printf('%d', n) from t", "printf formats other than %.<n>f"),
    ("select date_diff('week', a, b) from t", "date_diff by week"),
    ("select chr(n) from t", "chr of a computed code point"),
    ("select string_agg(distinct x, ',' order by y) from t", "DISTINCT values ordered by something else"),
    ("select * from read_csv('x.csv')", "a table function in FROM"),
], ids=["regexp_replace first", "correlated limit", "star replace", "correlated non-equality",
        "correlated not aggregated", "printf %d", "date_diff week", "chr computed",
        "distinct ordered by other", "read_csv"])
def test_a_construct_no_rewrite_keeps_equal_is_refused_by_name(duckdb_sql, construct):
    with pytest.raises(NotPortable, match=construct):
        to_spark(duckdb_sql)
    assert construct in spark_problems(duckdb_sql)[0]


def test_correlated_subqueries_spark_3_3_decorrelates_are_portable():
    assert spark_problems("select (select max(u.x) from u where u.y = t.y) from t") == []
    assert spark_problems("select * from t where exists (select 1 from u where u.y = t.y)") == []


def test_a_duckdb_only_function_is_found_by_the_builtin_list():
    assert spark_problems("select list_sum(x), upper(s) from t") == ["list_sum(): not a Spark 3.3 built-in function"]
    assert unknown_functions(to_spark("select hd_name_norm(s), format_number(1.5, 2)").sql) == set()


def test_functions_called_ignores_syntax_aliases_and_strings():
    spark = ("WITH d AS (SELECT COUNT(*) FILTER(WHERE a IN (1)) AS n FROM t) SELECT CAST(n AS INT), 'f(x)'"
             " FROM (SELECT EXPLODE(ARRAY(1)) AS x) AS months(m) WHERE EXISTS (SELECT 1)")
    assert functions_called(spark) == {"count", "explode", "array"}


def test_the_builtin_list_is_spark_3_3s():
    builtins = spark_builtins()
    assert {"collect_list", "array_sort", "format_string", "try_element_at", "named_struct", "split_part"} <= builtins
    # added in Spark 3.4 or later, or DuckDB's: a query calling them would fail on a 3.3 cluster
    assert not {"any_value", "array_append", "to_char", "listagg", "string_agg", "list", "try_to_timestamp"} & builtins


def test_parameters_are_bound_as_quoted_literals_of_duckdbs_types():
    spark = to_spark("select * from t where s in (select unnest($statuses)) and d <= $as_of and n >= $n * $share",
                     {"statuses": ["在保", "it's"], "as_of": dt.date(2026, 11, 3), "n": 2, "share": 0.5}).sql
    assert spark == ("SELECT * FROM t WHERE ARRAY_CONTAINS(ARRAY('在保', 'it\\'s'), s) AND d <= CAST('2026-11-03'"
                     " AS DATE) AND n >= 2 * CAST(0.5 AS DOUBLE)")


# ---------------------------------------------------------------------------------------------------- macros

MACROS = macros_from_sql(
    """
    -- a comment before the macro
    create or replace macro twice(x) as x * 2;
    create or replace temp macro clean(s) as (nullif(trim(s), ''));
    create or replace temp macro rows_of(v) as table select * from items where kind = v;
    create or replace temp macro named(t) as table select * from query_table(t);
    create table not_a_macro as select 1;
    """,
    "test",
)


def test_a_scalar_macro_call_becomes_its_body_with_the_arguments_parenthesised():
    tree = expand_macros(sqlglot.parse_one("select twice(a + 1), clean(name) from t", read="duckdb"), MACROS)
    assert tree.sql("duckdb") == "SELECT ((a + 1) * 2), ((NULLIF(TRIM(name), ''))) FROM t"


def test_a_table_macro_call_becomes_a_subquery_under_the_calls_alias():
    tree = expand_macros(sqlglot.parse_one("select r.* from rows_of('car') as r", read="duckdb"), MACROS)
    assert tree.sql("duckdb") == "SELECT r.* FROM (SELECT * FROM items WHERE kind = 'car') AS r"


def test_query_table_of_a_literal_becomes_the_table():
    tree = expand_macros(sqlglot.parse_one("select * from named('income.members')", read="duckdb"), MACROS)
    assert tree.sql("duckdb") == "SELECT * FROM (SELECT * FROM income.members) AS named"


def test_a_parameter_name_inside_a_string_or_a_qualified_column_is_left_alone():
    macros = macros_from_sql("create macro m(x) as t.x || 'x' || x", "test")
    tree = expand_macros(sqlglot.parse_one("select m(col)", read="duckdb"), macros)
    assert tree.sql("duckdb") == "SELECT (t.x || 'x' || col)"


def test_a_macro_called_with_the_wrong_number_of_arguments_is_an_error():
    with pytest.raises(MacroError, match="twice .* takes 1 argument"):
        expand_macros(sqlglot.parse_one("select twice(1, 2)", read="duckdb"), MACROS)


def test_only_macros_are_read_from_a_file_of_statements():
    assert sorted(MACROS) == ["clean", "named", "rows_of", "twice"]


def test_nested_project_macros_expand_to_builtins_only():
    spark = to_spark("select hd_id_valid(hd_id_norm(raw), $as_of) from t", {"as_of": dt.date(2026, 11, 3)}).sql
    assert "HD_ID" not in spark.upper()
    assert unknown_functions(spark) == set()


def test_the_project_macros_are_the_rules_the_income_models_and_the_connectors():
    names = set(project_macros())
    assert {"active_households_of", "severe_disability_zh", "income_member_lines_from", "hd_clean", "hd_month"} <= names
