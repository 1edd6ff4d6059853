"""`hedui status`: the last runs and, for the latest, each source's picture and why a delivery was refused.

In Chinese, like the run summary, and laid out for 80 columns (cells fold, never cut). The reasons come from
the ledger (`ledger.deliveries.reason`): counts, file names and column names, never a name or an ID.
"""

from __future__ import annotations

import duckdb
from rich import box
from rich.console import Console
from rich.table import Table

from hedui.deliver.summary import build_run_summary

OUTCOME_ZH = {
    "completed": "完成",
    "completed_with_problems": "有问题",
}


def render_status(con: duckdb.DuckDBPyConnection, console: Console, runs: int = 5) -> None:
    last = con.execute(
        "select run_id, as_of, outcome, strftime(started_at, '%Y-%m-%d %H:%M'), strftime(finished_at, '%Y-%m-%d %H:%M') "
        "from ledger.runs order by started_at desc limit ?", [runs]
    ).fetchall()
    if not last:
        console.print("仓库中还没有运行记录。", highlight=False)
        return
    table = Table(title="最近的运行", box=box.SQUARE)
    for column in ("核对日期", "结果", "开始（UTC）", "完成（UTC）"):
        table.add_column(column, overflow="fold")
    for _, as_of, outcome, started, finished in last:
        table.add_row(str(as_of), OUTCOME_ZH.get(outcome, outcome or "-"), started or "-", finished or "-",
                      style="red" if outcome != "completed" else None)
    console.print(table)

    latest = last[0][0]
    summary = build_run_summary(con, latest)
    rows_in_force = dict(con.execute(
        "select source, rows_in_force from ledger.run_sources where run_id = ?", [latest]).fetchall())
    console.print(f"最近一次运行：{latest}", highlight=False)
    table = Table(title="数据来源", box=box.SQUARE)
    for column, justify in (("来源", "left"), ("在用批次", "left"), ("数据天数", "right"), ("在用行数", "right"),
                            ("问题", "left")):
        table.add_column(column, justify=justify, overflow="fold")
    notes = []
    for source in summary.sources:
        flag = "-"
        if source.problems:
            notes.append(f"{source.source}: " + "；".join(source.problems))
            flag = f"注{len(notes)}"
        table.add_row(source.source, source.in_force_delivery or "（无）",
                      "-" if source.age_days is None else str(source.age_days),
                      str(rows_in_force.get(source.source, "-")), flag,
                      style="red" if source.problems else None)
    console.print(table)
    for number, note in enumerate(notes, start=1):
        console.print(f"注{number}. {note}", highlight=False)
    if summary.review_queue is not None:
        console.print(summary.review_queue.line_zh() + "（导出核对表：hedui review export）", highlight=False,
                      markup=False)
