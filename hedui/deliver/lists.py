"""Caseworker lists: one workbook per township with its open warnings, one per county for unrouted outreach, and
one per county for its review (县级复核) of integrity warnings.

Integrity warnings (category `integrity`: INTEGRITY_PUBLIC_PAYROLL, INTEGRITY_STAFF_RELATIVE) never go to a
township's list, because the staff concerned may work in that township; they go to the county's review list,
while their `township` column still names the household's township for analysts.

The rows are selected, sorted (in route order: village, household), worded and masked in SQL (see `evidence.py`,
`masking.py`); Python only writes the cells (`workbook.py`, which also says how the workbook prints and what is
protected). The first sheet `预警核查清单` is what caseworkers fill in and what the importer reads back by its
headers (预警编号, and the input columns 核查结果, 备注, 核查人, 核查日期); `证据明细` holds the evidence, one row per
record; `汇总` gives the counts and the filling instructions.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import multiprocessing
import os
import re
import shutil
import tempfile
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

import duckdb

from hedui.deliver.evidence import install_deliver_macros
from hedui.evidence_batches import AFTER_LAST_PLACE, LISTS_SHARE_OF_MEMORY_LIMIT, memory_limit_bytes, place_ranges
from hedui.deliver.list_sizes import evidence_entries_sql, size_parameters, wrapped_lines_sql
from hedui.deliver.list_texts import kept_wording_sql
from hedui.deliver.spooled_rows import SpooledRows, spool_rows
from hedui.deliver.writer_watch import exit_when_gone
from hedui.processes import owner_gone
from hedui.deliver.workbook import (  # noqa: F401 (re-exported: the sheet layout callers and tests rely on)
    COLUMNS,
    DETAIL_COLUMNS,
    DETAIL_SHEET,
    HEADERS,
    INPUT_HEADERS,
    LIST_ROW,
    LIST_SHEET,
    OUTCOME_CHOICES,
    OUTCOME_HEADER,
    PARTIAL_INFIX,
    REVIEW_LABEL,
    SUMMARY_SHEET,
    UNROUTED_LABEL,
    write_list_workbook,
)


# The caseworker units, numbered in the order their files are written: townships (by county, township), then each
# county's unrouted-outreach list, then each county's review list. Every township the households snapshot knows is
# a unit, warnings or not, and every county has both county lists.
_UNITS_SQL = """
create or replace temp table _list_units as
select
    row_number() over (order by case kind when 'township' then 0 when 'unrouted' then 1 else 2 end, county, township)
        as unit_no,
    county,
    township,
    kind = 'unrouted' as unrouted,
    kind
from (
    select distinct county, township, 'township' as kind
    from (
        select county, township from staged.households where township is not null
        union all
        select county, township from alerts.warnings
        where status = 'open' and township is not null and category is distinct from 'integrity'
    )

    union all

    select distinct county, cast(null as varchar) as township, county_kind.kind
    from (
        select county from staged.households
        union all
        select county from alerts.warnings
        where status = 'open'
            and ((township is null and household_id is null) or category = 'integrity')
    )
    cross join (values ('unrouted'), ('review')) as county_kind(kind)
    where county is not null
)
"""

# Which unit an open warning goes to: an integrity warning to its county's review list; any other to its
# township's, or (no township and no household: outreach whose address named no known township) its county's
# unrouted list. Warnings of a household without a township go nowhere.
_ROUTE_KIND = """case
        when w.category = 'integrity' then 'review'
        when w.township is null and w.household_id is null then 'unrouted'
        else 'township'
    end"""
_UNIT_JOIN = f"""inner join _list_units u
    on u.kind = {_ROUTE_KIND}
    and coalesce(w.county, '') = coalesce(u.county, '')
    and u.township is not distinct from (case when {_ROUTE_KIND} = 'township' then w.township end)"""

# The caseworker's values of the open warnings of a batch (`_list_batch`), with the unit each goes to (`_unit_no`)
# and its place in the lists (`_list_position`).
_LISTED_SQL = """
select
    batch.unit_no                                                   as _unit_no,
    batch.list_position                                             as _list_position,
    w.warning_id                                                    as "预警编号",
    batch.village                                                   as "村社区",
    w.household_id                                                  as "家庭编号",
    coalesce(w.person_name, h.head_name || '（户主）')                as "姓名",
    mask_id(coalesce(w.person_id, h.head_id_norm, h.head_id_raw))   as "身份证号(脱敏)",
    coalesce(w.title_zh, w.rule_code)                               as "规则",
    category_zh(w.category)                                         as "类别",
    severity_zh(w.severity)                                         as "严重程度",
    w.first_raised_on                                               as "首次预警日期",
    w.due_on                                                        as "核查截止日期",
    -- CASE, not coalesce: DuckDB evaluates every argument of coalesce, and the wording is the costly part
    case when kept.warning_id is null then evidence_summary(w.evidence, false) else kept.summary_masked end
                                                                    as "证据说明",
    case when kept.warning_id is null then evidence_detail(w.evidence, false) else kept.detail_masked end
                                                                    as "证据明细"
