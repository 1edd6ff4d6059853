"""The run summary: what a run raised, kept and resolved per rule, what caseworkers closed since the run
before it, and how fresh each source's picture is.

Counts come from `alerts.warning_events` (the events of the run: raised, resolved; and the caseworker outcomes
recorded between the previous run's end and this run's start, which carry no run) and `alerts.warnings` (what
is still open), the sources from `ledger.run_sources` and `ledger.deliveries`. The numbers add up: what was
waiting for verification after the previous run is now still waiting (仍待核查), resolved by fresh data (已消除)
or closed by a caseworker (核查办结). The summary holds no names and no IDs: it is shown on the console (it
fits 80 columns: cron mails it), in the Prefect UI (markdown artifact) and in logs.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import duckdb
from rich import box
from rich.console import Console
from rich.table import Table

from hedui.review.queue import QueueHealth, queue_health
from hedui.warehouse.schema import table_exists


@dataclass(frozen=True)
class RuleCounts:
    rule_code: str
    title_zh: str
    new: int            # raised this run
    still_open: int     # open, first raised by an earlier run
    resolved: int       # resolved by fresh data this run
    closed_by_outcome: int  # open after the previous run, closed by a caseworker's outcome since


@dataclass(frozen=True)
class SourceStatus:
    source: str
    in_force_delivery: str | None
    newest_delivery: str | None
    picture_date: dt.date | None
    age_days: int | None
    fresh: bool | None
    rows_loaded: int
    rows_quarantined: int
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    as_of: dt.date | None
    outcome: str | None
    message: str | None
    rules: list[RuleCounts]
    sources: list[SourceStatus]
    # rules not evaluated because a source they read never delivered (rule code -> sources), and the active
    # households the income rules could not test (reason -> count): alerts.rule_runs.stats of the run
    skipped_rules: dict[str, list[str]] = field(default_factory=dict)
    income_not_tested: dict[str, int] = field(default_factory=dict)
    # the links waiting for the linkage staff's review after the run (hedui.review.queue), if it linked
    review_queue: QueueHealth | None = None

    @property
    def notes_on_rules(self) -> list[str]:
        """The skipped rules and the untested households, in words (no names, no IDs)."""
        notes = [f"{code} 未运行：数据来源 {'、'.join(sources)} 从未交付（不等于无记录）"
                 for code, sources in sorted(self.skipped_rules.items())]
        notes += [f"收入核对未检验 {count} 户：{reason}" for reason, count in sorted(self.income_not_tested.items())]
        return notes

    @property
    def total_new(self) -> int:
        return sum(r.new for r in self.rules)

    @property
    def total_still_open(self) -> int:
        return sum(r.still_open for r in self.rules)

    @property
    def total_resolved(self) -> int:
        return sum(r.resolved for r in self.rules)

    @property
    def total_closed_by_outcome(self) -> int:
        return sum(r.closed_by_outcome for r in self.rules)

    @property
    def sources_with_problems(self) -> list[str]:
        return [s.source for s in self.sources if s.problems]


def _event_column(con: duckdb.DuckDBPyConnection) -> str:
    """The name of the event-type column of alerts.warning_events (`event`, or `event_type` / `kind`)."""
    cols = {r[0] for r in con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = 'alerts' and table_name = 'warning_events'").fetchall()}
    for name in ("event", "event_type", "kind", "change"):
        if name in cols:
            return name
    raise LookupError(f"alerts.warning_events has no event-type column (columns: {sorted(cols)})")


def build_run_summary(con: duckdb.DuckDBPyConnection, run_id: str) -> RunSummary:
    """Summarise run `run_id` from the warehouse (read-only)."""
    run = con.execute("select as_of, outcome, message from ledger.runs where run_id = ?", [run_id]).fetchone()
    as_of, outcome, message = run if run else (None, None, None)
    ev = _event_column(con)
    rules = [RuleCounts(*r) for r in con.execute(f"""
        with this_run as (
            select started_at from ledger.runs where run_id = $run),
        previous_run as (
            select max(finished_at) as finished_at
            from ledger.runs where started_at < (select started_at from this_run)),
        e as (
            select e.warning_id, e.{ev} as event from alerts.warning_events e where e.run_id = $run
            union all
            -- outcomes are recorded between runs (no run_id): those since the previous run, on warnings that
            -- were open then (a corrected outcome, or one on a resolved warning, changes no open count)
            select e.warning_id, 'outcome' from alerts.warning_events e
            where e.{ev} = 'outcome' and e.run_id is null
              and json_extract_string(e.detail, '$.previous_status') = 'open'
              and e.recorded_at <= (select started_at from this_run)
              and e.recorded_at > coalesce((select finished_at from previous_run), '-infinity'::timestamp)),
        per_rule as (
            select w.rule_code,
                   any_value(w.title_zh) as title_zh,
                   count(distinct e.warning_id) filter (where e.event = 'raised')   as new,
                   count(distinct e.warning_id) filter (where e.event = 'resolved') as resolved,
                   count(distinct e.warning_id) filter (where e.event = 'outcome')  as closed_by_outcome
            from e join alerts.warnings w using (warning_id)
            group by w.rule_code),
        still as (
            select rule_code, any_value(title_zh) as title_zh, count(*) as still_open
            from alerts.warnings
            where status = 'open' and coalesce(raised_run_id, '') <> $run
              and warning_id not in (select warning_id from e where event = 'raised')
            group by rule_code)
        select coalesce(p.rule_code, s.rule_code), coalesce(p.title_zh, s.title_zh, ''),
               coalesce(p.new, 0), coalesce(s.still_open, 0), coalesce(p.resolved, 0),
               coalesce(p.closed_by_outcome, 0)
        from per_rule p full join still s on s.rule_code = p.rule_code
        order by 1""", {"run": run_id}).fetchall()]

    sources = [SourceStatus(*r[:8], problems=list(r[8] or [])) for r in con.execute("""
        with d as (
            select source,
                   sum(rows_loaded) filter (where status = 'loaded')      as rows_loaded,
                   sum(rows_quarantined) filter (where status = 'loaded') as rows_quarantined,
                   list(delivery_id || '：' || case status when 'rejected' then '拒收' when 'held_back' then '暂缓（疑似不完整）'
                        when 'failed' then '读取失败，沿用上次数据' else status end || coalesce('（' || reason || '）', ''))
                     filter (where status in ('rejected', 'held_back', 'failed')) as delivery_problems
            from ledger.deliveries where run_id = $run group by source)
        select s.source, s.in_force_delivery, s.newest_delivery, s.picture_date, s.picture_age_days, s.fresh,
               coalesce(d.rows_loaded, 0), coalesce(d.rows_quarantined, 0),
               list_distinct(list_concat(
                   case s.problem when 'missing' then ['本次无交付，沿用上次数据']
                        when 'never_delivered' then ['从未交付：尚无该来源数据（不是“无记录”）'] else [] end,
                   coalesce(d.delivery_problems,
                            case when s.problem in ('rejected', 'held_back', 'failed') then [s.problem] else [] end)))
        from ledger.run_sources s left join d using (source)
        where s.run_id = $run
        order by s.source""", {"run": run_id}).fetchall()]
    stats = con.execute("select stats from alerts.rule_runs where run_id = ?", [run_id]).fetchone() \
        if table_exists(con, "alerts.rule_runs") else None
    stats = json.loads(stats[0]) if stats and stats[0] else {}
    return RunSummary(run_id=run_id, as_of=as_of, outcome=outcome, message=message, rules=rules, sources=sources,
                      skipped_rules=stats.get("skipped_rules") or {},
                      income_not_tested=stats.get("income_not_tested") or {},
                      review_queue=queue_health(con, run_id))


def render_summary_console(summary: RunSummary, console: Console) -> None:
    """Print the summary as two tables (warnings per rule, sources) and the sources' notes.

    Laid out for 80 columns (cron mails it): the rule's title goes under its code, the column headers are
    short, and no cell is ever cut: a cell that does not fit wraps (`overflow="fold"`)."""
    console.print(f"[bold]运行 {summary.run_id}[/bold]", highlight=False)
    console.print(f"核对日期 {summary.as_of}  结果 {summary.outcome or '-'}", highlight=False)
    if summary.message:
        console.print(f"说明：{summary.message}", highlight=False, markup=False)
    t = Table(title="预警（按规则）", show_footer=True, box=box.SQUARE)
    t.add_column("规则", footer="合计", overflow="fold")
    t.add_column("新增", justify="right", footer=str(summary.total_new), overflow="fold")
    t.add_column("仍待核查", justify="right", footer=str(summary.total_still_open), overflow="fold")
    t.add_column("已消除", justify="right", footer=str(summary.total_resolved), overflow="fold")
    t.add_column("核查办结", justify="right", footer=str(summary.total_closed_by_outcome), overflow="fold")
    for r in summary.rules:
        t.add_row(f"{r.rule_code}\n{r.title_zh}" if r.title_zh else r.rule_code, str(r.new), str(r.still_open),
                  str(r.resolved), str(r.closed_by_outcome))
    console.print(t)
    console.print("仍待核查：上次运行后仍未办结的预警；已消除：新数据不再显示该情形；"
                  "核查办结：上次运行以来社工录入核查结果而关闭的预警。", highlight=False)
    for note in summary.notes_on_rules:
        console.print(note, highlight=False, markup=False)
    if summary.review_queue is not None:
        console.print(summary.review_queue.line_zh(), highlight=False, markup=False)
    s = Table(title="数据来源", box=box.SQUARE)
    for col, just in (("来源", "left"), ("在用批次", "left"), ("天数", "right"),
                      ("入库行", "right"), ("隔离行", "right"), ("问题", "left")):
        s.add_column(col, justify=just, overflow="fold")
    notes = []
    for src in summary.sources:
        age = "-" if src.age_days is None else str(src.age_days)
        style = "red" if src.problems else ("yellow" if src.fresh is False else None)
        flag = f"注{len(notes) + 1}" if src.problems else "-"
        if src.problems:
            notes.append(f"{src.source}: " + "；".join(src.problems))
        # the batch by its folder (YYYYMMDD): the source is in the first column, and with thirteen sources the
        # full `<source>/<YYYYMMDD>` would not fit 80 columns without cutting a cell
        batch = src.in_force_delivery.split("/", 1)[-1] if src.in_force_delivery else "（无）"
        s.add_row(src.source, batch, age, str(src.rows_loaded), str(src.rows_quarantined),
                  flag, style=style)
    console.print(s)
    console.print("天数：在用批次距核对日期的天数；入库行、隔离行：本次读取的批次。", highlight=False)
    # Reasons are sentences: printed in full below the table rather than squeezed into a column.
    for number, note in enumerate(notes, start=1):
        console.print(f"注{number}. {note}", highlight=False)


def _md_cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def summary_markdown(summary: RunSummary) -> str:
    """The summary as markdown, for `prefect.artifacts.create_markdown_artifact`."""
    lines = [
        f"# 核对运行 {summary.run_id}",
        "",
        f"- 核对日期（as-of）：{summary.as_of}",
        f"- 结果：{summary.outcome or '-'}" + (f"（{_md_cell(summary.message)}）" if summary.message else ""),
        f"- 预警：新增 {summary.total_new}，仍待核查 {summary.total_still_open}，已消除 {summary.total_resolved}，"
        f"核查办结 {summary.total_closed_by_outcome}（上次运行以来社工录入结果而关闭）",
        f"- 有问题的数据来源：{'、'.join(summary.sources_with_problems) or '无'}",
        *([f"- {summary.review_queue.line_zh()}（hedui review export）"] if summary.review_queue else []),
        "",
        "## 预警（按规则）",
        "",
        "| 规则 | 名称 | 新增 | 仍待核查 | 已消除 | 核查办结 |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in summary.rules:
        lines.append(f"| `{r.rule_code}` | {_md_cell(r.title_zh)} | {r.new} | {r.still_open} | {r.resolved} | "
                     f"{r.closed_by_outcome} |")
    lines.append(f"| **合计** | | **{summary.total_new}** | **{summary.total_still_open}** | "
                 f"**{summary.total_resolved}** | **{summary.total_closed_by_outcome}** |")
    if summary.notes_on_rules:
        lines += [""] + [f"- {_md_cell(note)}" for note in summary.notes_on_rules]
    lines += [
        "",
        "## 数据来源",
        "",
        "| 来源 | 在用批次 | 数据日期 | 数据天数 | 本次入库行 | 本次隔离行 | 问题 |",
        "| --- | --- | --- | ---: | ---: | ---: | --- |",
    ]
    for s in summary.sources:
        lines.append(f"| {s.source} | {_md_cell(s.in_force_delivery or '（无）')} | {s.picture_date or '-'} | "
                     f"{'-' if s.age_days is None else s.age_days} | {s.rows_loaded} | {s.rows_quarantined} | "
                     f"{_md_cell('；'.join(s.problems) or '-')} |")
    return "\n".join(lines) + "\n"
