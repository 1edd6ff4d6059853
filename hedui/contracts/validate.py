"""validate_delivery: check a source's candidate rows against its suite (``data_contracts/<source>.json``),
set-based inside DuckDB, and keep the result.

Two engines answer the same question (see data_contracts/README.md, "Engine choice"):

- ``compiled`` (the default): the suite compiled into DuckDB SQL, two scans of the candidates whatever the
  number of expectations (``compiled.py``);
- ``gx``: Great Expectations itself (``gx_engine.py``), the reference the compiled engine is tested against.

Both write the same ``failed`` table and the same GX-format result (``gx_results.py``), saved without values
for the Data Docs.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from importlib.metadata import version
from pathlib import Path
from typing import Any

import duckdb

from hedui.contracts.compiled import NotCompilable, run_compiled
from hedui.contracts.errors import ContractRunError
from hedui.contracts.gx_results import suite_result
from hedui.contracts.reasons import ident
from hedui.contracts.suites import ContractSuiteError, load_suite_json, suite_path

log = logging.getLogger(__name__)

ENGINES = ("compiled", "gx")
ENGINE_VARIABLE = "HEDUI_CONTRACT_ENGINE"
# GX 1.24 reflects columns without the schema name, so the working view lives in the default schema
WORK_PREFIX = "_hedui_contract_"
FAILED_COLUMNS = ("row_number BIGINT, file VARCHAR, expectation VARCHAR, column_name VARCHAR, value VARCHAR, "
                  "reason VARCHAR, expectation_no INTEGER")


@dataclass
class ContractResult:
    source: str
    delivery_id: str
    failed: str  # TEMP table on the caller's connection: row_number, file, expectation, column_name, value, reason
    row_count: int
    failed_row_count: int  # distinct (file, row_number) that fail at least one expectation
    passed_count: int
    statistics: dict[str, Any]
    validation_result: dict  # GX's serialisation of the suite's validation result, values removed
    result_path: Path | None = None
    success: bool = field(default=True)


def contract_engine(engine: str | None = None) -> str:
    chosen = engine or os.environ.get(ENGINE_VARIABLE) or "compiled"
    if chosen not in ENGINES:
        raise ValueError(f"{ENGINE_VARIABLE}={chosen!r}: the contract engine is one of {', '.join(ENGINES)}")
    return chosen


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
    engine: str | None = None,
    spark: Any = None,
) -> ContractResult:
    """Validate one delivery's candidate rows against ``data_contracts/<source>.json``.

    With ``spark`` (``hedui.engines.spark_temp_queries.SparkTempQueries``, ``hedui nightly --engine spark``) the
    compiled engine's two scans run on Spark over the candidates handed over as Parquet, and their rows come back
    to ``failed`` with DuckDB's types; the results are built from them as on DuckDB. The ``gx`` engine, the
    reference, validates on DuckDB whatever the night's engine.

    ``failed`` names a TEMP table on ``con`` with one row per failing (row, expectation); a row failing two
    expectations appears twice. The result (values removed) is saved as
    ``<results_dir>/<run_id>/<source>__<delivery>.json`` when ``results_dir`` is given.
    """
    engine = contract_engine(engine)
    t0 = time.perf_counter()
    suite_json = load_suite_json(source, suites_dir)
    expectations = suite_json["expectations"]
    src_columns = sorted({e["meta"]["src"] for e in expectations if e["meta"].get("src")})

    tag = f"{_safe(source)}_{uuid.uuid4().hex[:10]}"
    view, view_kind = _prepare_view(con, candidates_table, src_columns, tag,
                                    (suite_json.get("meta") or {}).get("derived_columns"),
                                    other_cursors=engine == "gx")
    failed = f"contract_failed_{tag}"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {ident(failed)} ({FAILED_COLUMNS})")
    try:
        t1 = time.perf_counter()
        results = _run(engine, con, view, suite_json, as_of, failed, tag, source, suites_dir, spark)
        t2 = time.perf_counter()
        row_count, failed_rows = con.execute(
            f"SELECT (SELECT count(*) FROM {ident(view)}), "
            f"(SELECT count(*) FROM (SELECT DISTINCT file, row_number FROM {ident(failed)}))"
        ).fetchall()[0]
    except BaseException:
        con.execute(f"DROP TABLE IF EXISTS {ident(failed)}")
        raise
    finally:
        con.execute(f"DROP {view_kind} IF EXISTS {ident(view)}")
    for r in results:
        if not r["success"] and r["expectation_config"]["meta"]["kind"] != "table":
            exp = r["expectation_config"]
            log.info("contract %s %s: %s %s on %s fails for %d rows", source, delivery_id, exp["meta"]["rule"],
                     exp["type"], exp["kwargs"].get("column") or exp["kwargs"].get("column_A"),
                     r["result"].get("unexpected_count", -1))

    t3 = time.perf_counter()
    run_time = datetime.now(timezone.utc).isoformat()
    meta = {
        "great_expectations_version": version("great_expectations"),
        "batch_spec": {"type": "table", "data_asset_name": "candidates", "table_name": view, "schema_name": None,
                       "batch_identifiers": {}},
        "active_batch_definition": {"datasource_name": f"hedui_{tag}", "data_connector_name": "fluent",
                                    "data_asset_name": "candidates", "batch_identifiers": {}},
        "run_id": {"run_name": run_id, "run_time": run_time},
        "hedui": {"source": source, "delivery_id": delivery_id, "as_of": as_of.isoformat(), "run_id": run_id,
                  "engine": engine if spark is None or engine == "gx" else f"{engine} (spark)"},
    }
    result = suite_result(suite_json["name"], results, meta)
    statistics = dict(result["statistics"])
    statistics.update(
        rows=row_count, rows_failed=failed_rows, rows_passed=row_count - failed_rows,
        seconds_setup=round(t1 - t0, 3), seconds_validate=round(t2 - t1, 3), seconds_count=round(t3 - t2, 3),
    )
    path = None
    if results_dir is not None:
        path = Path(results_dir) / _safe(run_id) / f"{_safe(source)}__{_safe(delivery_id)}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        result["meta"]["hedui"]["statistics"] = statistics
        path.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    log.info("contract %s %s (%s): %d rows, %d fail, %d pass (%.2fs)", source, delivery_id, engine, row_count,
             failed_rows, row_count - failed_rows, t3 - t0)
    return ContractResult(
        source=source, delivery_id=delivery_id, failed=failed, row_count=row_count, failed_row_count=failed_rows,
        passed_count=row_count - failed_rows, statistics=statistics, validation_result=result,
        result_path=path, success=failed_rows == 0,
    )


def _run(engine, con, view, suite_json, as_of, failed, tag, source, suites_dir, spark=None) -> list[dict]:
    """One engine's results. The compiled engine's refusals name the suite file, and DuckDB's errors lose
    their message (it can quote a value)."""
    if engine == "gx":
        from hedui.contracts.gx_engine import run_gx

        return run_gx(con, view, suite_json, as_of, failed, tag, suites_dir, source)
    try:
        return run_compiled(con, source, view, suite_json, as_of, failed, batch_id=f"hedui_{tag}-candidates",
                            spark=spark)
    except NotCompilable as e:
        raise ContractSuiteError(f"{suite_path(source, suites_dir)}: {e}") from e
    except duckdb.Error as e:
        raise ContractRunError(
            f"{source}: the compiled contract could not be evaluated ({type(e).__name__}); "
            f"{ENGINE_VARIABLE}=gx names the expectation"
        ) from None


def _split_name(name: str) -> tuple[str | None, str]:
    parts = [p.strip('"') for p in name.split(".")]
    if len(parts) == 1:
        return None, parts[0]
    return ".".join(parts[:-1]), parts[-1]


def _qualified(name: str) -> str:
    schema, table = _split_name(name)
    return f"{ident(schema)}.{ident(table)}" if schema else ident(table)


def _prepare_view(con, candidates_table: str, src_columns: list[str], tag: str,
                  derived: dict[str, str] | None = None, *, other_cursors: bool) -> tuple[str, str]:
    """A view of the candidates with blank raw text turned into NULL, so 'missing' and 'unparseable' are
    told apart reliably. GX reads it through other cursors of the connection, which cannot see a TEMP table
    (or one in an uncommitted transaction): then the view is a copy. The compiled engine reads it on ``con``."""
    cols = {r[0] for r in con.execute(f"SELECT * FROM {_qualified(candidates_table)} LIMIT 0").description}
    repl = [f"nullif(trim({ident(c)}), '') AS {ident(c)}" for c in src_columns if c in cols]
    extra = "".join(f", {sql} AS {ident(n)}" for n, sql in (derived or {}).items())
    select = (f"SELECT * {'REPLACE (' + ', '.join(repl) + ')' if repl else ''}{extra} "
              f"FROM {_qualified(candidates_table)}")
    if not other_cursors:
        name = f"{WORK_PREFIX}v_{tag}"
        con.execute(f"CREATE OR REPLACE TEMP VIEW {ident(name)} AS {select}")
        return name, "VIEW"
    name = f"{WORK_PREFIX}v_{tag}"
    con.execute(f"CREATE OR REPLACE VIEW {ident(name)} AS {select}")
    try:
        con.cursor().execute(f"SELECT 1 FROM {ident(name)} LIMIT 0").fetchall()
        return name, "VIEW"
    except Exception:
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


def _safe(s: str) -> str:
    return re.sub(r"[^0-9A-Za-z_.-]+", "_", s)