from alerts.warnings w
inner join _list_batch as batch
    on batch.warning_id = w.warning_id
left join staged.households h on h.household_id = w.household_id
-- the wording made when the evidence last changed (hedui.deliver.list_texts), of this batch's warnings only
left join ({kept}) as kept
    on kept.warning_id = w.warning_id and kept.evidence_md5 = wording_md5(w.evidence)
where w.status = 'open'
""".replace("{kept}", kept_wording_sql("select warning_id from _list_batch"))

# Every open warning with the unit it goes to, its place in the lists (`list_position`) and the size of its evidence,
# by which the lists' rows are read in batches (`_row_batches`). The places are worked out here, on narrow rows:
# route order, as a caseworker walks, village by village, household by household (outreach, with no household,
# after the households of its village), then the most urgent first. A warning whose household names no village
# takes the address of its first record; read from the evidence of those warnings alone, since parsing every
# warning's evidence, hundreds of records each on the heavy bench city, took more memory than the lists' batches.
_LIST_NARROW_SQL = """
create or replace temp table _list_narrow as
select
    w.warning_id,
    u.unit_no,
    h.village,
    w.household_id,
    w.severity,
    w.due_on,
    w.first_raised_on,
    w.evidence_bytes
from (
    select
        warning_id,
        household_id,
        county,
        township,
        category,
        severity,
        due_on,
        first_raised_on,
        strlen(cast(evidence as varchar)) as evidence_bytes
    from alerts.warnings
    where status = 'open'
) as w
{unit_join}
left join staged.households h on h.household_id = w.household_id
"""

_LIST_WARNINGS_SQL = """
create or replace temp table _list_warnings as
select
    narrow.warning_id,
    narrow.unit_no,
    coalesce(narrow.village, addresses.village) as village,
    row_number() over (
        order by narrow.unit_no, coalesce(narrow.village, addresses.village) nulls last,
            narrow.household_id nulls last, severity_rank(narrow.severity), narrow.due_on nulls last,
            narrow.first_raised_on, narrow.warning_id
    ) as list_position,
    narrow.evidence_bytes
from _list_narrow as narrow
left join (
    select
        warning_id,
        mask_ids_in_text(json_extract_string(evidence, '$.records[0].fields.户籍地址')) as village
    from alerts.warnings
    where warning_id in (select warning_id from _list_narrow where village is null)
) as addresses
    on addresses.warning_id = narrow.warning_id;
drop table _list_narrow
"""

_LIST_BATCH_SQL = """
create or replace temp table _list_batch as
select warning_id, unit_no, village, list_position
from _list_warnings
where list_position >= $first_position and list_position < $end_position
"""

# One query for a batch of warnings in list order (`_list_batch`): per-unit queries each read the kept wording of
# every warning again (0.9 s a township at prefecture scale, most of it the same scan), and one query for every unit
# sorted every warning's wording at once, which did not fit DuckDB's memory limit on the heavy bench city (at 2 GB on
# a tenth of it). Each row holds the list sheet's protected
# cells (`workbook.LIST_ROW`), the lines its tallest wrapping cell takes, and its evidence cut into records with
# the lines each record's row takes on the evidence sheet (`list_sizes.py`: sized here, not cell by cell in Python).
_ROWS_SQL = """
with listed as ({listed}),
cut as (
    select *, {entries} as _entries, {detail_village_lines} as _village_lines
    from listed
)
select
    _unit_no,
    "预警编号", "村社区", "家庭编号", "姓名", "身份证号(脱敏)", "规则", "类别", "严重程度", "首次预警日期",
    "核查截止日期", "证据说明",
    -- the tallest of the cells that wrap; a row of empty ones takes one line
    coalesce(greatest({village_lines}, {name_lines}, {rule_lines}, {summary_lines}), 1) as _lines,
    _entries,
    -- an evidence row holds the record and the warning's village, both wrapping
    list_transform(_entries, lambda entry: greatest({entry_lines}, _village_lines)) as _entry_lines
