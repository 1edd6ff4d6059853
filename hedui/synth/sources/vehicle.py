"""vehicle — 机动车登记 (snapshot)."""

from __future__ import annotations

import numpy as np

from hedui.synth import formats, mess
from hedui.synth.sources.base import Ctx, linkable, r_ints
from hedui.synth.writers import Column

COLUMNS = [
    Column("号牌号码", ("车牌号",), True), Column("号牌种类", ()), Column("车辆类型", (), True),
    Column("机动车所有人", ("所有人",), True), Column("身份证明号码", ("身份证号", "所有人证件号码")),
    Column("使用性质", ()), Column("初次登记日期", ("注册日期",), True), Column("机动车状态", ("状态",), True),
]
TYPES = ["小型轿车", "小型普通客车", "小型越野客车", "轻型普通货车", "重型半挂牵引车", "普通二轮摩托车", "普通三轮摩托车",
         "轻便二轮摩托车", "残疾人机动轮椅车", "拖拉机", "低速货车", "三轮汽车"]
EXEMPT = {"普通二轮摩托车", "普通三轮摩托车", "轻便二轮摩托车", "残疾人机动轮椅车", "拖拉机", "低速货车", "三轮汽车"}
EXEMPT_IDX = np.array([t in EXEMPT for t in TYPES])
P_OTHER = [0.45, 0.15, 0.05, 0.06, 0.01, 0.15, 0.04, 0.04, 0.01, 0.02, 0.01, 0.01]
P_MEMBER = [0.08, 0.03, 0.0, 0.02, 0.0, 0.55, 0.12, 0.1, 0.03, 0.04, 0.02, 0.01]
# plate kind per type (new-energy decided separately)
_KIND = np.array(["小型汽车", "小型汽车", "小型汽车", "大型汽车", "大型汽车", "普通摩托车", "普通摩托车", "轻便摩托车",
                  "普通摩托车", "拖拉机", "低速车", "低速车"], dtype=object)
_TYPE = np.array(TYPES, dtype=object)
STATUSES = ["正常", "转出", "注销", "报废", "被盗抢"]
_STATUS = np.array(STATUSES, dtype=object)
_USE = np.array(["非营运", "营运", "非营运"], dtype=object)
_ALNUM = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def build(ctx: Ctx) -> dict[str, np.ndarray]:
    rng = ctx.rng(4)
    p, hh = ctx.people, ctx.hh
    n, m = p.n, p.n_members
    stranger = p.stranger_of >= 0
    cnt = np.where(np.arange(n) < m, rng.choice(2, n, p=[0.85, 0.15]),
                   np.where(stranger, rng.choice(2, n, p=[0.3, 0.7]), rng.choice(3, n, p=[0.75, 0.21, 0.04])))
    person = np.repeat(np.arange(n), cnt).astype(np.int64)
    member = person < m
    vtype = np.where(member, rng.choice(12, len(person), p=P_MEMBER), rng.choice(12, len(person), p=P_OTHER))
    vtype = np.where(stranger[person], 0, vtype)
    status = rng.choice(5, len(person), p=[0.85, 0.05, 0.04, 0.05, 0.01])
    status = np.where(stranger[person], 0, status)
    forced = np.zeros(len(person), bool)
    if ctx.force:
        active_heads = hh.head[hh.active]
        extra = [int(active_heads[0])] if len(active_heads) else []
        extra += [int(x) for x in np.flatnonzero(p.one_digit_apart)[:1]]
        # an exempt motorcycle of a member, and a transferred car
        if len(active_heads) > 1:
            extra.append(int(active_heads[1]))
        person = np.r_[person, extra].astype(np.int64)
        vtype = np.r_[vtype, [0] * (len(extra) - (len(active_heads) > 1)) + ([5] if len(active_heads) > 1 else [])]
        status = np.r_[status, [0] * len(extra)]
        forced = np.r_[forced, np.ones(len(extra), bool)]
    nv = len(person)
    ne = (vtype <= 2) & (rng.random(nv) < 0.12)
    reg = ctx.A - 39 - rng.integers(0, int(20 * 365.25), nv)
    protected = stranger[person] | forced
    id_mess = mess.draw_id_mess(rng, p.id18[person], p.birth[person],
                                mess.BENIGN + (mess.WRONG_DIGIT, mess.SCI), ctx.force, protected=protected)
    if ctx.force and forced.any():
        # the spec's case: a traditional-character name with a mistyped ID, still the member's car
        id_mess[np.flatnonzero(forced)[0]] = mess.WRONG_DIGIT
    name_mess = mess.draw_name_mess(rng, p.name_code[person], ctx.force)
    if ctx.force and forced.any():
        name_mess[np.flatnonzero(forced)[0]] = mess.N_TRAD
    t = dict(person=person, vtype=vtype.astype(np.int8), status=status.astype(np.int8), ne=ne, reg=reg,
             use=rng.integers(0, 3, nv).astype(np.int8), uid=ctx.chunk * 100_000 + np.arange(nv),
             id_mess=id_mess, name_mess=name_mess, r=r_ints(rng, nv), date_fmt=formats.draw_date_formats(rng, nv))
    t["linkable"] = linkable(ctx, person, id_mess)
    t["tags"] = mess.tags((id_mess, mess.ID_TAGS), (name_mess, mess.NAME_TAGS),
                          np.where(stranger[person], "same_name_stranger", "").astype(object))
    return t


def _plates(uid: np.ndarray, ne: np.ndarray) -> np.ndarray:
    out = np.empty(len(uid), dtype=object)
    for i, (u, e) in enumerate(zip(uid.tolist(), ne.tolist())):
        if e:
            c = (u * 7919 + 1) % 680_000
            out[i] = f"湘D{'DF'[c // 340_000]}{_ALNUM[(c // 10_000) % 34]}{c % 10_000:04d}"
        else:
            c = (u * 1_000_003 + 12345) % 34**5
            s = ""
            for _ in range(5):
                c, d = divmod(c, 34)
                s += _ALNUM[d]
            out[i] = "湘D" + s
    return out


def render(ctx: Ctx, t: dict, idx: np.ndarray) -> dict[str, np.ndarray]:
    p = ctx.people
    person = t["person"][idx]
    vt = t["vtype"][idx]
    ne = t["ne"][idx]
    kind = np.where(ne, np.where(vt == 3, "大型新能源汽车", "小型新能源汽车"), _KIND[vt])
    return {
        "号牌号码": _plates(t["uid"][idx], ne),
        "号牌种类": kind,
        "车辆类型": _TYPE[vt],
        "机动车所有人": mess.render_names(p.name[person], t["name_mess"][idx], t["r"][idx]),
        "身份证明号码": mess.render_ids(p.id18[person], t["id_mess"][idx], t["r"][idx]),
        "使用性质": _USE[t["use"][idx]],
        "初次登记日期": ctx.dates(t["reg"][idx], t["date_fmt"][idx]),
        "机动车状态": _STATUS[t["status"][idx]],
    }
