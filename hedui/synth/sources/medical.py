"""medical — 医保结算 (events, weekly deliveries)."""

from __future__ import annotations


import numpy as np

from hedui.synth import formats, mess
from hedui.synth.deliveries import WEEKS
from hedui.synth.sources.base import Ctx, linkable, r_ints
from hedui.synth.writers import Column

COLUMNS = [
    Column("结算流水号", ("结算ID",), True), Column("结算类型", ()), Column("原结算流水号", ()),
    Column("姓名", ("参保人姓名",), True), Column("身份证号", ("公民身份号码", "证件号码"), True),
    Column("医疗类别", (), True), Column("入院日期", ()), Column("出院日期", ()), Column("结算日期", (), True),
    Column("医疗机构名称", ("定点医药机构名称",)), Column("主诊断编码", ("诊断编码",)),
    Column("主诊断名称", ("诊断名称",)), Column("医疗总费用", ("总费用",), True),
    Column("统筹基金支付", ("基本医保支付",)), Column("大病保险支付", ()), Column("医疗救助支付", ()),
    Column("个人自付", ("个人负担",), True),
]
CARE = ["普通门诊", "门诊慢特病", "住院"]
_CARE = np.array(CARE, dtype=object)
# (code, name); per care type, the first entries are on the major-illness list
DIAG = {
    0: [("J06.9", "急性上呼吸道感染"), ("K29.7", "胃炎"), ("M54.5", "腰痛"), ("I10", "特发性(原发性)高血压"),
        ("E11.9", "2型糖尿病"), ("J20.9", "急性支气管炎"), ("N18.3", "慢性肾脏病3期"), ("K02.9", "龋病")],
    1: [("I10", "特发性(原发性)高血压"), ("E11.9", "2型糖尿病"), ("N18.3", "慢性肾脏病3期"), ("N18.4", "慢性肾脏病4期"),
        ("F32.9", "抑郁发作"), ("D64.9", "贫血"), ("I25.1", "动脉硬化性心脏病"), ("J44.9", "慢性阻塞性肺病")],
    2: [("I63.9", "脑梗死"), ("J18.9", "肺炎"), ("S72.0", "股骨颈骨折"), ("K80.2", "胆囊结石"), ("I21.9", "急性心肌梗死"),
        ("N18.4", "慢性肾脏病4期"), ("Q35.9", "腭裂"), ("D68.9", "凝血缺陷")],
}
MAJOR = [("C34.9", "支气管或肺恶性肿瘤"), ("C16.9", "胃恶性肿瘤"), ("C22.0", "肝细胞癌"), ("C50.9", "乳房恶性肿瘤"),
         ("C18.900", "结肠恶性肿瘤"), ("D61.9", "再生障碍性贫血"), ("D66", "遗传性第VIII因子缺乏"),
         ("F20.0", "偏执型精神分裂症"), ("F25.9", "分裂情感性障碍"), ("F31.9", "双相情感障碍"),
         ("N18.5", "慢性肾脏病5期"), ("N18.6", "终末期肾病"), ("Q21.1", "房间隔缺损"), ("Z94.0", "肾移植状态")]
DIAG_CODES = [c for k in (0, 1, 2) for c, _ in DIAG[k]] + [c for c, _ in MAJOR]
DIAG_NAMES = [nm for k in (0, 1, 2) for _, nm in DIAG[k]] + [nm for _, nm in MAJOR]
_DCODE = np.array(DIAG_CODES, dtype=object)
_DNAME = np.array(DIAG_NAMES, dtype=object)
MAJOR_BASE = 24
INSTITUTIONS = np.array(["常宁市人民医院", "常宁市中医医院", "常宁市妇幼保健院", "衡阳市中心医院", "南华大学附属第一医院",
                         "宜阳街道社区卫生服务中心", "烟洲镇卫生院", "水口山镇中心卫生院", "松柏镇卫生院", "常宁市第二人民医院"],
                        dtype=object)
_TYPE = np.array(["正常", "冲销"], dtype=object)
SPAN = 7 * WEEKS  # settlements are dated as_of - SPAN + 1 ... as_of (some before the 365-day window)


