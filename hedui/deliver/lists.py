"""Caseworker lists: one workbook per township with its open warnings, and one per county for unrouted outreach.

The rows are selected, sorted, worded and masked in SQL (see `evidence.py`, `masking.py`); Python only writes the
cells. The workbook's first sheet `预警核查清单` is what caseworkers fill in and what the importer reads back by
the headers 预警编号, 核查结果 and 备注; the second sheet `汇总` gives the counts and the filling instructions.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import re
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

import duckdb

from hedui.deliver.evidence import install_deliver_macros
from hedui.deliver.workbook import (  # noqa: F401 (re-exported: the sheet layout callers and tests rely on)
    COLUMNS,
    HEADERS,
    LIST_SHEET,
    OUTCOME_CHOICES,
    OUTCOME_HEADER,
    SUMMARY_SHEET,
    UNROUTED_LABEL,
    write_list_workbook,
)


_ROWS_SQL = """
select
    w.warning_id                                                    as "预警编号",
    coalesce(w.title_zh, w.rule_code) || '（' || w.rule_code || '）'  as "规则",
    category_zh(w.category)                                         as "类别",
    severity_zh(w.severity)                                         as "严重程度",
    w.household_id                                                  as "家庭编号",
    coalesce(w.person_name, h.head_name || '（户主）')                as "姓名",
    mask_id(coalesce(w.person_id, h.head_id_norm, h.head_id_raw))   as "身份证号(脱敏)",
    coalesce(h.village, mask_ids_in_text(
        json_extract_string(w.evidence, '$.records[0].fields.户籍地址')))  as "村社区",
    w.first_raised_on                                               as "首次预警日期",
    w.due_on                                                        as "核查截止日期",
    -- CASE, not coalesce: DuckDB evaluates every argument of coalesce, and the wording is the costly part
    case when kept.warning_id is null then evidence_summary(w.evidence, false) else kept.summary_masked end
                                                                    as "证据说明",
    case when kept.warning_id is null then evidence_detail(w.evidence, false) else kept.detail_masked end
                                                                    as "证据明细",
    severity_rank(w.severity)                                       as _severity_rank,
    w.rule_code                                                     as _rule_code
from alerts.warnings w
left join staged.households h on h.household_id = w.household_id
{kept_texts}
where w.status = 'open' and {unit_filter}
order by severity_rank(w.severity), w.due_on nulls last, w.first_raised_on, w.warning_id
"""

# the wording made when the evidence last changed (hedui.deliver.list_texts); a warehouse written before that
# table existed words every warning on the spot
_KEPT_TEXTS_JOIN = """left join alerts.list_texts kept
    on kept.warning_id = w.warning_id and kept.evidence_md5 = md5(cast(w.evidence as varchar))"""
_NO_KEPT_TEXTS = "left join (select null as warning_id, null as summary_masked, null as detail_masked) kept on false"

_COUNTS_SQL = """
select
    case when grouping(w.rule_code) = 1 then null  -- the grand-total row
         else coalesce(any_value(w.title_zh), w.rule_code) || '（' || w.rule_code || '）' end as label,
    count(*) filter (where w.severity = 'high')   as high,
    count(*) filter (where w.severity = 'medium') as medium,
    count(*) filter (where w.severity = 'low')    as low,
    count(*)                                      as total,
    count(*) filter (where w.due_on < $as_of)     as overdue
