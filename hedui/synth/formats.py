"""Value formats of the spec: dates in every arriving form, amounts with and without decoration."""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np

NO_DATE = -1
NO_AMOUNT = np.iinfo(np.int64).min  # unknown amount: written as an empty field

# date format codes; XLSX_CELL is only used in spreadsheets (written as a real date cell)
ISO, SLASH, COMPACT, CHINESE, DOTTED, XLSX_CELL = range(6)
DATE_FORMAT_P = np.array([0.62, 0.12, 0.11, 0.08, 0.07])


def draw_date_formats(rng: np.random.Generator, n: int, xlsx: bool = False) -> np.ndarray:
    f = rng.choice(5, size=n, p=DATE_FORMAT_P).astype(np.int8)
    if xlsx:
        f = np.where(rng.random(n) < 0.45, XLSX_CELL, f).astype(np.int8)
    return f


@functools.lru_cache(maxsize=4)
def _date_table(first: int, last: int) -> np.ndarray:
    n = last - first + 1
    tbl = np.empty((6, n + 1), dtype=object)
    for i in range(n):
        d = dt.date.fromordinal(first + i)
        y, m, dd = d.year, d.month, d.day
        tbl[0, i] = f"{y:04d}-{m:02d}-{dd:02d}"
        tbl[1, i] = f"{y}/{m}/{dd}"
        tbl[2, i] = f"{y:04d}{m:02d}{dd:02d}"
        tbl[3, i] = f"{y}年{m}月{dd}日"
        tbl[4, i] = f"{y:04d}.{m:02d}.{dd:02d}"
        tbl[5, i] = d
    tbl[:, n] = ""  # index -1 -> empty
    return tbl


class DateRenderer:
    """Ordinal day numbers -> strings (or date objects for XLSX cells) by a per-row format code."""

    def __init__(self, first: dt.date, last: dt.date):
        self.first = first.toordinal()
        self.last = last.toordinal()

    def __call__(self, ordinals: np.ndarray, fmt: np.ndarray) -> np.ndarray:
        tbl = _date_table(self.first, self.last)
        idx = ordinals.astype(np.int64) - self.first
        bad = (ordinals == NO_DATE) | (idx < 0) | (idx > self.last - self.first)
        if bad.any() and not (ordinals[bad] == NO_DATE).all():
            raise ValueError("date outside the renderer's range")
        idx = np.where(bad, tbl.shape[1] - 1, idx)
        return tbl[fmt.astype(np.int64), idx]


# amount format codes
AMT_PLAIN, AMT_2DP, AMT_THOUSANDS, AMT_YUAN = range(4)
AMOUNT_FORMAT_P = np.array([0.55, 0.3, 0.08, 0.07])
_FRAC2 = np.array([f"{i:02d}" for i in range(100)], dtype=object)
_FRAC1 = np.array([f"{i // 10}" for i in range(100)], dtype=object)


def draw_amount_formats(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.choice(4, size=n, p=AMOUNT_FORMAT_P).astype(np.int8)


_FRAC2U = np.array([f"{i:02d}" for i in range(100)])
_FRAC1U = np.array([f"{i // 10}" for i in range(100)])


def render_amounts(cents: np.ndarray, fmt: np.ndarray) -> np.ndarray:
    """Integer cents -> `1234.5` / `1234.50` / `1,234.50` / `1234.50元`; NO_AMOUNT -> ''."""
    S = np.strings
    unknown = cents == NO_AMOUNT
    c = np.where(unknown, 0, cents)
    neg = c < 0
    a = np.abs(c)
    yuan = (a // 100).astype(np.int64)
    frac = (a % 100).astype(np.int64)
    ystr = yuan.astype(str)
    two = S.add(S.add(ystr, "."), _FRAC2U[frac])
    one = S.add(S.add(ystr, "."), _FRAC1U[frac])
    plain = np.where(frac == 0, ystr, np.where(frac % 10 == 0, one, two))
    out = np.where(fmt == AMT_PLAIN, plain, two).astype(object)
    yu = np.flatnonzero(fmt == AMT_YUAN)
    if len(yu):
        out[yu] = S.add(two[yu], "元").astype(object)
    th = np.flatnonzero(fmt == AMT_THOUSANDS)
    if len(th):
        out[th] = [f"{y:,}.{f:02d}" for y, f in zip(yuan[th].tolist(), frac[th].tolist())]
    ng = np.flatnonzero(neg)
    if len(ng):
        out[ng] = ["-" + v for v in out[ng].tolist()]
    out[unknown] = ""
    return out


# month format codes (spec 4b): `202610`, `2026-10`, `2026/10`, `2026年10月`, or a spreadsheet date cell
M_COMPACT, M_DASH, M_SLASH, M_CHINESE, M_XLSX_CELL = range(5)
MONTH_FORMAT_P = np.array([0.4, 0.3, 0.15, 0.15])
NO_MONTH = -1


def draw_month_formats(rng: np.random.Generator, n: int, xlsx: bool = False) -> np.ndarray:
    f = rng.choice(4, size=n, p=MONTH_FORMAT_P).astype(np.int8)
    if xlsx:
        f = np.where(rng.random(n) < 0.5, M_XLSX_CELL, f).astype(np.int8)
    return f


def _month_forms(month: int, day: int) -> list:
    y, mo = divmod(month, 12)
    mo += 1
    return [f"{y:04d}{mo:02d}", f"{y:04d}-{mo:02d}", f"{y}/{mo}", f"{y}年{mo}月", dt.date(y, mo, day)]


def render_months(months: np.ndarray, fmt: np.ndarray, day: np.ndarray | None = None) -> np.ndarray:
    """Absolute month numbers (year * 12 + month - 1) -> strings by format code, or a date object for a
    spreadsheet cell (on day `day` of the month: the cell's month is what counts). NO_MONTH -> ''."""
    n = len(months)
    out = np.empty(n, dtype=object)
    if not n:
        return out
    day = np.ones(n, np.int64) if day is None else day
    key = months.astype(np.int64) * 64 + np.where(fmt == M_XLSX_CELL, day, 0)
    uniq, inv = np.unique(key, return_inverse=True)
    table = np.empty((len(uniq), 5), dtype=object)
    for i, k in enumerate(uniq.tolist()):
        mo, d = divmod(k, 64)
        table[i] = _month_forms(mo, max(d, 1)) if mo >= 0 else [""] * 5
    out[:] = table[inv, fmt.astype(np.int64)]
    out[months == NO_MONTH] = ""
    return out
