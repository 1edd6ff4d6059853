"""households — 救助对象家庭 (snapshot)."""

from __future__ import annotations

import numpy as np

from hedui.synth import formats, geo, mess
from hedui.synth import income_facts as F
from hedui.synth.people import CATEGORIES, STATUSES
from hedui.synth.sources.base import Ctx, linkable, r_ints
from hedui.synth.writers import Column

COLUMNS = [
    Column("家庭编号", ("家庭ID",), True), Column("户主姓名", (), True),
    Column("户主身份证号", ("户主证件号码",), True), Column("保障类别", ("救助类别",), True),
    Column("状态", ("保障状态",), True), Column("区县", (), True), Column("乡镇街道", ("乡镇(街道)",), True),
    Column("村社区", ("村(社区)",)), Column("家庭人口", ("家庭人数",), True), Column("申请日期", (), True),
    Column("纳入日期", ("认定日期",)), Column("月保障金", ()), Column("申报月收入", ("家庭月收入",), True),
    # v2, optional: a v1 delivery without them stays valid
    Column("城乡", ("城乡类别",)), Column("单独登记备案", ("备案",)),
]
V2_COLUMNS = ("城乡", "单独登记备案")
_URBAN_RURAL = np.array(["", "城市", "农村"], dtype=object)
_FILED = np.array(["", "是", "否"], dtype=object)
_CAT = np.array(CATEGORIES, dtype=object)
_STATUS = np.array(STATUSES, dtype=object)
_TOWN = np.array(geo.TOWNSHIPS, dtype=object)
_VILL = np.array(geo.VILLAGES, dtype=object)


def build(ctx: Ctx) -> dict[str, np.ndarray]:
    rng = ctx.rng(1)
    hh, p = ctx.hh, ctx.people
    person = hh.head.astype(np.int64)
    n = len(person)
    id_mess = mess.draw_id_mess(rng, p.id18[person], p.birth[person], mess.BENIGN, ctx.force, scale=0.5)
    name_mess = mess.draw_name_mess(rng, p.name_code[person], ctx.force, p_trad=0.0, p_dot=0.5)
    t = dict(person=person, id_mess=id_mess, name_mess=name_mess, r=r_ints(rng, n),
             date_fmt=formats.draw_date_formats(rng, n), amt_fmt=formats.draw_amount_formats(rng, n),
             status=hh.status.copy(), hpos=np.arange(n))
    t["linkable"] = linkable(ctx, person, id_mess, hh.township, hh.village)  # the head's household's place
    t["tags"] = mess.tags((id_mess, mess.ID_TAGS), (name_mess, mess.NAME_TAGS))
    return t


def render(ctx: Ctx, t: dict, idx: np.ndarray, status: np.ndarray | None = None) -> dict[str, np.ndarray]:
    hh, p = ctx.hh, ctx.people
    h = t["hpos"][idx]
    person = t["person"][idx]
    f = t["date_fmt"][idx]
    st = t["status"][idx] if status is None else status
    facts = F.facts(ctx)
    return {
        "家庭编号": hh.hid[h],
        "户主姓名": mess.render_names(p.name[person], t["name_mess"][idx], t["r"][idx]),
        "户主身份证号": mess.render_ids(p.id18[person], t["id_mess"][idx], t["r"][idx]),
        "保障类别": _CAT[hh.category[h]],
        "状态": _STATUS[st],
        "区县": np.full(len(idx), geo.COUNTY, dtype=object),
        "乡镇街道": _TOWN[hh.township[h]],
        "村社区": _VILL[hh.village[h]],
        "家庭人口": hh.size[h].astype(str).astype(object),
        "申请日期": ctx.dates(hh.applied[h], f),
        "纳入日期": ctx.dates(hh.enrolled[h], f),
        "月保障金": formats.render_amounts(hh.benefit[h], t["amt_fmt"][idx]),
        "申报月收入": formats.render_amounts(hh.income[h], t["amt_fmt"][idx]),
        "城乡": _URBAN_RURAL[facts["urban_rural"][h]],
        "单独登记备案": _FILED[facts["filed"][h]],
    }
