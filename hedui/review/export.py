"""`hedui review export`: the review workbook for the center's linkage staff.

Sheet `待核对关联`, one row per (department record, candidate member), the rows of one item together and banded
alike: the record as the department delivered it beside the candidate as the register holds it (name, ID, birth
date, address or township and village, household), then each comparison's level and weight in bits, as Splink's
waterfall shows them (green bars for evidence for the pair, red against), the total, and what confirming the
candidate would do to the warnings. Items that would raise a warning come first, then those that would change a
warning's evidence, then the rest, oldest first. The reviewer fills in 核对结论 (a drop-down: 同一人 / 不是同一人 /
无法判断), 理由 and 核对人; every other cell is protected, and the hidden last column keys the row for
`hedui review import`. Sheet `说明` says how to fill it in and what the levels mean.

The workbook holds full IDs and names: the reviewer compares ID digits one by one. It is for the center's own
linkage staff, on the center's machines, like the warehouse it comes from (docs/personal-data.md).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import xlsxwriter

from hedui.deliver.workbook import row_height
from hedui.review.items import Item

LIST_SHEET = "待核对关联"
HELP_SHEET = "说明"
DECISION_HEADER = "核对结论"
REASON_HEADER = "理由"
REVIEWER_HEADER = "核对人"
KEY_HEADER = "键（勿改）"
DECISION_WORDS = {"同一人": "same", "不是同一人": "different", "无法判断": "undecided"}
DECISION_LABELS = {code: word for word, code in DECISION_WORDS.items()}

COMPARISONS = (("id", "证件号"), ("name", "姓名"), ("birth", "出生日期"), ("address", "住址"))
LEVEL_WORDS = {
    "id": {"exact": "一致", "id_normalised": "规范化后一致", "one_edit": "差一位", "transposition": "两位互换",
           "two_edits": "差两位", "different": "不同", "missing": "记录无证件号"},
    "name": {"exact_norm": "一致", "homophone": "同音异字", "one_char": "差一字", "similar": "相近",
             "different": "不同"},
    "birth": {"exact": "一致", "one_edit": "差一位", "different": "不同", "missing": "无法比较"},
    "address": {"village": "同村社区", "township": "同乡镇", "different": "不同乡镇", "missing": "地址未识别"},
}
REASON_WORDS = {
    "review_band": "得分在复核线与自动关联线之间",
    "ambiguous": "不能确定是哪一位",
}

# (header, width); the record's columns, the candidate's, the comparisons, the decision. Keep the input headers
# and the key exact: the importer reads them.
COLUMNS: list[tuple[str, int]] = [
    ("核对项", 11), ("影响", 26), ("待核对原因", 16), ("入队日期", 11),
    ("来源", 9), ("记录姓名", 9), ("记录证件号码", 20), ("记录出生日期", 11), ("记录地址", 28), ("记录乡镇", 10),
    ("记录村社区", 10), ("批次与行", 22),
    ("候选", 5), ("成员姓名", 9), ("成员身份证号", 20), ("成员出生日期", 11), ("成员乡镇", 10), ("成员村社区", 10),
    ("家庭编号", 12), ("与户主关系", 7),
    *[(f"{label}{suffix}", 9 if suffix == "比对" else 7) for _, label in COMPARISONS for suffix in ("比对", "权重")],
    ("总分", 7),
    (DECISION_HEADER, 10), (REASON_HEADER, 24), (REVIEWER_HEADER, 9), (KEY_HEADER, 10),
]
HEADERS = [h for h, _ in COLUMNS]
WIDTHS = dict(COLUMNS)
INPUT_HEADERS = (DECISION_HEADER, REASON_HEADER, REVIEWER_HEADER)


def row_key(item: Item, person_id: str, household_id: str) -> str:
    """The hidden key of a row: what a decision is about (source, record fingerprint, candidate)."""
    return "|".join((item.source, item.fingerprint, person_id, household_id))


def _impact_text(impact: list[tuple[str, str]], titles: dict[str, str]) -> str:
    if not impact:
        return "不新增、不改变预警"
    words = {"raise": "新增预警", "change": "改变预警证据"}
    return "；".join(f"{words[kind]} {code}（{titles.get(code, '')}）" for code, kind in impact)


def _reason_text(item: Item) -> str:
    text = REASON_WORDS.get(item.reason or "", item.reason or "")
    if item.reason == "ambiguous" and len(item.candidates) == 1:
        text = "登记中另有同名者（非保障成员），不能排除是其本人"
    elif item.reason == "ambiguous":
        text = f"{len(item.candidates)} 位候选成员得分相近，或证件号为两户共有"
    return text + (f"（相同记录 {item.records} 条）" if item.records > 1 else "")


def order_items(items: list[Item]) -> list[Item]:
    """Items that would raise a warning first, then those that would change one, then the rest; oldest first."""
    return sorted(items, key=lambda i: (i.impact_rank, str(i.first_queued_on), i.source, i.item_id))


def write_review_workbook(items: list[Item], out_dir: Path, *, as_of: dt.date | None, titles: dict[str, str],
                          auto_accept: tuple[float, float] | None = None) -> Path:
    """Write `核对关联_<as-of>.xlsx` into `out_dir` (readable by its owner only), the items in the order given
    (`order_items`); returns its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"核对关联_{as_of.isoformat() if as_of else 'latest'}.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    base = {"font_name": "宋体", "font_size": 10, "valign": "top", "border": 1, "text_wrap": True}
    header = wb.add_format({**base, "bold": True, "bg_color": "#D9E1F2", "align": "center"})
    bands = [wb.add_format({**base, "bg_color": colour}) for colour in ("#FFFFFF", "#F2F2F2")]
    numbers = [wb.add_format({**base, "bg_color": colour, "num_format": "0.0"}) for colour in ("#FFFFFF", "#F2F2F2")]
    inputs = wb.add_format({**base, "locked": False, "bg_color": "#FFF2CC"})
    ws = wb.add_worksheet(LIST_SHEET)
    for col, (title, width) in enumerate(COLUMNS):
        ws.write(0, col, title, header)
        ws.set_column(col, col, width)
    key_col = HEADERS.index(KEY_HEADER)
    ws.set_column(key_col, key_col, 10, None, {"hidden": True})
    ws.freeze_panes(1, 4)
    row = 1
    for band, item in enumerate(items):
        fmt, num = bands[band % 2], numbers[band % 2]
        for index, candidate in enumerate(item.candidates, start=1):
            values: dict[str, object] = {
                "核对项": item.item_id,
                "影响": _impact_text(candidate.impact, titles),
                "待核对原因": _reason_text(item),
                "入队日期": str(item.first_queued_on or ""),
                "来源": item.source,
                "记录姓名": item.name,
                "记录证件号码": item.id_raw,
                "记录出生日期": item.birth,
                "记录地址": item.address,
                "记录乡镇": item.township,
                "记录村社区": item.village,
                "批次与行": f"{item.delivery_id or '?'} {item.file or ''} 第{item.row_number or '?'}行",
                "候选": f"{index}/{len(item.candidates)}",
                "成员姓名": candidate.name,
                "成员身份证号": candidate.person_id,
                "成员出生日期": candidate.birth,
                "成员乡镇": candidate.township,
                "成员村社区": candidate.village,
                "家庭编号": candidate.household_id,
                "与户主关系": candidate.relation,
                "总分": candidate.score,
                DECISION_HEADER: DECISION_LABELS.get(candidate.prior_decision or "", ""),
                KEY_HEADER: row_key(item, candidate.person_id, candidate.household_id),
            }
            for field, label in COMPARISONS:
                level = candidate.levels.get(field)
                values[f"{label}比对"] = LEVEL_WORDS[field].get(level or "", level) if level else None
                values[f"{label}权重"] = candidate.weights.get(field)
            ws.set_row(row, row_height({h: v for h, v in values.items() if isinstance(v, str) and h != KEY_HEADER},
                                       WIDTHS))
            for col, title in enumerate(HEADERS):
                value = values.get(title)
                if title in INPUT_HEADERS:
                    ws.write(row, col, value or "", inputs)
                elif isinstance(value, float):
                    ws.write_number(row, col, value, num)
                else:
                    ws.write_string(row, col, "" if value is None else str(value), fmt)
            row += 1
    last = max(row - 1, 1)
    decision_col = HEADERS.index(DECISION_HEADER)
    ws.data_validation(1, decision_col, last, decision_col, {
        "validate": "list", "source": list(DECISION_WORDS), "ignore_blank": True,
        "error_title": "核对结论", "error_message": "请选择：同一人、不是同一人或无法判断",
    })
    for field, label in COMPARISONS:
        col = HEADERS.index(f"{label}权重")
        ws.conditional_format(1, col, last, col, {
            "type": "data_bar", "bar_color": "#63BE7B", "bar_negative_color": "#F8696B", "bar_solid": True,
            "bar_axis_position": "middle",
        })
    ws.autofilter(0, 0, last, len(HEADERS) - 1)
    ws.protect("", {"autofilter": True, "sort": False, "format_columns": True, "format_rows": True})
    ws.set_landscape()
    ws.set_paper(8)  # A3: a pair and its comparisons on one line
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    ws.set_row(0, 30)
    _write_help(wb, header, items, as_of, auto_accept)
    wb.close()
    os.chmod(path, 0o600)
    return path


