"""Ground truth: per-record truth (parquet, streamed) and the warnings a correct pipeline must raise."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from hedui.synth import income_facts as F
from hedui.synth.sources import benefits, medical, social_insurance, vehicle
from hedui.synth.sources.base import Ctx

RECORD_SCHEMA = pa.schema([
    ("delivery", pa.string()), ("file", pa.string()), ("row_number", pa.int64()),
    ("true_person_id", pa.string()), ("member_household_id", pa.string()), ("linkable", pa.bool_()),
    ("mess", pa.string()),
])
RULES = ["ASSET_VEHICLE", "ASSET_PROPERTY", "HARDSHIP_DISABILITY", "HARDSHIP_MEDICAL", "HARDSHIP_MAJOR_ILLNESS",
         "CHANGE_DECEASED", "OUTREACH_SEVERE_DISABILITY", "INCOME_ABOVE_STANDARD", "INCOME_UNDERDECLARED",
         "ASSET_BUSINESS", "INTEGRITY_PUBLIC_PAYROLL", "INTEGRITY_STAFF_RELATIVE"]
V2_RULES = RULES[7:]
# the default income policy (warning-rules.md "Verified income (v2)"): cents per month by 城乡 (1 城市, 2 农村),
# and the multiplier of each 保障类别 in tenths
STANDARD = np.array([0, 68_000, 54_000], np.int64)
MULTIPLIER_TENTHS = np.array([10, 10, 10, 15, 20], np.int64)
UNDERDECLARED_MIN = 50_000  # cents: 500 yuan

MEDICAL_ABS = 1_000_000  # cents: 10,000 yuan
MEDICAL_MIN = 200_000  # cents: 2,000 yuan


class TruthWriter:
    """records_<source>.parquet, appended batch by batch."""

    def __init__(self, path: Path, flush_rows: int = 1_000_000):
        self.path = path
        self.flush_rows = flush_rows
        self._buf: list[pa.Table] = []
        self._n = 0
        self._writer: pq.ParquetWriter | None = None
        self.rows = 0

    def add(self, delivery: str, file: np.ndarray, row_number: np.ndarray, true_id: np.ndarray,
            hid: np.ndarray, linkable: np.ndarray, mess: np.ndarray) -> None:
        n = len(file)
        if not n:
            return
        self._buf.append(pa.table([
            pa.array([delivery] * n, pa.string()), pa.array(file.tolist(), pa.string()),
            pa.array(row_number, pa.int64()), pa.array(true_id.tolist(), pa.string()),
            pa.array(hid.tolist(), pa.string()), pa.array(linkable, pa.bool_()), pa.array(mess.tolist(), pa.string()),
        ], schema=RECORD_SCHEMA))
        self._n += n
        self.rows += n
        if self._n >= self.flush_rows:
            self.flush()

    def flush(self) -> None:
        if not self._buf:
            return
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, RECORD_SCHEMA, compression="zstd")
        self._writer.write_table(pa.concat_tables(self._buf))
        self._buf, self._n = [], 0

    def close(self) -> None:
        self.flush()
        if self._writer is None:
            pq.write_table(RECORD_SCHEMA.empty_table(), self.path)
        else:
            self._writer.close()


# ---- the major-illness list ----
_MAJOR_LIST = ([f"C{i:02d}" for i in range(98)] + ["D61", "D66", "D67", "F20", "F25", "F31", "N18.5", "N18.6"]
               + [f"Q{i}" for i in range(20, 27)] + ["Z94"])


def is_major(code: str) -> bool:
    code = code.strip().upper()
    return any(code == c or (code.startswith(c) and re.match(r"[.\d]", code[len(c):len(c) + 1] or "x"))
               for c in _MAJOR_LIST)


_DIAG_MAJOR = np.array([is_major(c) for c in medical.DIAG_CODES])


def severe(cat: np.ndarray, grade: np.ndarray, status: np.ndarray) -> np.ndarray:
    """有效 and 一级/二级, or 三级 for 智力 (5) / 精神 (6)."""
    return (status == 1) & ((grade == 1) | (grade == 2) | ((grade == 3) & ((cat == 5) | (cat == 6))))


def chunk_warnings(ctx: Ctx, t: dict[str, dict]) -> list[tuple[str, str | None, str | None]]:
    """Warnings from the records in force of one chunk (households never span chunks)."""
    p, hh = ctx.people, ctx.hh
    m = p.n_members
    out: list[tuple[str, str | None, str | None]] = []
    active_member = np.zeros(p.n, bool)
    active_member[:m] = hh.active[p.hh[:m]]

    def member_rows(persons: np.ndarray, code: str) -> None:
        for x in np.unique(persons).tolist():
            out.append((code, hh.hid[p.hh[x]], p.id18[x]))

    # ASSET_VEHICLE
    v = t["vehicle"]
    ok = v["linkable"] & (v["status"] == 0) & ~vehicle.EXEMPT_IDX[v["vtype"]] & active_member[v["person"]]
    member_rows(v["person"][ok], "ASSET_VEHICLE")
    # ASSET_PROPERTY
    h = t["housing"]
    ok = h["linkable"] & (h["status"] == 0) & active_member[h["person"]]
    hpos = p.hh[h["person"][ok]]
    unit = h["unit_id"][ok]
    use = h["use"][ok]
    for hp in np.unique(hpos).tolist():
        sel = hpos == hp
        homes = len(np.unique(unit[sel & (use == 0)]))
        business = ((use[sel] >= 1) & (use[sel] <= 3)).any()
        if homes >= 2 or business:
            out.append(("ASSET_PROPERTY", hh.hid[hp], None))
    # HARDSHIP_DISABILITY and OUTREACH (the disability snapshot in force holds every certificate)
    d = t["disability"]
    dp = d["person"]
    sev = severe(p.cert_cat[dp], p.cert_grade[dp], p.cert_status[dp]) & d["linkable"]
    rec = p.recorded_grade[dp]
    member_rows(dp[sev & active_member[dp] & ((rec == 0) | (rec > p.cert_grade[dp]))], "HARDSHIP_DISABILITY")
    dead = np.zeros(p.n, bool)
    de = t["death"]
    dead[de["person"][de["linkable"]]] = True
    A = ctx.as_of
    births = p.birth[dp]
    age16 = np.array([_age(dt.date.fromordinal(b), A) >= 16 for b in births.tolist()], dtype=bool)
    for x in np.unique(dp[sev & ~active_member[dp] & age16 & ~dead[dp]]).tolist():
        out.append(("OUTREACH_SEVERE_DISABILITY", None, p.id18[x]))
    # HARDSHIP_MEDICAL / HARDSHIP_MAJOR_ILLNESS: events delivered on or before as_of, dated in the window
    md = t["medical"]
    ok = md["linkable"] & (md["week"] >= 0) & (md["before"] >= 0) & (md["before"] <= 364) & active_member[md["person"]]
    hp_rows = p.hh[md["person"][ok]]
    sums = np.bincount(hp_rows, weights=md["oop"][ok].astype(np.float64), minlength=len(hh.hid)) if len(hp_rows) else \
        np.zeros(len(hh.hid))
    sums = np.round(sums).astype(np.int64)
    hit = hh.active & ((sums >= MEDICAL_ABS) | ((sums >= MEDICAL_MIN) & (sums >= 6 * hh.income)))
    for hp in np.flatnonzero(hit).tolist():
        out.append(("HARDSHIP_MEDICAL", hh.hid[hp], None))
    maj = ok & (md["reversal_of"] < 0) & ~md["reversed"] & _DIAG_MAJOR[md["diag"]]
    member_rows(md["person"][maj], "HARDSHIP_MAJOR_ILLNESS")
    # CHANGE_DECEASED
    member_rows(de["person"][de["linkable"] & active_member[de["person"]]], "CHANGE_DECEASED")
    out.extend(income_warnings(ctx, t))
    return out


def verified_income_x3(ctx: Ctx, t: dict[str, dict]) -> tuple[np.ndarray, np.ndarray]:
    """Per person of the chunk, three times the verified monthly wage and benefits (cents), by the definitions
    of warning-rules.md "Verified income (v2)"; three times so that the monthly average stays an integer."""
    p = ctx.people
    window = np.array(F.WINDOW)
    si = t["social_insurance"]
    ok = (si["linkable"] & (si["dk"] >= 0) & np.isin(si["month"], window)
          & np.isin(si["itype"], social_insurance.COUNTED_TYPES) & (si["ptype"] == 0))
    si_sum = np.zeros(p.n, np.int64)
    np.add.at(si_sum, si["person"][ok], si["base"][ok])  # a refund's negative base nets out what it cancels
    hf = t["housing_fund"]
    ok = hf["linkable"] & (hf["status"] == 0) & np.isin(hf["month"], window)
    hf_sum = np.zeros(p.n, np.int64)
    np.add.at(hf_sum, hf["person"][ok], hf["base"][ok])
    pp = t["public_payroll"]
    ok = pp["linkable"] & np.isin(pp["month"], window)
    pp_sum = np.zeros(p.n, np.int64)
    np.add.at(pp_sum, pp["person"][ok], pp["gross"][ok])
    wage3 = np.maximum(si_sum, np.maximum(3 * hf_sum, 3 * pp_sum))
    b = t["benefits"]
    ok = (b["linkable"] & (b["dk"] >= 0) & np.isin(b["month"], window) & (b["status"] == 0)
          & ~np.isin(b["btype"], benefits.EXEMPT_TYPES))
    ben3 = np.zeros(p.n, np.int64)
    np.add.at(ben3, b["person"][ok], b["amount"][ok])
    return wage3, ben3


def income_warnings(ctx: Ctx, t: dict[str, dict]) -> list[tuple[str, str | None, str | None]]:
    """INCOME_ABOVE_STANDARD, INCOME_UNDERDECLARED (per active household) and ASSET_BUSINESS,
    INTEGRITY_PUBLIC_PAYROLL, INTEGRITY_STAFF_RELATIVE (per member of an active household) from the records
    of the chunk that a correct pipeline sees: delivered by the as-of date, in force, linkable."""
    p, hh = ctx.people, ctx.hh
    m = p.n_members
    out: list[tuple[str, str | None, str | None]] = []
    active_member = np.zeros(p.n, bool)
    active_member[:m] = hh.active[p.hh[:m]]
    wage3, ben3 = verified_income_x3(ctx, t)
    total3 = np.zeros(len(hh.hid), np.int64)
    np.add.at(total3, p.hh[:m], (wage3 + ben3)[:m])
    ur = F.urban_rural_used(ctx)
    limit_x10 = STANDARD[ur] * MULTIPLIER_TENTHS[hh.category]
    # per capita above the limit: total3 / 3 / size > standard * tenths / 10
    above = hh.active & (ur > 0) & (10 * total3 > 3 * hh.size * limit_x10)
    declared = hh.income
    gap3 = total3 - 3 * declared
    under = hh.active & (gap3 >= 3 * UNDERDECLARED_MIN) & (10 * gap3 >= 9 * declared)
    out += [("INCOME_ABOVE_STANDARD", hid, None) for hid in hh.hid[above].tolist()]
    out += [("INCOME_UNDERDECLARED", hid, None) for hid in hh.hid[under].tolist()]

    def member_rows(persons: np.ndarray, code: str) -> None:
        for x in np.unique(persons).tolist():
            out.append((code, hh.hid[p.hh[x]], p.id18[x]))

    bz = t["business"]
    ok = (bz["linkable"] & np.isin(bz["role"], F.COUNTED_ROLES) & np.isin(bz["estatus"], F.ACTIVE_ENTITY)
          & (bz["etype"] != F.EXEMPT_ENTITY))
    member_rows(bz["person"][ok & active_member[bz["person"]]], "ASSET_BUSINESS")
    pp = t["public_payroll"]
    ok = pp["linkable"] & (pp["cat"] == 0) & np.isin(pp["month"], np.array(F.WINDOW))
    member_rows(pp["person"][ok & active_member[pp["person"]]], "INTEGRITY_PUBLIC_PAYROLL")
    sr = t["staff_roster"]
    f = F.facts(ctx)
    not_filed = np.zeros(p.n, bool)
    not_filed[:m] = f["filed"][p.hh[:m]] != 1
    tied = np.r_[sr["person"][sr["linkable"]], sr["rel"][sr["relative_linkable"]]].astype(np.int64)
    member_rows(tied[active_member[tied] & not_filed[tied]], "INTEGRITY_STAFF_RELATIVE")
    return out


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def write_warnings(path: Path, rows: list[tuple[str, str | None, str | None]]) -> None:
    rows = sorted(set(rows), key=lambda r: (RULES.index(r[0]), r[1] or "", r[2] or ""))
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("rule_code,household_id,person_id\n")
        for code, hid, pid in rows:
            fh.write(f"{code},{hid or ''},{pid or ''}\n")