from cut
-- route order (`_LIST_WARNINGS_SQL`)
order by _list_position
"""


def _rows_sql() -> str:
    """The rows query with its pieces in place (the unit join, the sizing of `list_sizes.py`)."""
    widths = dict(COLUMNS)
    return _ROWS_SQL.format(
        listed=_LISTED_SQL,
        entries=evidence_entries_sql('"证据明细"'),
        village_lines=wrapped_lines_sql('"村社区"', widths["村社区"]),
        name_lines=wrapped_lines_sql('"姓名"', widths["姓名"]),
        rule_lines=wrapped_lines_sql('"规则"', widths["规则"]),
        summary_lines=wrapped_lines_sql('"证据说明"', widths["证据说明"]),
        detail_village_lines=wrapped_lines_sql('"村社区"', dict(DETAIL_COLUMNS)["村社区"]),
        entry_lines=wrapped_lines_sql("entry", dict(DETAIL_COLUMNS)["证据内容"]),
    )


_COUNTS_SQL = """
select
    u.unit_no as _unit_no,
    case when grouping(w.rule_code) = 1 then null  -- the unit's total row
         else coalesce(any_value(w.title_zh), w.rule_code) || '（' || w.rule_code || '）' end as label,
    count(*) filter (where w.severity = 'high')   as high,
    count(*) filter (where w.severity = 'medium') as medium,
    count(*) filter (where w.severity = 'low')    as low,
    count(*)                                      as total,
    count(*) filter (where w.due_on < $as_of)     as overdue
from alerts.warnings w
{unit_join}
where w.status = 'open'
group by grouping sets ((u.unit_no, w.rule_code), (u.unit_no))
order by u.unit_no, w.rule_code nulls last
"""

_BATCH_ROWS = 2_000


def _safe_name(text: str) -> str:
    return re.sub(r'[\\/:*?"<>|\s]+', "_", text).strip("_") or "未命名"


# Below this many open warnings the lists are written in this process: starting worker processes costs more
# than the cells of a few thousand rows (and every small test night would pay it).
PARALLEL_FROM_ROWS = 20_000


def write_township_lists(con: duckdb.DuckDBPyConnection, out_dir: Path, as_of: dt.date, *,
                         workers: int | None = None, parallel_from_rows: int = PARALLEL_FROM_ROWS) -> list[Path]:
    """Write one workbook per township (its open warnings only), one per county for unrouted outreach and one per
    county for the review (县级复核) of its integrity warnings, which no township's list holds.

    File names: `<区县><乡镇街道>_预警核查清单_<YYYYMMDD>.xlsx`, `<区县>_未分派主动发现名单_<YYYYMMDD>.xlsx` and
    `<区县>_县级复核名单_<YYYYMMDD>.xlsx`.
    Every township the households snapshot knows gets a file, with no rows when it has no open warning.
    Returns the paths written, townships first.

    The rows of every unit come from one query ordered by unit, fetched in batches and cut per unit; each unit's
    rows go to a file (`spooled_rows.py`) as they are fetched, and its workbook is written from that file by one of
    `workers` processes (default: one per core, at most 4) while the next unit's rows are fetched. This process
    holds one fetch of rows at a time, whatever the size of a unit."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_dead_partials(out_dir)
    install_deliver_macros(con)
    stamp = as_of.strftime("%Y%m%d")
    open_rows = con.execute("select count(*) from alerts.warnings where status = 'open'").fetchall()[0][0]
    if workers is None:
        workers = min(os.cpu_count() or 1, 4)
    if open_rows < parallel_from_rows:
        workers = 1
    con.execute(_UNITS_SQL)
    units = con.execute("select unit_no, county, township, kind from _list_units order by unit_no").fetchall()
    counts: dict[int, list[dict]] = {}
    for count in _dicts(con.execute(_COUNTS_SQL.format(unit_join=_UNIT_JOIN), {"as_of": as_of})):
        counts.setdefault(count.pop("_unit_no"), []).append(count)
    written: list[Path] = []
    with _spool_directory(con) as spool, _WorkbookWriters(workers) as writers:
        # from here on the rows query is being fetched: nothing else may run on the connection until it is done
        rows_by_unit = _rows_of_units(con)
        next_unit, next_rows = next(rows_by_unit, (None, iter(())))
        for unit_no, county, township, kind in units:
            rows: SpooledRows | list[tuple] = []
            if next_unit == unit_no:
                # spooled before the next unit is read: the unit's rows are read from the query as they are written
                rows = spool_rows(Path(spool) / f"{unit_no}.rows", next_rows, _BATCH_ROWS)
                next_unit, next_rows = next(rows_by_unit, (None, iter(())))
            if kind in ("unrouted", "review"):
                label = UNROUTED_LABEL if kind == "unrouted" else REVIEW_LABEL
                path = out_dir / f"{_safe_name(county)}_{label}_{stamp}.xlsx"
                title = f"{county}（{label}）"
            else:
                path = out_dir / f"{_safe_name((county or '') + township)}_{LIST_SHEET}_{stamp}.xlsx"
                title = f"{county or ''}{township}"
            writers.write(path, title, rows, counts.get(unit_no, []), as_of, kind)
            written.append(path)
    con.execute("drop table if exists _list_units; drop table if exists _list_warnings; drop table if exists _list_batch")
    return written


