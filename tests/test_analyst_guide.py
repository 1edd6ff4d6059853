"""Every ```sql block of docs/analyst-guide.md runs against a real warehouse: a generated city after a nightly
run (and the small hand-built sample warehouse whose answers are known). Set HEDUI_WAREHOUSE to a warehouse
file to run the guide against that one as well (opened read-only)."""

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
def generated_city_warehouse(tmp_path_factory) -> Path:
    import datetime as dt

    from hedui.night import run_night
    from hedui.synth import PRESETS, generate_city

    base = tmp_path_factory.mktemp("guide-city")
    as_of = dt.date(2026, 11, 20)
    city = generate_city(base / "city", members=PRESETS["tiny"].members, as_of=as_of)
    return run_night(city.landing, base / "hedui.duckdb", as_of, deliver=False).warehouse


@pytest.fixture(scope="module", params=["generated_city", "sample", "HEDUI_WAREHOUSE"])
def con(request):
    if request.param == "generated_city":
        c = duckdb.connect(str(request.getfixturevalue("generated_city_warehouse")), read_only=True)
    elif request.param == "sample":
        c = duckdb.connect()
        build_sample_warehouse(c)
    elif os.environ.get("HEDUI_WAREHOUSE"):
        c = duckdb.connect(os.environ["HEDUI_WAREHOUSE"], read_only=True)
    else:
        pytest.skip("HEDUI_WAREHOUSE not set")
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
