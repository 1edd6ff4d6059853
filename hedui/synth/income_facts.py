"""The income and ties of the people of one chunk: jobs, pensions, businesses, public payroll, staff and their
relatives. The six income sources (hedui.synth.sources.social_insurance ... staff_roster) render these facts
with mess, and the truth (hedui.synth.truth) computes the v2 warnings from them, so both tell one story.

Months are absolute month numbers (year * 12 + month - 1). Index 0..3 below means the four months before the
as-of month (M-4 .. M-1): 0 is outside the window (M-4), 1..3 are the window, 4 is the as-of month itself (only
in deliveries dated after the as-of date).
"""

from __future__ import annotations

import numpy as np

from hedui.synth import geo
from hedui.synth.people import YEAR
from hedui.synth.sources.base import Ctx

N_MONTHS = 4  # contribution and benefit months delivered up to the as-of date: M-4 .. M-1
WINDOW = (1, 2, 3)  # month indexes in the window (M-3 .. M-1)
PUBLIC_UNITS = np.array(["常宁市民政局", "常宁市教育局", "常宁市人民医院", "常宁市第一中学", "常宁市财政局",
                         "宜阳街道办事处", "水口山镇人民政府", "松柏镇中心学校", "常宁市自然资源局", "烟洲镇卫生院",
                         "常宁市住房和城乡建设局", "常宁市农业农村局"], dtype=object)
COMPANIES = np.array(["湖南水口山有色金属集团有限公司", "常宁市宏达建材有限公司", "常宁市恒通物流有限公司",
                      "衡阳市华联超市常宁分店", "常宁市新天地置业有限公司", "常宁市瑞丰农业开发有限公司",
                      "常宁市顺达汽车运输有限公司", "湖南常宁农村商业银行股份有限公司", "常宁市明珠酒店有限公司",
                      "常宁市金鑫矿业有限公司", "常宁市永安保安服务有限公司", "常宁市鑫源服装厂"], dtype=object)
PAYROLL_CATEGORIES = ["在职在编", "编外聘用", "离退休"]
# business: entity types, statuses and roles (indexes into the spec's value lists)
ENTITY_TYPES = ["有限责任公司", "股份有限公司", "个人独资企业", "合伙企业", "个体工商户", "农民专业合作社"]
ENTITY_TYPE_P = [0.24, 0.02, 0.07, 0.04, 0.52, 0.11]
EXEMPT_ENTITY = 5  # 农民专业合作社
ENTITY_STATUSES = ["存续", "在业", "吊销", "注销", "迁出"]
ENTITY_STATUS_P = [0.52, 0.22, 0.1, 0.13, 0.03]
ACTIVE_ENTITY = (0, 1)
ROLES = ["法定代表人", "经营者", "投资人", "执行事务合伙人", "董事", "监事"]
COUNTED_ROLES = (0, 1, 2, 3)
# the owner's role per entity type
OWNER_ROLE = np.array([0, 0, 2, 3, 1, 0])


