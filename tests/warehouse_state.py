"""Comparing warehouses: the content that must not change between equivalent runs."""

from __future__ import annotations

from pathlib import Path

import duckdb

# Run bookkeeping differs between runs by design (run ids, timestamps); data must not.
VOLATILE_COLUMNS = {"run_id", "raised_run_id", "updated_run_id", "loaded_run_id", "started_at", "finished_at",
                    "recorded_at", "applied_at", "stage_timings",
                    "incremental"}  # whether linking ran incrementally: bookkeeping, not data
SKIPPED_SCHEMAS = {"ledger"}
SKIPPED_TABLES = {"alerts.rule_runs"}  # per-run statistics, a ledger of the rule engine


def data_state(path: Path) -> dict[str, list[tuple]]:
    """Every table outside the ledgers, as sorted rows without run bookkeeping columns."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() where not temporary order by 1, 2"
        ).fetchall()
        state = {}
        for schema, table in tables:
            if schema in SKIPPED_SCHEMAS or f"{schema}.{table}" in SKIPPED_TABLES:
                continue
            columns = [
                c for (c,) in con.execute(
                    "select column_name from duckdb_columns() where schema_name = ? and table_name = ? "
                    "order by column_index", [schema, table]
                ).fetchall() if c not in VOLATILE_COLUMNS
            ]
            select = ", ".join(f'"{c}"::varchar' for c in columns)
            state[f"{schema}.{table}"] = sorted(
                con.execute(f'select {select} from "{schema}"."{table}"').fetchall(), key=repr
            )
        return state
    finally:
        con.close()
