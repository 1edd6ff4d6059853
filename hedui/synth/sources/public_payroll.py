"""public_payroll — 财政供养人员工资统发 (snapshot, a spreadsheet): one row per person and unit, the latest payroll.

Public employees (在职在编, 编外聘用) of the jobs the payroll sees, and retired civil servants (离退休). Someone
who left before the window still has their last row, with a 统发年月 before the window.
"""

from __future__ import annotations

import numpy as np

from hedui.synth import formats, mess
from hedui.synth import income_facts as F
from hedui.synth.sources.base import Ctx, draw_person_mess, stranger_tags, linkable
from hedui.synth.sources.social_insurance import absolute_month
from hedui.synth.writers import Column

COLUMNS = [
    Column("姓名", (), True), Column("身份证号", ("公民身份号码",), True), Column("单位名称", (), True),
    Column("人员类别", (), True), Column("应发工资", ("月应发工资",), True), Column("统发年月", ("工资年月",), True),
]
XLSX = True
_CAT = np.array(F.PAYROLL_CATEGORIES, dtype=object)


def build(ctx: Ctx) -> dict[str, np.ndarray]:
    rng = ctx.rng(24)
    f = F.facts(ctx)
    p = ctx.people
    pub = np.flatnonzero(f["seen_pp"])
    ret = np.flatnonzero(f["retired_public"])
    person = np.r_[pub, ret]
    N = len(person)
    month = np.r_[f["end"][pub], np.full(len(ret), 3)]
    cat = np.r_[f["pp_cat"][pub], np.full(len(ret), 2)].astype(np.int8)
    gross = np.r_[f["pp_gross"][pub], f["retired_gross"][ret]].astype(np.int64)
    employer = np.r_[f["employer"][pub], F.PUBLIC_UNITS[rng.integers(0, len(F.PUBLIC_UNITS), len(ret))]]
    forced = f["forced"][person]
    protected = (p.stranger_of[person] >= 0) | forced
    t = dict(person=person, month=month, cat=cat, gross=gross, employer=employer.astype(object))
    t["id_mess"], t["name_mess"], t["r"] = draw_person_mess(
        ctx, rng, person, protected, mess.BENIGN + (mess.WRONG_DIGIT, mess.SCI))
    t["month_fmt"] = formats.draw_month_formats(rng, N, xlsx=True)
    t["day"] = rng.integers(1, 29, N)
    t["amt_fmt"] = formats.draw_amount_formats(rng, N)
    t["linkable"] = linkable(ctx, person, t["id_mess"])
    t["tags"] = mess.tags((t["id_mess"], mess.ID_TAGS), (t["name_mess"], mess.NAME_TAGS), stranger_tags(ctx, t["person"]))
    return t


def render(ctx: Ctx, t: dict, idx: np.ndarray) -> dict[str, np.ndarray]:
    p = ctx.people
    person = t["person"][idx]
    return {
        "姓名": mess.render_names(p.name[person], t["name_mess"][idx], t["r"][idx]),
        "身份证号": mess.render_ids(p.id18[person], t["id_mess"][idx], t["r"][idx]),
        "单位名称": t["employer"][idx],
        "人员类别": _CAT[t["cat"][idx]],
        "应发工资": formats.render_amounts(t["gross"][idx], t["amt_fmt"][idx]),
        "统发年月": formats.render_months(absolute_month(ctx, t["month"][idx]), t["month_fmt"][idx],
                                       t["day"][idx]),
    }
