"""Every ```sql block of docs/analyst-guide.md runs against a warehouse with the documented tables.

By default the warehouse is the sample one built here; set HEDUI_WAREHOUSE to a warehouse file (for example a
generated city's) to run the guide against it instead (opened read-only)."""

import os
import re
from pathlib import Path

import duckdb
import pytest

from hedui.deliver.sample import build_sample_warehouse

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "analyst-guide.md"


def sql_blocks() -> list[tuple[str, str]]:
    """(heading, sql) for every ```sql block, named by the nearest heading above it."""
    text = GUIDE.read_text(encoding="utf-8")
    blocks, heading = [], "(top)"
    for m in re.finditer(r"^(#{1,6}) ([^\n]+)$|^```sql\n(.*?)^```", text, flags=re.M | re.S):
        if m.group(2):
            heading = m.group(2).strip()
        else:
            blocks.append((heading, m.group(3)))
    return blocks


@pytest.fixture(scope="module")
def con():
    path = os.environ.get("HEDUI_WAREHOUSE")
    if path:
        c = duckdb.connect(path, read_only=True)
    else:
        c = duckdb.connect()
        build_sample_warehouse(c)
    yield c
    c.close()


def test_guide_has_a_dozen_example_queries():
    assert len(sql_blocks()) >= 12


@pytest.mark.parametrize("heading, sql", sql_blocks(), ids=[h for h, _ in sql_blocks()])
def test_example_query_runs(con, heading, sql):
    con.execute(sql).fetchall()


def test_sample_answers_are_sensible():
    c = duckdb.connect()
    build_sample_warehouse(c)
    blocks = dict(sql_blocks())
    both = c.execute(blocks["Households with both a hidden-asset and a hardship warning open"]).fetchall()
    assert [r[0] for r in both] == ["H001"]
    unrouted = c.execute(blocks["Outreach warnings not routed to a township"]).fetchall()
    assert [r[1] for r in unrouted] == ["W-OUTREACH_SEVERE_DISABILITY-0011"]
    picture = c.execute(blocks["One member's full cross-department picture"]).fetchall()
    assert {r[0] for r in picture} == {"housing", "medical"}