def build(ctx: Ctx) -> dict[str, np.ndarray]:
    rng = ctx.rng(5)
    p, hh = ctx.people, ctx.hh
    n, m = p.n, p.n_members
    member = np.arange(n) < m
    rates = ctx.profile
    cnt = rng.poisson(np.where(member, rates.member_settlements_per_year, rates.other_settlements_per_year)
                      * (SPAN + 7) / 365.0)
    person = np.repeat(np.arange(n), cnt).astype(np.int64)
    k = len(person)
    # days before as_of; negative = after as_of (the future delivery)
    before = rng.integers(-7, SPAN, k)
    # never before the patient was born: a settlement under a baby's ID is dated on or after the birth, and so
    # in a delivery dated after it (an ID born after its delivery's date is not valid)
    before = np.minimum(before, ctx.A - p.birth[person])
    care = np.where(person < m, rng.choice(3, k, p=[0.66, 0.21, 0.13]), rng.choice(3, k, p=[0.72, 0.18, 0.10]))
    # a few people live with a major illness; most of their settlements carry its code
    sick = rng.random(n) < np.where(member, rates.member_major_illness, rates.other_major_illness)
    major_code = MAJOR_BASE + rng.integers(0, len(MAJOR), n)
    major_p = np.where(sick[person], np.array([0.3, 0.7, 0.8])[care], 0.0)
    diag = np.where(rng.random(k) < major_p, major_code[person],
                    care * 8 + rng.integers(0, 8, k))
    median = np.array([160.0, 900.0, 9000.0])[care]
    total = np.round(median * np.exp(rng.normal(0, 0.8, k)) * np.where(diag >= MAJOR_BASE, 2.5, 1.0), 1)
    forced = np.zeros(k, bool)
    if ctx.force:
        act = np.flatnonzero(hh.active)
        if len(act) > 2:
            h = int(hh.head[act[2]])
            person = np.r_[person, h]
            before = np.r_[before, 14]
            care = np.r_[care, 2]
            diag = np.r_[diag, MAJOR_BASE]
            total = np.r_[total, 58200.0]
            forced = np.r_[forced, True]
            k += 1
    tc = np.round(total * 100).astype(np.int64)
    fund_share = np.array([0.35, 0.55, 0.6])[care] + rng.uniform(-0.1, 0.1, k)
    fund = np.round(tc * fund_share, -1).astype(np.int64)
    # 大病保险 pays 60% of the patient's share (after the fund) above a 15,000 yuan deductible; medical
    # assistance pays part of what is left. Every payment of a 正常 settlement, and so 个人自付, is >= 0 (a
    # negative amount is only valid on a 冲销 row: the pipeline quarantines it, so truth could not count it).
    after_fund = tc - fund
    crit = np.where(after_fund > 1_500_000, np.round((after_fund - 1_500_000) * 0.6, -1), 0).astype(np.int64)
    rest = after_fund - crit
    assist = np.where(person < m, np.round(rest * rng.uniform(0.6, 0.9, k), -1), 0).astype(np.int64)
    assist = np.clip(assist, 0, rest)
    oop = tc - fund - crit - assist
    # a stated out-of-pocket that disagrees with total minus payments (flagged; the stated value counts)
    mismatch = (rng.random(k) < 0.005) & ~forced
    if ctx.force and not mismatch.any() and k:
        mismatch[np.flatnonzero(~forced)[:1]] = True
    oop = np.where(mismatch, oop + rng.integers(5, 300, k) * 100, oop)
    date = ctx.A - before
    los = rng.integers(2, 21, k)
    discharged = np.where(care == 2, date - rng.integers(0, 2, k), -1)
    admitted = np.where(care == 2, discharged - los, -1)
    # reversals: a later 冲销 in the window, same person, negative amounts
    rev_of = np.flatnonzero((before >= 7) & (before <= 364) & (rng.random(k) < 0.02) & ~forced)
    if ctx.force and not len(rev_of):
        rev_of = np.flatnonzero((before >= 7) & (before <= 364) & ~forced)[:1]
    nrev = len(rev_of)
    sid = np.arange(k + nrev)
    rev_before = before[rev_of] - rng.integers(1, 7, nrev)
    cat = lambda a, b: np.r_[a, b]  # noqa: E731
    t = dict(
        person=cat(person, person[rev_of]), before=cat(before, rev_before), care=cat(care, care[rev_of]),
        diag=cat(diag, diag[rev_of]), total=cat(tc, -tc[rev_of]), fund=cat(fund, -fund[rev_of]),
        crit=cat(crit, -crit[rev_of]), assist=cat(assist, -assist[rev_of]), oop=cat(oop, -oop[rev_of]),
        admitted=cat(admitted, admitted[rev_of]), discharged=cat(discharged, discharged[rev_of]),
        reversal_of=cat(np.full(k, -1), rev_of), sid=sid,
        inst=rng.integers(0, len(INSTITUTIONS), k + nrev),
    )
    t["inst"][k:] = t["inst"][rev_of]
    N = k + nrev
    reversed_ = np.zeros(N, bool)
    reversed_[rev_of] = True
    t["reversed"] = reversed_
    t["mismatch"] = cat(mismatch, np.zeros(nrev, bool))
    person_all = t["person"]
    protected = (p.stranger_of[person_all] >= 0) | reversed_ | (t["reversal_of"] >= 0) | cat(forced, np.zeros(nrev, bool))
    id_mess = mess.draw_id_mess(rng, p.id18[person_all], p.birth[person_all],
                                mess.BENIGN + (mess.WRONG_DIGIT, mess.SCI), ctx.force, protected=protected)
    id_mess[:k][forced] = mess.CLEAN
    t["id_mess"] = id_mess
    t["name_mess"] = mess.draw_name_mess(rng, p.name_code[person_all], ctx.force)
    t["r"] = r_ints(rng, N)
    t["date_fmt"] = formats.draw_date_formats(rng, N)
    amt = formats.draw_amount_formats(rng, N)
    t["amt_fmt"] = amt
    t["oop_fmt"] = np.where(rng.random(N) < 0.3, formats.draw_amount_formats(rng, N), amt).astype(np.int8)
    # unknown (empty) optional payments
    t["crit_unknown"] = rng.random(N) < 0.02
    t["week"] = np.where(t["before"] < 0, -1, t["before"] // 7)
    t["linkable"] = linkable(ctx, person_all, id_mess)
    t["tags"] = mess.tags((id_mess, mess.ID_TAGS), (t["name_mess"], mess.NAME_TAGS),
                          np.where(t["reversal_of"] >= 0, "reversal", "").astype(object),
                          np.where(t["mismatch"], "oop_mismatch", "").astype(object))
    return t


def settlement_ids(ctx: Ctx, t: dict, idx: np.ndarray) -> np.ndarray:
    """`Y<settlement date><chunk:3><sequence:7>`: unique in the city."""
    date = ctx.A - t["before"][idx]
    day = ctx.dates(date, np.full(len(idx), formats.COMPACT, np.int8)).astype(str)
    tail = (10_000_000_000 + ctx.chunk * 10_000_000 + t["sid"][idx]).astype(str)
    return np.strings.add(np.strings.add("Y", day), np.strings.slice(tail, 1, None)).astype(object)


def render(ctx: Ctx, t: dict, idx: np.ndarray) -> dict[str, np.ndarray]:
    p = ctx.people
    person = t["person"][idx]
    f = t["date_fmt"][idx]
    a = t["amt_fmt"][idx]
    rev = t["reversal_of"][idx]
    orig = np.flatnonzero(rev >= 0)
    orig_id = np.full(len(idx), "", dtype=object)
    if len(orig):
        orig_id[orig] = settlement_ids(ctx, t, rev[orig])
    care = t["care"][idx]
    diag = t["diag"][idx]
    crit = np.where(t["crit_unknown"][idx], formats.NO_AMOUNT, t["crit"][idx])
    return {
        "结算流水号": settlement_ids(ctx, t, idx),
        "结算类型": _TYPE[(rev >= 0).astype(np.int8)],
        "原结算流水号": orig_id,
        "姓名": mess.render_names(p.name[person], t["name_mess"][idx], t["r"][idx]),
        "身份证号": mess.render_ids(p.id18[person], t["id_mess"][idx], t["r"][idx]),
        "医疗类别": _CARE[care],
        "入院日期": ctx.dates(t["admitted"][idx], f),
        "出院日期": ctx.dates(t["discharged"][idx], f),
        "结算日期": ctx.dates(ctx.A - t["before"][idx], f),
        "医疗机构名称": INSTITUTIONS[t["inst"][idx]],
        "主诊断编码": _DCODE[diag],
        "主诊断名称": _DNAME[diag],
        "医疗总费用": formats.render_amounts(t["total"][idx], a),
        "统筹基金支付": formats.render_amounts(t["fund"][idx], a),
        "大病保险支付": formats.render_amounts(crit, a),
        "医疗救助支付": formats.render_amounts(t["assist"][idx], a),
        "个人自付": formats.render_amounts(t["oop"][idx], t["oop_fmt"][idx]),
    }
