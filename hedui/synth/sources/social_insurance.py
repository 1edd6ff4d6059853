"""social_insurance — 社会保险缴费 (events, one delivery per contribution month).

A job leaves one counted pension record per month (企业职工基本养老保险, or 机关事业单位养老保险 for a public
employer, 参保身份 单位职工) and sometimes a medical or unemployment record beside it on the same base; flexible
workers (灵活就业人员) and residents (城乡居民) contribute on a base they chose. A few records are refunded later
(退费: negative base, 原缴费流水号 names the record). Delivery `dk` 0 is the newest (month M-1), 3 the oldest
(M-4, outside the window); -1 is a delivery dated after the as-of date (month M).
"""

from __future__ import annotations

import numpy as np

from hedui.synth import formats, mess
from hedui.synth import income_facts as F
from hedui.synth.sources.base import Ctx, draw_person_mess, stranger_tags, linkable
from hedui.synth.writers import Column

COLUMNS = [
    Column("缴费流水号", ("缴费ID",), True), Column("姓名", (), True),
    Column("身份证号", ("公民身份号码", "社会保障号码"), True), Column("险种", ("险种类型",), True),
    Column("参保身份", ("缴费人员类别",), True), Column("单位名称", ()), Column("费款所属期", ("所属期",), True),
    Column("缴费基数", ("缴费工资",), True), Column("缴费状态", ()), Column("原缴费流水号", ()),
]
TYPES = ["企业职工基本养老保险", "机关事业单位养老保险", "城乡居民基本养老保险", "失业保险", "工伤保险", "职工基本医疗保险"]
COUNTED_TYPES = (0, 1)
PARTICIPANTS = ["单位职工", "灵活就业人员", "城乡居民"]
_TYPE = np.array(TYPES, dtype=object)
_PART = np.array(PARTICIPANTS, dtype=object)
_STATUS = np.array(["正常", "退费"], dtype=object)


def build(ctx: Ctx) -> dict[str, np.ndarray]:
    rng = ctx.rng(21)
    f = F.facts(ctx)
    si = np.flatnonzero(f["seen_si"])
    pr, mo = np.nonzero(F.months_active(f["start"][si], f["end"][si]))
    fut = si[f["end"][si] == 3]
    job_person = np.r_[si[pr], fut]
    job_month = np.r_[mo, np.full(len(fut), 4)]
    k = len(job_person)
    side = rng.random(k)
    # the same job's medical (18 %) or unemployment (7 %) record, on the same base, not counted
    extra = np.flatnonzero(side < 0.25)
    fl = np.flatnonzero(f["flexible"])
    res = np.flatnonzero(f["resident_ins"])
    person = np.r_[job_person, job_person[extra], np.repeat(fl, 5), res]
    month = np.r_[job_month, job_month[extra], np.tile(np.arange(5), len(fl)), f["resident_month"][res]]
    itype = np.r_[np.where(f["public"][job_person], 1, 0), np.where(side[extra] < 0.18, 5, 3),
                  np.zeros(5 * len(fl), np.int64), np.full(len(res), 2)].astype(np.int8)
    ptype = np.r_[np.zeros(k + len(extra), np.int8), np.ones(5 * len(fl), np.int8), np.full(len(res), 2, np.int8)]
    base = np.r_[f["si_base"][job_person], f["si_base"][job_person[extra]], np.repeat(f["flexible_base"][fl], 5),
                 f["resident_base"][res]].astype(np.int64)
    employer = np.where(ptype == 0, f["employer"][person], "").astype(object)
    n0 = len(person)
    forced = f["forced"][person]
    # refunds: a counted record of M-4 .. M-2 cancelled in the next month's delivery
    refundable = np.isin(itype, COUNTED_TYPES) & (ptype == 0) & (month <= 2)
    ref_of = np.flatnonzero(refundable & (rng.random(n0) < 0.015) & ~forced)
    if ctx.force and not len(ref_of):
        ref_of = np.flatnonzero(refundable & ~forced)[:1]
    nr = len(ref_of)
    cat = lambda a, b: np.r_[a, b]  # noqa: E731
    t = dict(person=cat(person, person[ref_of]), month=cat(month, month[ref_of]), itype=cat(itype, itype[ref_of]),
             ptype=cat(ptype, ptype[ref_of]), base=cat(base, -base[ref_of]),
             employer=cat(employer, employer[ref_of]), status=cat(np.zeros(n0, np.int8), np.ones(nr, np.int8)),
             orig=cat(np.full(n0, -1), ref_of))
    N = n0 + nr
    t["sid"] = np.arange(N)
    dk = np.where(t["month"] == 4, -1, 3 - t["month"])
    dk[n0:] = dk[ref_of] - 1
    t["dk"] = dk
    refunded = np.zeros(N, bool)
    refunded[ref_of] = True
    t["refunded"] = refunded
    forced_all = cat(forced, forced[ref_of])
    protected = (ctx.people.stranger_of[t["person"]] >= 0) | refunded | (t["orig"] >= 0) | forced_all
    t["id_mess"], t["name_mess"], t["r"] = draw_person_mess(
        ctx, rng, t["person"], protected, mess.BENIGN + (mess.WRONG_DIGIT, mess.SCI))
    # damaged rows: the contribution month left empty (a required value: the row is quarantined)
    damaged = (rng.random(N) < 0.002) & ~protected
    if ctx.force and not damaged.any() and (~protected).any():
        damaged[np.flatnonzero(~protected)[0]] = True
    t["damaged"] = damaged
    t["month_fmt"] = formats.draw_month_formats(rng, N)
    t["amt_fmt"] = formats.draw_amount_formats(rng, N)
    t["status_empty"] = (rng.random(N) < 0.4) & (t["status"] == 0)  # empty means 正常
    t["linkable"] = linkable(ctx, t["person"], t["id_mess"]) & ~damaged
    t["tags"] = mess.tags((t["id_mess"], mess.ID_TAGS), (t["name_mess"], mess.NAME_TAGS), stranger_tags(ctx, t["person"]),
                          np.where(t["orig"] >= 0, "refund", "").astype(object),
                          np.where(damaged, "missing_required", "").astype(object))
    return t


