"""Ground truth: per-record truth (parquet, streamed) and the warnings a correct pipeline must raise."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from hedui.synth.sources import medical, vehicle
from hedui.synth.sources.base import Ctx

RECORD_SCHEMA = pa.schema([
    ("delivery", pa.string()), ("file", pa.string()), ("row_number", pa.int64()),
    ("true_person_id", pa.string()), ("member_household_id", pa.string()), ("linkable", pa.bool_()),
    ("mess", pa.string()),
])
RULES = ["ASSET_VEHICLE", "ASSET_PROPERTY", "HARDSHIP_DISABILITY", "HARDSHIP_MEDICAL", "HARDSHIP_MAJOR_ILLNESS",
         "CHANGE_DECEASED", "OUTREACH_SEVERE_DISABILITY"]
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
    return out


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def write_warnings(path: Path, rows: list[tuple[str, str | None, str | None]]) -> None:
    rows = sorted(set(rows), key=lambda r: (RULES.index(r[0]), r[1] or "", r[2] or ""))
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("rule_code,household_id,person_id\n")
        for code, hid, pid in rows:
            fh.write(f"{code},{hid or ''},{pid or ''}\n")
