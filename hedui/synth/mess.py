"""Per-record mess of IDs and names: drawn as small integer codes, rendered to strings on writing."""

from __future__ import annotations

import datetime as dt

import numpy as np

from hedui.synth import ids, names

CLEAN, LOWER_X, FULLWIDTH, SPACES, ID15, WRONG_DIGIT, SCI, EMPTY = range(8)
ID_TAGS = {LOWER_X: "id_lower_x", FULLWIDTH: "id_fullwidth", SPACES: "id_spaces", ID15: "id_15digit",
           WRONG_DIGIT: "id_wrong_digit", SCI: "sci_notation", EMPTY: "no_id"}
ID_P = {LOWER_X: 0.5, FULLWIDTH: 0.01, SPACES: 0.015, ID15: 0.03, WRONG_DIGIT: 0.008, SCI: 0.004}
BENIGN = (LOWER_X, FULLWIDTH, SPACES, ID15)  # normalise back to the right ID
N_TRAD, N_SPACES, N_DOT = 1, 2, 3
NAME_TAGS = {N_TRAD: "traditional_name", N_SPACES: "name_spaces", N_DOT: "minority_dot"}
Y2000 = dt.date(2000, 1, 1).toordinal()


def draw_id_mess(rng, id18: np.ndarray, birth: np.ndarray, allowed: tuple[int, ...], force: bool,
                 protected: np.ndarray | None = None, scale: float = 1.0) -> np.ndarray:
    """One code per record. `protected` rows only get mess that normalises back to the right ID.
    With `force`, every allowed kind appears at least once where some row is eligible."""
    n = len(id18)
    code = np.zeros(n, np.int8)
    if n == 0:
        return code
    ends_x = np.array([s[-1] == "X" for s in id18.tolist()]) if n else np.zeros(0, bool)
    old = birth < Y2000
    prot = np.zeros(n, bool) if protected is None else protected
    u = rng.random(n)
    eligible = {
        LOWER_X: ends_x, FULLWIDTH: np.ones(n, bool), SPACES: np.ones(n, bool), ID15: old,
        WRONG_DIGIT: ~prot, SCI: ~prot & ~ends_x,
    }
    lo = 0.0
    for k in (FULLWIDTH, SPACES, ID15, WRONG_DIGIT, SCI):
        if k not in allowed:
            continue
        p = ID_P[k] * scale
        hit = (u >= lo) & (u < lo + p) & eligible[k] & (code == 0)
        code[hit] = k
        lo += p
    if LOWER_X in allowed:
        code[(code == 0) & ends_x & (rng.random(n) < ID_P[LOWER_X])] = LOWER_X
    if force:
        for k in allowed:
            if k in eligible and not (code == k).any():
                cand = np.flatnonzero(eligible[k] & (code == 0))
                if len(cand):
                    code[cand[int(rng.integers(len(cand)))]] = k
    return code


def render_ids(id18: np.ndarray, code: np.ndarray, r: np.ndarray) -> np.ndarray:
    out = id18.copy()
    for k, fn in ((LOWER_X, ids.to_lower_x), (FULLWIDTH, ids.to_fullwidth), (ID15, ids.to_15), (SCI, ids.sci_notation)):
        w = np.flatnonzero(code == k)
        if len(w):
            out[w] = fn(id18[w].tolist())
    for k, fn in ((SPACES, ids.with_spaces), (WRONG_DIGIT, ids.wrong_digit)):
        w = np.flatnonzero(code == k)
        if len(w):
            out[w] = fn(id18[w].tolist(), r[w].tolist())
    out[code == EMPTY] = ""
    return out


def draw_name_mess(rng, name_code: np.ndarray, force: bool, p_trad: float = 0.03, p_space: float = 0.015,
                   p_dot: float = 0.6, allow_trad: np.ndarray | None = None) -> np.ndarray:
    n = len(name_code)
    code = np.zeros(n, np.int8)
    if n == 0:
        return code
    minority = name_code >= names.MINORITY_BASE
    u = rng.random(n)
    can_trad = ~minority if allow_trad is None else (~minority & allow_trad)
    code[(u < p_trad) & can_trad] = N_TRAD
    code[(u >= p_trad) & (u < p_trad + p_space)] = N_SPACES
    code[minority & (rng.random(n) < p_dot) & (code == 0)] = N_DOT
    if force:
        for k, elig in ((N_TRAD, can_trad), (N_SPACES, np.ones(n, bool)), (N_DOT, minority)):
            if not (code == k).any():
                cand = np.flatnonzero(elig & (code == 0))
                if len(cand):
                    code[cand[int(rng.integers(len(cand)))]] = k
    return code


def render_names(name: np.ndarray, code: np.ndarray, r: np.ndarray) -> np.ndarray:
    out = name.copy()
    for i in np.flatnonzero(code).tolist():
        s = name[i]
        k = code[i]
        if k == N_TRAD:
            out[i] = names.traditional(s)
        elif k == N_SPACES:
            v = int(r[i]) % 3
            out[i] = f" {s} " if v == 0 else (s[0] + " " + s[1:] if v == 1 else s + "  ")
        elif k == N_DOT:
            out[i] = s.replace("·", names.MIDDLE_DOTS[1 + int(r[i]) % 4])
    return out


def tags(*parts: tuple[np.ndarray, dict[int, str]] | np.ndarray) -> np.ndarray:
    """Join per-record tags with '+': each part is (codes, code->tag) or a ready object array of tags."""
    out = None
    for part in parts:
        if isinstance(part, tuple):
            codes, table = part
            lut = np.array([table.get(i, "") for i in range(max(table) + 1 if table else 1)] + [""] * 8, dtype=object)
            t = lut[codes.astype(np.int64)]
        else:
            t = part
        if out is None:
            out = t.copy()
        else:
            both = (out != "") & (t != "")
            out = np.where(both, out + "+" + t, np.where(out != "", out, t))
    return out