def contribution_ids(ctx: Ctx, t: dict, idx: np.ndarray) -> np.ndarray:
    """`SB<chunk:3><sequence:9>`: unique in the city."""
    tail = (10**12 + ctx.chunk * 10**9 + t["sid"][idx]).astype(str)
    return np.strings.add("SB", np.strings.slice(tail, 1, None)).astype(object)


def absolute_month(ctx: Ctx, month_index: np.ndarray) -> np.ndarray:
    """Month index 0..4 (M-4 .. M) -> absolute month number."""
    M = ctx.as_of.year * 12 + ctx.as_of.month - 1
    return M - F.N_MONTHS + month_index.astype(np.int64)


def render(ctx: Ctx, t: dict, idx: np.ndarray) -> dict[str, np.ndarray]:
    p = ctx.people
    person = t["person"][idx]
    orig = t["orig"][idx]
    orig_id = np.full(len(idx), "", dtype=object)
    has = np.flatnonzero(orig >= 0)
    if len(has):
        orig_id[has] = contribution_ids(ctx, t, orig[has])
    months = np.where(t["damaged"][idx], formats.NO_MONTH, absolute_month(ctx, t["month"][idx]))
    return {
        "缴费流水号": contribution_ids(ctx, t, idx),
        "姓名": mess.render_names(p.name[person], t["name_mess"][idx], t["r"][idx]),
        "身份证号": mess.render_ids(p.id18[person], t["id_mess"][idx], t["r"][idx]),
        "险种": _TYPE[t["itype"][idx]],
        "参保身份": _PART[t["ptype"][idx]],
        "单位名称": t["employer"][idx],
        "费款所属期": formats.render_months(months, t["month_fmt"][idx]),
        "缴费基数": formats.render_amounts(t["base"][idx], t["amt_fmt"][idx]),
        "缴费状态": np.where(t["status_empty"][idx], "", _STATUS[t["status"][idx]]).astype(object),
        "原缴费流水号": orig_id,
    }
