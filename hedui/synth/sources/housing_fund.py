"""housing_fund — 住房公积金缴存 (snapshot): one row per account.

A job the fund sees has an account on a slightly different base than social insurance's; an account whose job
ended is sealed (封存) or, for a while, still 正常 with its last deposit before the window; some people keep an
old sealed or closed (销户) account of an earlier employer.
"""

from __future__ import annotations

import numpy as np

from hedui.synth import formats, mess
from hedui.synth import income_facts as F
from hedui.synth.sources.base import Ctx, draw_person_mess, stranger_tags, linkable
from hedui.synth.sources.social_insurance import absolute_month
from hedui.synth.writers import Column

COLUMNS = [
    Column("个人账号", ("公积金账号",), True), Column("姓名", (), True), Column("身份证号", ("证件号码",), True),
    Column("单位名称", ()), Column("缴存基数", ("月缴存基数",), True), Column("个人月缴存额", ()),
    Column("账户状态", (), True), Column("最后缴存年月", ("缴至年月",), True),
]
STATUSES = ["正常", "封存", "销户"]
_STATUS = np.array(STATUSES, dtype=object)


def build(ctx: Ctx) -> dict[str, np.ndarray]:
    rng = ctx.rng(23)
    f = F.facts(ctx)
    p = ctx.people
    live = np.flatnonzero(f["seen_hf"])
    end = f["end"][live]
    live_status = np.where(end == 3, 0, np.where(rng.random(len(live)) < 0.7, 1, 0))
    # old accounts of earlier employers: sealed or closed, the last deposit years ago
    age = (ctx.A - p.birth) / 365.2425
    old = np.flatnonzero((age >= 24) & (age < 70) & (rng.random(p.n) < 0.03))
    person = np.r_[live, old]
    n_live, N = len(live), len(live) + len(old)
    month = np.r_[end, -rng.integers(6, 60, len(old))].astype(np.int64)  # month index (may be far before M-4)
    status = np.r_[live_status, np.where(rng.random(len(old)) < 0.7, 1, 2)].astype(np.int8)
    base = np.r_[f["hf_base"][live], np.round(rng.uniform(1500, 4000, len(old))).astype(np.int64) * 100]
    employer = np.r_[f["employer"][live], F.COMPANIES[rng.integers(0, len(F.COMPANIES), len(old))]].astype(object)
    forced = np.r_[f["forced"][live], np.zeros(len(old), bool)]
    protected = (p.stranger_of[person] >= 0) | forced
    t = dict(person=person, month=month, status=status, base=base, employer=employer, sid=np.arange(N),
             live=np.arange(N) < n_live)
    t["id_mess"], t["name_mess"], t["r"] = draw_person_mess(
        ctx, rng, person, protected, mess.BENIGN + (mess.WRONG_DIGIT, mess.SCI))
    t["month_fmt"] = formats.draw_month_formats(rng, N)
    t["amt_fmt"] = formats.draw_amount_formats(rng, N)
    t["deposit_unknown"] = rng.random(N) < 0.03
    t["linkable"] = linkable(ctx, person, t["id_mess"])
    t["tags"] = mess.tags((t["id_mess"], mess.ID_TAGS), (t["name_mess"], mess.NAME_TAGS), stranger_tags(ctx, t["person"]),
                          np.where(status > 0, "sealed_or_closed", "").astype(object))
    return t


def render(ctx: Ctx, t: dict, idx: np.ndarray) -> dict[str, np.ndarray]:
    p = ctx.people
    person = t["person"][idx]
    base = t["base"][idx]
    deposit = np.where(t["deposit_unknown"][idx], formats.NO_AMOUNT, np.round(base * 0.12, -1).astype(np.int64))
    tail = (10**12 + ctx.chunk * 10**9 + t["sid"][idx]).astype(str)
    return {
        "个人账号": np.strings.add("4304", np.strings.slice(tail, 1, None)).astype(object),
        "姓名": mess.render_names(p.name[person], t["name_mess"][idx], t["r"][idx]),
        "身份证号": mess.render_ids(p.id18[person], t["id_mess"][idx], t["r"][idx]),
        "单位名称": t["employer"][idx],
        "缴存基数": formats.render_amounts(base, t["amt_fmt"][idx]),
        "个人月缴存额": formats.render_amounts(deposit, t["amt_fmt"][idx]),
        "账户状态": _STATUS[t["status"][idx]],
        "最后缴存年月": formats.render_months(absolute_month(ctx, t["month"][idx]), t["month_fmt"][idx]),
    }
