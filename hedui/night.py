"""The night, in order: begin, ingest every source, link, raise warnings, finish, publish, deliver.

The sequence is written once, here. It calls its stages through a `Steps` object: `DirectSteps` calls the
stage functions as they are (tests, fault-injection loops, benchmarks), and `flows.nightly` passes steps that
run each stage as a Prefect task with retries. Either way the run works on a private copy of the warehouse
and publishes it atomically at the end (`hedui.warehouse.working_copy`).
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

from connectors import SOURCES
from hedui import stages
from hedui.contracts.docs_process import DataDocsBuild
from hedui.engines.night_engine import SparkEngine, SparkNight, check_engine
from hedui.landing import check_landing_zone
from hedui.paths import WarehousePaths
from hedui.policy import Policy, load_policy
from hedui.privacy import refresh_pseudonymous_views
from hedui.run_info import new_run_id
from hedui.statements import Failure, failure_of
from hedui.warehouse import working_copy

log = logging.getLogger("hedui.night")
CITY_TZ = ZoneInfo("Asia/Shanghai")


def default_memory_limit() -> str:
    """A quarter of the machine's memory, at most 5 GB: DuckDB spills beyond it instead of growing with the
    input, and the Python side of a run (linking chunks, validation results) fits beside it."""
    import os

    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):  # pragma: no cover - not a POSIX system
        return "4GB"
    return f"{max(1, min(5, total // 4 // 2**30))}GB"


def today_in_city() -> dt.date:
    return dt.datetime.now(CITY_TZ).date()


# An as-of date is the night's "today". A run records it and refuses any later run with an earlier one (history
# must not be rewritten), so one typo (2099 for 2026) would block every real night: a date more than this many
# days after today in the city needs `allow_future_as_of`.
MAX_DAYS_AHEAD = 3
LAST_AS_OF = dt.date(9000, 12, 31)  # due dates and windows are computed years beyond the as-of date


class AsOfRefused(ValueError):
    """The as-of date is implausible (far in the future) or outside the dates a run can compute with."""


def check_as_of(as_of: dt.date, *, allow_future: bool = False, today: dt.date | None = None) -> None:
    today = today or today_in_city()
    if as_of > LAST_AS_OF or as_of.year < 1900:
        raise AsOfRefused(f"as-of date {as_of.isoformat()} is out of range (1900-01-01 to {LAST_AS_OF.isoformat()})")
    if not allow_future and (as_of - today).days > MAX_DAYS_AHEAD:
        raise AsOfRefused(
            f"as-of date {as_of.isoformat()} is {(as_of - today).days} days after today ({today.isoformat()}, "
            f"Asia/Shanghai); a run records it, and no later night could then run with an earlier date. "
            "Pass --allow-future-as-of if it is meant (use a separate warehouse for such trials)"
        )


@dataclass
class NightResult:
    run_id: str
    as_of: dt.date
    outcome: str
    warehouse: Path
    outputs: Path | None
    failed_sources: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    deliverables: list[Path] = field(default_factory=list)


class DirectSteps:
    """Run each stage as a plain function call; a failing source is recorded and the night goes on."""

    def ingest(self, fn: Callable[..., Any], source: str, *args: Any, **kwargs: Any) -> tuple[bool, Any]:
        try:
            return True, fn(*args, **kwargs)
        except Exception as exc:  # one source failing never stops the others
            return False, exc

    def stage(self, name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)


def run_night(
    landing: Path,
    warehouse: Path,
    as_of: dt.date | None = None,
    *,
    policy: Policy | None = None,
    outputs: Path | None = None,
    deliver: bool = True,
    steps: Any = None,
    wait_seconds: float = 0.0,
    memory_limit: str | None = None,
    progress: Callable[[str], None] | None = None,
    full_recompute: bool = False,
    allow_future_as_of: bool = False,
    spark: SparkEngine | None = None,
) -> NightResult:
    """The night. With `spark` the ingest's typing and contracts, the linking's ID join, blocking and fuzzy scoring
    (hedui.engines.spark_temp_queries) and the rules' queries (hedui.engines.spark_rules) run on Spark, in one
    session started before the ingest; the landing files are still read here, and everything else, and every
    table the night leaves, is the same as on DuckDB alone."""
    steps = steps or DirectSteps()
    as_of = as_of or today_in_city()
    check_as_of(as_of, allow_future=allow_future_as_of)
    if spark is not None:
        check_engine("spark")  # before the warehouse is touched
    policy = policy or load_policy()
    memory_limit = memory_limit or default_memory_limit()  # the working copy's and the deliver stage's
    paths = WarehousePaths(Path(warehouse))
    clock = stages.StageClock()
    say = progress or (lambda message: None)
    failed: list[str] = []

    # Before the warehouse is touched: a missing or empty landing zone must not become a "completed" night.
    check_landing_zone(Path(landing), SOURCES)
    run_id = new_run_id(as_of)
    started_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    # The stage the night is in, for the ledger and the log when it fails; the statement comes from the error.
    # None until the run has begun: a refused run (busy, earlier as-of date, newer schema) is not a failed night.
    stage: str | None = None
    published = False
    docs: DataDocsBuild | None = None
    try:
        with working_copy(paths.warehouse, run_id, wait_seconds=wait_seconds,
                          memory_limit=memory_limit, temp_directory=paths.duckdb_temp) as con:
            run = stages.begin_run(con, as_of=as_of, landing=landing, policy=policy, run_id=run_id,
                                   full_recompute=full_recompute)
            stage = "begin"
            scratch = paths.scratch(run.run_id)
            spark_night = None
            try:
                if spark is not None:
                    # before the ingest, whose typing and contracts run on Spark too (docs/spark.md)
                    say(f"start Spark ({spark.master})")
                    stage = "spark.start"
                    with clock.time("spark.start"):
                        spark_night = SparkNight(spark, scratch)
                ingest_on_spark = {} if spark_night is None else {"spark_queries": spark_night.ingest_queries}
                for source in SOURCES:
                    say(f"ingest {source}" + (" (typing and contract on Spark)" if spark_night else ""))
                    stage = f"ingest.{source}"
                    with clock.time(f"ingest.{source}"):
                        # the results land in validations/<run id>/ (the validation adds the run's folder)
                        ok, result = steps.ingest(stages.ingest, source, con, landing, source, run,
                                                  tmp_dir=scratch, results_dir=paths.validations_root,
                                                  **ingest_on_spark)
                    if not ok:
                        failed.append(source)
                        failure = failure_of(result, stage)
                        log.error("source %s failed in statement %s: %s", source, failure.statement or "(none)",
                                  failure.error)
                        stages.mark_source_failed(con, source, run, result)
                if deliver and paths.validations(run.run_id).exists():
                    # tonight's validation results are final: their pages render beside the rest of the night,
                    # into a staging copy of the site that the deliver stage swaps in after publication
                    stage = "docs.start"
                    docs = DataDocsBuild.start(paths.validations(run.run_id), paths.data_docs, paths.validations_root,
                                               keep_days=policy.data_docs_days)
                try:
                    say("link records" + (" (the ID join, blocking and fuzzy scoring on Spark)" if spark_night else ""))
                    stage = "link"
                    # on Spark: the linking's ID join, blocking and scoring, and the rules' queries (docs/spark.md)
                    link_on_spark = {} if spark_night is None else {"spark_queries": spark_night.link_queries}
                    rules_on_spark = {} if spark_night is None else {"spark_rules": spark_night.rules}
                    with clock.time("link"):
                        steps.stage("link", stages.link, con, run, **link_on_spark)
                    say("raise warnings" + (f" on Spark ({spark.master})" if spark_night else ""))
                    stage = "warnings"
                    with clock.time("warnings"):
                        steps.stage("warnings", stages.raise_warnings, con, run, **rules_on_spark)
                finally:
                    if spark_night is not None:
                        spark_night.close()
                        spark_night = None
                stage = "pseudonyms"
                steps.stage("pseudonyms", refresh_pseudonymous_views, con)
                stage = "finish"
                outcome = stages.finish_run(con, run, clock.timings)
            finally:
                if spark_night is not None:  # the ingest or the Data Docs' start failed before the rules
                    spark_night.close()
                shutil.rmtree(scratch, ignore_errors=True)
            stage = "publish"
        published = True

        result = NightResult(run.run_id, as_of, outcome, paths.warehouse, None, failed, clock.timings)
        if deliver:
            say("deliver lists")
            stage = "deliver"
            with clock.time("deliver"):
                result.outputs = outputs or paths.outputs(as_of)
                result.deliverables = steps.stage("deliver", deliver_outputs, paths, run.run_id, as_of,
                                                  result.outputs, docs, memory_limit=memory_limit)
                docs = None
    except Exception as exc:
        if stage is not None:
            record_failure(paths, run_id, as_of, started_at, failure_of(exc, stage), published=published,
                           wait_seconds=wait_seconds, memory_limit=memory_limit)
        if docs is not None:
            docs.discard()
        raise
    except BaseException:  # interrupted (Ctrl-C, a Prefect cancellation): stop the renderer, change no site
        if docs is not None:
            docs.discard(interrupted=True)
        raise
    return result


def record_failure(paths: WarehousePaths, run_id: str, as_of: dt.date, started_at: dt.datetime, failure: Failure,
                   *, published: bool, wait_seconds: float = 0.0, memory_limit: str | None = None) -> bool:
    """Say in the log, and in `ledger.failed_runs`, which stage and statement a night failed in (no values).

    The failed run's working copy is gone (it published nothing), so the row is written through a working copy
    of its own and published like a night; when there is no warehouse yet it is not created for this (an empty
    warehouse must not pass for a night without warnings): the log says it. Recording never hides the night's
    own error: it returns False when it could not write the row."""
    log.error("run %s failed in stage %s, statement %s: %s", run_id, failure.stage, failure.statement or "(none)",
              failure.error)
    if not paths.warehouse.exists():
        log.error("run %s: no warehouse yet, the failure is recorded in the log only", run_id)
        return False
    try:
        with working_copy(paths.warehouse, f"{run_id}-failure", wait_seconds=wait_seconds,
                          memory_limit=memory_limit or default_memory_limit(),
                          temp_directory=paths.duckdb_temp) as con:
            stages.record_failed_run(con, run_id, as_of, started_at, failure, published=published)
    except Exception as exc:  # the disk that failed the night may fail this too
        log.error("run %s: the failure could not be recorded in the ledger: %s", run_id, type(exc).__name__)
        return False
    return True


def deliver_outputs(paths: WarehousePaths, run_id: str, as_of: dt.date, out_dir: Path,
                    docs: DataDocsBuild | None = None, *, memory_limit: str | None = None) -> list[Path]:
    """From the published warehouse: the caseworkers' lists; and the Data Docs of the run's validations, which
    `docs` is rendering (started when ingest ended; None when the night validated nothing). DuckDB works within
    the night's `memory_limit` here too, spilling to the warehouse's temp directory."""
    from hedui.deliver.lists import write_township_lists
    from hedui.warehouse import open_readonly

    out_dir.mkdir(parents=True, exist_ok=True)
    con = open_readonly(paths.warehouse, memory_limit=memory_limit or default_memory_limit(),
                        temp_directory=paths.duckdb_temp)
    try:
        con.execute("set enable_progress_bar = false")  # as the night's: its log is not a terminal
        written = list(write_township_lists(con, out_dir / "lists", as_of))
    finally:
        con.close()
    if docs is not None:
        written.append(docs.publish())
    return written