def remove_dead_partials(out_dir: Path) -> list[Path]:
    """The workbooks a dead process left half-written in `out_dir` (`workbook.partial_path`: a writer killed with
    its night); a live process's are being written and stay."""
    removed = []
    for left in out_dir.glob(f".*.xlsx{PARTIAL_INFIX}*"):
        pid = left.name.rpartition(PARTIAL_INFIX)[2]
        if owner_gone(pid):
            left.unlink(missing_ok=True)
            removed.append(left)
    return removed


def _dicts(cursor: duckdb.DuckDBPyConnection) -> list[dict]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


# The rows query is run in at least this many batches: the writers wait for a batch's first rows until the whole
# batch is worded and sorted, and a city's lists in one batch left both writers idle while it was (the default
# bench city: 367 MB of evidence; in six batches its lists took about 3 s less, 50 s against 53, measured in
# alternation). More batches than that read the warnings once more each: a city whose evidence is larger than
# the memory share allows already has more.
BATCHES_AT_LEAST = 6


def _row_batches(con: duckdb.DuckDBPyConnection) -> list[tuple[int, int]]:
    """The open warnings in list order, cut into batches [first, end) of places whose evidence adds up to about
    `LISTS_SHARE_OF_MEMORY_LIMIT` of DuckDB's memory limit (one warning bigger than that is a batch alone), or to a
    sixth of the whole evidence when that is less (`BATCHES_AT_LEAST`): the rows query holds a batch's wording, cut
    into records, and sorts it."""
    con.execute(_LIST_NARROW_SQL.format(unit_join=_UNIT_JOIN))
    con.execute(_LIST_WARNINGS_SQL)
    limit = memory_limit_bytes(con)
    (evidence_bytes,) = con.execute("select coalesce(sum(evidence_bytes), 0) from _list_warnings").fetchone()
    batch_bytes = min(limit * LISTS_SHARE_OF_MEMORY_LIMIT if limit else AFTER_LAST_PLACE,
                      -(-int(evidence_bytes) // BATCHES_AT_LEAST))
    return place_ranges(con, "_list_warnings", "list_position", "evidence_bytes", batch_bytes)


def _rows_of_units(con: duckdb.DuckDBPyConnection):
    """The rows of every unit with open warnings, (unit_no, rows), in unit order: the rows query run batch by batch
    of list places, a unit whose rows span batches put together again here. Each unit's rows are an iterator read
    from the query as it is consumed: consume it before taking the next unit (`itertools.groupby`)."""
    rows_sql = _rows_sql()
    parameters = size_parameters(rows_sql)

    def rows_in_order():
        for first_position, end_position in _row_batches(con):
            con.execute(_LIST_BATCH_SQL, {"first_position": first_position, "end_position": end_position})
            yield from _fetched(con.execute(rows_sql, parameters))

    for unit_no, rows in itertools.groupby(rows_in_order(), key=lambda values: values[0]):
        yield unit_no, (values[1:] for values in rows)


def _fetched(cursor: duckdb.DuckDBPyConnection):
    """The rows of the ordered rows query, fetched in batches: (unit_no, *row), each row laid out as
    `workbook.LIST_ROW` (plain tuples: a worker process reads them unpickled)."""
    names = [d[0] for d in cursor.description]
    if names[1:] != LIST_ROW:  # the writer reads the row by position
        raise RuntimeError(f"the rows query gives {names[1:]}, the list writer reads {LIST_ROW}")
    while batch := cursor.fetchmany(_BATCH_ROWS):
        yield from batch


# `<prefix><pid>-<random>`: the process that spools into it, so that a later one can tell what a killed one left
_SPOOL_PREFIX = "hedui-list-rows-"


@contextlib.contextmanager
def _spool_directory(con: duckdb.DuckDBPyConnection):
    """A directory for the units' spooled rows, removed afterwards: in DuckDB's temporary directory, where the
    night spills (sized for it), or the system's when the connection has none of its own. It holds caseworkers'
    rows (names, masked IDs, evidence), so it is private to the user (`tempfile`), and what a killed process left
    there is removed by the next one."""
    (setting,) = con.execute("select current_setting('temp_directory')").fetchone()
    parent = Path(setting) if setting and Path(setting).is_absolute() else Path(tempfile.gettempdir())
    parent.mkdir(parents=True, exist_ok=True)
    for left in parent.glob(_SPOOL_PREFIX + "*"):
        pid = left.name.removeprefix(_SPOOL_PREFIX).split("-")[0]
        if owner_gone(pid):
            shutil.rmtree(left, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix=f"{_SPOOL_PREFIX}{os.getpid()}-", dir=parent) as directory:
        yield directory


def _remove(rows: SpooledRows | list) -> None:
    if isinstance(rows, SpooledRows):
        rows.remove()


# What the list writers' fork server imports before it forks a writer: the workbook writer, and nothing of the night
# (`hedui/deliver/__init__.py` imports its names on first use for this).
WRITER_MODULES = ("hedui.deliver.workbook", "hedui.deliver.spooled_rows", "hedui.deliver.writer_watch")


class _WorkbookWriters:
    """Writes workbooks in this process (one worker) or in a pool of worker processes.

    The workers come from a fork server where the platform has one (Linux): a small process started afresh, which
    has imported only the workbook writer. Forked from the night's own process instead, each worker kept a
    copy-on-write view of everything the parent held, DuckDB's buffers included; as the parent went on writing
    them, each worker's view became its own copy, multiplying the parent's resident memory by the workers. The
    fork server imports only what it is told to preload; each worker, forked from it or spawned, still runs the
    caller's main script as `__mp_main__` (multiprocessing's preparation), so a script needs a main guard. At most `workers + 1` workbooks wait in the pool, each with
    its rows in a file (`spooled_rows.py`), not in this process; a worker's error is raised here, and the remaining work is cancelled."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self.pool: ProcessPoolExecutor | None = None
        self.pending: deque[tuple[Future, SpooledRows | list]] = deque()

    def __enter__(self) -> "_WorkbookWriters":
        if self.workers > 1:
            if "forkserver" in multiprocessing.get_all_start_methods():
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(list(WRITER_MODULES))
            else:
                context = multiprocessing.get_context("spawn")
            # each worker leaves when this process is gone, even killed outright (`writer_watch`)
            self.pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=exit_when_gone,
                                            initargs=(os.getpid(),))
        return self

    def write(self, path: Path, title: str, rows, *args) -> None:
        """Write one workbook (`workbook.write_list_workbook`'s arguments); spooled rows are removed once written."""
        if self.pool is None:
            write_list_workbook(path, title, rows, *args)
            _remove(rows)
            return
        self.pending.append((self.pool.submit(write_list_workbook, path, title, rows, *args), rows))
        while len(self.pending) > self.workers:
            self._collect()

    def _collect(self) -> None:
        future, rows = self.pending.popleft()
        future.result()
        _remove(rows)

    def __exit__(self, exc_type, exc, tb) -> bool:
        if self.pool is None:
            return False
        try:
            if exc_type is None:
                while self.pending:
                    self._collect()
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)
        return False

