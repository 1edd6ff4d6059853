"""PDF version of the household report: reportlab with its built-in CID font STSong-Light, so Chinese renders
with no system font installed (the PDF viewer supplies the glyphs of the standard Adobe-GB1 font)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from hedui.deliver.report import fmt

FONT = "STSong-Light"
if FONT not in pdfmetrics.getRegisteredFontNames():
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))

_base = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=12, wordWrap="CJK")
_cell = ParagraphStyle("cell", parent=_base, fontSize=7.5, leading=9.5)
_h1 = ParagraphStyle("h1", parent=_base, fontSize=16, leading=22, alignment=1, spaceAfter=4)
_h2 = ParagraphStyle("h2", parent=_base, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4)
_h3 = ParagraphStyle("h3", parent=_base, fontSize=10, leading=14, spaceBefore=6, spaceAfter=2)
_sub = ParagraphStyle("sub", parent=_base, alignment=1, textColor=colors.HexColor("#444444"))


def _p(text: Any, style: ParagraphStyle = _cell) -> Paragraph:
    return Paragraph(escape(fmt(text)).replace("\n", "<br/>"), style)


def _table(header: list[str], rows: list[list[Any]], width: float, bold_last: bool = False) -> Table:
    data = [[_p(h) for h in header]] + [[_p(v) for v in r] for r in rows]
    t = Table(data, colWidths=[width / len(header)] * len(header), repeatRows=1)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8EEF6")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if bold_last:
        style.append(("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#F3F3F3")))
    t.setStyle(TableStyle(style))
    return t


def write_pdf(data: dict[str, Any], path: Path) -> None:
    page = landscape(A4)
    doc = SimpleDocTemplate(str(path), pagesize=page, leftMargin=12 * mm, rightMargin=12 * mm, topMargin=12 * mm,
                            bottomMargin=12 * mm, title=f"核对报告 {data['household']['household_id']}",
                            author="居民家庭经济状况核对中心")
    width = page[0] - 24 * mm
    hh = data["household"]
    story: list[Any] = [
        Paragraph("居民家庭经济状况核对报告", _h1),
        Paragraph(escape(f"家庭编号 {hh['household_id']} ｜ 核对截止日期 {fmt(data['as_of'])} ｜ 生成时间 "
                         f"{fmt(data['generated_at'])} ｜ 证件号"
                         + ("完整显示（仅限经办人）" if data["show_full_ids"] else "已脱敏")), _sub),
        Paragraph("一、家庭基本情况", _h2),
    ]
    fields = data["household_fields"]
    pairs = [fields[i:i + 3] for i in range(0, len(fields), 3)]
    rows = [[x for label, key in chunk for x in (label, hh[key])] + [""] * (6 - 2 * len(chunk)) for chunk in pairs]
    story.append(_table(["项目", "内容"] * 3, rows, width))

    story.append(Paragraph(f"二、家庭成员（{len(data['members'])} 人）", _h2))
    mc = data["member_columns"]
    story.append(_table([h for h, _ in mc], [[m[k] for _, k in mc] for m in data["members"]], width))

    story.append(Paragraph("三、核对结果与政策标准", _h2))
    story.append(_table(["核对项目", "本户数值", "政策标准", "是否达到", "对应规则"],
                        [[c["item"], c["value"], c["threshold"], "达到" if c["met"] else "未达到", c["rule"]]
                         for c in data["checks"]], width))
    t = data["totals"]
    story.append(Paragraph(escape(
        f"医疗统计区间：{fmt(data['window_start'])} 至 {fmt(data['as_of'])}（含两端），共 {t['settlements']} 笔结算，"
        f"医疗总费用合计 {fmt(t['medical_total_cost'])} 元，个人自付合计 {fmt(t['medical_out_of_pocket'])} 元（冲销已抵扣）。"),
        _base))

    story.append(PageBreak())
    story.append(Paragraph("四、各部门比对数据", _h2))
    for i, (source, title) in enumerate(data["source_titles"].items(), start=1):
        rows_src = data["sections"][source]
        story.append(Paragraph(escape(f"{i}. {title}（{len(rows_src)} 条）"), _h3))
        if not rows_src:
            story.append(Paragraph("未比对到记录。", _base))
            continue
        cols = data["section_columns"][source]
        body = [[r[k] for _, k in cols] for r in rows_src]
        if source == "medical":
            total_row = [""] * len(cols)
            total_row[0] = "合计（冲销已抵扣）"
            total_row[[k for _, k in cols].index("total_cost")] = t["medical_total_cost"]
            total_row[[k for _, k in cols].index("out_of_pocket")] = t["medical_out_of_pocket"]
            body.append(total_row)
        story.append(_table([h for h, _ in cols], body, width, bold_last=source == "medical"))

    story.append(PageBreak())
    story.append(Paragraph(f"五、预警及证据（{len(data['warnings'])} 条）", _h2))
    for w in data["warnings"]:
        head = (f"{w['warning_id']} ｜ {w['title']}（{w['rule_code']}） ｜ {w['category']} ｜ 严重程度 {w['severity']}"
                f" ｜ 状态 {w['status']} ｜ 对象 {fmt(w['person_name']) or '全户'} {fmt(w['person_id'])}"
                f" ｜ 首次预警 {fmt(w['first_raised_on'])} ｜ 核查截止 {fmt(w['due_on'])}")
        if w["resolved_on"]:
            head += f" ｜ 关闭于 {fmt(w['resolved_on'])}（{fmt(w['closed_reason'])}）"
        story.append(_table(["预警", "证据说明", "证据明细"], [[head, w["summary"], w["detail"]]], width))
        story.append(Spacer(1, 3 * mm))
    if not data["warnings"]:
        story.append(Paragraph("本户无预警。", _base))
    story.append(Spacer(1, 10 * mm))
    story.append(Paragraph("核查人（签字）：__________　　复核人（签字）：__________　　日期：__________", _base))
    story.append(Paragraph("本报告依据各部门交换数据自动生成，仅供入户核查参考；记录以部门原始登记为准。", _base))
    doc.build(story)
