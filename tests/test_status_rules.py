"""`hedui status` says what each rule did on the latest night: evaluated whole, for a scope of households, or
carried, and how many warnings it raised, kept and resolved (the figures of `alerts.rule_runs.stats`)."""

from __future__ import annotations

import duckdb
from rich.console import Console

from hedui.deliver.status import render_status
from hedui.night import run_night
from tests.test_incremental import new_events
from tests.test_rule_carry import NEXT_NIGHT


def status_text(warehouse) -> str:
    console = Console(record=True, width=80, color_system=None)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        render_status(con, console)
    finally:
        con.close()
    return console.export_text()


def rule_row(text: str, code: str) -> list[str]:
    (line,) = [line for line in text.splitlines() if line.startswith(f"│ {code} ")]
    return [cell.strip() for cell in line.strip("│").split("│")]


def test_the_first_night_shows_every_rule_evaluated_whole_with_its_new_warnings(samples_night):
    text = status_text(samples_night.warehouse)
    con = duckdb.connect(str(samples_night.warehouse), read_only=True)
    try:
        raised = dict(con.execute("select rule_code, count(*) from alerts.warnings group by 1").fetchall())
    finally:
        con.close()
    assert raised, "the samples' night raised warnings"
    for code, count in raised.items():
        assert rule_row(text, code) == [code, "全部", str(count), "0", "0"]


def test_a_typical_night_shows_scoped_and_carried_rules(sample_landing, first_night):
    """New settlements and a death: the windowed rules are evaluated for a few households, the snapshot rules
    are carried, and the death is a new CHANGE_DECEASED warning."""
    new_events(sample_landing)
    run_night(sample_landing, first_night, NEXT_NIGHT, deliver=False, allow_future_as_of=True)
    text = status_text(first_night)
    deceased = rule_row(text, "CHANGE_DECEASED")
    assert deceased[1].startswith("限 ") and deceased[1].endswith(" 户"), deceased
    assert deceased[2] == "1"
    assert rule_row(text, "ASSET_PROPERTY")[1] == "沿用"
    assert "限 N 户＝只评估数据有变的 N 户" in text.replace("\n", "")