def months_active(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """(n, 4) mask of the month indexes 0..3 a job or payment runs in."""
    m = np.arange(N_MONTHS)
    return (m[None, :] >= start[:, None]) & (m[None, :] <= end[:, None])


def facts(ctx: Ctx) -> dict[str, np.ndarray]:
    """Per person of the chunk (arrays of length people.n); computed once per chunk and shared by the sources."""
    if "income" in ctx.cache:
        return ctx.cache["income"]
    rng = ctx.rng(20)
    p, hh = ctx.people, ctx.hh
    n, m = p.n, p.n_members
    member = np.arange(n) < m
    age = (ctx.A - p.birth) / YEAR
    working = (age >= 18) & (age < 60)
    elderly = age >= 60
    stranger = p.stranger_of >= 0
    u = rng.random((n, 12))

    # jobs: most assisted people have none; a same-named stranger often has one (it is never the member's)
    job = working & (u[:, 0] < np.where(member, 0.04, np.where(stranger, 0.5, 0.22)))
    public = job & (u[:, 1] < np.where(member, 0.2, 0.15))
    wage = np.round(np.where(member, 2400.0, 4000.0) * np.exp(rng.normal(0, 0.35, n))).astype(np.int64) * 100
    seen_si = job & (public | (u[:, 2] < 0.85))
    seen_hf = job & (u[:, 3] < np.where(public, 0.9, 0.35))
    seen_si |= job & ~seen_si & ~seen_hf  # every job leaves a trace somewhere
    start = np.where(u[:, 4] < 0.82, 0, rng.integers(1, 4, n))
    end = np.maximum(np.where(u[:, 5] < 0.12, rng.integers(0, 3, n), 3), start)
    si_base = np.round(wage * rng.uniform(0.85, 1.0, n), -2).astype(np.int64)
    hf_base = np.round(wage * rng.uniform(0.95, 1.05, n), -2).astype(np.int64)
    pp_gross = np.round(wage * rng.uniform(1.0, 1.15, n), -1).astype(np.int64)
    employer = np.where(public, PUBLIC_UNITS[rng.integers(0, len(PUBLIC_UNITS), n)],
                        COMPANIES[rng.integers(0, len(COMPANIES), n)])
    pp_cat = np.where(u[:, 6] < 0.7, 0, 1).astype(np.int8)  # 在职在编 / 编外聘用
    # retired civil servants paid through the public payroll (离退休)
    retired_public = elderly & (u[:, 6] < np.where(member, 0.002, 0.03))
    retired_gross = np.round(rng.uniform(3200, 6200, n)).astype(np.int64) * 100
    # contributions on a base the person chose: no evidence of income
    flexible = working & ~job & (u[:, 7] < np.where(member, 0.04, 0.03))
    flexible_base = np.array([300_000, 360_000, 420_000, 500_000])[rng.integers(0, 4, n)]
    resident_ins = (age >= 16) & ~job & ~flexible & (u[:, 8] < 0.05)
    resident_base = np.array([20_000, 30_000, 50_000, 100_000, 200_000])[rng.integers(0, 5, n)]
    resident_month = rng.integers(0, N_MONTHS, n)

    # pensions and other benefits: kind 0 none, 1 基本养老金, 2 城乡居民养老金
    r = u[:, 9]
    pension = np.where(elderly & (r < np.where(member, 0.05, 0.1)), 1,
                       np.where(elderly & (r < np.where(member, 0.65, 0.21)), 2, 0)).astype(np.int8)
    pension = np.where(retired_public, 0, pension).astype(np.int8)
    pension_amt = np.where(pension == 1, rng.integers(1900, 4200, n) * 100,
                           rng.integers(130, 320, n) * 100).astype(np.int64)
    # other benefit kinds: 3 失业保险金, 4 工伤保险长期待遇, 5 遗属待遇, 6 丧葬补助金, 7 一次性抚恤金 (one-off, exempt)
    r2 = u[:, 10]
    other = np.select([working & ~job & (r2 < 0.004), working & (r2 >= 0.004) & (r2 < 0.005),
                       (r2 >= 0.005) & (r2 < 0.007), (r2 >= 0.007) & (r2 < 0.009), (r2 >= 0.009) & (r2 < 0.011)],
                      [3, 4, 5, 6, 7], 0).astype(np.int8)
    other_amt = np.select([other == 3, other == 4, other == 5, other >= 6],
                          [rng.integers(1300, 1700, n) * 100, rng.integers(1800, 2600, n) * 100,
                           rng.integers(500, 1100, n) * 100, rng.integers(8000, 40000, n) * 100], 0).astype(np.int64)
    other_start = rng.integers(0, N_MONTHS, n)
    other_end = np.where(other >= 6, other_start, np.minimum(other_start + rng.integers(1, 4, n), N_MONTHS))

    # businesses: owners (a second person on some companies is added by the business source)
    business = (age >= 20) & (u[:, 11] < np.where(member, 0.015, np.where(stranger, 0.3, 0.045)))

    # staff: assistance staff and village committee members; a few are household members themselves
    v = rng.random((n, 4))
    staff = (age >= 25) & (age < 60) & (v[:, 0] < np.where(member, 0.003, 0.006))
    # members who are near relatives of staff (their staff member is drawn by the staff_roster source)
    staff_relative = member & (v[:, 1] < 0.012)
    relative_has_id = v[:, 2] < 0.75

    forced = np.zeros(n, bool)
    if ctx.force:
        act = np.flatnonzero(hh.active)
        heads = [int(hh.head[act[k % len(act)]]) for k in range(3, 9)] if len(act) else []
        if heads:
            a, b, c, d, e, f = heads
            # a member with a private job seen by social insurance and the housing fund
            job[a], public[a], seen_si[a], seen_hf[a], start[a], end[a] = True, False, True, True, 0, 3
            wage[a] = si_base[a] = hf_base[a] = 520_000
            # a member on the public payroll (在职在编), seen by all three
            job[b], public[b], seen_si[b], seen_hf[b], start[b], end[b], pp_cat[b] = True, True, True, True, 0, 3, 0
            wage[b], si_base[b], hf_base[b], pp_gross[b] = 380_000, 360_000, 380_000, 395_000
            employer[b] = PUBLIC_UNITS[0]
            business[c] = True
            staff_relative[d], relative_has_id[d] = True, True
            staff_relative[e], relative_has_id[e] = True, True  # filed separately: raises nothing
            flexible[f], job[f] = True, False
            forced[[a, b, c, d, e, f]] = True
        if n > m and not (other >= 6).any():
            # a one-off funeral grant (exempt) in the window
            other[m], other_amt[m], other_start[m], other_end[m] = 6, 1_200_000, 2, 2
        if not staff[m:].any():
            # even a tiny city has someone on the staff roster for the relatives to be declared against
            adults = np.flatnonzero(working[m:] & ~stranger[m:])
            if len(adults):
                staff[m + int(adults[0])] = True
    # the household is filed separately (单独登记备案) for most households with a staff tie; 1 是, 2 否, 0 empty
    tie = np.zeros(len(hh.hid), bool)
    tie[p.hh[:m][(staff | staff_relative)[:m]]] = True
    w = rng.random(len(hh.hid))
    filed = np.where(tie & (w < 0.55), 1, np.where(w < 0.9, 0, 2)).astype(np.int8)
    if ctx.force and len(act := np.flatnonzero(hh.active)):
        filed[p.hh[int(hh.head[act[6 % len(act)]])]] = 0
        filed[p.hh[int(hh.head[act[7 % len(act)]])]] = 1
        filed[p.hh[int(hh.head[act[8 % len(act)]])]] = 2
    # 城乡 as delivered: 1 城市, 2 农村, 0 empty (derived from 城市低保/农村低保; unknown for the others)
    urban = geo.URBAN[hh.township]
    ur = np.where(urban, 1, 2).astype(np.int8)
    x = rng.random(len(hh.hid))
    ur = np.where((hh.category <= 1) & (x < 0.3), 0, np.where(x > 0.98, 0, ur)).astype(np.int8)
    out = dict(job=job, public=public, wage=wage, seen_si=seen_si, seen_hf=seen_hf, seen_pp=public, start=start,
               end=end, si_base=si_base, hf_base=hf_base, pp_gross=pp_gross, employer=employer, pp_cat=pp_cat,
               retired_public=retired_public, retired_gross=retired_gross, flexible=flexible,
               flexible_base=flexible_base, resident_ins=resident_ins, resident_base=resident_base,
               resident_month=resident_month, pension=pension, pension_amt=pension_amt, other=other,
               other_amt=other_amt, other_start=other_start, other_end=other_end, business=business, staff=staff,
               staff_relative=staff_relative, relative_has_id=relative_has_id, forced=forced,
               filed=filed, urban_rural=ur)
    ctx.cache["income"] = out
    return out


def urban_rural_used(ctx: Ctx) -> np.ndarray:
    """The 城乡 the rules apply per household: 1 城市, 2 农村, 0 unknown (not tested)."""
    f = facts(ctx)
    cat = ctx.hh.category
    derived = np.where(cat == 0, 1, np.where(cat == 1, 2, 0))
    return np.where(f["urban_rural"] > 0, f["urban_rural"], derived).astype(np.int8)
