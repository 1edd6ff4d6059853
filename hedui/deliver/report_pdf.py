"""PDF version of the household report (reportlab), for the household's file.

Three things make it a document that prints and files well:
- it embeds its font (`report_font`: a subset of a TrueType CJK font), so it reads the same on any viewer;
- every table may run over pages: rows split between pages (the header row repeated), and a row taller than a
  page splits inside its cells. A warning's evidence is one row per department record, not one cell: a
  household's medical warning can cite a hundred settlements, which no single cell can hold;
- every page carries the household number and "第 N 页 / 共 M 页", so a loose page finds its file again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as pdfcanvas
from reportlab.platypus import CondPageBreak, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from hedui.deliver.evidence import detail_lines
from hedui.deliver.report import fmt
from hedui.deliver.report_font import register_report_font

PAGE = landscape(A4)
MARGIN = 12 * mm
HEADER_BAND = 8 * mm  # above the frame: the household number; below it: the page number
ORGANISATION = "居民家庭经济状况核对中心"


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=font, bulletFontName=font, fontSize=9, leading=12, wordWrap="CJK")
    return {
        "base": base,
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.5, leading=9.5),
        "h1": ParagraphStyle("h1", parent=base, fontSize=16, leading=22, alignment=1, spaceAfter=4),
        "h2": ParagraphStyle("h2", parent=base, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4),
        "h3": ParagraphStyle("h3", parent=base, fontSize=10, leading=14, spaceBefore=6, spaceAfter=2),
        "sub": ParagraphStyle("sub", parent=base, alignment=1, textColor=colors.HexColor("#444444")),
    }


class _NumberedCanvas(pdfcanvas.Canvas):
    """Draws "第 N 页 / 共 M 页" and the household number on every page once the page count is known: pages are
    kept until the document is saved, then each is drawn with the total."""

    font = "Helvetica"
    running_head = ""

    def __init__(self, *args, **kwargs):
        # else every page starts in Helvetica, a font the PDF would name without embedding it
        kwargs["initialFontName"] = kwargs.get("initialFontName") or self.font
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self):  # noqa: N802 (reportlab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._decorate(number, total)
            super().showPage()
        super().save()

    def _decorate(self, number: int, total: int) -> None:
        width, height = self._pagesize
        self.saveState()
        self.setFont(self.font, 8)
        self.setFillColor(colors.HexColor("#444444"))
        self.drawString(MARGIN, height - MARGIN + 2 * mm, self.running_head)
        self.drawRightString(width - MARGIN, height - MARGIN + 2 * mm, ORGANISATION)
        self.drawCentredString(width / 2, MARGIN - 5 * mm, f"第 {number} 页 / 共 {total} 页")
        self.drawRightString(width - MARGIN, MARGIN - 5 * mm, self.running_head.split("｜")[0].strip())
        self.restoreState()


def _canvas_class(font: str, running_head: str) -> type[_NumberedCanvas]:
    return type("ReportCanvas", (_NumberedCanvas,), {"font": font, "running_head": running_head})


class _Builder:
    def __init__(self, font: str, width: float) -> None:
        self.s = _styles(font)
        self.width = width

    def p(self, text: Any, style: str = "cell") -> Paragraph:
        return Paragraph(escape(fmt(text)).replace("\n", "<br/>"), self.s[style])

    def table(self, header: list[str] | None, rows: list[list[Any]], col_widths: list[float] | None = None,
              shade_last: bool = False, label_column: bool = False) -> Table:
        """A table whose rows split across pages (header repeated) and whose tall rows split inside cells."""
        n = len(header) if header else len(rows[0])
        widths = col_widths or [self.width / n] * n
        data = ([[self.p(h) for h in header]] if header else []) + [[self.p(v) for v in r] for r in rows]
        t = Table(data, colWidths=widths, repeatRows=1 if header else 0, splitByRow=1, splitInRow=1)
        style = [("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                 ("FONTNAME", (0, 0), (-1, -1), self.s["base"].fontName)]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8EEF6")))
        if label_column:
            style.append(("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#F3F3F3")))
        if shade_last:
            style.append(("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#F3F3F3")))
        t.setStyle(TableStyle(style))
        return t


def evidence_rows(detail: str | None) -> list[tuple[str, str]]:
    """The evidence detail as (label, text) rows: one per department record, then the standards applied."""
    rows = []
    for number, line in enumerate(detail_lines(detail), start=1):
        if line.startswith("【适用标准】"):
            rows.append(("适用标准", line.removeprefix("【适用标准】")))
        else:
            rows.append((f"记录 {number}", line))
    return rows


def _warning_facts(w: dict[str, Any]) -> list[list[Any]]:
    facts = [
        ["预警编号", w["warning_id"], "规则", f"{w['title']}（{w['rule_code']}）"],
        ["类别", w["category"], "严重程度", w["severity"]],
        ["状态", w["status"], "对象", f"{fmt(w['person_name']) or '全户'} {fmt(w['person_id'])}".strip()],
        ["首次预警", w["first_raised_on"], "最近确认", w["last_seen_on"]],
        ["核查截止", w["due_on"], "已消除于", w["resolved_on"]],
    ]
    if w.get("outcome"):
        facts.append(["核查结果", w["outcome"], "核查日期", w["outcome_on"]])
        facts.append(["核查说明", w["outcome_reason"] or "（未填写）", "核查人", w["outcome_by"]])
    return facts


def write_pdf(data: dict[str, Any], path: Path) -> None:
    """Write the report of `data` (see `household_report_data`) to `path`; raises ReportFontMissing without a
    font to embed."""
    font = register_report_font()
    hh = data["household"]
    running_head = f"家庭编号 {hh['household_id']} ｜ 居民家庭经济状况核对报告 ｜ 核对截止日期 {fmt(data['as_of'])}"
    doc = SimpleDocTemplate(str(path), pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN + HEADER_BAND / 2, bottomMargin=MARGIN + HEADER_BAND / 2,
                            title=f"核对报告 {hh['household_id']}", author=ORGANISATION)
    width = PAGE[0] - 2 * MARGIN
    b = _Builder(font, width)
    story: list[Any] = [
        Paragraph("居民家庭经济状况核对报告", b.s["h1"]),
        b.p(f"家庭编号 {hh['household_id']} ｜ 核对截止日期 {fmt(data['as_of'])} ｜ 生成时间 {fmt(data['generated_at'])}"
            f" ｜ 证件号" + ("完整显示（仅限经办人）" if data["show_full_ids"] else "已脱敏"), "sub"),
        Paragraph("一、家庭基本情况", b.s["h2"]),
    ]
    fields = data["household_fields"]
    pairs = [fields[i:i + 3] for i in range(0, len(fields), 3)]
    rows = [[x for label, key in chunk for x in (label, hh[key])] + [""] * (6 - 2 * len(chunk)) for chunk in pairs]
    story.append(b.table(["项目", "内容"] * 3, rows))

    story.append(Paragraph(f"二、家庭成员（{len(data['members'])} 人）", b.s["h2"]))
    mc = data["member_columns"]
    story.append(b.table([h for h, _ in mc], [[m[k] for _, k in mc] for m in data["members"]]))

    story.append(Paragraph("三、核对结果与政策标准", b.s["h2"]))
    story.append(b.table(["核对项目", "本户数值", "政策标准", "是否达到", "对应规则"],
                         [[c["item"], c["value"], c["threshold"], "达到" if c["met"] else "未达到", c["rule"]]
                          for c in data["checks"]],
                         [0.25 * width, 0.12 * width, 0.35 * width, 0.1 * width, 0.18 * width]))
    t = data["totals"]
    story.append(b.p(
        f"医疗统计区间：{fmt(data['window_start'])} 至 {fmt(data['as_of'])}（含两端），共 {t['settlements']} 笔结算，"
        f"医疗总费用合计 {fmt(t['medical_total_cost'])} 元，个人自付合计 {fmt(t['medical_out_of_pocket'])} 元（冲销已抵扣）。",
        "base"))

    story.append(Paragraph("四、收入核对", b.s["h2"]))
    income = data.get("income")
    if income is None:
        story.append(b.p("社保、公积金、财政统发或社保待遇数据尚未交换到，收入未核对（不等于无收入）。", "base"))
    else:
        for text in income["computation"]:
            story.append(b.p(text, "base"))
        for title, rows_key, cols_key in ((f"1. 逐月逐人（统计期 {income['window']}，只列计入的金额）", "months",
                                           "month_columns"), ("2. 逐人", "members", "member_columns"),
                                          ("3. 逐条记录（计入与不计入及原因）", "records", "record_columns")):
            story.append(CondPageBreak(30 * mm))
            story.append(b.p(title, "h3"))
            cols = income[cols_key]
            if income[rows_key]:
                story.append(b.table([h for h, _ in cols], [[r[k] for _, k in cols] for r in income[rows_key]]))
            else:
                story.append(b.p("未比对到收入记录。", "base"))
    story.append(b.p("廉政核查预警（财政供养人员、经办人员及其近亲属）由区县民政部门复核（县级复核名单），不发乡镇（街道）清单。",
                     "base"))

    story.append(PageBreak())
    story.append(Paragraph("五、各部门比对数据", b.s["h2"]))
    for i, (source, title) in enumerate(data["source_titles"].items(), start=1):
        rows_src = data["sections"][source]
        story.append(CondPageBreak(30 * mm))
        story.append(b.p(f"{i}. {title}（{len(rows_src)} 条）", "h3"))
        if not rows_src:
            story.append(b.p("未比对到记录。", "base"))
            continue
        cols = data["section_columns"][source]
        body = [[r[k] for _, k in cols] for r in rows_src]
        if source == "medical":
            keys = [k for _, k in cols]
            total_row: list[Any] = [""] * len(cols)
            total_row[0] = "合计（冲销已抵扣）"
            total_row[keys.index("total_cost")] = t["medical_total_cost"]
            total_row[keys.index("out_of_pocket")] = t["medical_out_of_pocket"]
            body.append(total_row)
        story.append(b.table([h for h, _ in cols], body, shade_last=source == "medical"))

    story.append(PageBreak())
    story.append(Paragraph(f"六、预警及证据（{len(data['warnings'])} 条）", b.s["h2"]))
    label_widths = [0.1 * width, 0.4 * width, 0.1 * width, 0.4 * width]
    for w in data["warnings"]:
        story.append(CondPageBreak(45 * mm))
        story.append(b.p(f"预警 {w['warning_id']}：{w['title']}", "h3"))
        story.append(b.table(None, _warning_facts(w), label_widths, label_column=True))
        story.append(Spacer(1, 1.5 * mm))
        story.append(b.p(f"证据说明：{fmt(w['summary'])}", "base"))
        story.append(Spacer(1, 1.5 * mm))
        evidence = evidence_rows(w["detail"])
        if evidence:
            story.append(b.table(["证据", "内容"], [list(r) for r in evidence], [0.1 * width, 0.9 * width]))
        story.append(Spacer(1, 4 * mm))
    if not data["warnings"]:
        story.append(b.p("本户无预警。", "base"))
    story.append(Spacer(1, 10 * mm))
    story.append(b.p("核查人（签字）：__________　　复核人（签字）：__________　　日期：__________", "base"))
    story.append(b.p("本报告依据各部门交换数据自动生成，仅供入户核查参考；记录以部门原始登记为准。", "base"))
    doc.build(story, canvasmaker=_canvas_class(font, running_head))
