"""business — 市场主体登记 (snapshot): one row per (entity, person, role).

Owners hold one entity each (个体工商户 most often; 农民专业合作社, which is exempt; some revoked or
deregistered); some companies and partnerships name a second person as investor, director or supervisor (only
法定代表人, 经营者, 投资人 and 执行事务合伙人 count). The person's ID is optional and often missing: such a row
names someone by name only, with no address to tell namesakes apart, so it links to nobody. A few credit codes
fail their check character: kept and flagged, never dropped.
"""

from __future__ import annotations

import numpy as np

from hedui.synth import formats, mess
from hedui.synth import income_facts as F
from hedui.synth.geo import COUNTY, COUNTY_CODE
from hedui.synth.sources.base import Ctx, draw_person_mess, stranger_tags, linkable
from hedui.synth.writers import Column

COLUMNS = [
    Column("统一社会信用代码", ("信用代码",), True), Column("主体名称", ("企业名称",), True),
    Column("主体类型", ("市场主体类型",), True), Column("登记状态", ("经营状态",), True),
    Column("成立日期", (), True), Column("注册资本", ("注册资金",)), Column("人员姓名", ("姓名",), True),
    Column("人员证件号码", ("证件号码", "身份证号")), Column("人员角色", ("职务",), True), Column("认缴出资额", ()),
]
_TYPE = np.array(F.ENTITY_TYPES, dtype=object)
_STATUS = np.array(F.ENTITY_STATUSES, dtype=object)
_ROLE = np.array(F.ROLES, dtype=object)
# USCC: registration authority and kind per entity type (GB 32100-2015), the check over 31 characters
_AUTH = np.array(["91", "91", "91", "91", "92", "93"], dtype=object)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28], np.int64)
_BRANDS = np.array(list("鑫源宏达恒通瑞丰金泰顺发永安明珠兴旺富民新华长青"), dtype=object)
_TRADES = np.array(["便利店", "餐馆", "五金店", "养殖场", "建材经营部", "物流", "农资店", "理发店", "服装店",
                    "家电维修部", "种植", "茶油加工"], dtype=object)
_SUFFIX = np.array(["有限公司", "股份有限公司", "（个人独资）", "（有限合伙）", "", "专业合作社"], dtype=object)


def uscc(auth: np.ndarray, serial: np.ndarray, damaged: np.ndarray) -> np.ndarray:
    """Valid unified social credit codes (vectorised check character); `damaged` rows get a wrong one."""
    body = np.strings.add(np.strings.add(auth.astype(str), COUNTY_CODE),
                          np.strings.zfill(serial.astype(str), 9))
    digits = np.frombuffer(body.astype("S17").tobytes(), dtype=np.uint8).reshape(-1, 17) - ord("0")
    check = (31 - (digits.astype(np.int64) @ _WEIGHTS) % 31) % 31
    check = np.where(damaged, (check + 1 + serial % 29) % 31, check)
    return np.strings.add(body, np.array(list(USCC_ALPHABET))[check]).astype(object)


