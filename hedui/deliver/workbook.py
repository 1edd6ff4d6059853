"""One caseworker workbook, written from rows already selected, worded and masked (see `lists.py`).

Kept apart from the SQL so that it can run in worker processes: at prefecture scale, writing the cells is most of
the lists' time and it is pure Python, so the lists of several townships are written side by side. Nothing here
touches the warehouse.

The workbook is made to be printed and filled in by hand, then read back by `hedui outcome import`:
- `预警核查清单`: one row per open warning, in route order (village, household); A4 landscape, one page wide,
  the header row repeated on every page, row heights that fit the wrapped text. Every cell is protected except
  the input columns 核查结果, 备注, 核查人, 核查日期. A hidden last column holds a short check code of each
  protected cell of the row, so that the importer can name a cell that was changed anyway (a sheet's protection
  is easily lifted, and other spreadsheet programs ignore it).
- `证据明细`: the evidence of each warning, one row per department record and one for the standards applied, in
  the same order; printed the same way. A medical warning can quote forty settlements: no cell of the list could
  hold them in print.
- `汇总`: the counts and the filling instructions.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import math
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import xlsxwriter

if TYPE_CHECKING:
    from hedui.deliver.spooled_rows import SpooledRows


LIST_SHEET = "预警核查清单"
DETAIL_SHEET = "证据明细"
SUMMARY_SHEET = "汇总"
OUTCOME_HEADER = "核查结果"
REASON_HEADER = "备注"
VERIFIER_HEADER = "核查人"
VERIFIED_ON_HEADER = "核查日期"
CHECK_HEADER = "校验码（勿改）"
OUTCOME_CHOICES = ["属实", "不属实", "已调整待遇"]
UNROUTED_LABEL = "未分派主动发现名单"
# The county's review list (县级复核): integrity warnings (category integrity, INTEGRITY_*), never on a township's
# list because the staff concerned may work in that township.
REVIEW_LABEL = "县级复核名单"
INPUT_HEADERS = (OUTCOME_HEADER, REASON_HEADER, VERIFIER_HEADER, VERIFIED_ON_HEADER)

# (header, width in characters) in sheet order; route first (village, household, person), then the warning, then
# the input columns. 预警编号 and the input columns are read back by the importer: keep them exact.
COLUMNS: list[tuple[str, int]] = [
    ("预警编号", 17), ("村社区", 10), ("家庭编号", 12), ("姓名", 8), ("身份证号(脱敏)", 19), ("规则", 16),
    ("类别", 8), ("严重程度", 5), ("首次预警日期", 12), ("核查截止日期", 12), ("证据说明", 36),
    (OUTCOME_HEADER, 9), (REASON_HEADER, 18), (VERIFIER_HEADER, 8), (VERIFIED_ON_HEADER, 12),
]
HEADERS = [h for h, _ in COLUMNS]
# the cells whose text can wrap to more than one line (the others hold codes, IDs and dates that fit)
WRAPPING_HEADERS = ("村社区", "姓名", "规则", "证据说明")
# the cells a caseworker must not change, covered by the check code, in this order
CHECKED_HEADERS = [h for h in HEADERS if h not in INPUT_HEADERS]
# A row of the list as the lists' query gives it (`lists.py`), by position: the protected cells in sheet order;
# the lines its tallest wrapping cell takes; its evidence, one entry per record; the lines each entry's row takes
# on the evidence sheet (the sizes are worked out in the query, `list_sizes.py`).
LIST_ROW = CHECKED_HEADERS + ["_lines", "_entries", "_entry_lines"]
DETAIL_COLUMNS: list[tuple[str, int]] = [
    ("预警编号", 17), ("村社区", 10), ("家庭编号", 12), ("姓名", 8), ("序号", 8), ("证据内容", 110),
]
# The rows a sheet holds, its header's included: Excel's limit, and xlsxwriter's, which ignores a cell past it
# without a word (its write returns -1). A unit whose evidence has more records than one sheet holds goes on in
# 证据明细(2), 证据明细(3), …: on the heavy bench city a township's medical warnings cite millions of settlements.
SHEET_ROWS = 1_048_576


# A unit whose evidence has more records than this is written in xlsxwriter's constant_memory mode: each row goes
# to a temporary file once written, and its strings inline, where the default keeps every cell of the workbook,
# and every distinct string, in memory until it is saved. On the heavy bench city a worker writing a township of
# 937,338 records held 2.7 GB that way; on a tenth of that city (townships of about 90,000 records) the lists'
# processes held 2,225 MiB at most, all written so, against 2,582. Below it the default is kept: constant_memory
# wrote about an eighth slower on the default bench city's largest township (6,501 warnings, 37,787 records:
# 2.6 s against 2.3 s of CPU).
CONSTANT_MEMORY_FROM_RECORDS = 50_000


# A workbook is written under `.<name>.partial-<pid>` beside its name and renamed to it once whole: a list under its
# own name is always complete, whatever stopped its writer (a killed night, a full disk). The name says which
# process writes it, so that the next lists remove what a dead one left (`lists.remove_dead_partials`).
PARTIAL_INFIX = ".partial-"


def partial_path(path: Path) -> Path:
    """Where the workbook of `path` is written before it is whole: hidden, and not ending in .xlsx."""
    return path.with_name(f".{path.name}{PARTIAL_INFIX}{os.getpid()}")


class ListTooLong(ValueError):
    """A unit has more open warnings than one list sheet holds: its list is not written rather than cut short
    (the importer reads one list sheet)."""


def detail_sheet_name(number: int) -> str:
    """The name of the unit's `number`th evidence sheet: 证据明细, then 证据明细(2), 证据明细(3), …"""
    return DETAIL_SHEET if number == 1 else f"{DETAIL_SHEET}({number})"

