"""The nightly flow, as Prefect runs it: a task per source (with retries for transient read errors), then
linking, warnings, publication and the caseworkers' lists; a run summary is published as an artifact.

The order of the night is written once, in `hedui.night.run_night`; this module gives it Prefect tasks.
A source whose task still fails after its retries is recorded as failed and the night goes on: its last good
picture stands, and the run ends `completed_with_problems` (the flow run's state: "Completed with problems",
its message naming the sources).

Run it with `hedui nightly --landing DIR --warehouse FILE`; no Prefect server needs to be running
(Prefect then starts its temporary local API for the run). The deployment with its nightly schedule is in
`flows/deployment.py` and `prefect.yaml`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Callable

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Completed

from hedui.night import NightResult, run_night
from hedui.policy import load_policy

# Task parameters are connections and run objects, never personal data; nothing is cached between runs.


@task(name="ingest", task_run_name="ingest-{source}", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def ingest_task(fn: Callable[..., Any], source: str, *args: Any, **kwargs: Any) -> Any:
    """Read one source's deliveries; an OSError (a share that hiccups) is retried."""
    return _without_values_in_errors(f"ingest.{source}", fn, *args, **kwargs)


@task(name="stage", task_run_name="{name}", cache_policy=NO_CACHE)
def stage_task(name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return _without_values_in_errors(name, fn, *args, **kwargs)


def _without_values_in_errors(stage: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Prefect logs a failed task's message and traceback (at each retry, too); any error, a database's or a
    library's, may quote a name or an ID, so every one is raised again with its text redacted, keeping its type
    where the type can be rebuilt from a message (retries and `except OSError` still see what it was). A database
    error is first named by the `stage` and where the code ran the statement (`hedui.statements.named`): the
    traceback that says where is not kept."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        from hedui.privacy import redact_error_text
        from hedui.statements import named

        exc = named(exc, stage)
        text = redact_error_text(exc)
        try:
            redacted = type(exc)(text)
        except Exception:  # an exception class whose constructor wants other arguments
            redacted = RuntimeError(f"{type(exc).__name__}: {text}")
        raise redacted from None


class PrefectSteps:
    """Each stage of `run_night` as a Prefect task run."""

    def ingest(self, fn: Callable[..., Any], source: str, *args: Any, **kwargs: Any) -> tuple[bool, Any]:
        state = ingest_task(fn, source, *args, return_state=True, **kwargs)
        if state.is_completed():
            return True, state.result()
        try:
            state.result()
        except Exception as exc:  # the task's own exception, after its retries
            return False, exc
        return False, RuntimeError(f"task ended {state.type}")

    def stage(self, name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return stage_task(name, fn, *args, **kwargs)


@flow(name="hedui-nightly", log_prints=False)
def nightly(
    landing: str,
    warehouse: str,
    as_of: str | None = None,
    policy: str | None = None,
    outputs: str | None = None,
    wait_seconds: float = 0.0,
    memory_limit: str | None = None,
    allow_future_as_of: bool = False,
    engine: str = "duckdb",
    spark_master: str = "local[2]",
    spark_parquet: str | None = None,
) -> NightResult:
    """Ingest every department extract, link, raise warnings, publish the warehouse, deliver the lists. With
    `engine="spark"` the ingest's typing and contracts, the linking's ID join, blocking and fuzzy scoring and the
    rules' queries run on Spark at `spark_master` (docs/spark.md)."""
    from hedui.engines.night_engine import SparkEngine, check_engine

    check_engine(engine)
    logger = get_run_logger()
    result = run_night(
        Path(landing),
        Path(warehouse),
        dt.date.fromisoformat(as_of) if as_of else None,
        policy=load_policy(Path(policy) if policy else None),
        outputs=Path(outputs) if outputs else None,
        steps=PrefectSteps(),
        wait_seconds=wait_seconds,
        memory_limit=memory_limit,
        progress=lambda message: logger.info(message),
        allow_future_as_of=allow_future_as_of,
        spark=SparkEngine(spark_master, Path(spark_parquet) if spark_parquet else None) if engine == "spark" else None,
    )
    summary = publish_summary(result)
    logger.info("run %s %s", result.run_id, result.outcome)
    if result.outcome != "completed":
        logger.warning("run %s completed with problems: %s", result.run_id, summary.message)
        return Completed(data=result, name=PROBLEMS_STATE_NAME,
                         message=f"hedui run {result.run_id} published, with problems: {summary.message}")
    return result


# A night whose sources had problems (rejected, held back, missing, failed) still published the warehouse from
# each source's last good picture and delivered the lists: its output is trustworthy but partly stale. So it
# ends Completed (not Failed: that would say nothing was published and invite a rerun that changes nothing),
# under its own name with the problems as its message — not a plain "Completed" — so that the UI shows it and
# a Prefect automation can mail on this state name.
PROBLEMS_STATE_NAME = "Completed with problems"


def publish_summary(result: NightResult):
    """The run summary (counts only, no personal data) as a Prefect markdown artifact; returns the summary."""
    from hedui.deliver.summary import build_run_summary, summary_markdown
    from hedui.warehouse import open_readonly

    con = open_readonly(result.warehouse)
    try:
        summary = build_run_summary(con, result.run_id)
    finally:
        con.close()
    create_markdown_artifact(key="hedui-run-summary", markdown=summary_markdown(summary),
                             description=f"hedui nightly run as of {result.as_of.isoformat()}")
    return summary
