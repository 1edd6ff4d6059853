"""Every table and column an analyst queries carries a comment (`describe`, `duckdb_columns()`): the staged
tables, `linked.*`, the `warnings` view, the alerts, ledgers and quarantine.

Checked after two nights, the second one quiet apart from a new medical delivery, so that the tables a night
re-creates (an event table rebuilt, the links rewritten) are seen after re-creation too.
"""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest

from hedui.night import run_night
from tests.conftest import SAMPLES, SAMPLES_AS_OF

ANALYST_SCHEMAS = ("staged", "linked", "alerts", "ledger", "quarantine", "income")


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory):
    base = tmp_path_factory.mktemp("comments")
    landing = base / "landing"
    shutil.copytree(SAMPLES, landing, ignore=shutil.ignore_patterns("README.md"))
    warehouse = base / "w.duckdb"
    run_night(landing, warehouse, SAMPLES_AS_OF, deliver=False)
    # A corrected resend of the medical delivery: staged.medical is rebuilt with `create or replace`.
    medical = next((landing / "medical" / "20261103").glob("*.csv"))
    medical.write_bytes(medical.read_bytes() + b"\n")
    run_night(landing, warehouse, SAMPLES_AS_OF + dt.timedelta(days=1), deliver=False)
    con = duckdb.connect(str(warehouse), read_only=True)
    yield con
    con.close()


def test_every_column_analysts_query_has_a_comment(two_nights):
    missing = two_nights.execute(
        """
        select schema_name || '.' || table_name || '.' || column_name
        from duckdb_columns()
        where database_name = current_database()
          and (schema_name in $schemas or (schema_name = 'main' and table_name = 'warnings'))
          and coalesce(trim(comment), '') = ''
        order by 1
        """,
        {"schemas": list(ANALYST_SCHEMAS)},
    ).fetchall()
    assert missing == []


def test_every_table_analysts_query_has_a_comment(two_nights):
    missing = two_nights.execute(
        """
        select schema_name || '.' || table_name from duckdb_tables()
        where database_name = current_database() and schema_name in $schemas and coalesce(trim(comment), '') = ''
        union all
        select schema_name || '.' || view_name from duckdb_views()
        where database_name = current_database()
          and (schema_name in $schemas or (schema_name = 'main' and view_name = 'warnings'))
          and coalesce(trim(comment), '') = ''
        order by 1
        """,
        {"schemas": list(ANALYST_SCHEMAS)},
    ).fetchall()
    assert missing == []


def test_the_staged_and_linked_tables_the_checks_cover_are_all_there(two_nights):
    tables = {f"{s}.{t}" for s, t in two_nights.execute(
        "select schema_name, table_name from duckdb_tables() where schema_name in ('staged', 'linked') "
        "union all select schema_name, view_name from duckdb_views() where schema_name = 'staged'").fetchall()}
    assert {"staged.households", "staged.members", "staged.housing", "staged.vehicle", "staged.medical",
            "staged.medical_events", "staged.medical_superseded", "staged.disability", "staged.death",
            "staged.death_events", "staged.death_superseded", "linked.links", "linked.link_review"} <= tables
    comment = two_nights.execute(
        "select comment from duckdb_columns() where schema_name = 'staged' and table_name = 'medical' "
        "and column_name = 'out_of_pocket'").fetchone()[0]
    assert comment.startswith("个人自付 (医保结算): yuan")
