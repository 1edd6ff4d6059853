"""Great Expectations itself validating a delivery: the reference the compiled engine is tested against, and
the engine an operator can ask for (``HEDUI_CONTRACT_ENGINE=gx``).

How it runs: GX's SQL execution engine validates a view of the candidates through SQLAlchemy (duckdb-engine),
on cursors of the caller's connection. Each failing row expectation yields GX's ``unexpected_index_query``
(the SQL that selects every failing row's ``file, row_number``); it runs inside DuckDB joined to the
candidates to write ``value`` and a readable ``reason``. GX itself only ever holds its capped samples (20 index
rows / 200 values per expectation), and those are removed from the result (``gx_results.scrub``).
"""

from __future__ import annotations

import logging
import threading
from datetime import date
from pathlib import Path

from hedui.contracts._gxenv import gx_offline
from hedui.contracts.compiled import condition_sql
from hedui.contracts.errors import ContractRunError, ContractStructureError
from hedui.contracts.gx_results import INDEX_COLUMNS, PARTIAL_INDEX_COUNT, scrub
from hedui.contracts.reasons import ident, lit, value_and_reason
from hedui.contracts.suites import load_suite

log = logging.getLogger(__name__)

RESULT_FORMAT = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": INDEX_COLUMNS,
    "return_unexpected_index_query": True,
    "partial_unexpected_count": PARTIAL_INDEX_COUNT,
}

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


def run_gx(con, view: str, suite_json: dict, as_of: date, failed: str, tag: str,
           suites_dir: Path | None, source: str) -> list[dict]:
    """Validate ``view`` with GX: fill ``failed`` and return GX's results (values removed) in suite order."""
    gx_offline()
    from hedui.contracts._duckdb_gx import engine_kwargs, patch_gx_sql_engine

    patch_gx_sql_engine()
    suite = load_suite(source, suites_dir)
    expectations = suite_json["expectations"]
    ctx = gx_context()
    ds_name = f"hedui_{tag}"
    try:
        ds = ctx.data_sources.add_sql(ds_name, connection_string="duckdb:///:memory:", kwargs=engine_kwargs(con))
        asset = ds.add_table_asset("candidates", table_name=view)
        batch = asset.add_batch_definition_whole_table("whole").get_batch()
        vr = batch.validate(suite, expectation_parameters={"as_of": as_of}, result_format=RESULT_FORMAT)

        by_n, errors, missing_cols = {}, [], []
        for r in vr.results:
            by_n[(r.expectation_config.meta or {}).get("n")] = r
            if r.exception_info and _raised(r.exception_info):
                errors.append(f"{r.expectation_config.type}({r.expectation_config.kwargs.get('column', '')})")
            if r.expectation_config.type == "expect_table_columns_to_match_set" and not r.success:
                missing_cols = (r.result.get("details") or {}).get("mismatched", {}).get("missing") or ["?"]
        if missing_cols:
            raise ContractStructureError(source, sorted(missing_cols))
        if errors:
            raise ContractRunError(f"{source}: GX could not evaluate {', '.join(errors[:10])}")

        for i, exp in enumerate(expectations):
            r = by_n.get(i)
            if r is None or r.success or exp["meta"]["kind"] == "table":
                continue
            query = (r.result or {}).get("unexpected_index_query")
            if not isinstance(query, str):
                raise ContractRunError(f"{source}: GX returned no row query for {exp['type']} on {exp['kwargs'].get('column')}")
            column, value_sql, reason_sql = value_and_reason(exp)
            # GX 1.24 leaves the row_condition out of unexpected_index_query: apply it to the joined row
            cond = exp["kwargs"].get("row_condition")
            where = f" WHERE {condition_sql(cond)}" if cond else ""
            inserted = con.execute(
                f"INSERT INTO {ident(failed)} (row_number, file, expectation, column_name, value, reason, expectation_no) "
                f"SELECT q.row_number, q.file, {lit(exp['type'])}, {lit(column)}, {value_sql}, {reason_sql}, {i} "
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
    finally:
        try:
            ds.get_engine().dispose()  # close the pooled cursors of `con` now, not at interpreter shutdown
        except Exception:  # pragma: no cover - datasource never got created
            pass
        try:
            ctx.data_sources.delete(ds_name)
        except Exception:  # pragma: no cover - datasource never got created
            pass
    results = scrub(vr.to_json_dict())["results"]
    return sorted(results, key=lambda r: (r["expectation_config"].get("meta") or {}).get("n", 0))


def _raised(info: dict) -> bool:
    if info.get("raised_exception"):
        return True
    return any(isinstance(v, dict) and v.get("raised_exception") for v in info.values())
