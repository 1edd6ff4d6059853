"""Citizen IDs (公民身份号码): vectorised construction and the deliberate damage of the spec."""

from __future__ import annotations

import datetime as dt

import numpy as np

from hedui.synth.geo import REGION_CODES

WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
CHECK_CHARS = np.frombuffer(b"10X98765432", dtype=np.uint8)
EPOCH = dt.date(1900, 1, 1).toordinal()
_REGION_DIGITS = np.array([[int(c) for c in r] for r in REGION_CODES], dtype=np.uint8)
_FULLWIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")


def check_chars(digits17: np.ndarray) -> np.ndarray:
    """ISO 7064 MOD 11-2 check character (as ASCII bytes) of each row of an (n, 17) digit matrix."""
    s = (digits17.astype(np.int64) * WEIGHTS).sum(axis=1) % 11
    return CHECK_CHARS[s]


def _ymd_digits(ordinals: np.ndarray) -> np.ndarray:
    d = ordinals.astype("int64") - dt.date(1970, 1, 1).toordinal()
    dates = d.astype("datetime64[D]")
    y = dates.astype("datetime64[Y]").astype(int) + 1970
    m = dates.astype("datetime64[M]").astype(int) % 12 + 1
    day = (dates - dates.astype("datetime64[M]")).astype(int) + 1
    ymd = y * 10000 + m * 100 + day
    return np.stack([(ymd // 10 ** (7 - i)) % 10 for i in range(8)], axis=1).astype(np.uint8)


def build_ids(region_idx: np.ndarray, birth_ord: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """18-character IDs as a numpy object array of str."""
    n = len(seq)
    digits = np.empty((n, 18), dtype=np.uint8)
    digits[:, :6] = _REGION_DIGITS[region_idx]
    digits[:, 6:14] = _ymd_digits(birth_ord)
    digits[:, 14] = seq // 100
    digits[:, 15] = (seq // 10) % 10
    digits[:, 16] = seq % 10
    ascii_ = digits + ord("0")
    ascii_[:, 17] = check_chars(digits[:, :17])
    return np.frombuffer(ascii_.tobytes(), dtype="S18").astype("U18").astype(object)


class SequenceCounter:
    """Hands out the 3-digit sequence numbers so that IDs are unique across chunks.

    Sequences below 700 are ordinary; 700-999 are reserved for strangers whose ID is one digit away
    from somebody else's. The parity of the last digit is the sex (odd = male).
    """

    def __init__(self, max_ord: int):
        self.n_days = max_ord - EPOCH + 1
        self.count = np.zeros(len(REGION_CODES) * self.n_days * 2, dtype=np.int32)

    def take(self, region_idx: np.ndarray, birth_ord: np.ndarray, sex: np.ndarray) -> np.ndarray:
        key = (region_idx.astype(np.int64) * self.n_days + (birth_ord - EPOCH)) * 2 + sex
        order = np.argsort(key, kind="stable")
        ks = key[order]
        start = np.r_[0, np.flatnonzero(np.diff(ks)) + 1]
        run = np.arange(len(ks)) - np.repeat(start, np.diff(np.r_[start, len(ks)]))
        rank = np.empty_like(run)
        rank[order] = run
        base = (key * 2654435761 % 97).astype(np.int64)  # a per-key offset so sequences do not all start at 0
        k = base + self.count[key] + rank
        np.add.at(self.count, key, 1)
        if (k >= 350).any():
            raise ValueError("too many people born on one day in one region for 3-digit sequences")
        return (2 * k + sex).astype(np.int64)


def stranger_seq(seq: np.ndarray) -> np.ndarray:
    """A sequence differing from `seq` in the hundreds digit only, in the reserved range 700-999."""
    return 700 + 100 * ((seq // 100) % 3) + seq % 100


# ---- damage (each returns one string per input) ----

def to_lower_x(ids: list[str]) -> list[str]:
    return [s.replace("X", "x") for s in ids]


def to_fullwidth(ids: list[str]) -> list[str]:
    return [s.translate(_FULLWIDTH) for s in ids]


def with_spaces(ids: list[str], r: list[int]) -> list[str]:
    out = []
    for s, k in zip(ids, r):
        v = k % 4
        out.append(f" {s} " if v == 0 else f"{s[:6]} {s[6:14]} {s[14:]}" if v == 1 else f"{s} " if v == 2 else f"  {s}")
    return out


def to_15(ids: list[str]) -> list[str]:
    return [s[:6] + s[8:17] for s in ids]


def wrong_digit(ids: list[str], r: list[int]) -> list[str]:
    out = []
    for s, k in zip(ids, r):
        p = 6 + k % 11  # a digit of the birth date or the sequence
        d = (int(s[p]) + 1 + (k // 11) % 9) % 10
        out.append(s[:p] + str(d) + s[p + 1 :])
    return out


def sci_notation(ids: list[str]) -> list[str]:
    """What a spreadsheet shows for an 18-digit number: 15 significant digits, e.g. 4.30482197801305E+17."""
    out = []
    for s in ids:
        mant = str((int(s) + 500) // 1000).rstrip("0")
        out.append(f"{mant[0]}.{mant[1:]}E+17" if len(mant) > 1 else f"{mant}E+17")
    return out
