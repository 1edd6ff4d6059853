"""benefits — 社会保险待遇发放 (events, one delivery per benefit month, like social_insurance).

Pensioners are paid every month (基本养老金, or the small 城乡居民养老金 most rural elderly get); a few people
draw unemployment, work-injury or survivors' benefits for some months; one-off payments (丧葬补助金,
一次性抚恤金) are exempt from income. A payment the bank returned (已退回) was never received.
"""

from __future__ import annotations

import numpy as np

from hedui.synth import formats, mess
from hedui.synth import income_facts as F
from hedui.synth.sources.base import Ctx, draw_person_mess, stranger_tags, linkable
from hedui.synth.sources.social_insurance import absolute_month
from hedui.synth.writers import Column

COLUMNS = [
    Column("发放流水号", (), True), Column("姓名", (), True), Column("身份证号", ("公民身份号码",), True),
    Column("待遇类型", ("待遇项目",), True), Column("待遇所属期", ("发放年月",), True),
    Column("发放金额", ("实发金额",), True), Column("发放状态", (), True),
]
TYPES = ["基本养老金", "城乡居民养老金", "失业保险金", "工伤保险长期待遇", "遗属待遇", "丧葬补助金", "一次性抚恤金"]
EXEMPT_TYPES = (5, 6)
_TYPE = np.array(TYPES, dtype=object)
_STATUS = np.array(["已发放", "已退回"], dtype=object)


def build(ctx: Ctx) -> dict[str, np.ndarray]:
    rng = ctx.rng(22)
    f = F.facts(ctx)
    pens = np.flatnonzero(f["pension"] > 0)
    oth = np.flatnonzero(f["other"] > 0)
    op, om = np.nonzero(F.months_active(f["other_start"][oth],
                                        np.minimum(f["other_end"][oth], 3)))
    person = np.r_[np.repeat(pens, 5), oth[op]]
    month = np.r_[np.tile(np.arange(5), len(pens)), om]
    btype = np.r_[np.repeat(f["pension"][pens] - 1, 5), f["other"][oth[op]] - 1].astype(np.int8)
    amount = np.r_[np.repeat(f["pension_amt"][pens], 5), f["other_amt"][oth[op]]].astype(np.int64)
    N = len(person)
    forced = f["forced"][person]
    returned = (rng.random(N) < 0.01) & ~forced
    if ctx.force and not returned.any() and N:
        returned[np.flatnonzero(~forced)[:1]] = True
    protected = (ctx.people.stranger_of[person] >= 0) | forced
    t = dict(person=person, month=month, btype=btype, amount=amount, status=returned.astype(np.int8),
             sid=np.arange(N), dk=np.where(month == 4, -1, 3 - month))
    t["id_mess"], t["name_mess"], t["r"] = draw_person_mess(
        ctx, rng, person, protected, mess.BENIGN + (mess.WRONG_DIGIT, mess.SCI))
    damaged = (rng.random(N) < 0.002) & ~protected
    if ctx.force and not damaged.any() and (~protected).any():
        damaged[np.flatnonzero(~protected)[0]] = True
    t["damaged"] = damaged
    t["month_fmt"] = formats.draw_month_formats(rng, N)
    t["amt_fmt"] = formats.draw_amount_formats(rng, N)
    t["linkable"] = linkable(ctx, person, t["id_mess"]) & ~damaged
    t["tags"] = mess.tags((t["id_mess"], mess.ID_TAGS), (t["name_mess"], mess.NAME_TAGS), stranger_tags(ctx, t["person"]),
                          np.where(returned, "returned_payment", "").astype(object),
                          np.where(np.isin(btype, EXEMPT_TYPES), "exempt_payment", "").astype(object),
                          np.where(damaged, "missing_required", "").astype(object))
    return t


def payment_ids(ctx: Ctx, t: dict, idx: np.ndarray) -> np.ndarray:
    """`DY<chunk:3><sequence:9>`: unique in the city."""
    tail = (10**12 + ctx.chunk * 10**9 + t["sid"][idx]).astype(str)
    return np.strings.add("DY", np.strings.slice(tail, 1, None)).astype(object)


def render(ctx: Ctx, t: dict, idx: np.ndarray) -> dict[str, np.ndarray]:
    p = ctx.people
    person = t["person"][idx]
    months = np.where(t["damaged"][idx], formats.NO_MONTH, absolute_month(ctx, t["month"][idx]))
    return {
        "发放流水号": payment_ids(ctx, t, idx),
        "姓名": mess.render_names(p.name[person], t["name_mess"][idx], t["r"][idx]),
        "身份证号": mess.render_ids(p.id18[person], t["id_mess"][idx], t["r"][idx]),
        "待遇类型": _TYPE[t["btype"][idx]],
        "待遇所属期": formats.render_months(months, t["month_fmt"][idx]),
        "发放金额": formats.render_amounts(t["amount"][idx], t["amt_fmt"][idx]),
        "发放状态": _STATUS[t["status"][idx]],
    }
