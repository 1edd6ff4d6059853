"""The residents of one chunk: assistance households and their members first, then everybody else.

Everything is numpy arrays indexed by the person's position in the chunk; members come first
(positions < n_members). Strings (IDs, names) are built once per chunk.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from hedui.synth import geo, ids, names
from hedui.synth.presets import PROFILES, Profile

RELATIONS = ["本人", "配偶", "子", "女", "父亲", "母亲", "孙子女", "兄弟姐妹", "其他"]
CATEGORIES = ["城市低保", "农村低保", "特困供养", "低保边缘", "支出型困难"]
STATUSES = ["在保", "审核中", "已退出"]
GRADES = ["", "一级", "二级", "三级", "四级"]
DIS_CATEGORIES = ["", "视力", "听力", "言语", "肢体", "智力", "精神", "多重"]
CERT_STATUSES = ["", "有效", "注销", "过期"]
YEAR = 365.2425


@dataclass
class Households:
    hid: np.ndarray  # object str
    head: np.ndarray  # person position of the head
    category: np.ndarray
    status: np.ndarray
    township: np.ndarray
    village: np.ndarray
    size: np.ndarray
    applied: np.ndarray  # ordinal
    enrolled: np.ndarray  # ordinal or NO_DATE
    benefit: np.ndarray  # cents or NO_AMOUNT
    income: np.ndarray  # cents

    @property
    def active(self) -> np.ndarray:
        return self.status != 2


@dataclass
class People:
    n_members: int
    region: np.ndarray
    birth: np.ndarray
    sex: np.ndarray  # 1 male, 0 female
    name_code: np.ndarray
    township: np.ndarray
    village: np.ndarray
    house_no: np.ndarray
    hh: np.ndarray  # household position, -1 for non-members
    rel: np.ndarray
    stranger_of: np.ndarray  # member position a stranger shares the name with, else -1
    one_digit_apart: np.ndarray  # stranger whose ID differs from the member's in one digit
    cert_cat: np.ndarray  # 0 = no certificate
    cert_grade: np.ndarray
    cert_status: np.ndarray
    recorded_grade: np.ndarray  # grade in the members snapshot (0 = none)
    id18: np.ndarray | None = None
    name: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.birth)

    def member_key(self) -> np.ndarray:
        """(village, name) of each person as one int64: what a no-ID record can be linked by."""
        return self.village.astype(np.int64) * 20_000_000_000 + self.name_code


def chunk_rng(seed: int, chunk: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, chunk, stream])


def _draw_households(rng, n_members: int, as_of: int, chunk: int):
    sizes = []
    total = 0
    while total < n_members:
        s = int(rng.choice([1, 2, 3, 4, 5], p=[0.22, 0.3, 0.26, 0.14, 0.08]))
        s = min(s, n_members - total)
        sizes.append(s)
        total += s
    sizes = np.array(sizes, dtype=np.int32)
    H = len(sizes)
    town = geo.ROLLED_TOWNSHIP_IDX[rng.integers(0, len(geo.ROLLED_TOWNSHIP_IDX), H)]
    village = geo.random_villages(rng, town)
    status = rng.choice(3, size=H, p=[0.8, 0.07, 0.13]).astype(np.int8)
    urban = geo.URBAN[town]
    cat = np.where(urban, 0, 1)
    r = rng.random(H)
    cat = np.where(r < 0.1, 4, np.where(r < 0.22, 3, np.where((r < 0.3) & (sizes == 1), 2, cat))).astype(np.int8)
    applied = as_of - rng.integers(40, 3650, H)
    applied = np.where(status == 1, as_of - rng.integers(5, 60, H), applied)
    enrolled = np.minimum(applied + rng.integers(10, 60, H), as_of - 5)
    enrolled = np.where(status == 1, -1, enrolled)
    benefit = np.where(status == 0, rng.integers(300, 1600, H) * 100 + rng.choice([0, 50], H), 0)
    benefit = np.where(status == 1, np.iinfo(np.int64).min, benefit).astype(np.int64)
    income = (rng.integers(0, 2600, H) * 100 + rng.choice([0, 0, 50], H)).astype(np.int64)
    income = np.where((cat == 2) | (rng.random(H) < 0.08), 0, income)
    base = chunk * 1_000_000
    hid = np.array([f"CN-{base + i + 1:08d}" for i in range(H)], dtype=object)
    return sizes, Households(hid, np.zeros(H, np.int64), cat, status, town, village, sizes, applied, enrolled, benefit, income)


def draw_members(seed: int, chunk: int, n_members: int, as_of: dt.date, profile: Profile = PROFILES["default"]):
    """Households and the member part of the chunk (no IDs yet)."""
    rng = chunk_rng(seed, chunk, 1)
    A = as_of.toordinal()
    sizes, hh = _draw_households(rng, n_members, A, chunk)
    H = len(sizes)
    hpos = np.repeat(np.arange(H), sizes)
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    pos = np.arange(n_members) - starts[hpos]
    hh.head = starts
    r = rng.random(n_members)
    # role: 0 head, 1 spouse, 2 child, 3 parent, 4 grandchild, 5 sibling, 6 other
    role = np.where(pos == 0, 0, np.where(pos == 1, np.where(r < 0.65, 1, np.where(r < 0.9, 2, 3)),
                    np.where(r < 0.8, 2, np.where(r < 0.9, 4, np.where(r < 0.95, 3, np.where(r < 0.98, 5, 6))))))
    sex = (rng.random(n_members) < 0.5).astype(np.int8)
    head_sex = (rng.random(H) < 0.6).astype(np.int8)
    sex = np.where(role == 0, head_sex[hpos], np.where(role == 1, 1 - head_sex[hpos], sex)).astype(np.int8)
    head_age = rng.uniform(24, 88, H) * YEAR
    head_birth = (A - head_age).astype(np.int64)
    hb = head_birth[hpos]
    off = np.select(
        [role == 0, role == 1, role == 2, role == 3, role == 4, role == 5],
        [0, rng.normal(0, 3 * YEAR, n_members), rng.uniform(20, 38, n_members) * YEAR,
         -rng.uniform(22, 35, n_members) * YEAR, rng.uniform(45, 62, n_members) * YEAR,
         rng.normal(0, 5 * YEAR, n_members)],
        rng.uniform(-30, 30, n_members) * YEAR,
    ).astype(np.int64)
    birth = hb + off
    # no point masses at the bounds (IDs need distinct sequences per birth day)
    lo = dt.date(1922, 1, 1).toordinal()
    birth = np.where(birth < lo, lo + rng.integers(0, 4000, n_members), birth)
    birth = np.where(birth > A - 30, A - 30 - rng.integers(0, 3000, n_members), birth)
    rel = np.select([role == 0, role == 1, role == 2, role == 3, role == 4, role == 5],
                    [0, 1, np.where(sex == 1, 2, 3), np.where(sex == 1, 4, 5), 6, 7], 8).astype(np.int8)
    code = names.draw_names(rng, sex)
    head_code = code[starts]
    kid = (role == 2) | (role == 4)
    kid_codes = names.draw_names(rng, sex, surname_idx=names.surname_of(head_code)[hpos])
    code = np.where(kid & (head_code[hpos] < names.MINORITY_BASE), kid_codes, code)
    # pairs of households in one village whose heads share a name: no-ID records of that name are ambiguous
    n_pairs = max(int(H * 0.004), 1 if chunk == 0 else 0)
    for a in sorted(rng.choice(H, size=min(n_pairs, H), replace=False).tolist()):
        same_sex = np.flatnonzero(head_sex[a + 1 :] == head_sex[a])
        if not len(same_sex):
            continue
        b = a + 1 + int(same_sex[0])
        hh.township[b] = hh.township[a]
        hh.village[b] = hh.village[a]
        code[starts[b]] = code[starts[a]]
    if chunk == 0 and H >= 6:
        hh.status[H - 1] = 2
        hh.status[H - 2] = 1
        hh.enrolled[H - 2] = -1
        hh.applied[H - 2] = A - 20
        hh.benefit[H - 2] = np.iinfo(np.int64).min
    if chunk == 0:
        # the classic same-named pair: members called 张伟 and 王芳, each with a stranger of that name
        adult_active = (birth < A - 18 * YEAR) & hh.active[hpos]
        for want_sex, nm in ((1, "张伟"), (0, "王芳")):
            cand = np.flatnonzero(adult_active & (sex == want_sex) & (pos > 0))
            if len(cand):
                code[cand[0]] = names.common_code(nm)
    cc, cg, cs = _draw_certs(rng, n_members, profile.member_certificates)
    # the grade the assistance system already knows
    rr = rng.random(n_members)
    milder = np.minimum(cg + 1 + rng.integers(0, 2, n_members), 4)
    recorded = np.where(cc > 0, np.where(rr < 0.6, cg, np.where((rr < 0.75) & (cg < 4), milder, 0)), 0).astype(np.int8)
    if chunk == 0 and H >= 3:
        # make sure even a tiny city has an unrecorded severe disability in an active household
        m = int(starts[np.flatnonzero(hh.active)[min(1, int(hh.active.sum()) - 1)]])
        cc[m], cg[m], cs[m], recorded[m] = 4, 2, 1, 0
    village = hh.village[hpos]
    people = People(
        n_members=n_members,
        region=rng.choice(len(geo.REGION_CODES), size=n_members, p=geo.REGION_P).astype(np.int8),
        birth=birth.astype(np.int64), sex=sex, name_code=code.astype(np.int64),
        township=hh.township[hpos].astype(np.int32), village=village.astype(np.int32),
        house_no=rng.integers(0, 5000, H)[hpos].astype(np.int32), hh=hpos.astype(np.int32), rel=rel,
        stranger_of=np.full(n_members, -1, np.int32), one_digit_apart=np.zeros(n_members, bool),
        cert_cat=cc, cert_grade=cg, cert_status=cs, recorded_grade=recorded,
    )
    return hh, people


def _draw_certs(rng, n: int, share: float):
    has = rng.random(n) < share
    cat = np.where(has, rng.choice(7, size=n, p=[0.1, 0.12, 0.02, 0.45, 0.12, 0.14, 0.05]) + 1, 0).astype(np.int8)
    grade = np.where(has, rng.choice(4, size=n, p=[0.12, 0.22, 0.3, 0.36]) + 1, 0).astype(np.int8)
    status = np.where(has, rng.choice(3, size=n, p=[0.85, 0.05, 0.1]) + 1, 0).astype(np.int8)
    return cat, grade, status


def add_nonmembers(seed: int, chunk: int, people: People, hh: Households, n_other: int, as_of: dt.date,
                   counter: ids.SequenceCounter, profile: Profile = PROFILES["default"]) -> People:
    """Everybody else in the chunk, same-named strangers, then IDs and names for all."""
    rng = chunk_rng(seed, chunk, 2)
    A = as_of.toordinal()
    m = people.n_members
    n = n_other
    town = rng.integers(0, len(geo.TOWNSHIPS), n).astype(np.int32)
    village = geo.random_villages(rng, town).astype(np.int32)
    age = np.where(rng.random(n) < 0.5, rng.uniform(0, 95, n), rng.normal(48, 18, n))
    age = np.where((age < 0) | (age > 100), rng.uniform(0, 95, n), age) * YEAR  # no point masses
    age = np.where(age < 1, rng.uniform(1, 18 * YEAR, n), age)
    birth = np.clip(A - age.astype(np.int64) - 1, dt.date(1922, 1, 1).toordinal(), A - 1)
    sex = (rng.random(n) < 0.5).astype(np.int8)
    code = names.draw_names(rng, sex)
    region = rng.choice(len(geo.REGION_CODES), size=n, p=geo.REGION_P).astype(np.int8)
    cc, cg, cs = _draw_certs(rng, n, profile.other_certificates)
    stranger_of = np.full(n, -1, np.int32)
    one_digit = np.zeros(n, bool)
    # same-named strangers of adult members of active households
    adult = np.flatnonzero((people.birth[:m] < A - 18 * YEAR) & hh.active[people.hh[:m]])
    k = min(max(int(m * 0.01), 2 if chunk == 0 else 0), len(adult), n - 2)
    if k:
        chosen_m = np.sort(rng.choice(adult, size=k, replace=False))
        if chunk == 0:
            named = [int(np.flatnonzero(people.name_code[:m] == names.common_code(nm))[0])
                     for nm in ("张伟", "王芳") if (people.name_code[:m] == names.common_code(nm)).any()]
            named = [x for x in named if x in set(adult.tolist())]
            rest = [x for x in chosen_m.tolist() if x not in named]
            chosen_m = np.array(named + rest, dtype=np.int64)[:k]
        chosen_s = np.sort(rng.choice(n - 2 if (chunk == 0 and n >= 10) else n, size=k, replace=False))
        stranger_of[chosen_s] = chosen_m
        code[chosen_s] = people.name_code[chosen_m]
        sex[chosen_s] = people.sex[chosen_m]
        town[chosen_s] = people.township[chosen_m]
        village[chosen_s] = people.village[chosen_m]
        od = rng.random(k) < 0.5
        if chunk == 0:
            od[0] = True
        one_digit[chosen_s] = od
        birth[chosen_s] = np.where(od, people.birth[chosen_m], birth[chosen_s])
        region[chosen_s] = np.where(od, people.region[chosen_m], region[chosen_s])
    if chunk == 0 and n >= 10:
        # an outreach case, and a severely disabled person who died (no outreach)
        for j in (n - 1, n - 2):
            cc[j], cg[j], cs[j] = 6, 2, 1
            birth[j] = min(int(birth[j]), A - int(30 * YEAR))
            stranger_of[j] = -1
    allp = People(
        n_members=m,
        region=np.r_[people.region, region], birth=np.r_[people.birth, birth], sex=np.r_[people.sex, sex],
        name_code=np.r_[people.name_code, code], township=np.r_[people.township, town],
        village=np.r_[people.village, village], house_no=np.r_[people.house_no, rng.integers(0, 5000, n)].astype(np.int32),
        hh=np.r_[people.hh, np.full(n, -1, np.int32)], rel=np.r_[people.rel, np.full(n, -1, np.int8)],
        stranger_of=np.r_[people.stranger_of, stranger_of], one_digit_apart=np.r_[people.one_digit_apart, one_digit],
        cert_cat=np.r_[people.cert_cat, cc], cert_grade=np.r_[people.cert_grade, cg],
        cert_status=np.r_[people.cert_status, cs],
        recorded_grade=np.r_[people.recorded_grade, np.zeros(n, np.int8)],
    )
    seq = np.zeros(allp.n, np.int64)
    ordinary = ~allp.one_digit_apart
    seq[ordinary] = counter.take(allp.region[ordinary].astype(np.int64), allp.birth[ordinary],
                                 allp.sex[ordinary].astype(np.int64))
    od_pos = np.flatnonzero(allp.one_digit_apart)
    seq[od_pos] = ids.stranger_seq(seq[allp.stranger_of[od_pos]])
    allp.id18 = ids.build_ids(allp.region.astype(np.int64), allp.birth, seq)
    allp.name = names.name_strings(allp.name_code)
    return allp