def _write_help(wb, header, items: list[Item], as_of, auto_accept: tuple[float, float] | None) -> None:
    ws = wb.add_worksheet(HELP_SHEET)
    ws.set_column(0, 0, 100)
    text = wb.add_format({"font_name": "宋体", "font_size": 10, "text_wrap": True, "valign": "top"})
    waiting = sum(1 for item in items if not item.marked_undecided)
    raise_ = sum(1 for item in items if item.impact_rank == 0)
    change = sum(1 for item in items if item.impact_rank == 1)
    lines = [
        f"核对日期：{as_of or '-'}；待核对 {waiting} 项（候选 {sum(len(i.candidates) for i in items)} 位），"
        f"其中确认后将新增预警 {raise_} 项、改变预警证据 {change} 项，排在最前。",
        "本表含完整身份证号和姓名，仅供中心数据比对人员在中心计算机上使用，不得外传、打印后须收回销毁。",
        "每一行是一条部门记录（左）与一位候选保障成员（右）。同一核对项的各行底色相同。",
        "在“核对结论”选择：同一人（该记录即此成员，此后每晚按此关联，预警证据注明“经人工核对确认”及核对人）；"
        "不是同一人（此后不再提出此成员）；无法判断（继续留在待核对队列，标记为已核对）。"
        "一个核对项最多一位“同一人”。“理由”请写依据（如：电话核实、户籍地址一致），“核对人”写本人姓名或工号。",
        "结论一直有效，直到部门记录的姓名、证件号或地址改变（届时重新提出核对）。",
        "比对与权重：每项比对的一致程度及其权重（比特）。正数（绿）支持是同一人，负数（红）相反，"
        "总分为各项之和" + (
            f"；总分达到 {auto_accept[0]:.1f}，且比其他可能是此人的人（其他候选、未比对的同名成员、其余成员，"
            f"以及记录有证件号时登记中认识的同名非成员，按其有效证件号与记录证件号的差异计）"
            f"合计高出 {auto_accept[1]:.0f} 以上，又无其他疑点时，系统自动关联。" if auto_accept else "。"),
        "证件号：一致 / 规范化后一致 / 差一位 / 两位互换 / 差两位 / 不同 / 记录无证件号。"
        "姓名：一致 / 同音异字 / 差一字 / 相近 / 不同。出生日期：一致 / 差一位 / 不同 / 无法比较。"
        "住址：同村社区 / 同乡镇 / 不同乡镇 / 地址未识别。",
        "填好后导入：hedui review import <本文件> -w <仓库> [--reviewer 姓名]；可重复导入，已导入的不会重复记录。",
    ]
    ws.write(0, 0, "核对关联说明", header)
    for row, line in enumerate(lines, start=1):
        ws.write(row, 0, line, text)
        ws.set_row(row, row_height({"line": line}, {"line": 100}))


