"""The suites' expectations compiled into DuckDB SQL: a delivery is validated in two scans, whatever its size
or the number of expectations.

Why: Great Expectations runs a suite as one or more metric queries per expectation, plus Python around each,
and importing it costs about 2.5 s per process. On the prefecture city that was most of medical ingest; on the
samples it was six of a night's ten seconds. The suites stay Great Expectations suites (written by
``authoring.py``, rendered into Data Docs by ``docs.py``), and GX stays the reference: ``tests/
test_contracts_compiled.py`` runs both engines over every suite on crafted rows and requires the same failing
rows, reasons and counts. ``HEDUI_CONTRACT_ENGINE=gx`` (or ``engine="gx"``) validates with GX itself.

What is compiled, with GX's own semantics (``great_expectations.expectations.core``):

- a map expectation looks at the rows of its ``row_condition`` (its *domain*); GX's ``element_count``;
- of those, rows with a missing value are not judged (``not_be_null`` aside, which judges exactly those);
  GX's ``missing_count``;
- the rest fail when they break the expectation; GX's ``unexpected_count``.

An expectation type, keyword or ``row_condition`` outside what is compiled here is refused with the suite's
file named, rather than validated differently from GX.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hedui.contracts.errors import ContractStructureError
from hedui.contracts.gx_results import PARTIAL_INDEX_COUNT, expectation_result, map_result
from hedui.contracts.reasons import ident, lit, value_and_reason

TABLE_COLUMNS = "expect_table_columns_to_match_set"


class NotCompilable(ValueError):
    """The expectation uses a type or keyword that hedui does not compile (the caller names the file)."""


@dataclass(frozen=True)
class CompiledExpectation:
    """SQL over the candidates (alias ``c``) for one map expectation of a suite."""

    n: int  # position in the suite
    domain: str  # the rows it looks at
    judged: str | None  # of those, the rows with a value (None: GX reports no missing count for this type)
    unexpected: str  # of the domain, the rows that fail


# the keywords each type may carry; any other keyword would change GX's answer in a way not compiled here
_ALLOWED = {
    "expect_column_values_to_not_be_null": {"column", "row_condition"},
    "expect_column_values_to_be_in_set": {"column", "value_set", "row_condition"},
    "expect_column_values_to_be_between": {"column", "min_value", "max_value", "strict_min", "strict_max",
                                           "row_condition"},
    "expect_column_value_lengths_to_equal": {"column", "value", "row_condition"},
    "expect_column_pair_values_a_to_be_greater_than_b": {"column_A", "column_B", "or_equal", "ignore_row_if",
                                                          "row_condition"},
    TABLE_COLUMNS: {"column_set", "exact_match"},
}


def compile_expectation(n: int, exp: dict, as_of: dt.date) -> CompiledExpectation | None:
    """The SQL of one expectation; None for the table-level column check (see ``missing_columns``)."""
    kind, kw = exp["type"], exp["kwargs"]
    if kind not in _ALLOWED:
        raise NotCompilable(f"expectation #{n} {kind} is not one hedui compiles (see hedui/contracts/compiled.py)")
    extra = set(kw) - _ALLOWED[kind]
    if extra:
        raise NotCompilable(f"expectation #{n} {kind}: keyword(s) {sorted(extra)} are not compiled")
    if kind == TABLE_COLUMNS:
        return None
    domain = condition_sql(kw["row_condition"]) if kw.get("row_condition") else "TRUE"
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        if kw.get("ignore_row_if", "both_values_are_missing") != "either_value_is_missing":
            raise NotCompilable(f"expectation #{n} {kind}: only ignore_row_if='either_value_is_missing' is compiled")
        a, b = f"c.{ident(kw['column_A'])}", f"c.{ident(kw['column_B'])}"
        judged = f"{a} IS NOT NULL AND {b} IS NOT NULL"
        holds = f"{a} {'>=' if kw.get('or_equal') else '>'} {b}"
        return _compiled(n, domain, judged, holds)
    col = f"c.{ident(kw['column'])}"
    if kind == "expect_column_values_to_not_be_null":
        return CompiledExpectation(n, domain, None, f"({domain}) AND {col} IS NULL")
    judged = f"{col} IS NOT NULL"
    if kind == "expect_column_values_to_be_in_set":
        values = list(kw["value_set"] or [])
        holds = f"{col} IN ({', '.join(sql_value(v, as_of) for v in values)})" if values else "FALSE"
    elif kind == "expect_column_value_lengths_to_equal":
        holds = f"length({col}) = {int(kw['value'])}"
    else:  # between
        low, high = kw.get("min_value"), kw.get("max_value")
        if low is None and high is None:
            raise NotCompilable(f"expectation #{n} {kind} needs min_value or max_value")
        bounds = []
        if low is not None:
            bounds.append(f"{col} {'>' if kw.get('strict_min') else '>='} {sql_value(low, as_of)}")
        if high is not None:
            bounds.append(f"{col} {'<' if kw.get('strict_max') else '<='} {sql_value(high, as_of)}")
        holds = " AND ".join(bounds)
    return _compiled(n, domain, judged, holds)


def _compiled(n: int, domain: str, judged: str, holds: str) -> CompiledExpectation:
    return CompiledExpectation(n, domain, judged, f"({domain}) AND ({judged}) AND NOT ({holds})")


def missing_columns(exp: dict, actual: list[str]) -> list[str]:
    """The suite's required columns the candidates lack; GX matches unquoted names case-insensitively."""
    have = {a.lower() for a in actual}
    missing = []
    for name in exp["kwargs"].get("column_set") or []:
        if name.startswith('"') and name.endswith('"'):
            if name[1:-1] not in actual:
                missing.append(name[1:-1])
        elif name.lower() not in have:
            missing.append(name)
    return sorted(missing)


