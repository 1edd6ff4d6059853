"""The run summary over real nights: the numbers add up after caseworker outcomes, and it fits 80 columns.

Outcomes are recorded between runs (no run id), so a summary counting only the run's own events would show
仍待核查 dropping by 10 after seven outcomes with only 3 已消除. What was waiting after the previous run is
still waiting, resolved, or closed by a caseworker (核查办结) since.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil

import pytest
from rich.cells import cell_len
from rich.console import Console

from hedui.deliver.summary import build_run_summary, render_summary_console, summary_markdown
from hedui.night import run_night
from hedui.rules.outcomes import record_outcome
from hedui.warehouse import open_readonly, working_copy
from tests.conftest import SAMPLES, SAMPLES_AS_OF, read_sample_rows, write_csv

NIGHT2, NIGHT3 = SAMPLES_AS_OF + dt.timedelta(days=1), SAMPLES_AS_OF + dt.timedelta(days=2)


@pytest.fixture(scope="module")
def nights(samples_night, tmp_path_factory):
    """Night 1: the samples (16 warnings; a copy of the session's shared first night). Then two outcomes (one dismissal, one confirmation); night 2 also
    drops 王磊's car from the vehicle registry (one resolution) and receives a broken housing delivery
    (rejected); night 3 is quiet. Returns the summaries of the three nights and the warehouse."""
    base = tmp_path_factory.mktemp("summary-nights")
    landing = base / "landing"
    shutil.copytree(SAMPLES, landing, ignore=shutil.ignore_patterns("README.md"))
    warehouse = base / "hedui.duckdb"
    shutil.copyfile(samples_night.warehouse, warehouse)
    first = samples_night.result
    with working_copy(warehouse, "outcomes") as con:
        for rule, outcome in (("ASSET_PROPERTY", "confirmed"), ("CHANGE_DECEASED", "dismissed")):
            warning = con.execute("select warning_id from warnings where rule_code = ?", [rule]).fetchone()[0]
            record_outcome(con, warning, outcome, "上门核实", as_of=NIGHT2)
    header, rows = read_sample_rows("vehicle")
    write_csv(landing / "vehicle" / "20261104" / "vehicle.csv", header, [r for r in rows if r[0] != "湘D3K7Q2"])
    header, rows = read_sample_rows("housing")
    write_csv(landing / "housing" / "20261104" / "housing.csv", header[:-2], [r[:-2] for r in rows])
    second = run_night(landing, warehouse, NIGHT2, deliver=False)
    third = run_night(landing, warehouse, NIGHT3, deliver=False)
    con = open_readonly(warehouse)
    try:
        yield [build_run_summary(con, r.run_id) for r in (first, second, third)], warehouse
    finally:
        con.close()


def test_what_waited_after_a_night_is_still_waiting_resolved_or_closed_by_a_caseworker(nights):
    (first, second, third), _ = nights
    assert (first.total_new, first.total_still_open) == (16, 0)
    # of night 1's 16: 2 closed by the outcomes, 王磊's car gone (1 resolved), 13 still waiting
    assert (second.total_still_open, second.total_resolved, second.total_closed_by_outcome) == (13, 1, 2)
    assert first.total_new + first.total_still_open == (
        second.total_new + second.total_still_open + second.total_resolved + second.total_closed_by_outcome)
    rules = {r.rule_code: r for r in second.rules}
    assert rules["ASSET_PROPERTY"].closed_by_outcome == 1 and rules["CHANGE_DECEASED"].closed_by_outcome == 1
    assert rules["ASSET_VEHICLE"].resolved == 1 and rules["ASSET_VEHICLE"].still_open == 1


def test_an_outcome_is_counted_on_the_first_night_after_it_only(nights):
    (_, second, third), _ = nights
    assert third.total_closed_by_outcome == 0 and third.total_resolved == 0
    assert third.total_still_open == second.total_new + second.total_still_open


def test_the_markdown_artifact_states_the_closed_ones(nights):
    md = summary_markdown(nights[0][1])
    assert "核查办结 2" in md
    assert "| `CHANGE_DECEASED` | 家庭成员已死亡注销户籍 | 0 | 0 | 0 | 1 |" in md
    assert "| **合计** | | **0** | **13** | **1** | **2** |" in md


def _render(summary, width: int) -> str:
    buffer = io.StringIO()
    render_summary_console(summary, Console(file=buffer, width=width, force_terminal=False, color_system=None))
    return buffer.getvalue()


@pytest.mark.parametrize("width", [80, 72])
def test_at_80_columns_no_cell_is_cut(nights, width):
    second = nights[0][1]
    out = _render(second, width)
    assert "…" not in out
    assert max(cell_len(line) for line in out.splitlines()) <= width
    flat = out.replace("\n", "").replace("│", "").replace(" ", "")
    for rule in second.rules:
        assert rule.rule_code in flat and rule.title_zh.replace(" ", "") in flat
    for source in second.sources:
        assert f"{source.source}{(source.in_force_delivery or '（无）').split('/')[-1]}" in flat
    assert "注1" in out and "housing: housing/20261104：拒收" in out.replace("\n", "")
    assert second.run_id in flat


def test_hedui_nightly_output_at_80_columns_without_a_terminal_is_not_cut(sample_landing, tmp_path):
    """As cron runs it: COLUMNS=80, stdout a pipe."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "hedui.cli", "nightly", "--landing", str(sample_landing),
         "--warehouse", str(tmp_path / "w.duckdb"), "--as-of", SAMPLES_AS_OF.isoformat(), "--no-prefect"],
        capture_output=True, text=True, timeout=600, env={**__import__("os").environ, "COLUMNS": "80"},
    )
    assert result.returncode == 0, result.stderr
    assert "…" not in result.stdout
    # Paths are printed whole on their own line (to copy); everything else fits 80 columns.
    paths = ("warehouse: ", "lists:     ", "data docs: ")
    assert max(cell_len(line) for line in result.stdout.splitlines() if not line.startswith(paths)) <= 80
    assert "OUTREACH_SEVERE_DISABILITY" in result.stdout
    # where everything is, as the README says
    assert f"data docs: {tmp_path / 'data_docs' / 'index.html'}" in result.stdout
    assert f"lists:     {tmp_path / 'outputs' / SAMPLES_AS_OF.isoformat() / 'lists'}" in result.stdout


def _run_cli(*args: str, cwd=None):
    import os
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "hedui.cli", *args], capture_output=True, text=True, timeout=900,
                          env={**os.environ, "COLUMNS": "80", "HEDUI_QUIET": "1"}, cwd=cwd)


def test_hedui_status_is_in_chinese_and_says_why_deliveries_were_refused(nights, tmp_path):
    result = _run_cli("status", "--warehouse", str(nights[1]))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "最近的运行" in out and "数据来源" in out and "核对日期" in out
    assert "有问题" in out and "完成" in out
    flat = out.replace("\n", "")
    # the file is named by its position in the delivery (a file name can carry personal data)
    assert "注1.housing:housing/20261104：拒收（file1(.csv):requiredcolumn(s)missing:登记日期,权属状态" in flat.replace(" ", "")
    assert "housing.csv" not in flat
    assert "…" not in out and max(cell_len(line) for line in out.splitlines()) <= 80
    for english in ("outcome", "finished", "problem", "in force"):
        assert english not in out


def test_hedui_demo_prints_where_the_data_docs_are(tiny_demo):
    home, result = tiny_demo
    assert result.returncode == 0, result.stderr
    index = home / "data_docs" / "index.html"
    assert f"data docs: {index}" in result.stdout and index.exists()
