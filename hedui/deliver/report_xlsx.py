"""XLSX version of the household report, used when reportlab is not installed (prints reliably offline)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import xlsxwriter

from hedui.deliver.report import fmt


def write_xlsx(data: dict[str, Any], path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path))
    try:
        ws = wb.add_worksheet("核对报告")
        bold = wb.add_format({"bold": True, "text_wrap": True, "border": 1, "bg_color": "#E8EEF6"})
        cell = wb.add_format({"text_wrap": True, "border": 1, "valign": "top"})
        title = wb.add_format({"bold": True, "font_size": 14})
        ws.set_column(0, 13, 14)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        r = 0

        def line(values: list[Any], fmt_=cell) -> None:
            nonlocal r
            for c, v in enumerate(values):
                ws.write_string(r, c, fmt(v), fmt_)
            r += 1

        ws.write_string(r, 0, f"居民家庭经济状况核对报告  家庭编号 {data['household']['household_id']}  "
                              f"核对截止日期 {fmt(data['as_of'])}", title)
        r += 2
        for label, key in data["household_fields"]:
            line([label, data["household"][key]])
        r += 1
        mc = data["member_columns"]
        line([h for h, _ in mc], bold)
        for m in data["members"]:
            line([m[k] for _, k in mc])
        r += 1
        line(["核对项目", "本户数值", "政策标准", "是否达到", "对应规则"], bold)
        for c in data["checks"]:
            line([c["item"], c["value"], c["threshold"], "达到" if c["met"] else "未达到", c["rule"]])
        income = data.get("income")
        r += 1
        ws.write_string(r, 0, "收入核对", title)
        r += 1
        if income is None:
            line(["社保、公积金、财政统发或社保待遇数据尚未交换到，收入未核对（不等于无收入）。"])
        else:
            for text in income["computation"]:
                line([text])
            for rows_key, cols_key in (("months", "month_columns"), ("members", "member_columns"),
                                       ("records", "record_columns")):
                cols = income[cols_key]
                line([h for h, _ in cols], bold)
                for row in income[rows_key]:
                    line([row[k] for _, k in cols])
        for source, title_ in data["source_titles"].items():
            r += 1
            ws.write_string(r, 0, title_, title)
            r += 1
            cols = data["section_columns"][source]
            line([h for h, _ in cols], bold)
            for row in data["sections"][source]:
                line([row[k] for _, k in cols])
        r += 1
        line(["预警编号", "规则", "类别", "严重程度", "状态", "对象", "核查结果", "核查说明", "证据说明", "证据明细"], bold)
        for w in data["warnings"]:
            line([w["warning_id"], w["title"], w["category"], w["severity"], w["status"], w["person_name"],
                  w["outcome"], w["outcome_reason"] if w["outcome"] else None, w["summary"], w["detail"]])
    finally:
        wb.close()