def build(ctx: Ctx) -> dict[str, np.ndarray]:
    rng = ctx.rng(25)
    f = F.facts(ctx)
    p = ctx.people
    owners = np.flatnonzero(f["business"])
    E = len(owners)
    etype = rng.choice(len(F.ENTITY_TYPES), E, p=F.ENTITY_TYPE_P).astype(np.int8)
    estatus = rng.choice(len(F.ENTITY_STATUSES), E, p=F.ENTITY_STATUS_P).astype(np.int8)
    forced_owner = f["forced"][owners]
    etype[forced_owner], estatus[forced_owner] = 4, 0  # the forced member runs an active 个体工商户
    if ctx.force and E > 2:
        # an exempt cooperative and a revoked shop, so that even a small city shows what does not count
        free = np.flatnonzero(~forced_owner)[:2]
        etype[free[0]], estatus[free[0]] = 5, 0
        if len(free) > 1:
            etype[free[1]], estatus[free[1]] = 4, 2
    established = ctx.A - rng.integers(30, 25 * 365, E)
    # 万元, in hundredths (render_amounts writes them with the decimal point where yuan would have theirs)
    capital = np.where(etype == 4, np.where(rng.random(E) < 0.6, formats.NO_AMOUNT, rng.integers(1, 50, E) * 100),
                       rng.integers(3, 500, E) * 100)
    # a second person on some companies and partnerships: mostly non-members, sometimes a member
    second = np.flatnonzero(np.isin(etype, (0, 1, 3)) & (rng.random(E) < 0.6))
    others = np.where(rng.random(len(second)) < 0.1, rng.integers(0, max(p.n_members, 1), len(second)),
                      rng.integers(p.n_members, p.n, len(second)))
    second_role = np.where(etype[second] == 3, 2, rng.choice([2, 4, 5], len(second), p=[0.4, 0.25, 0.35]))
    ent = np.r_[np.arange(E), second]
    person = np.r_[owners, others].astype(np.int64)
    role = np.r_[F.OWNER_ROLE[etype], second_role].astype(np.int8)
    N = len(person)
    forced = np.r_[forced_owner, np.zeros(len(second), bool)]
    protected = (p.stranger_of[person] >= 0) | forced
    t = dict(person=person, ent=ent, etype=etype[ent], estatus=estatus[ent], role=role)
    t["id_mess"], t["name_mess"], t["r"] = draw_person_mess(
        ctx, rng, person, protected, mess.BENIGN + (mess.WRONG_DIGIT, mess.SCI), no_id_p=0.08)
    t["established"] = established[ent]
    t["capital"] = capital[ent]
    known = capital[ent] != formats.NO_AMOUNT
    share = np.round(np.where(known, capital[ent], 0) * rng.uniform(0.1, 1.0, N), -1).astype(np.int64)
    t["subscribed"] = np.where((role == 2) & known, share, formats.NO_AMOUNT)
    bad_code = rng.random(E) < 0.005
    if ctx.force and E and not bad_code.any():
        bad_code[np.flatnonzero(~forced_owner)[:1]] = True
    t["bad_code"] = bad_code[ent]
    t["date_fmt"] = formats.draw_date_formats(rng, N)
    t["amt_fmt"] = formats.draw_amount_formats(rng, N)
    # a record without an ID names nobody: there is no address to tell namesakes apart
    t["linkable"] = linkable(ctx, person, t["id_mess"]) & (t["id_mess"] != mess.EMPTY)
    t["tags"] = mess.tags((t["id_mess"], mess.ID_TAGS), (t["name_mess"], mess.NAME_TAGS), stranger_tags(ctx, t["person"]),
                          np.where(t["bad_code"], "credit_code_check_fails", "").astype(object))
    return t


def render(ctx: Ctx, t: dict, idx: np.ndarray) -> dict[str, np.ndarray]:
    p = ctx.people
    person = t["person"][idx]
    ent = t["ent"][idx]
    etype = t["etype"][idx]
    serial = ctx.chunk * 1_000_000 + ent
    name = np.strings.add(np.strings.add(np.strings.add(COUNTY, _BRANDS[ent % len(_BRANDS)].astype(str)),
                                         _TRADES[np.where(etype == 5, 10, (ent // len(_BRANDS)) % len(_TRADES))].astype(str)), _SUFFIX[etype].astype(str))
    return {
        "统一社会信用代码": uscc(_AUTH[etype], serial, t["bad_code"][idx]),
        "主体名称": name.astype(object),
        "主体类型": _TYPE[etype],
        "登记状态": _STATUS[t["estatus"][idx]],
        "成立日期": ctx.dates(t["established"][idx], t["date_fmt"][idx]),
        "注册资本": formats.render_amounts(t["capital"][idx], t["amt_fmt"][idx]),
        "人员姓名": mess.render_names(p.name[person], t["name_mess"][idx], t["r"][idx]),
        "人员证件号码": mess.render_ids(p.id18[person], t["id_mess"][idx], t["r"][idx]),
        "人员角色": _ROLE[t["role"][idx]],
        "认缴出资额": formats.render_amounts(t["subscribed"][idx], t["amt_fmt"][idx]),
    }