_LINE_POINTS = 13.5  # one line of 10-point 宋体, as Excel sizes a row of it
# A column w characters wide is 7w + 5 pixels; a 10-point Chinese character is 13.3 pixels, two characters' worth:
# a line holds about 1.07 w characters' worth of text.
_LINE_UNITS_PER_WIDTH = 1.05
_MAX_ROW_POINTS = 409  # Excel's highest row
# what xlsx cannot hold as itself, and xlsxwriter writes as _xHHHH_ (carriage returns included)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")


def cell_text(value: object) -> str:
    """A cell's value as the check code reads it: dates as YYYY-MM-DD, text as stored in the file (control
    characters as _xHHHH_, as xlsx keeps them), an empty cell as ''."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", str(value))


def cell_codes(values: list[object]) -> list[str]:
    """One short code per protected cell of a row (8 hex digits of BLAKE2b): enough to tell an edited cell."""
    return [hashlib.blake2b(cell_text(v).encode("utf-8"), digest_size=4).hexdigest() for v in values]


# East Asian wide and full-width characters (Unicode's W and F classes, in blocks): two characters' worth of a
# column. A regular expression, not unicodedata per character: the lists word hundreds of thousands of rows. It
# finds the runs of *narrow* characters: a Chinese text has few and short ones, so this is four times faster than
# finding each wide character.
_WIDE_CLASS = (
    "\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3"
    "\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\U00020000-\U0003fffd"
)
_NARROW_RUNS = re.compile(f"[^{_WIDE_CLASS}]+")


def _display_width(text: str) -> int:
    return 2 * len(text) - sum(map(len, _NARROW_RUNS.findall(text)))


def _lines(text: str, width: int) -> int:
    """How many lines `text` wraps to in a column `width` characters wide (a Chinese character is two)."""
    usable = max(width * _LINE_UNITS_PER_WIDTH, 1)
    return sum(max(1, math.ceil(_display_width(part) / usable)) for part in text.split("\n"))


def row_height(values: dict[str, object], widths: dict[str, int]) -> float:
    """Points for a row whose wrapped cells all show in full (Excel does not size rows to wrapped text)."""
    lines = max((_lines(cell_text(v), widths[h]) for h, v in values.items() if v is not None), default=1)
    return lines_height(lines)


def lines_height(lines: int) -> float:
    """Points for a row of `lines` lines of text."""
    return min(_MAX_ROW_POINTS, lines * _LINE_POINTS + 3)


def _print_setup(ws, last_col: int) -> None:
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)  # one page wide, as many tall as needed
    ws.repeat_rows(0)
    ws.set_margins(left=0.3, right=0.3, top=0.5, bottom=0.5)
    ws.print_area(0, 0, ws.dim_rowmax if ws.dim_rowmax is not None else 0, last_col)
    ws.set_footer("&C第 &P 页 / 共 &N 页")


def _protect(ws) -> None:
    """Locked cells cannot be typed over; rows and columns may still be resized, filtered and selected."""
    ws.protect("", {"autofilter": True, "format_rows": True, "format_columns": True,
                    "select_locked_cells": True, "select_unlocked_cells": True})


def write_list_workbook(path: Path, unit: str, rows: list[tuple] | SpooledRows, counts: list[dict], as_of: dt.date,
                        kind: str) -> None:
    """The list sheet, the evidence sheet and the 汇总 sheet; arguments are plain values, so that a worker process
    can be handed them. Each row is laid out as `LIST_ROW`; the rows are read twice, in order (the list sheet, then
    the evidence sheet), from a list or from a file (`spooled_rows.SpooledRows`).

    The workbook's parts are assembled in memory (`in_memory`), not in temporary files that are written, read
    back into the zip file and removed; a unit with very many records is written row by row through temporary
    files instead (`CONSTANT_MEMORY_FROM_RECORDS`), so that its cells are never all in memory. Either way the file
    appears under `path` only when it is whole (`partial_path`)."""
    if len(rows) > SHEET_ROWS - 1:
        raise ListTooLong(f"{unit}: {len(rows)} open warnings, more than the {SHEET_ROWS - 1} rows a list sheet holds")
    if records_of(rows) > CONSTANT_MEMORY_FROM_RECORDS:
        options = {"constant_memory": True}  # rows to temporary files as they are written (the TMPDIR)
    else:
        options = {"in_memory": True}
    partial = partial_path(path)
    try:
        with cyclic_gc_paused():
            _write_workbook(partial, options, unit, rows, counts, as_of, kind)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, path)


@contextlib.contextmanager
def cyclic_gc_paused():
    """Python's cyclic garbage collector off while a workbook is built, and a collection once it is done.

    xlsxwriter keeps a tuple per cell until the workbook closes (and the spooled rows are unpickled into millions
    of objects): each of the collector's full passes walked every one of them again, and on the default bench
    city that was about a quarter of the lists' CPU (five townships: 15.5 CPU-s with the collector, 11.2
    without, in alternated runs). Nothing here needs it: the cells are freed by reference counting when the
    workbook is closed, except those that xlsxwriter's objects hold in cycles (the workbook and its sheets: every
    cell). Those were all made while the collector was off, so they are in its youngest generation: one pass over
    that generation alone frees them, not a full collection, which in the night's own process (a city's few
    lists are written there) would walk everything the night holds, once per workbook."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
            gc.collect(0)


