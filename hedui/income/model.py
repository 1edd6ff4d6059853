"""Build the verified-income model: the macros of `model.sql`, materialised as the `income.*` analyst tables.

The income rules (INCOME_ABOVE_STANDARD, INCOME_UNDERDECLARED) read `income.households` and `income.records`,
which the engine rebuilds each night before the rules run, with the night's as-of date and policy; the household
report calls the same macros for one household under the policy it is run with. The model is built only when
every source it reads has delivered at least once: a source that never delivered is not "no income", and the
rules that need it are skipped and reported instead (`hedui.rules.engine`).
"""

from __future__ import annotations

import datetime as dt
import json
from importlib.resources import files
from typing import Any

import duckdb

from hedui.income.settings import multiplier_rows, standard_rows
from hedui.warehouse.schema import table_exists

# the staged sources the model reads
MODEL_SOURCES = ("households", "members", "social_insurance", "housing_fund", "public_payroll", "benefits")

_PACKAGE = files("hedui.income")


def _sql_text(name: str) -> str:
    """One of the model's SQL files (window.sql, model.sql, tables.sql), as text."""
    return (_PACKAGE / name).read_text(encoding="utf-8")


def _statements(con: duckdb.DuckDBPyConnection, name: str):
    return con.extract_statements(_sql_text(name))


def window_macros_text() -> str:
    return _sql_text("window.sql")


def income_definition_text(settings: dict[str, Any]) -> str:
    """What the model's tables are computed with besides their sources and the as-of month: the text of
    window.sql, model.sql and tables.sql and the settings' parameters (part of the income rules' keys,
    `hedui.rules.rule_inputs`)."""
    parameters = {name: value for name, value in model_parameters(settings, dt.date(2000, 1, 1)).items()
                  if name != "as_of"}
    return "\n".join((*(_sql_text(name) for name in ("window.sql", "model.sql", "tables.sql")),
                      json.dumps(parameters, sort_keys=True, default=str, ensure_ascii=False)))


def install_window_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create the income window's macros on `con` (window.sql); they read no table."""
    for statement in _statements(con, "window.sql"):
        con.execute(statement.query)


def install_income_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create the model's macros on `con`; the staged tables of MODEL_SOURCES and linked.links must exist."""
    install_window_macros(con)
    for statement in _statements(con, "model.sql"):
        con.execute(statement.query)


def model_parameters(settings: dict[str, Any], as_of: dt.date) -> dict[str, Any]:
    """The macros' arguments for `as_of` under the `income:` settings (hedui.income.settings.income_settings)."""
    standards = standard_rows(settings)
    multipliers = multiplier_rows(settings)
    return {
        "as_of": as_of,
        "counted_insurance_types": list(settings["counted_insurance_types"]),
        "counted_participant_types": list(settings["counted_participant_types"]),
        "exempt_benefit_types": list(settings["exempt_benefit_types"]),
        "standard_counties": [row["county"] for row in standards],
        "standard_urban_rural": [row["urban_rural"] for row in standards],
        "standard_values": [row["standard"] for row in standards],
        "multiplier_categories": [row["category"] for row in multipliers],
        "multiplier_values": [row["multiplier"] for row in multipliers],
    }


def build_income_tables(con: duckdb.DuckDBPyConnection, as_of: dt.date, settings: dict[str, Any]) -> None:
    """(Re)build income.records, income.member_months, income.members and income.households."""
    install_income_macros(con)
    con.execute("create schema if not exists income")
    parameters = model_parameters(settings, as_of)
    for statement in _statements(con, "tables.sql"):
        used = {name: parameters[name] for name in statement.named_parameters}
        con.execute(statement.query, used or None)


def household_income(con: duckdb.DuckDBPyConnection, household_id: str, as_of: dt.date,
                     settings: dict[str, Any]) -> dict[str, Any] | None:
    """One household's model under `settings` (the report's policy), computed from the macros into temporary
    tables, not read from income.*: {'household': row, 'members': rows, 'months': rows, 'records': rows}; None
    when a source the model reads has no staged table (it never delivered)."""
    for source in MODEL_SOURCES:
        if not table_exists(con, f"staged.{source}"):
            return None
    install_income_macros(con)
    p = model_parameters(settings, as_of)
    steps = (
        ("_report_income_records",
         "select * from income_records_of($as_of, $counted_insurance_types, $counted_participant_types,"
         " $exempt_benefit_types, $hh)"),
        ("_report_income_member_months",
         "select * from income_member_months_from('_report_income_records', $as_of) where household_id = $hh"),
        ("_report_income_members", "select * from income_members_from('_report_income_member_months')"),
        ("_report_income_households",
         "select * from income_households_from('_report_income_members', $as_of, $standard_counties,"
         " $standard_urban_rural, $standard_values, $multiplier_categories, $multiplier_values)"
         " where household_id = $hh"),
    )
    parameters = {**p, "hh": household_id}
    for table, query in steps:
        used = {name: parameters[name] for name in con.extract_statements(query)[0].named_parameters}
        con.execute(f"create or replace temp table {table} as {query}", used or None)

    def rows(sql: str) -> list[dict[str, Any]]:
        cur = con.execute(sql)
        columns = [d[0] for d in cur.description]
        return [dict(zip(columns, row)) for row in cur.fetchall()]

    household = rows("select * from _report_income_households")
    result = None if not household else {
        "household": household[0],
        "members": rows("select * from _report_income_members order by person_id"),
        "months": rows("select * from _report_income_member_months order by person_id, month"),
        # the record named by its department number (a payroll row by its employer): the key of a payroll row
        # holds the ID number, which the report masks
        "records": rows("select * exclude (fields), coalesce(fields ->> '缴费流水号', fields ->> '发放流水号',"
                        " fields ->> '个人账号', fields ->> '单位名称') as record_label"
                        " from _report_income_records order by person_id, component, month, record_key"),
    }
    for table, _ in steps:
        con.execute(f"drop table if exists {table}")
    return result
