"""Comparing warehouses: the content that must not change between equivalent runs, ledgers included."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

# Run bookkeeping differs between runs by design (run ids, timestamps, durations); nothing else may.
VOLATILE_COLUMNS = {"run_id", "raised_run_id", "updated_run_id", "loaded_run_id", "started_at", "finished_at",
                    "recorded_at", "applied_at", "stage_timings",
                    "incremental"}  # whether linking ran incrementally: bookkeeping, not data
# JSON columns that repeat the run id inside: compared without that key.
JSON_WITH_RUN_ID = {("alerts", "rule_runs", "stats")}
LEDGERS = {("ledger", None), ("alerts", "rule_runs")}


def _is_ledger(schema: str, table: str) -> bool:
    return (schema, None) in LEDGERS or (schema, table) in LEDGERS


def data_state(path: Path, *, ledgers: bool = True) -> dict[str, list[tuple]]:
    """Every table, as sorted rows without run bookkeeping columns (run ids, times).

    The ledgers (the `ledger` schema and `alerts.rule_runs`) are compared too: a run killed while writing them,
    or a ledger row written twice, is a difference. `ledgers=False` leaves them out, for comparisons where a
    different history is expected by design (a second run of the same night adds its own ledger rows; a full
    recompute reads again what an incremental run found unchanged)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() where not temporary order by 1, 2"
        ).fetchall()
        state = {}
        for schema, table in tables:
            if not ledgers and _is_ledger(schema, table):
                continue
            columns = [
                c for (c,) in con.execute(
                    "select column_name from duckdb_columns() where schema_name = ? and table_name = ? "
                    "order by column_index", [schema, table]
                ).fetchall() if c not in VOLATILE_COLUMNS
            ]
            select = ", ".join(f'"{c}"::varchar' for c in columns)
            rows = con.execute(f'select {select} from "{schema}"."{table}"').fetchall()
            for index, column in enumerate(columns):
                if (schema, table, column) in JSON_WITH_RUN_ID:
                    rows = [row[:index] + (_without_run_id(row[index]),) + row[index + 1:] for row in rows]
            state[f"{schema}.{table}"] = sorted(rows, key=repr)
        return state
    finally:
        con.close()


def without_ledgers(state: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """A `data_state` without its ledger tables."""
    return {name: rows for name, rows in state.items() if not _is_ledger(*name.split(".", 1))}


def _without_run_id(text: str | None) -> str | None:
    if text is None:
        return None
    value = json.loads(text)
    value.pop("run_id", None)
    return json.dumps(value, sort_keys=True, ensure_ascii=False)
