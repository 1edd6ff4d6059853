"""validate_delivery: run a source's GX suite over a delivery's candidate rows, set-based, inside DuckDB.

How it runs (see data_contracts/README.md, "Engine choice", for the measurements):
GX's SQL execution engine validates a view of the candidate table through SQLAlchemy (duckdb-engine), on
cursors of the caller's connection. Each failing row expectation yields GX's ``unexpected_index_query``
(the SQL that selects every failing row's ``file, row_number``); we run it inside DuckDB joined to the
candidates to write ``value`` and a readable ``reason``. Memory stays bounded: GX itself only ever holds
its capped samples (20 index rows / 200 values per expectation), and those samples are removed from the
saved result so no row value leaves the warehouse.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from hedui.contracts._gxenv import gx_offline
from hedui.contracts.reasons import ident, lit, value_and_reason
from hedui.contracts.suites import load_suite, load_suite_json

log = logging.getLogger(__name__)

# GX 1.24 reflects columns without the schema name, so the working view lives in the default schema
WORK_PREFIX = "_hedui_contract_"
INDEX_COLUMNS = ["file", "row_number"]
RESULT_FORMAT = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": INDEX_COLUMNS,
    "return_unexpected_index_query": True,
    "partial_unexpected_count": 20,
}
# value-bearing keys GX puts in a result; removed before the result is kept anywhere
_VALUE_KEYS = ("partial_unexpected_list", "unexpected_list", "partial_unexpected_counts", "unexpected_counts",
               "details")
FAILED_COLUMNS = "row_number BIGINT, file VARCHAR, expectation VARCHAR, column_name VARCHAR, value VARCHAR, reason VARCHAR"


class ContractStructureError(RuntimeError):
    """The candidate table lacks columns the suite needs (the connector/contract interface is broken)."""


class ContractRunError(RuntimeError):
    """GX could not evaluate an expectation; nothing is quarantined on a half-run contract."""


@dataclass
class ContractResult:
    source: str
    delivery_id: str
    failed: str  # name of a TEMP table on the caller's connection: row_number, file, expectation, column_name, value, reason
    row_count: int
    failed_row_count: int  # distinct (file, row_number) that fail at least one expectation
    passed_count: int
    statistics: dict[str, Any]
    validation_result: Any  # great_expectations ExpectationSuiteValidationResult (value samples removed)
    result_path: Path | None = None
    success: bool = field(default=True)


_ctx_lock = threading.Lock()
_ctx = None


def gx_context():
    """One ephemeral GX context per process (no files, no network, no progress bars)."""
    global _ctx
    with _ctx_lock:
        if _ctx is None:
            gx_offline()
            import great_expectations as gx
            from great_expectations.data_context.types.base import ProgressBarsConfig

            ctx = gx.get_context(mode="ephemeral")
            ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
            ctx.config.analytics_enabled = False
            _ctx = ctx
        return _ctx


def _split_name(name: str) -> tuple[str | None, str]:
    parts = [p.strip('"') for p in name.split(".")]
    if len(parts) == 1:
        return None, parts[0]
    return ".".join(parts[:-1]), parts[-1]


def _qualified(name: str) -> str:
    schema, table = _split_name(name)
    return f"{ident(schema)}.{ident(table)}" if schema else ident(table)


def _prepare_view(con, candidates_table: str, src_columns: list[str], tag: str,
                  derived: dict[str, str] | None = None) -> tuple[str, str]:
    """A view (or, for a TEMP candidates table, a copy) in WORK_SCHEMA that GX's cursors can see, with
    blank raw text turned into NULL so 'missing' and 'unparseable' are told apart reliably."""
    cols = {r[0] for r in con.execute(f"SELECT * FROM {_qualified(candidates_table)} LIMIT 0").description}
    repl = [f"nullif(trim({ident(c)}), '') AS {ident(c)}" for c in src_columns if c in cols]
    extra = "".join(f", {sql} AS {ident(n)}" for n, sql in (derived or {}).items())
    select = (f"SELECT * {'REPLACE (' + ', '.join(repl) + ')' if repl else ''}{extra} "
              f"FROM {_qualified(candidates_table)}")
    name = f"{WORK_PREFIX}v_{tag}"
    con.execute(f"CREATE OR REPLACE VIEW {ident(name)} AS {select}")
    try:
        con.cursor().execute(f"SELECT 1 FROM {ident(name)} LIMIT 0").fetchall()
        return name, "VIEW"
    except Exception:
        # a TEMP table (or one in an uncommitted transaction) is invisible to other cursors: copy it
        con.execute(f"DROP VIEW IF EXISTS {ident(name)}")
        name = f"{WORK_PREFIX}t_{tag}"
        con.execute(f"CREATE OR REPLACE TABLE {ident(name)} AS {select}")
        try:
            con.cursor().execute(f"SELECT 1 FROM {ident(name)} LIMIT 0").fetchall()
        except Exception as e:
            con.execute(f"DROP TABLE IF EXISTS {ident(name)}")
            raise ContractRunError(
                f"candidate table {candidates_table} is not visible to other cursors of this connection "
                "(commit the transaction that created it before validating)"
            ) from e
        return name, "TABLE"


def scrub(result_dict: dict) -> dict:
    """Remove every row value from a serialised GX validation result (keep counts and row references)."""
    for r in result_dict.get("results", []):
        res = r.get("result") or {}
        for k in _VALUE_KEYS:
            res.pop(k, None)
        for k in ("partial_unexpected_index_list", "unexpected_index_list"):
            if isinstance(res.get(k), list):
                res[k] = [{c: d.get(c) for c in INDEX_COLUMNS} for d in res[k] if isinstance(d, dict)][:20]
        for info in (r.get("exception_info") or {}).values() if isinstance(r.get("exception_info"), dict) else []:
            pass
    return result_dict


def _safe(s: str) -> str:
    return re.sub(r"[^0-9A-Za-z_.-]+", "_", s)


def validate_delivery(
    con,
    source: str,
    candidates_table: str,
    *,
    as_of: date,
    run_id: str,
    delivery_id: str,
    results_dir: Path | None = None,
    suites_dir: Path | None = None,
) -> ContractResult:
    """Validate one delivery's candidate rows against ``data_contracts/<source>.json``.

    ``failed`` names a TEMP table on ``con`` with one row per failing (row, expectation); a row failing two
    expectations appears twice. The GX validation result (values removed) is saved as
    ``<results_dir>/<run_id>/<source>__<delivery>.json`` when ``results_dir`` is given.
    """
    t0 = time.perf_counter()
    gx_offline()
    from hedui.contracts._duckdb_gx import engine_kwargs, patch_gx_sql_engine
    from great_expectations.core.run_identifier import RunIdentifier

    patch_gx_sql_engine()
    suite_json = load_suite_json(source, suites_dir)
    suite = load_suite(source, suites_dir)
    expectations = suite_json["expectations"]
    src_columns = sorted({e["meta"]["src"] for e in expectations if e["meta"].get("src")})

    tag = f"{_safe(source)}_{uuid.uuid4().hex[:10]}"
    view, view_kind = _prepare_view(con, candidates_table, src_columns, tag,
                                    (suite_json.get("meta") or {}).get("derived_columns"))
    failed = f"contract_failed_{tag}"
    ctx = gx_context()
    ds_name = f"hedui_{tag}"
    try:
        ds = ctx.data_sources.add_sql(ds_name, connection_string="duckdb:///:memory:", kwargs=engine_kwargs(con))
        asset = ds.add_table_asset("candidates", table_name=view)
        batch = asset.add_batch_definition_whole_table("whole").get_batch()
        t1 = time.perf_counter()
        vr = batch.validate(suite, expectation_parameters={"as_of": as_of}, result_format=RESULT_FORMAT)
        t2 = time.perf_counter()

        by_n = {}
        errors, missing_cols = [], []
        for r in vr.results:
            n = (r.expectation_config.meta or {}).get("n")
            by_n[n] = r
            if r.exception_info and _raised(r.exception_info):
                errors.append(f"{r.expectation_config.type}({r.expectation_config.kwargs.get('column', '')})")
            if r.expectation_config.type in ("expect_table_columns_to_match_set",) and not r.success:
                missing_cols = (r.result.get("details") or {}).get("mismatched", {}).get("missing") or ["?"]
        if missing_cols:
            raise ContractStructureError(
                f"{source}: candidate table {candidates_table} lacks columns {sorted(missing_cols)}"
            )
        if errors:
            raise ContractRunError(f"{source}: GX could not evaluate {', '.join(errors[:10])}")

        con.execute(f"CREATE OR REPLACE TEMP TABLE {ident(failed)} ({FAILED_COLUMNS})")
        for i, exp in enumerate(expectations):
            r = by_n.get(i)
            if r is None or r.success or exp["meta"]["kind"] == "table":
                continue
            query = (r.result or {}).get("unexpected_index_query")
            if not isinstance(query, str):
                raise ContractRunError(f"{source}: GX returned no row query for {exp['type']} on {exp['kwargs'].get('column')}")
            column, value_sql, reason_sql = value_and_reason(exp, as_of)
            # GX 1.24 leaves the row_condition out of unexpected_index_query: apply it to the joined row
            cond = exp["kwargs"].get("row_condition")
            where = f" WHERE {condition_sql(cond)}" if cond else ""
            inserted = con.execute(
                f"INSERT INTO {ident(failed)} "
                f"SELECT q.row_number, q.file, {lit(exp['type'])}, {lit(column)}, {value_sql}, {reason_sql} "
                f"FROM ({query.strip().rstrip(';')}) q "
                f"JOIN {ident(view)} c ON c.file IS NOT DISTINCT FROM q.file AND c.row_number = q.row_number"
                f"{where}"
            ).fetchone()[0]
            expected = r.result.get("unexpected_count")
            if expected is not None and inserted != expected:
                raise ContractRunError(
                    f"{source}: {exp['type']} on {column}: GX counts {expected} failing rows but its row query "
                    f"selects {inserted}; refusing to quarantine on a disagreement"
                )
            log.info(
                "contract %s %s: %s %s on %s fails for %d rows",
                source, delivery_id, exp["meta"]["rule"], exp["type"], column, r.result.get("unexpected_count", -1),
            )
        row_count, failed_rows = con.execute(
            f"SELECT (SELECT count(*) FROM {ident(view)}), "
            f"(SELECT count(*) FROM (SELECT DISTINCT file, row_number FROM {ident(failed)}))"
        ).fetchone()
    finally:
        try:
            ds.get_engine().dispose()  # close the pooled cursors of `con` now, not at interpreter shutdown
        except Exception:  # pragma: no cover - datasource never got created
            pass
        try:
            ctx.data_sources.delete(ds_name)
        except Exception:  # pragma: no cover - datasource never got created
            pass
        con.execute(f"DROP {view_kind} IF EXISTS {ident(view)}")

    t3 = time.perf_counter()
    run_time = datetime.now(timezone.utc)
    vr.meta = dict(vr.meta or {})
    vr.meta["run_id"] = RunIdentifier(run_name=run_id, run_time=run_time)
    vr.meta["hedui"] = {"source": source, "delivery_id": delivery_id, "as_of": as_of.isoformat(), "run_id": run_id}
    for r in vr.results:  # drop value samples before serialising (also: GX's serialiser is slow on them)
        res = r.result or {}
        counts = {k: len(v) for k, v in res.items() if isinstance(v, list)}
        for k in _VALUE_KEYS:
            res.pop(k, None)
        for k in ("partial_unexpected_index_list", "unexpected_index_list"):
            if isinstance(res.get(k), list):
                res[k] = [{c: d.get(c) for c in INDEX_COLUMNS} for d in res[k][:20] if isinstance(d, dict)]
        log.debug("result list sizes %s", counts)
    clean = scrub(vr.to_json_dict())
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResult

    vr_clean = ExpectationSuiteValidationResult(**_result_kwargs(clean))
    statistics = dict(clean.get("statistics") or {})
    statistics.update(
        rows=row_count, rows_failed=failed_rows, rows_passed=row_count - failed_rows,
        seconds_setup=round(t1 - t0, 3), seconds_gx=round(t2 - t1, 3), seconds_quarantine=round(t3 - t2, 3),
    )
    path = None
    if results_dir is not None:
        path = Path(results_dir) / _safe(run_id) / f"{_safe(source)}__{_safe(delivery_id)}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        import json

        clean["meta"]["hedui"]["statistics"] = statistics
        path.write_text(json.dumps(clean, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    log.info("contract %s %s: %d rows, %d fail, %d pass (%.2fs)", source, delivery_id, row_count, failed_rows,
             row_count - failed_rows, t3 - t0)
    return ContractResult(
        source=source, delivery_id=delivery_id, failed=failed, row_count=row_count, failed_row_count=failed_rows,
        passed_count=row_count - failed_rows, statistics=statistics, validation_result=vr_clean,
        result_path=path, success=failed_rows == 0,
    )


def condition_sql(cond) -> str:
    """SQL (over alias ``c``) for a serialised GX row condition: nullity, comparison, and, or."""
    if isinstance(cond, str):
        raise ContractRunError(f"string row conditions are not supported in hedui suites: {cond!r}")
    t = cond.get("type")
    if t == "nullity":
        return f"c.{ident(cond['column']['name'])} IS {'' if cond.get('is_null') else 'NOT '}NULL"
    if t == "comparison":
        col, op, p = f"c.{ident(cond['column']['name'])}", cond["operator"], cond.get("parameter")
        if op in ("IN", "NOT_IN"):
            vals = ", ".join(_sql_value(v) for v in p)
            return f"{col} {'NOT ' if op == 'NOT_IN' else ''}IN ({vals})"
        if op not in ("==", "!=", "<", "<=", ">", ">="):
            raise ContractRunError(f"unsupported row condition operator {op!r}")
        return f"{col} {'=' if op == '==' else op} {_sql_value(p)}"
    if t in ("and", "or"):
        parts = [f"({condition_sql(c)})" for c in cond["conditions"]]
        return f" {t.upper()} ".join(parts)
    raise ContractRunError(f"unsupported row condition type {t!r}")


def _sql_value(v) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float)):
        return repr(v)
    return lit(str(v))


def _raised(info: dict) -> bool:
    if info.get("raised_exception"):
        return True
    return any(isinstance(v, dict) and v.get("raised_exception") for v in info.values())


def _result_kwargs(d: dict) -> dict:
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResultSchema

    obj = ExpectationSuiteValidationResultSchema().load(d)
    return {k: getattr(obj, k) if not isinstance(obj, dict) else obj[k]
            for k in ("success", "results", "suite_name", "statistics", "meta")}