from alerts.warnings w
where w.status = 'open' and {unit_filter}
group by grouping sets ((w.rule_code), ())
order by w.rule_code nulls last
"""

_TOWNSHIP_FILTER = "w.township = $township and coalesce(w.county, '') = coalesce($county, '')"
_UNROUTED_FILTER = "w.township is null and w.household_id is null and coalesce(w.county, '') = coalesce($county, '')"

_UNITS_SQL = """
select distinct county, township from (
    select county, township from staged.households where township is not null
    union all
    select county, township from alerts.warnings where status = 'open' and township is not null
) order by county, township
"""

_UNROUTED_COUNTIES_SQL = """
select distinct county from (
    select county from staged.households
    union all
    select county from alerts.warnings where status = 'open' and township is null and household_id is null
) where county is not null order by county
"""


def _safe_name(text: str) -> str:
    return re.sub(r'[\\/:*?"<>|\s]+', "_", text).strip("_") or "未命名"


# Below this many open warnings the lists are written in this process: starting worker processes costs more
# than the cells of a few thousand rows (and every small test night would pay it).
PARALLEL_FROM_ROWS = 20_000


def write_township_lists(con: duckdb.DuckDBPyConnection, out_dir: Path, as_of: dt.date, *,
                         workers: int | None = None, parallel_from_rows: int = PARALLEL_FROM_ROWS) -> list[Path]:
    """Write one workbook per township (its open warnings only) and one per county for unrouted outreach.

    File names: `<区县><乡镇街道>_预警核查清单_<YYYYMMDD>.xlsx` and `<区县>_未分派主动发现名单_<YYYYMMDD>.xlsx`.
    Every township the households snapshot knows gets a file, with no rows when it has no open warning.
    Returns the paths written, townships first.

    The rows of each unit are fetched here, one unit at a time, and written by `workers` processes (default: one
    per core, at most 4) while the next unit is fetched; at most a few units' rows are in memory at once."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    install_deliver_macros(con)
    stamp = as_of.strftime("%Y%m%d")
    rows_sql = _ROWS_SQL.replace("{kept_texts}", _KEPT_TEXTS_JOIN if _has_kept_texts(con) else _NO_KEPT_TEXTS)
    open_rows = con.execute("select count(*) from alerts.warnings where status = 'open'").fetchall()[0][0]
    if workers is None:
        workers = min(os.cpu_count() or 1, 4)
    if open_rows < parallel_from_rows:
        workers = 1
    written: list[Path] = []
    with _WorkbookWriters(workers) as writers:
        for county, township in con.execute(_UNITS_SQL).fetchall():
            path = out_dir / f"{_safe_name((county or '') + township)}_{LIST_SHEET}_{stamp}.xlsx"
            params = {"county": county, "township": township}
            rows = _fetch(con, rows_sql, _TOWNSHIP_FILTER, params)
            counts = _fetch(con, _COUNTS_SQL, _TOWNSHIP_FILTER, params | {"as_of": as_of})
            writers.write(path, f"{county or ''}{township}", rows, counts, as_of, False)
            written.append(path)
        for (county,) in con.execute(_UNROUTED_COUNTIES_SQL).fetchall():
            path = out_dir / f"{_safe_name(county)}_{UNROUTED_LABEL}_{stamp}.xlsx"
            rows = _fetch(con, rows_sql, _UNROUTED_FILTER, {"county": county})
            counts = _fetch(con, _COUNTS_SQL, _UNROUTED_FILTER, {"county": county, "as_of": as_of})
            writers.write(path, f"{county}（{UNROUTED_LABEL}）", rows, counts, as_of, True)
            written.append(path)
    return written


class _WorkbookWriters:
    """Writes workbooks in this process (one worker) or in a pool of worker processes.

    Forked where the platform can: a spawned worker re-imports the caller's main module, which breaks any script
    that calls this without an `if __name__ == "__main__"` guard. A forked worker only runs xlsxwriter on the
    rows it is handed; it never touches the DuckDB connection it inherits, and it leaves through `os._exit`, so no
    DuckDB destructor runs in it. At most `workers + 1` workbooks wait in the pool, so memory stays bounded by a
    few units' rows; a worker's error is raised here, and the remaining work is cancelled."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self.pool: ProcessPoolExecutor | None = None
        self.pending: deque[Future] = deque()

    def __enter__(self) -> "_WorkbookWriters":
        if self.workers > 1:
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context(method))
        return self

    def write(self, *args) -> None:
        if self.pool is None:
            write_list_workbook(*args)
            return
        self.pending.append(self.pool.submit(write_list_workbook, *args))
        while len(self.pending) > self.workers:
            self.pending.popleft().result()

    def __exit__(self, exc_type, exc, tb) -> bool:
        if self.pool is None:
            return False
        try:
            if exc_type is None:
                while self.pending:
                    self.pending.popleft().result()
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)
        return False


def _has_kept_texts(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute(
        "select count(*) from duckdb_tables() where schema_name = 'alerts' and table_name = 'list_texts'"
    ).fetchall()[0][0] > 0


def _fetch(con: duckdb.DuckDBPyConnection, sql: str, unit_filter: str, params: dict) -> list[dict]:
    cur = con.execute(sql.format(unit_filter=unit_filter), params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]
