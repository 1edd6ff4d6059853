"""A night that dies names the stage and the statement it died in, in the ledger and the log, without values
(issue 18: an OutOfMemoryException, redacted, said nothing of where)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re

import duckdb
import pytest

from hedui.night import run_night
from hedui.privacy import redact_error_text
from hedui.rules import lifecycle
from hedui.statements import StatementFailed, failure_of
from tests.conftest import SAMPLES_AS_OF
from tests.warehouse_state import data_state, without_ledgers

NEXT = SAMPLES_AS_OF + dt.timedelta(days=1)
# A statement that fails the way DuckDB fails on data: its message quotes the value.
QUOTING_FAILURE = "select cast('王建国 430482196203151313' as integer), $run_id, $as_of"


def failed_runs(warehouse) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(
            "select stage, statement, error, published, as_of from ledger.failed_runs order by failed_at"
        ).fetchall()
    finally:
        con.close()


def test_a_statement_failing_in_the_warnings_stage_is_named_in_the_ledger_and_the_log(
        sample_landing, first_night, monkeypatch, caplog):
    before = data_state(first_night)
    monkeypatch.setattr(lifecycle, "_UPDATE_RESOLVED", QUOTING_FAILURE)
    with caplog.at_level(logging.ERROR, logger="hedui.night"), pytest.raises(StatementFailed) as caught:
        run_night(sample_landing, first_night, NEXT, deliver=False)

    assert "statement [lifecycle _UPDATE_RESOLVED]" in str(caught.value)
    [(stage, statement, error, published, as_of)] = failed_runs(first_night)
    assert (stage, statement, published, as_of) == ("warnings", "lifecycle _UPDATE_RESOLVED", False, NEXT)
    assert error.startswith("ConversionException")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "stage warnings, statement lifecycle _UPDATE_RESOLVED" in logged
    for text in (error, logged, str(caught.value)):
        assert "王建国" not in text and "430482196203151313" not in text
    # The failed night published nothing but its failure: every other table is as before.
    after = data_state(first_night)
    assert without_ledgers(after) == without_ledgers(before)
    assert {k: v for k, v in after.items() if k != "ledger.failed_runs"} == \
        {k: v for k, v in before.items() if k != "ledger.failed_runs"}


def test_a_failing_rule_query_is_named_by_its_file(sample_landing, first_night, monkeypatch):
    from hedui.rules import engine

    real = engine.load_catalog

    def catalog_with_a_failing_rule():
        rules = real()
        at = next(i for i, rule in enumerate(rules) if rule.code == "ASSET_PROPERTY")  # its sources all delivered
        rules[at] = dataclasses.replace(rules[at], sql=QUOTING_FAILURE)
        return rules

    monkeypatch.setattr(engine, "load_catalog", catalog_with_a_failing_rule)
    with pytest.raises(StatementFailed):
        run_night(sample_landing, first_night, NEXT, deliver=False)
    [(stage, statement, error, _, _)] = failed_runs(first_night)
    assert stage == "warnings" and statement == "rule ASSET_PROPERTY.sql"
    assert "王建国" not in error


def test_a_database_error_outside_the_named_statements_is_named_by_where_the_code_ran_it(
        sample_landing, first_night, monkeypatch, caplog):
    """The linking runs its statements itself, not through `hedui.statements.run`: one that fails is named by its
    place in the code, the module, line and function, and the function that called it."""
    from matching import namesakes

    monkeypatch.setattr(namesakes, "_RECORD_FACTS_SQL",
                        "select cast('王建国 430482196203151313' as integer) as name_cmp, null as id_norm,"
                        " null as birth, null as township, null as village")
    with caplog.at_level(logging.ERROR, logger="hedui.night"), pytest.raises(duckdb.ConversionException):
        run_night(sample_landing, first_night, NEXT, deliver=False)

    [(stage, statement, error, published, _)] = failed_runs(first_night)
    assert stage == "link" and not published
    assert re.fullmatch(r"matching/namesakes\.py:\d+ \w+, from matching/namesakes\.py:\d+ known_people", statement)
    assert error.startswith("ConversionException")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert f"stage link, statement {statement}" in logged
    for text in (error, logged, statement):
        assert "王建国" not in text and "430482196203151313" not in text


def test_a_database_error_in_a_prefect_step_is_named_before_the_step_rebuilds_it_without_its_traceback():
    """The Prefect steps raise every error again, rebuilt from its redacted text, which keeps no traceback: a
    database error is named there first, by the step's stage and where the code ran the statement."""
    from flows.nightly import _without_values_in_errors
    from hedui.warehouse.schema import table_exists

    con = duckdb.connect()
    con.close()  # any statement on it fails in DuckDB
    with pytest.raises(StatementFailed) as caught:
        _without_values_in_errors("deliver", table_exists, con, "alerts.warnings")
    # Prefect hands the flow the error as text (its retries, its state): no traceback is left to say where
    failure = failure_of(StatementFailed(str(caught.value)), stage="link")
    assert failure.stage == "deliver"
    assert re.fullmatch(r"hedui/warehouse/schema\.py:\d+ table_exists, from flows/nightly\.py:\d+ \w+",
                        failure.statement)
    assert failure.error.startswith("ConnectionException")


def test_an_error_of_python_code_names_no_statement():
    try:
        {}["key"]
    except KeyError as error:
        failure = failure_of(error, stage="link")
    assert (failure.stage, failure.statement) == ("link", None)


def test_the_stage_and_statement_survive_the_prefect_steps_rebuilding_the_error_from_its_redacted_text():
    original = StatementFailed.naming("warnings", "lifecycle _PLAN, batch 2 of 8",
                                      duckdb.OutOfMemoryException("failed to allocate data of size 16.0 MiB"))
    rebuilt = type(original)(redact_error_text(original))  # what flows.nightly._without_values_in_errors raises
    failure = failure_of(rebuilt, stage="link")
    assert (failure.stage, failure.statement) == ("warnings", "lifecycle _PLAN, batch 2 of 8")
    assert failure.error.startswith("OutOfMemoryException: failed to allocate")


def test_an_error_that_names_no_statement_is_recorded_with_the_stage_the_night_was_in():
    failure = failure_of(OSError("No space left on device: '/data/王建国.csv'"), stage="ingest.medical")
    assert (failure.stage, failure.statement) == ("ingest.medical", None)
    assert failure.error.startswith("OSError") and "王建国" not in failure.error


def test_a_refused_run_is_not_a_failed_night(first_night, sample_landing):
    from hedui.run_info import AsOfBeforeLatestRun

    with pytest.raises(AsOfBeforeLatestRun):
        run_night(sample_landing, first_night, SAMPLES_AS_OF - dt.timedelta(days=1), deliver=False)
    assert failed_runs(first_night) == []
