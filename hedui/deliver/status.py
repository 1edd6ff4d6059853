"""`hedui status`: the last runs and, for the latest, each source's picture, why a delivery was refused, and
what each rule did (evaluated whole, for a scope of households, carried or skipped; warnings raised, kept and
resolved). The operator's morning question "why did nothing resolve?" is answered here, without SQL on
`alerts.rule_runs.stats`.

In Chinese, like the run summary, and laid out for 80 columns (cells fold, never cut). The reasons come from
the ledger (`ledger.deliveries.reason`): counts, file names and column names, never a name or an ID.
"""

from __future__ import annotations

import json

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
    _render_rules(con, console, latest)
    if summary.review_queue is not None:
        console.print(summary.review_queue.line_zh() + "（导出核对表：hedui review export）", highlight=False,
                      markup=False)


def _render_rules(con: duckdb.DuckDBPyConnection, console: Console, run_id: str) -> None:
    """The latest run's rule statistics (`alerts.rule_runs.stats`, hedui.rules.engine.RunStats), a rule a row."""
    row = con.execute("select stats from alerts.rule_runs where run_id = ?", [run_id]).fetchone()
    if row is None:  # the run failed before its rules, or ran none
        console.print("该次运行没有评估规则。", highlight=False)
        return
    stats = json.loads(row[0])
    per_rule, skipped = stats.get("per_rule", {}), stats.get("skipped_rules", {})
    columns = [("new", "新增"), ("still_open", "仍开放"), ("resolved", "已解除")]
    # the two counts of a source with a problem, shown only on a night that has them (80 columns are few)
    columns += [(key, zh) for key, zh in (("held", "暂不解除"), ("deferred", "暂不新增"))
                if any(counts.get(key) for counts in per_rule.values())]
    table = Table(title="规则", box=box.SQUARE)
    table.add_column("规则", overflow="fold")
    table.add_column("本次评估", overflow="fold")
    for _, zh in columns:
        table.add_column(zh, justify="right", overflow="fold")
    for code in sorted(set(per_rule) | set(skipped)):
        counts = per_rule.get(code, {})
        table.add_row(code, evaluation_zh(code, stats), *(str(counts.get(key, 0)) for key, _ in columns),
                      style="red" if code in skipped else None)
    console.print(table)
    legend = "本次评估：全部＝对所有在保户评估；限 N 户＝只评估数据有变的 N 户（其余户沿用）；沿用＝所读数据未变，未重算。"
    if len(columns) > 3:
        legend += "暂不解除：条件已不成立，但所读来源有问题，预警保留；暂不新增：来源有问题，新命中暂不立预警。"
    console.print(legend, highlight=False)


def evaluation_zh(code: str, stats: dict) -> str:
    """How a rule was evaluated on a run, in the words of the status table."""
    skipped = stats.get("skipped_rules", {})
    if code in skipped:
        return "未评估：" + "、".join(skipped[code]) + " 从未交付"
    if code in stats.get("carried_rules", []):
        return "沿用"
    if code in stats.get("scoped_rules", {}):
        return f"限 {stats['scoped_rules'][code]} 户"
    return "全部"