def counts_sql(view: str, compiled: list[CompiledExpectation]) -> str:
    """One scan: the rows, and each expectation's domain and judged rows."""
    parts = ["count(*) AS row_count"]
    for e in compiled:
        parts.append(f"count(*) FILTER (WHERE {e.domain}) AS domain_{e.n}")
        if e.judged is not None:
            parts.append(f"count(*) FILTER (WHERE ({e.domain}) AND ({e.judged})) AS judged_{e.n}")
    return "SELECT\n    " + ",\n    ".join(parts) + f"\nFROM {ident(view)} AS c"


def failures_sql(view: str, compiled: list[CompiledExpectation], wording: dict[int, tuple[str, str, str, str]]) -> str:
    """One scan: a row per (failing row, expectation it fails), with the quarantine's value and reason.

    ``wording[n]`` is (expectation type, column name, value SQL, reason SQL) from ``reasons.value_and_reason``.
    A row failing nothing is filtered before any list is built, so the work grows with the failures."""
    entries = []
    for e in compiled:
        kind, column, value, reason = wording[e.n]
        entries.append(
            f"CASE WHEN {e.unexpected} THEN {{'n': {e.n}, 'expectation': {lit(kind)}, "
            f"'column_name': {lit(column)}, 'value': CAST({value} AS VARCHAR), "
            f"'reason': CAST({reason} AS VARCHAR)}} END"
        )
    any_failure = "\n       OR ".join(f"({e.unexpected})" for e in compiled)
    listed = ",\n            ".join(entries)
    return f"""
SELECT row_number, file, failure.expectation, failure.column_name, failure.value, failure.reason, failure.n AS expectation_no
FROM (
    SELECT c.row_number, c.file, unnest(list_filter([
            {listed}
        ], lambda f: f IS NOT NULL)) AS failure
    FROM {ident(view)} AS c
    WHERE {any_failure}
)"""


def _scans_on_spark(con, spark, source: str, view: str, maps: list[CompiledExpectation],
                    wording: dict[int, tuple[str, str, str, str]], failed: str) -> dict[str, int]:
    """The failing rows (into ``failed``) and the counts of ``view``, computed on Spark; the counts by name.
    A query failing there names the contract and the source (``SparkQueryFailed``), never a value."""
    queries = {f"{failed}_counts": counts_sql(view, maps)}
    if maps:
        queries[f"{failed}_spark"] = failures_sql(view, maps, wording)
    spark.create_temp_tables(con, queries, (view,), label=f"ingest.{source} (contract)")
    try:
        if maps:
            con.execute(f"INSERT INTO {ident(failed)} BY NAME SELECT * FROM {ident(failed + '_spark')}")
        return _fetch_row(con.execute(f"SELECT * FROM {ident(failed + '_counts')}"))
    finally:
        for name in queries:
            con.execute(f"DROP TABLE IF EXISTS {ident(name)}")


def _fetch_row(cursor) -> dict:
    return dict(zip([d[0] for d in cursor.description], cursor.fetchall()[0]))