def _write_workbook(partial: Path, options: dict, unit: str, rows: list[tuple] | SpooledRows, counts: list[dict],
                    as_of: dt.date, kind: str) -> None:
    """The workbook written to `partial`; the workbook is garbage once this returns (`cyclic_gc_paused`)."""
    if options.get("in_memory") and not isinstance(rows, list):
        # every cell is held until the workbook closes anyway: the spooled rows are read once, not once per sheet
        rows = list(rows)
    wb = xlsxwriter.Workbook(str(partial), options)
    try:
        _write_sheets(wb, unit, rows, counts, as_of, kind)
    finally:
        wb.close()


def _write_sheets(wb, unit: str, rows: list[tuple] | SpooledRows, counts: list[dict], as_of: dt.date,
                  kind: str) -> None:
    """The workbook's three sheets (`write_list_workbook`)."""
    wb.set_properties({"title": f"{unit} 预警核查清单 {as_of.isoformat()}", "company": "居民家庭经济状况核对中心"})
    font = {"font_name": "宋体", "font_size": 10}
    f_head = wb.add_format({**font, "bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                            "valign": "vcenter", "align": "center"})
    f_cell = wb.add_format({**font, "text_wrap": True, "valign": "top", "border": 1})
    f_date = wb.add_format({**font, "num_format": "yyyy-mm-dd", "valign": "top", "align": "center", "border": 1})
    f_input = wb.add_format({**font, "text_wrap": True, "valign": "top", "border": 1, "bg_color": "#FFF2CC",
                             "locked": False})
    f_input_date = wb.add_format({**font, "num_format": "yyyy-mm-dd", "valign": "top", "border": 1,
                                  "bg_color": "#FFF2CC", "locked": False})
    f_sev = {label: wb.add_format({**font, "valign": "top", "border": 1, "bold": True, "font_color": color})
             for label, color in (("高", "#C00000"), ("中", "#C65911"), ("低", "#375623"))}

    ws = wb.add_worksheet(LIST_SHEET)
    for c, (header, width) in enumerate(COLUMNS):
        ws.write_string(0, c, header, f_head)
        ws.set_column(c, c, width)
    check_col = len(HEADERS)
    ws.write_string(0, check_col, CHECK_HEADER, f_head)
    ws.set_column(check_col, check_col, 12, None, {"hidden": True})
    ws.set_row(0, 30)
    ws.freeze_panes(1, 1)
    _write_list_rows(ws, rows, check_col, f_cell, f_date, f_input, f_input_date, f_sev)
    last = max(len(rows), 1)
    outcome_col = HEADERS.index(OUTCOME_HEADER)
    ws.data_validation(1, outcome_col, last, outcome_col, {
        "validate": "list", "source": OUTCOME_CHOICES, "ignore_blank": True,
        "input_title": "核查结果", "input_message": "入户核查后选择：属实 / 不属实 / 已调整待遇",
        "error_title": "请从下拉列表选择", "error_message": "核查结果只能是：属实、不属实、已调整待遇",
        "error_type": "stop",
    })
    date_col = HEADERS.index(VERIFIED_ON_HEADER)
    ws.data_validation(1, date_col, last, date_col, {
        "validate": "date", "criteria": "between", "minimum": dt.date(2000, 1, 1),
        "maximum": dt.date(2099, 12, 31), "ignore_blank": True,
        "input_title": "核查日期", "input_message": "入户核查的日期，如 2026-11-25",
        "error_title": "请填写日期", "error_message": "核查日期请写成 2026-11-25 这样的日期",
        "error_type": "stop",
    })
    if rows:
        ws.autofilter(0, 0, len(rows), len(HEADERS) - 1)
    _print_setup(ws, len(HEADERS) - 1)
    _protect(ws)

    detail_sheets = write_detail_sheet(wb, rows, f_head, f_cell)
    write_summary_sheet(wb, unit, counts, as_of, kind, f_head, f_cell, detail_sheets)


# Where LIST_ROW holds what the writer reads besides the protected cells (which are its first CHECKED_HEADERS).
_LINES, _ENTRIES, _ENTRY_LINES = (LIST_ROW.index(name) for name in ("_lines", "_entries", "_entry_lines"))
_SEVERITY_COL = HEADERS.index("严重程度")
_DATE_COLS = (HEADERS.index("首次预警日期"), HEADERS.index("核查截止日期"))
# the protected text cells before the severity (预警编号 … 类别) and after the dates (证据说明)
_TEXT_COLS_BEFORE = tuple(range(_SEVERITY_COL))
_TEXT_COLS_AFTER = tuple(range(_DATE_COLS[-1] + 1, len(CHECKED_HEADERS)))
assert _DATE_COLS == (_SEVERITY_COL + 1, _SEVERITY_COL + 2)  # the order the cells are written in below
# the input columns, blank and unlocked; the date one takes a date format
_INPUT_COLS = tuple((HEADERS.index(h), h == VERIFIED_ON_HEADER) for h in INPUT_HEADERS)


def _write_list_rows(ws, rows: list[tuple] | SpooledRows, check_col: int, f_cell, f_date, f_input, f_input_date, f_sev) -> None:
    """The list sheet's rows: a cell per column in sheet order (the shared strings are numbered in the order they
    are written), then the check code, and the row's height.

    This is most of the lists' CPU (a call per cell), so it does no more per cell than the cell's kind needs: the
    columns' kinds are known (text, the severity, dates, the inputs) and the sizes come from the query."""
    write_string, write_blank, write_datetime, set_row = ws.write_string, ws.write_blank, ws.write_datetime, ws.set_row
    checked = len(CHECKED_HEADERS)
    midnight = dt.time()
    for r, row in enumerate(rows, start=1):
        for c in _TEXT_COLS_BEFORE:
            if row[c] is None:
                write_blank(r, c, None, f_cell)
            else:
                write_string(r, c, str(row[c]), f_cell)
        severity = row[_SEVERITY_COL]
        write_string(r, _SEVERITY_COL, severity or "", f_sev.get(severity, f_cell))
        for c in _DATE_COLS:
            if row[c] is None:
                write_blank(r, c, None, f_cell)
            else:
                write_datetime(r, c, dt.datetime.combine(row[c], midnight), f_date)
        for c in _TEXT_COLS_AFTER:
            if row[c] is None:
                write_blank(r, c, None, f_cell)
            else:
                write_string(r, c, str(row[c]), f_cell)
        for c, is_date in _INPUT_COLS:
            write_blank(r, c, None, f_input_date if is_date else f_input)
        write_string(r, check_col, "".join(cell_codes(row[:checked])), f_cell)
        set_row(r, lines_height(row[_LINES]))


def records_of(rows: list[tuple] | SpooledRows) -> int:
    """How many evidence records the rows hold: the rows of their 证据明细 sheets (counted when they were spooled,
    `spooled_rows.SpooledRows`, or here)."""
    counted = getattr(rows, "records", None)
    return counted if counted is not None else sum(len(row[_ENTRIES]) for row in rows)


def _start_detail_sheet(wb, number: int, f_head):
    ws = wb.add_worksheet(detail_sheet_name(number))
    for c, (header, width) in enumerate(DETAIL_COLUMNS):
        ws.write_string(0, c, header, f_head)
        ws.set_column(c, c, width)
    ws.set_row(0, 20)
    ws.freeze_panes(1, 1)
    return ws


def _finish_detail_sheet(ws, last_row: int) -> None:
    if last_row:
        ws.autofilter(0, 0, last_row, len(DETAIL_COLUMNS) - 1)
    _print_setup(ws, len(DETAIL_COLUMNS) - 1)
    _protect(ws)


def write_detail_sheet(wb, rows: list[tuple] | SpooledRows, f_head, f_cell) -> list[str]:
    """The 证据明细 sheet: each warning's evidence, one row per department record (and one for the standards);
    when the records are more than a sheet holds (`SHEET_ROWS`), they go on in 证据明细(2) and so on, a warning's
    records possibly across two sheets. Returns the names of the sheets written."""
    sheets = [_start_detail_sheet(wb, 1, f_head)]
    ws = sheets[-1]
    write_string, write_blank, set_row = ws.write_string, ws.write_blank, ws.set_row
    r = 0
    for row in rows:
        # the warning's cells, the same on each of its records' rows: 预警编号, 村社区, 家庭编号, 姓名
        warning = [(False, c, None) if row[c] is None else (True, c, str(row[c])) for c in range(4)]
        for number, (entry, lines) in enumerate(zip(row[_ENTRIES], row[_ENTRY_LINES]), start=1):
            if r == SHEET_ROWS - 1:  # this sheet is full: the next one goes on
                _finish_detail_sheet(ws, r)
                sheets.append(_start_detail_sheet(wb, len(sheets) + 1, f_head))
                ws = sheets[-1]
                write_string, write_blank, set_row = ws.write_string, ws.write_blank, ws.set_row
                r = 0
            r += 1
            for is_text, c, value in warning:
                if is_text:
                    write_string(r, c, value, f_cell)
                else:
                    write_blank(r, c, None, f_cell)
            write_string(r, 4, "适用标准" if entry.startswith("【适用标准】") else f"记录 {number}", f_cell)
            write_string(r, 5, entry, f_cell)
            set_row(r, lines_height(lines))
    _finish_detail_sheet(ws, r)
    return [sheet.name for sheet in sheets]


def write_summary_sheet(wb, unit, counts, as_of, kind, f_head, f_cell, detail_sheets: list[str] | None = None) -> None:
    """The 汇总 sheet: as-of date, totals, counts per rule and severity (from SQL), how to fill in; where the
    evidence is (`detail_sheets`, the 证据明细 sheets written, when more than one)."""
    ws = wb.add_worksheet(SUMMARY_SHEET)
    f_title = wb.add_format({"bold": True, "font_size": 14})
    f_bold = wb.add_format({"bold": True, "border": 1})
    f_text = wb.add_format({"text_wrap": True, "valign": "top"})
    ws.set_column(0, 0, 100)
    ws.set_column(1, 5, 10)
    grand = next((c for c in counts if c["label"] is None), {"high": 0, "medium": 0, "low": 0, "total": 0,
                                                            "overdue": 0})
    per_rule = [c for c in counts if c["label"] is not None]
    ws.write_string(0, 0, f"{unit} 预警核查清单汇总", f_title)
    ws.write_string(1, 0, "数据截至日期（as-of）")
    ws.write_string(1, 1, as_of.isoformat())
    ws.write_string(2, 0, "待核查预警总数")
    ws.write_number(2, 1, grand["total"])
    ws.write_string(3, 0, "其中已超过核查截止日期")
    ws.write_number(3, 1, grand["overdue"])
    top = 5
    for c, h in enumerate(["规则", "高", "中", "低", "合计"]):
        ws.write_string(top, c, h, f_head)
    line = top
    for line, rec in enumerate(per_rule, start=top + 1):
        ws.write_string(line, 0, rec["label"], f_cell)
        for c, key in enumerate(["high", "medium", "low", "total"], start=1):
            ws.write_number(line, c, rec[key], f_cell)
    line += 1
    ws.write_string(line, 0, "合计", f_bold)
    for c, key in enumerate(["high", "medium", "low", "total"], start=1):
        ws.write_number(line, c, grand[key], f_bold)

    line += 2
    ws.write_string(line, 0, "填写说明", f_bold)
    instructions = [
        f"1. 在“{LIST_SHEET}”表逐条入户核查，按“核查截止日期”前完成；严重程度“高”的优先。各行按村社区、家庭排列，便于按路线入户。",
        "2. “核查结果”列从下拉列表选择：属实（预警情况属实）、不属实（情况不存在或已消失）、已调整待遇（已据此调整或停止保障待遇）。",
        "3. “备注”列写明核查经过和依据（如：车辆已于2025年过户，见转移登记凭证）；选择“不属实”时必须填写备注。",
        "4. “核查人”填写入户核查人员，“核查日期”填写入户核查的日期（如 2026-11-25）。",
        "5. 只有黄色的四列可以填写，其余单元格已锁定；不要修改、增删行列或改表名。导入时会逐格核对，被改动的单元格会被指出，该行不予导入。",
        f"6. 每条预警所依据的部门记录见“{DETAIL_SHEET}”表（按预警编号对应），可一并打印带去入户。"
        if not detail_sheets or len(detail_sheets) == 1 else
        f"6. 每条预警所依据的部门记录见“{detail_sheets[0]}”至“{detail_sheets[-1]}”共 {len(detail_sheets)} 张表"
        f"（记录多，一张表放不下 {SHEET_ROWS - 1:,} 行，依次续表；按预警编号对应，一条预警的记录可能跨两张表），"
        "可一并打印带去入户。",
        "7. 身份证号已脱敏（保留前6位和后4位）；完整信息请在核对系统中按预警编号查询。",
        "8. 本清单只含本乡镇（街道）仍待核查的预警；已消除或已有核查结果的预警不再列出。已导入的结果如需更正，请联系核对中心（hedui outcome correct）。",
    ]
    if kind == "unrouted":
        instructions.append("9. 本名单为户籍地址未能匹配到乡镇（街道）的主动发现对象，请区县核对后分派到乡镇（街道）。")
    elif kind == "review":
        instructions[7] = ("8. 本名单只含本区县仍待复核的廉政核查预警；已消除或已有核查结果的预警不再列出。"
                           "已导入的结果如需更正，请联系核对中心（hedui outcome correct）。")
        instructions.append("9. 本名单为廉政核查预警（财政供养人员、经办人员及其近亲属），由区县民政部门复核，"
                            "不发乡镇（街道）清单，因为所涉人员可能就在该乡镇（街道）工作。“村社区”等栏仍为家庭所在地。")
    else:
        instructions.append("9. 廉政核查预警（财政供养人员、经办人员及其近亲属）不列入本清单，由区县民政部门复核（县级复核名单）。")
    for i, text in enumerate(instructions, start=line + 1):
        ws.write_string(i, 0, text, f_text)
    _protect(ws)
