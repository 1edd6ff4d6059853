import io

import duckdb
import pytest
from rich.console import Console

from hedui.deliver.summary import build_run_summary, render_summary_console, summary_markdown
from tests.sample_warehouse import ALL_IDS, SAMPLE_RUN_ID, build_sample_warehouse


@pytest.fixture(scope="module")
def summary():
    con = duckdb.connect()
    build_sample_warehouse(con)
    return build_run_summary(con, SAMPLE_RUN_ID)


def test_counts_per_rule_from_the_runs_events(summary):
    rules = {r.rule_code: r for r in summary.rules}
    assert (rules["ASSET_VEHICLE"].new, rules["ASSET_VEHICLE"].still_open, rules["ASSET_VEHICLE"].resolved) == (1, 1, 1)
    assert rules["OUTREACH_SEVERE_DISABILITY"].new == 2
    assert rules["HARDSHIP_MEDICAL"].still_open == 1 and rules["HARDSHIP_MEDICAL"].new == 0
    assert "ASSET_PROPERTY" in rules and rules["ASSET_PROPERTY"].new == 1  # the dismissed one is not open
    assert (summary.total_new, summary.total_still_open, summary.total_resolved) == (5, 4, 1)


def test_sources_show_delivery_in_force_age_rows_and_problems(summary):
    src = {s.source: s for s in summary.sources}
    assert src["vehicle"].in_force_delivery == "vehicle/20261027" and src["vehicle"].age_days == 7
    assert any("拒收" in p for p in src["vehicle"].problems)
    assert any("暂缓" in p for p in src["housing"].problems)
    assert (src["medical"].rows_loaded, src["medical"].rows_quarantined) == (1, 2)
    assert src["members"].problems == []
    assert summary.sources_with_problems == ["housing", "vehicle"]


def test_console_rendering_has_both_tables(summary):
    buf = io.StringIO()
    render_summary_console(summary, Console(file=buf, width=200))
    out = buf.getvalue()
    assert "ASSET_VEHICLE" in out and "仍待核查" in out
    rows = [[cell.strip() for cell in line.split("│")[1:3]] for line in out.splitlines()]
    assert ["vehicle", "20261027"] in rows  # its batch in force


def test_markdown_has_rule_and_source_tables_and_no_personal_data(summary):
    md = summary_markdown(summary)
    assert "| `ASSET_VEHICLE` | 家庭成员名下有非豁免机动车 | 1 | 1 | 1 | 0 |" in md
    assert "| vehicle | vehicle/20261027 | 2026-10-27 | 7 | 0 | 0 |" in md
    for pid in ALL_IDS:
        assert pid not in md and pid[-8:] not in md
    for name in ("张伟", "李芳", "王秀英", "陈明", "孙丽", "周强"):
        assert name not in md


def test_unknown_run_gives_an_empty_summary():
    con = duckdb.connect()
    build_sample_warehouse(con)
    s = build_run_summary(con, "no-such-run")
    assert s.as_of is None and s.sources == [] and s.total_new == 0