def export_review(warehouse: Path, out_dir: Path, policy, *, include_marked: bool = False,
                  impact: bool = True, memory_limit: str | None = None) -> tuple[Path, list[Item]]:
    """The review workbook of the published `warehouse` into `out_dir`: the items read read-only, their impact
    found on a scratch copy (`hedui.review.impact`); returns the file and the items, in the workbook's order."""
    from hedui.review.impact import attach_impact
    from hedui.review.items import review_items
    from hedui.rules.catalog import load_catalog
    from hedui.warehouse import open_readonly
    from matching.settings import POLICY_SECTION, DEFAULTS

    con = open_readonly(warehouse)
    try:
        items = review_items(con, include_marked=include_marked)
        runs = con.execute("select run_id, as_of from ledger.runs order by started_at desc limit 1").fetchall()
        latest_run = runs[0] if runs else None  # the night whose warnings the impact is measured against
    finally:
        con.close()
    catalog = load_catalog()  # read once: its rules find the impact, its titles name them
    if impact:
        attach_impact(warehouse, items, policy, latest_run, catalog, memory_limit)
    titles = {rule.code: rule.title_zh for rule in catalog}
    cfg = policy.section(POLICY_SECTION, DEFAULTS)
    auto = (float(cfg["auto_accept_weight"]), float(cfg["auto_accept_prior_margin"]))
    items = order_items(items)
    as_of = latest_run[1] if latest_run else None
    return write_review_workbook(items, out_dir, as_of=as_of, titles=titles, auto_accept=auto), items
