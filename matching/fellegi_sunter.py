"""Generic Fellegi–Sunter scoring over aligned arrays of candidate pairs.

A `Comparison` names a field, lists its `Level`s (each with an m probability and, unless the u comes per
pair from term frequencies, a u probability) and classifies every pair of a DataFrame into one level at once
(vectorised: numpy and `rapidfuzz.process.cpdist`, never a loop over rows). `Model.score` adds one
`<field>_level` and one `<field>_weight` column per comparison and their sum as `score`.

Nothing here knows about Chinese names or IDs: `matching.comparisons` plugs in the Chinese comparisons,
`bench/link_quality.py` plugs in FEBRL's fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler, Levenshtein


@dataclass(frozen=True)
class Level:
    """One outcome of a comparison. `u=None` means the u probability comes per pair (term frequencies).

    A level with `neutral=True` carries weight 0 whatever its m and u (missing values).
    """

    name: str
    m: float = 1.0
    u: float | None = 1.0
    neutral: bool = False

    def weight(self) -> float:
        if self.neutral or self.u is None:
            return 0.0
        return float(np.log2(self.m / self.u))


@dataclass(frozen=True)
class Classified:
    """What a comparison's classifier returns: one level index per pair, optionally per-pair u values
    (used where the level's u is None) and a mask of pairs whose weight is forced to 0 (evidence already
    counted by another comparison)."""

    level: np.ndarray
    u: np.ndarray | None = None
    neutral: np.ndarray | None = None


@dataclass(frozen=True)
class Comparison:
    field: str
    levels: tuple[Level, ...]
    classify: Callable[[pd.DataFrame], Classified]


@dataclass(frozen=True)
class Model:
    comparisons: tuple[Comparison, ...]

    def score(self, pairs: pd.DataFrame) -> pd.DataFrame:
        """`pairs` with `<field>_level`, `<field>_weight` per comparison and `score` (their sum) added."""
        out = pairs.copy()
        total = np.zeros(len(pairs), dtype=float)
        for comp in self.comparisons:
            cls = comp.classify(pairs)
            idx = np.asarray(cls.level, dtype=int)
            names = np.array([lv.name for lv in comp.levels], dtype=object)
            fixed = np.array([lv.weight() for lv in comp.levels], dtype=float)
            m = np.array([lv.m for lv in comp.levels], dtype=float)
            per_pair_u = np.array([lv.u is None and not lv.neutral for lv in comp.levels])
            weight = fixed[idx]
            if cls.u is not None and per_pair_u.any():
                take = per_pair_u[idx]
                u = np.clip(np.asarray(cls.u, dtype=float)[take], 1e-12, 1.0)
                weight[take] = np.log2(m[idx][take] / u)
            if cls.neutral is not None:
                weight = np.where(np.asarray(cls.neutral, dtype=bool), 0.0, weight)
            out[f"{comp.field}_level"] = names[idx]
            out[f"{comp.field}_weight"] = np.round(weight, 4)
            total += weight
        out["score"] = np.round(total, 4)
        return out


# --- vectorised string helpers over aligned arrays -------------------------------------------------------


def _strings(values: pd.Series) -> list[str]:
    return values.fillna("").astype(str).tolist()


def present(values: pd.Series) -> np.ndarray:
    return values.notna().to_numpy() & (values.fillna("").astype(str).str.len() > 0).to_numpy()


def pair_distance(left: pd.Series, right: pd.Series, scorer) -> np.ndarray:
    """scorer distance of each aligned pair (missing values compare as empty strings)."""
    if len(left) == 0:
        return np.zeros(0)
    return process.cpdist(_strings(left), _strings(right), scorer=scorer, workers=-1)


def damerau(left: pd.Series, right: pd.Series) -> np.ndarray:
    return pair_distance(left, right, DamerauLevenshtein.distance)


def levenshtein(left: pd.Series, right: pd.Series) -> np.ndarray:
    return pair_distance(left, right, Levenshtein.distance)


def jaro_winkler(left: pd.Series, right: pd.Series) -> np.ndarray:
    return pair_distance(left, right, JaroWinkler.normalized_similarity)


def value_frequency(values: pd.Series, population: pd.Series) -> np.ndarray:
    """Share of `population` carrying each of `values` (term frequency; 0 when unseen)."""
    freq = population.value_counts(normalize=True)
    return values.map(freq).fillna(0.0).to_numpy(dtype=float)


# --- generic comparisons (used for FEBRL; the Chinese ones live in matching.comparisons) ----------------


def string_comparison(
    field_name: str,
    left: str,
    right: str,
    *,
    m: tuple[float, float, float, float] = (0.85, 0.08, 0.04, 0.03),
    u: tuple[float, float, float] = (0.001, 0.002, 0.01),
    tf: Callable[[pd.DataFrame], np.ndarray] | None = None,
    jw_thresholds: tuple[float, float] = (0.92, 0.80),
) -> Comparison:
    """exact (u from term frequencies when `tf` is given) / jaro-winkler ≥ t1 / ≥ t2 / different / missing."""
    levels = (
        Level("exact", m[0], None if tf is not None else u[0]),
        Level(f"jw_{jw_thresholds[0]}", m[1], u[1]),
        Level(f"jw_{jw_thresholds[1]}", m[2], u[2]),
        Level("different", m[3], 1.0 - sum(u)),
        Level("missing", neutral=True),
    )

    def classify(df: pd.DataFrame) -> Classified:
        a, b = df[left], df[right]
        sim = jaro_winkler(a, b)
        eq = (a.fillna("").to_numpy() == b.fillna("").to_numpy())
        lvl = np.select(
            [~(present(a) & present(b)), eq, sim >= jw_thresholds[0], sim >= jw_thresholds[1]],
            [4, 0, 1, 2],
            default=3,
        )
        return Classified(lvl, u=tf(df) if tf is not None else None)

    return Comparison(field_name, levels, classify)


def edit_distance_comparison(
    field_name: str,
    left: str,
    right: str,
    *,
    m: tuple[float, float, float, float] = (0.9, 0.05, 0.02, 0.03),
    u: tuple[float, float, float] = (0.0001, 0.001, 0.005),
    tf: Callable[[pd.DataFrame], np.ndarray] | None = None,
) -> Comparison:
    """exact / Damerau–Levenshtein 1 / 2 / different / missing (IDs, dates, postcodes)."""
    levels = (
        Level("exact", m[0], None if tf is not None else u[0]),
        Level("one_edit", m[1], u[1]),
        Level("two_edits", m[2], u[2]),
        Level("different", m[3], 1.0 - sum(u)),
        Level("missing", neutral=True),
    )

    def classify(df: pd.DataFrame) -> Classified:
        a, b = df[left], df[right]
        d = damerau(a, b)
        lvl = np.select([~(present(a) & present(b)), d == 0, d == 1, d == 2], [4, 0, 1, 2], default=3)
        return Classified(lvl, u=tf(df) if tf is not None else None)

    return Comparison(field_name, levels, classify)


def exact_comparison(
    field_name: str,
    left: str,
    right: str,
    *,
    m: tuple[float, float] = (0.9, 0.1),
    u: float = 0.01,
    tf: Callable[[pd.DataFrame], np.ndarray] | None = None,
) -> Comparison:
    """exact (u from term frequencies when `tf` is given) / different / missing."""
    levels = (
        Level("exact", m[0], None if tf is not None else u),
        Level("different", m[1], 1.0 - u),
        Level("missing", neutral=True),
    )

    def classify(df: pd.DataFrame) -> Classified:
        a, b = df[left], df[right]
        eq = a.fillna("").to_numpy() == b.fillna("").to_numpy()
        lvl = np.select([~(present(a) & present(b)), eq], [2, 0], default=1)
        return Classified(lvl, u=tf(df) if tf is not None else None)

    return Comparison(field_name, levels, classify)


def estimate_u(model: Model, left: pd.DataFrame, right: pd.DataFrame, n_pairs: int = 200_000, seed: int = 1) -> Model:
    """A copy of `model` whose fixed u probabilities are measured on random pairs of `left` × `right`
    (almost all non-matches), with a floor of one pair in n_pairs. Per-pair (term frequency) u and neutral
    levels are kept."""
    rng = np.random.default_rng(seed)
    li = rng.integers(0, len(left), n_pairs)
    ri = rng.integers(0, len(right), n_pairs)
    sample = pd.concat(
        [left.iloc[li].add_suffix("_l").reset_index(drop=True), right.iloc[ri].add_suffix("_r").reset_index(drop=True)],
        axis=1,
    )
    new = []
    for comp in model.comparisons:
        lvl = np.asarray(comp.classify(sample).level, dtype=int)
        counts = np.bincount(lvl, minlength=len(comp.levels)).astype(float)
        observed = counts[[i for i, lv in enumerate(comp.levels) if not lv.neutral]].sum()
        levels = []
        for i, lv in enumerate(comp.levels):
            if lv.neutral or lv.u is None:
                levels.append(lv)
            else:
                u = max(counts[i], 1.0) / max(observed, 1.0)
                levels.append(Level(lv.name, lv.m, min(u, 1.0)))
        new.append(Comparison(comp.field, tuple(levels), comp.classify))
    return Model(tuple(new))
