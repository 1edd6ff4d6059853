"""One caseworker workbook, written from rows already selected, worded and masked (see `lists.py`).

Kept apart from the SQL so that it can run in worker processes: at prefecture scale, writing the cells is most of
the lists' time and it is pure Python, so the lists of several townships are written side by side. Nothing here
touches the warehouse.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import xlsxwriter

LIST_SHEET = "预警核查清单"
SUMMARY_SHEET = "汇总"
OUTCOME_HEADER = "核查结果"
OUTCOME_CHOICES = ["属实", "不属实", "已调整待遇"]
UNROUTED_LABEL = "未分派主动发现名单"

# (header, width) in sheet order. 预警编号, 核查结果 and 备注 are read back by the importer: keep them exact.
COLUMNS: list[tuple[str, int]] = [
    ("预警编号", 24), ("规则", 26), ("类别", 9), ("严重程度", 8), ("家庭编号", 12), ("姓名", 10),
    ("身份证号(脱敏)", 21), ("村社区", 16), ("首次预警日期", 12), ("核查截止日期", 12), ("证据说明", 40),
    ("证据明细", 70), (OUTCOME_HEADER, 12), ("备注", 30),
]
HEADERS = [h for h, _ in COLUMNS]


def write_list_workbook(path: Path, unit: str, rows: list[dict], counts: list[dict], as_of: dt.date,
                        unrouted: bool) -> None:
    """The list sheet (rows as given, the outcome column a drop-down) and the 汇总 sheet; arguments are plain
    values, so that a worker process can be handed them."""
    wb = xlsxwriter.Workbook(str(path))
    try:
        wb.set_properties({"title": f"{unit} 预警核查清单 {as_of.isoformat()}", "company": "居民家庭经济状况核对中心"})
        f_head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                "valign": "vcenter", "align": "center"})
        f_cell = wb.add_format({"text_wrap": True, "valign": "top", "border": 1})
        f_date = wb.add_format({"num_format": "yyyy-mm-dd", "valign": "top", "border": 1})
        f_input = wb.add_format({"text_wrap": True, "valign": "top", "border": 1, "bg_color": "#FFF2CC",
                                 "locked": False})
        f_sev = {label: wb.add_format({"valign": "top", "border": 1, "bold": True, "font_color": color})
                 for label, color in (("高", "#C00000"), ("中", "#C65911"), ("低", "#375623"))}

        ws = wb.add_worksheet(LIST_SHEET)
        for c, (header, width) in enumerate(COLUMNS):
            ws.write_string(0, c, header, f_head)
            ws.set_column(c, c, width)
        ws.set_row(0, 30)
        ws.freeze_panes(1, 1)
        outcome_col = HEADERS.index(OUTCOME_HEADER)
        for r, row in enumerate(rows, start=1):
            for c, header in enumerate(HEADERS):
                value = row.get(header)
                if header in (OUTCOME_HEADER, "备注"):
                    ws.write_blank(r, c, None, f_input)
                elif isinstance(value, dt.date):
                    ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), f_date)
                elif header == "严重程度":
                    ws.write_string(r, c, value or "", f_sev.get(value, f_cell))
                elif value is None:
                    ws.write_blank(r, c, None, f_cell)
                else:
                    ws.write_string(r, c, str(value), f_cell)
        last = max(len(rows), 1)
        ws.data_validation(1, outcome_col, last, outcome_col, {
            "validate": "list", "source": OUTCOME_CHOICES, "ignore_blank": True,
            "input_title": "核查结果", "input_message": "入户核查后选择：属实 / 不属实 / 已调整待遇",
            "error_title": "请从下拉列表选择", "error_message": "核查结果只能是：属实、不属实、已调整待遇",
            "error_type": "stop",
        })
        if rows:
            ws.autofilter(0, 0, len(rows), len(HEADERS) - 1)
        write_summary_sheet(wb, unit, counts, as_of, unrouted, f_head, f_cell)
    finally:
        wb.close()


def write_summary_sheet(wb, unit, counts, as_of, unrouted, f_head, f_cell) -> None:
    """The 汇总 sheet: as-of date, totals, counts per rule and severity (from SQL), how to fill in."""
    ws = wb.add_worksheet(SUMMARY_SHEET)
    f_title = wb.add_format({"bold": True, "font_size": 14})
    f_bold = wb.add_format({"bold": True, "border": 1})
    ws.set_column(0, 0, 48)
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
        f"1. 在“{LIST_SHEET}”表逐条入户核查，按“核查截止日期”前完成；严重程度“高”的优先。",
        "2. “核查结果”列从下拉列表选择：属实（预警情况属实）、不属实（情况不存在或已消失）、已调整待遇（已据此调整或停止保障待遇）。",
        "3. “备注”列写明核查经过和依据（如：车辆已于2025年过户，见转移登记凭证）；选择“不属实”时必须填写备注。",
        "4. 不要修改“预警编号”列，不要增删列或改列名，不要改工作表名称；填好后原文件交回核对中心导入。",
        "5. 身份证号已脱敏（保留前6位和后4位）；完整信息请在核对系统中按预警编号查询。",
        "6. 本清单只含本乡镇（街道）仍待核查的预警；已消除或已有核查结果的预警不再列出。",
    ]
    if unrouted:
        instructions.append("7. 本名单为户籍地址未能匹配到乡镇（街道）的主动发现对象，请区县核对后分派到乡镇（街道）。")
    for i, text in enumerate(instructions, start=line + 1):
        ws.write_string(i, 0, text)