def condition_sql(cond) -> str:
    """SQL (over alias ``c``) for a serialised GX row condition: nullity, comparison, and, or."""
    if isinstance(cond, str):
        raise NotCompilable(f"string row conditions are not supported in hedui suites: {cond!r}")
    t = cond.get("type")
    if t == "nullity":
        return f"c.{ident(cond['column']['name'])} IS {'' if cond.get('is_null') else 'NOT '}NULL"
    if t == "comparison":
        col, op, p = f"c.{ident(cond['column']['name'])}", cond["operator"], cond.get("parameter")
        if op in ("IN", "NOT_IN"):
            vals = ", ".join(sql_value(v) for v in p)
            return f"{col} {'NOT ' if op == 'NOT_IN' else ''}IN ({vals})"
        if op not in ("==", "!=", "<", "<=", ">", ">="):
            raise NotCompilable(f"unsupported row condition operator {op!r}")
        return f"{col} {'=' if op == '==' else op} {sql_value(p)}"
    if t in ("and", "or"):
        parts = [f"({condition_sql(c)})" for c in cond["conditions"]]
        return f" {t.upper()} ".join(parts)
    raise NotCompilable(f"unsupported row condition type {t!r}")


def sql_value(v, as_of: dt.date | None = None) -> str:
    """A suite's literal (or its ``{"$PARAMETER": "as_of"}``) as SQL."""
    if isinstance(v, dict) and set(v) == {"$PARAMETER"}:
        if v["$PARAMETER"] != "as_of" or as_of is None:
            raise NotCompilable(f"unknown suite parameter {v['$PARAMETER']!r} (hedui passes as_of only)")
        return f"DATE '{as_of.isoformat()}'"
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, dt.date):
        return f"DATE '{v.isoformat()}'"
    return lit(str(v))


def run_compiled(con, source: str, view: str, suite_json: dict, as_of: dt.date, failed: str,
                 batch_id: str, spark=None) -> list[dict]:
    """Validate the candidates of ``view`` against a suite: fill ``failed`` (a row per failing row and
    expectation) and return GX-shaped results, one per expectation, in the suite's order.

    With ``spark`` (``SparkTempQueries``) the two scans (``failures_sql``, ``counts_sql``, portable SQL) run on
    Spark over ``view`` handed over as Parquet; the failing rows and counts come back to DuckDB, where the rest
    (the first failing rows of each expectation, the results) is computed as without it.

    Raises NotCompilable for a suite outside what is compiled, and ContractStructureError when the candidates
    lack a column the suite requires (nothing else is then evaluated)."""
    expectations = suite_json["expectations"]
    compiled = {n: compile_expectation(n, exp, as_of) for n, exp in enumerate(expectations)}
    actual = [d[0] for d in con.execute(f"SELECT * FROM {ident(view)} LIMIT 0").description]
    table_checks = {n: missing_columns(exp, actual) for n, exp in enumerate(expectations) if compiled[n] is None}
    missing = sorted({m for cols in table_checks.values() for m in cols})
    if missing:
        raise ContractStructureError(source, missing)

    maps = [c for c in compiled.values() if c is not None]
    wording = {c.n: (expectations[c.n]["type"], *value_and_reason(expectations[c.n])) for c in maps}
    if spark is None:
        if maps:
            con.execute(f"INSERT INTO {ident(failed)} BY NAME {failures_sql(view, maps, wording)}")
        counts = _fetch_row(con.execute(counts_sql(view, maps)))
    else:
        counts = _scans_on_spark(con, spark, source, view, maps, wording, failed)
    failing: dict[int, int] = {}
    index_lists: dict[int, list[dict]] = {}
    for n, file, row_number, count in con.execute(
        f"""
        SELECT expectation_no, file, row_number, count(*) OVER (PARTITION BY expectation_no)
        FROM {ident(failed)}
        QUALIFY row_number() OVER (PARTITION BY expectation_no ORDER BY file, row_number) <= {PARTIAL_INDEX_COUNT}
        ORDER BY expectation_no, file, row_number
        """
    ).fetchall():
        failing[n] = count
        index_lists.setdefault(n, []).append({"file": file, "row_number": row_number})

    results = []
    parameters = {"as_of": as_of.isoformat()}
    for n, exp in enumerate(expectations):
        c = compiled[n]
        if c is None:
            results.append(expectation_result(exp, n, batch_id, True, {"observed_value": sorted(actual)}, parameters))
            continue
        unexpected = failing.get(n, 0)
        result = map_result(
            element_count=counts[f"domain_{n}"], judged_count=counts.get(f"judged_{n}"), unexpected_count=unexpected,
            index_list=index_lists.get(n, []),
            index_query=f"SELECT file, row_number FROM candidates AS c WHERE {c.unexpected}",
            pair="column_A" in exp["kwargs"],
        )
        results.append(expectation_result(exp, n, batch_id, unexpected == 0, result, parameters))
    return results
