"""housing — 不动产登记 (snapshot). One row per owner; co-owners share the unit number."""

from __future__ import annotations

import datetime as dt

import numpy as np

from hedui.synth import formats, geo, mess
from hedui.synth.sources.base import Ctx, linkable, r_ints
from hedui.synth.writers import Column

COLUMNS = [
    Column("不动产单元号", ("单元号",), True), Column("权利人", ("权利人名称", "产权人"), True),
    Column("证件号码", ("权利人证件号", "身份证号")), Column("共有方式", ()), Column("坐落", ("房屋坐落",), True),
    Column("规划用途", ("用途",), True), Column("建筑面积", ()), Column("登记日期", ("登簿日期",), True),
    Column("权属状态", ("状态",), True),
]
USES = ["住宅", "商业", "办公", "工业", "车库车位", "其他"]
_USE = np.array(USES, dtype=object)
_CO = np.array(["单独所有", "共同共有", "按份共有"], dtype=object)
_STATUS = np.array(["现势", "注销"], dtype=object)
Y2000 = dt.date(2000, 1, 1).toordinal()
OLD_REG = dt.date(1998, 4, 2).toordinal()


def build(ctx: Ctx) -> dict[str, np.ndarray]:
    rng = ctx.rng(3)
    p, hh = ctx.people, ctx.hh
    n, m = p.n, p.n_members
    is_head = np.zeros(n, bool)
    is_head[hh.head] = True
    stranger = p.stranger_of >= 0
    cnt = np.where(np.arange(n) < m,
                   np.where(is_head, rng.choice(3, n, p=[0.6, 0.37, 0.03]), rng.choice(2, n, p=[0.96, 0.04])),
                   np.where(stranger, rng.choice(3, n, p=[0.2, 0.6, 0.2]), rng.choice(4, n, p=[0.58, 0.32, 0.08, 0.02])))
    owner = np.repeat(np.arange(n), cnt)
    u = len(owner)
    member = owner < m
    use = np.where(member, rng.choice(6, u, p=[0.9, 0.01, 0.003, 0.002, 0.05, 0.035]),
                   rng.choice(6, u, p=[0.8, 0.05, 0.02, 0.01, 0.08, 0.04]))
    first_unit = np.r_[True, owner[1:] != owner[:-1]] if u else np.zeros(0, bool)
    use = np.where(first_unit & (rng.random(u) < 0.8), 0, use)
    status = (rng.random(u) < 0.1).astype(np.int8)
    reg = ctx.A - 41 - rng.integers(0, int(34 * 365.25), u)
    # forced cases in the first chunk
    forced_owner, forced_use, forced_reg, forced_noid = [], [], [], []
    if ctx.force:
        active_heads = hh.head[hh.active]
        if len(active_heads):
            h0 = int(active_heads[0])
            forced_owner += [h0, h0]
            forced_use += [0, 0]
            forced_reg += [ctx.A - 400, OLD_REG]
            forced_noid += [False, True]
        keys = p.member_key()[:m]
        cnt_k = np.searchsorted(ctx.member_keys, keys, "right") - np.searchsorted(ctx.member_keys, keys, "left")
        amb = np.flatnonzero(cnt_k >= 2)
        if len(amb):
            forced_owner.append(int(amb[0]))
            forced_use.append(0)
            forced_reg.append(OLD_REG - 300)
            forced_noid.append(True)
        strangers = np.flatnonzero(p.one_digit_apart)
        if len(strangers):
            forced_owner.append(int(strangers[0]))
            forced_use.append(0)
            forced_reg.append(ctx.A - 800)
            forced_noid.append(False)
    k = len(forced_owner)
    owner = np.r_[owner, np.array(forced_owner, np.int64)].astype(np.int64)
    use = np.r_[use, forced_use].astype(np.int8)
    status = np.r_[status, np.zeros(k, np.int8)]
    reg = np.r_[reg, forced_reg].astype(np.int64)
    u = len(owner)
    forced = np.r_[np.zeros(u - k, bool), np.ones(k, bool)]
    # co-owners: spouse / other household member for members, a neighbour otherwise
    co = (use == 0) & (rng.random(u) < 0.25) & ~forced
    if ctx.force and (use == 0).any() and not co.any():
        co[np.flatnonzero((use == 0) & ~forced)[:1]] = True
    hpos = p.hh[owner]
    size = np.where(hpos >= 0, hh.size[np.maximum(hpos, 0)], 1)
    head_of = np.where(hpos >= 0, hh.head[np.maximum(hpos, 0)], -1)
    partner = np.where(owner == head_of, owner + 1, head_of)
    other = m + rng.integers(0, max(n - m, 1), u)
    co_owner = np.where((hpos >= 0) & (size >= 2), partner, other)
    co = co & (co_owner != owner) & (co_owner < n) & (p.stranger_of[np.minimum(co_owner, n - 1)] < 0)
    co_kind = np.where(co, np.where(rng.random(u) < 0.7, 1, 2), 0).astype(np.int8)
    unit_id = ctx.chunk * 5_000_000 + np.arange(u)
    first_all = np.r_[first_unit, np.ones(k, bool)]
    house = np.where(first_all, p.house_no[owner], rng.integers(0, 5000, u))
    area_u = np.round(np.where(use == 4, rng.uniform(12, 30, u), rng.uniform(35, 160, u)), 1)
    # rows: every unit's owner, then its co-owner right after
    rows_unit = np.sort(np.r_[np.arange(u), np.flatnonzero(co)], kind="stable")
    second = np.r_[False, rows_unit[1:] == rows_unit[:-1]] if len(rows_unit) else np.zeros(0, bool)
    person = np.where(second, co_owner[rows_unit], owner[rows_unit]).astype(np.int64)
    nr = len(person)
    old_single = (reg[rows_unit] < Y2000) & (co_kind[rows_unit] == 0) & (use[rows_unit] == 0)
    protected = (p.stranger_of[person] >= 0) | forced[rows_unit]
    id_mess = mess.draw_id_mess(rng, p.id18[person], p.birth[person],
                                mess.BENIGN + (mess.WRONG_DIGIT, mess.SCI), ctx.force, protected=protected)
    no_id = old_single & ~protected & (rng.random(nr) < 0.5)
    forced_rows = np.flatnonzero(forced[rows_unit])
    no_id[forced_rows] = np.array(forced_noid, bool)
    id_mess = np.where(no_id, mess.EMPTY, np.where(forced[rows_unit], mess.CLEAN, id_mess)).astype(np.int8)
    name_mess = mess.draw_name_mess(rng, p.name_code[person], ctx.force, allow_trad=~no_id)
    r = r_ints(rng, nr)
    t = dict(person=person, unit=rows_unit, unit_id=unit_id[rows_unit], use=use[rows_unit],
             status=status[rows_unit], reg=reg[rows_unit], co_kind=co_kind[rows_unit],
             village=p.village[owner[rows_unit]], house=house[rows_unit],
             area=area_u[rows_unit],
             id_mess=id_mess, name_mess=name_mess, r=r, date_fmt=formats.draw_date_formats(rng, nr))
    # where the linker finds each row: its 坐落, in the unit's village (a street address names the township only)
    street = (t["use"] >= 1) & (t["use"] <= 3)
    t["linkable"] = linkable(ctx, person, id_mess, geo.VILLAGE_TOWN[t["village"]],
                             np.where(street, -1, t["village"]))
    t["tags"] = mess.tags((id_mess, mess.ID_TAGS), (name_mess, mess.NAME_TAGS),
                          np.where(t["co_kind"] > 0, "co_owner", "").astype(object))
    return t


