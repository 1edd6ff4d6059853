"""The caseworker lists' writer as it was before the rows were sized in SQL (commit a1d4e50): every cell's kind
found from its value, each row's height and the evidence's records worked out in Python, cell by cell.

Kept only as the reference of `test_deliver_list_sizes.py`, which checks that the writer of `hedui.deliver` gives
the same workbooks, part for part. The sheet set-up it shares with the writer (print setup, protection, the 汇总
sheet) is imported; what was rewritten is copied here unchanged. When the lists' layout changes on purpose,
change this reference with it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import xlsxwriter

from hedui.deliver import lists
from hedui.deliver.evidence import detail_lines, install_deliver_macros
from hedui.deliver.list_texts import kept_wording_sql
from hedui.deliver.workbook import (
    CHECK_HEADER,
    CHECKED_HEADERS,
    COLUMNS,
    DETAIL_COLUMNS,
    DETAIL_SHEET,
    HEADERS,
    INPUT_HEADERS,
    LIST_SHEET,
    OUTCOME_CHOICES,
    OUTCOME_HEADER,
    VERIFIED_ON_HEADER,
    WRAPPING_HEADERS,
    _print_setup,
    _protect,
    cell_codes,
    row_height,
    write_summary_sheet,
)

# The caseworker's values of every open warning as the lists' query selected them before it was cut into batches
# (hedui.deliver.lists): one query for every unit, sorted whole.
_LISTED_SQL = """
select
    u.unit_no                                                       as _unit_no,
    w.warning_id                                                    as "预警编号",
    coalesce(h.village, mask_ids_in_text(
        json_extract_string(w.evidence, '$.records[0].fields.户籍地址')))  as "村社区",
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
                                                                    as "证据明细",
    severity_rank(w.severity)                                       as _severity_rank
from alerts.warnings w
{unit_join}
left join staged.households h on h.household_id = w.household_id
-- the wording made when the evidence last changed (hedui.deliver.list_texts)
left join ({kept}) kept
    on kept.warning_id = w.warning_id and kept.evidence_md5 = wording_md5(w.evidence)
where w.status = 'open'
"""

# the rows as the writer read them: the caseworker's values and the whole evidence detail, in route order
_ROWS_BEFORE = """
select * exclude (_severity_rank)
from ({listed})
order by _unit_no, "村社区" nulls last, "家庭编号" nulls last, _severity_rank,
    "核查截止日期" nulls last, "首次预警日期", "预警编号"
"""


def write_lists_before(con: duckdb.DuckDBPyConnection, out_dir: Path, as_of: dt.date) -> list[Path]:
    """Every unit's workbook written by the reference, in unit order, as `<unit_no>.xlsx` (the same units, titles,
    counts and rows as `lists.write_township_lists`, whose file names and order the test compares apart)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    install_deliver_macros(con)
    con.execute(lists._UNITS_SQL)
    units = con.execute("select unit_no, county, township, kind from _list_units order by unit_no").fetchall()
    counts: dict[int, list[dict]] = {}
    for count in lists._dicts(con.execute(lists._COUNTS_SQL.format(unit_join=lists._UNIT_JOIN), {"as_of": as_of})):
        counts.setdefault(count.pop("_unit_no"), []).append(count)
    rows: dict[int, list[dict]] = {}
    for row in lists._dicts(con.execute(_ROWS_BEFORE.format(listed=_LISTED_SQL.format(
            unit_join=lists._UNIT_JOIN, kept=kept_wording_sql("select warning_id from alerts.list_texts"))))):
        rows.setdefault(row.pop("_unit_no"), []).append(row)
    written = []
    for unit_no, county, township, kind in units:
        if kind in ("unrouted", "review"):
            label = lists.UNROUTED_LABEL if kind == "unrouted" else lists.REVIEW_LABEL
            title = f"{county}（{label}）"
        else:
            title = f"{county or ''}{township}"
        path = out_dir / f"{unit_no}.xlsx"
        write_list_workbook(path, title, rows.get(unit_no, []), counts.get(unit_no, []), as_of, kind)
        written.append(path)
    con.execute("drop table if exists _list_units")
    return written


def write_list_workbook(path: Path, unit: str, rows: list[dict], counts: list[dict], as_of: dt.date,
                        kind: str) -> None:
    """The list sheet, the evidence sheet and the 汇总 sheet; arguments are plain values, so that a worker process
    can be handed them. Each row holds the HEADERS' values and `证据明细` (the detail text)."""
    wb = xlsxwriter.Workbook(str(path))
    try:
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
        widths = dict(COLUMNS)

        ws = wb.add_worksheet(LIST_SHEET)
        for c, (header, width) in enumerate(COLUMNS):
            ws.write_string(0, c, header, f_head)
            ws.set_column(c, c, width)
        check_col = len(HEADERS)
        ws.write_string(0, check_col, CHECK_HEADER, f_head)
        ws.set_column(check_col, check_col, 12, None, {"hidden": True})
        ws.set_row(0, 30)
        ws.freeze_panes(1, 1)
        for r, row in enumerate(rows, start=1):
            for c, header in enumerate(HEADERS):
                value = row.get(header)
                if header == VERIFIED_ON_HEADER:
                    ws.write_blank(r, c, None, f_input_date)
                elif header in INPUT_HEADERS:
                    ws.write_blank(r, c, None, f_input)
                elif isinstance(value, dt.date):
                    ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), f_date)
                elif header == "严重程度":
                    ws.write_string(r, c, value or "", f_sev.get(value, f_cell))
                elif value is None:
                    ws.write_blank(r, c, None, f_cell)
                else:
                    ws.write_string(r, c, str(value), f_cell)
            ws.write_string(r, check_col, "".join(cell_codes([row.get(h) for h in CHECKED_HEADERS])), f_cell)
            ws.set_row(r, row_height({h: row.get(h) for h in WRAPPING_HEADERS}, widths))
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

        write_detail_sheet(wb, rows, f_head, f_cell)
        write_summary_sheet(wb, unit, counts, as_of, kind, f_head, f_cell)
    finally:
        wb.close()


def write_detail_sheet(wb, rows: list[dict], f_head, f_cell) -> None:
    """The 证据明细 sheet: each warning's evidence, one row per department record (and one for the standards)."""
    ws = wb.add_worksheet(DETAIL_SHEET)
    widths = dict(DETAIL_COLUMNS)
    for c, (header, width) in enumerate(DETAIL_COLUMNS):
        ws.write_string(0, c, header, f_head)
        ws.set_column(c, c, width)
    ws.set_row(0, 20)
    ws.freeze_panes(1, 1)
    r = 0
    for row in rows:
        for number, line in enumerate(detail_lines(row.get("证据明细")), start=1):
            r += 1
            label = "适用标准" if line.startswith("【适用标准】") else f"记录 {number}"
            values = {"预警编号": row.get("预警编号"), "村社区": row.get("村社区"), "家庭编号": row.get("家庭编号"),
                      "姓名": row.get("姓名"), "序号": label, "证据内容": line}
            for c, (header, _) in enumerate(DETAIL_COLUMNS):
                value = values[header]
                if value is None:
                    ws.write_blank(r, c, None, f_cell)
                else:
                    ws.write_string(r, c, str(value), f_cell)
            ws.set_row(r, row_height({"证据内容": line, "村社区": values["村社区"]}, widths))
    if r:
        ws.autofilter(0, 0, r, len(DETAIL_COLUMNS) - 1)
    _print_setup(ws, len(DETAIL_COLUMNS) - 1)
    _protect(ws)


