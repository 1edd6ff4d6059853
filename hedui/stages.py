"""The night's stages as plain functions: what the Prefect flow calls as tasks, and what tests call directly.

Each stage takes the run's connection to the working copy of the warehouse (see `hedui.warehouse.publish`)
and the `RunInfo`. The order is the story of the night: begin, ingest each source, link, raise warnings,
finish; then, after publication, deliver the caseworkers' lists.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import duckdb

from connectors import SOURCES
from connectors.cadence import late_sources
from connectors.ingest import NEVER_DELIVERED, SourceOutcome, ingest_source, record_failed_source
from hedui.policy import Policy
from hedui.run_info import RunInfo, new_run_id, refuse_as_of_before



def begin_run(con: duckdb.DuckDBPyConnection, *, as_of: dt.date, landing: Path, policy: Policy,
              run_id: str | None = None, full_recompute: bool = False) -> RunInfo:
    refuse_as_of_before(con.execute("select max(as_of) from ledger.runs").fetchone()[0], as_of)
    run = RunInfo(run_id or new_run_id(as_of), as_of, policy, full_recompute)
    con.execute(
        "insert into ledger.runs (run_id, as_of, started_at, landing, policy_source) values (?, ?, ?, ?, ?)",
        [run.run_id, as_of, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), str(landing), policy.source],
    )
    return run


def ingest(con: duckdb.DuckDBPyConnection, landing: Path, source_name: str, run: RunInfo, *, tmp_dir: Path,
           results_dir: Path | None, spark_queries=None) -> SourceOutcome:
    """One source: wholly ingested or not at all (see `connectors.ingest`), so that a retry starts clean. With
    `spark_queries` (hedui.engines.spark_temp_queries) its typing and contract run on Spark."""
    return ingest_source(con, landing, SOURCES[source_name], run, tmp_dir=tmp_dir / source_name,
                         results_dir=results_dir, spark=spark_queries)


def mark_source_failed(con: duckdb.DuckDBPyConnection, source_name: str, run: RunInfo, error: BaseException) -> None:
    """The connector failed after its retries: the last good picture stands and the ledger says why.
    Only the exception's type and its redacted message go in; a database error names the statement where the
    code ran it (`hedui.statements.named`), as it does when the Prefect steps ran the connector."""
    from hedui.privacy import redact_error_text
    from hedui.statements import named

    error = named(error, f"ingest.{source_name}")
    record_failed_source(con, run, SOURCES[source_name], f"{type(error).__name__}: {redact_error_text(error)}")


def link(con: duckdb.DuckDBPyConnection, run: RunInfo, spark_queries=None):
    from matching import link_records

    return link_records(con, run, spark_queries=spark_queries)


def raise_warnings(con: duckdb.DuckDBPyConnection, run: RunInfo, spark_rules=None):
    """In steps (`hedui.step_commits`): the connection is to the night's working copy, published only whole."""
    from hedui.rules import raise_warnings as run_rules

    return run_rules(con, run, spark_rules=spark_rules, commit_steps=True)


def finish_run(con: duckdb.DuckDBPyConnection, run: RunInfo, timings: dict[str, float]) -> str:
    problems = con.execute(
        "select source, problem from ledger.run_sources where run_id = ? and problem is not null order by source",
        [run.run_id],
    ).fetchall()
    # A source that a later spec version added and that has never delivered is said, not counted: a landing
    # zone written to spec v1 completes as it did (connectors.ingest, `never_delivered`).
    never = [source for source, problem in problems if problem == NEVER_DELIVERED]
    problems = [(source, problem) for source, problem in problems if problem != NEVER_DELIVERED]
    outcome = "completed_with_problems" if problems else "completed"
    message = "; ".join([*(f"{source}: {problem}" for source, problem in problems),
                         *([f"never delivered (no data yet, not 'no records'): {', '.join(never)}"] if never else []),
                         *_late_notes(con, run, {source for source, problem in problems if problem == "failed"}),
                         *_landing_notes(con, run)]) or None
    con.execute(
        "update ledger.runs set finished_at = ?, outcome = ?, message = ?, stage_timings = ? where run_id = ?",
        [dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), outcome, message,
         json.dumps({k: round(v, 3) for k, v in timings.items()}), run.run_id],
    )
    return outcome


def _late_notes(con: duckdb.DuckDBPyConnection, run: RunInfo, failed: set[str]) -> list[str]:
    """The sources that stopped delivering (connectors.cadence); a source whose reader failed tonight is left
    out: its deliveries were not looked at, so its lateness would blame the department for hedui's fault."""
    late = late_sources(con, run.as_of, late_factor=run.policy.late_factor, late_min_days=run.policy.late_min_days,
                        expected_every_days=run.policy.expected_every_days)
    return [source.note_en() for source in late if source.source not in failed]


def _landing_notes(con: duckdb.DuckDBPyConnection, run: RunInfo) -> list[str]:
    from connectors.discovery import landing_notes

    (landing,) = con.execute("select landing from ledger.runs where run_id = ?", [run.run_id]).fetchone()
    return landing_notes(Path(landing), tuple(SOURCES)) if landing else []


def record_failed_run(con: duckdb.DuckDBPyConnection, run_id: str, as_of: dt.date, started_at: dt.datetime,
                      failure, *, published: bool) -> None:
    """One row of `ledger.failed_runs`: the stage and statement a run failed in (a `hedui.statements.Failure`,
    already without values)."""
    con.execute(
        """
        insert or replace into ledger.failed_runs
            (run_id, as_of, started_at, failed_at, stage, statement, error, published)
        values (?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [run_id, as_of, started_at, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), failure.stage,
         failure.statement, failure.error, published],
    )


class StageClock:
    """Wall-clock seconds per stage, for the run ledger and the terminal."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    def time(self, name: str):
        clock = self

        class _Timer:
            def __enter__(self):
                self.start = time.perf_counter()

            def __exit__(self, *exc):
                clock.timings[name] = clock.timings.get(name, 0.0) + time.perf_counter() - self.start
                return False

        return _Timer()