def render(ctx: Ctx, t: dict, idx: np.ndarray) -> dict[str, np.ndarray]:
    p = ctx.people
    person = t["person"][idx]
    village = t["village"][idx]
    town = geo.VILLAGE_TOWN[village]
    uid = t["unit_id"][idx]
    vil_local = village - geo._FIRST_VILLAGE[town]
    unit_no = np.array([f"{geo.COUNTY_CODE}{a + 1:03d}{b + 1:03d}GB{c // 10000:05d}F{c % 10000:04d}0001"
                        for a, b, c in zip(town.tolist(), vil_local.tolist(), uid.tolist())], dtype=object)
    use = t["use"][idx]
    street = (use >= 1) & (use <= 3)
    addr = np.where(street, geo.street_addresses(village, t["house"][idx]), geo.home_addresses(village, t["house"][idx]))
    area = t["area"][idx]
    return {
        "不动产单元号": unit_no,
        "权利人": mess.render_names(p.name[person], t["name_mess"][idx], t["r"][idx]),
        "证件号码": mess.render_ids(p.id18[person], t["id_mess"][idx], t["r"][idx]),
        "共有方式": _CO[t["co_kind"][idx]],
        "坐落": addr,
        "规划用途": _USE[use],
        "建筑面积": np.array([f"{a:g}" for a in area.tolist()], dtype=object),
        "登记日期": ctx.dates(t["reg"][idx], t["date_fmt"][idx]),
        "权属状态": _STATUS[t["status"][idx]],
    }
