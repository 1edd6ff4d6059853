"""The Chinese comparisons of the household-member model: ID, name, birth date, address.

Each is a `fellegi_sunter.Comparison`; m probabilities are documented priors (the share of true matches at
each level, judged from how department data goes wrong), u probabilities are either priors (the chance that
two different people agree that well by coincidence) or come per pair from term frequencies measured on the
data (`u_name`, `u_village`, `u_township`, see `matching.frequencies`).

Pair columns expected (r_ = the department record, m_ = the member):
r_name, m_name (normalised, dots removed); r_id, m_id (18 characters; r_id may be any cleaned string or
missing); r_birth, m_birth ('YYYYMMDD'); r_township, r_village (found in the record's address), m_township,
m_village (the member's household); u_name, u_village, u_township; homophone (bool, from pinyin keys).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from matching.fellegi_sunter import Classified, Comparison, Level, Model, damerau, levenshtein, jaro_winkler, present

ID_LEVELS = (
    # identical but invalid: only when the member's own ID is invalid as well
    Level("exact", m=0.02, u=1e-7),
    # one substituted, inserted or dropped character (typing error)
    Level("one_edit", m=0.80, u=1e-6),
    # two adjacent characters swapped
    Level("transposition", m=0.10, u=1e-7),
    Level("two_edits", m=0.04, u=1e-5),
    Level("different", m=0.04, u=1.0 - 1.2e-5),
    Level("missing", neutral=True),
)

NAME_LEVELS = (
    Level("exact_norm", m=0.88, u=None),  # u = the (smoothed) frequency of the name: 张伟 counts less than a rare name
    Level("homophone", m=0.04, u=2e-4),  # same reading, other characters (章/张, 曾/增)
    Level("one_char", m=0.04, u=2e-3),  # one character substituted, dropped or added
    Level("similar", m=0.01, u=5e-3),  # Jaro–Winkler ≥ 0.85 (long minority names)
    Level("different", m=0.03, u=1.0 - 7.2e-3),
)

BIRTH_LEVELS = (
    Level("exact", m=0.60, u=4e-5),
    Level("one_edit", m=0.25, u=5e-4),
    Level("different", m=0.15, u=1.0 - 5.4e-4),
    Level("missing", neutral=True),
)

ADDRESS_LEVELS = (
    Level("village", m=0.60, u=None),  # the record's address names the member's township and village
    Level("township", m=0.15, u=None),  # the township only (no village, or another village)
    Level("different", m=0.25, u=0.90),  # names another known township
    Level("missing", neutral=True),  # no address, or no known township in it
)

# ID levels that already carry the birth date: the birth comparison then adds no weight of its own.
# A department record's birth date is read from its own ID digits, so whenever the record has an ID at all
# (any level but `missing`), agreeing birth dates are the same digits counted twice — which once let an ID
# two edits away plus a different name pass the auto-accept threshold.
_ID_LEVELS_IMPLYING_BIRTH = (0, 1, 2, 3, 4)


def add_id_distances(pairs: pd.DataFrame) -> pd.DataFrame:
    """Damerau–Levenshtein and Levenshtein distances of r_id/m_id, once, for the ID and birth comparisons."""
    pairs = pairs.copy()
    pairs["id_dl"] = damerau(pairs["r_id"], pairs["m_id"])
    pairs["id_lev"] = levenshtein(pairs["r_id"], pairs["m_id"])
    return pairs


def _id_level(df: pd.DataFrame) -> np.ndarray:
    d, lev = df["id_dl"].to_numpy(), df["id_lev"].to_numpy()
    return np.select(
        [~present(df["r_id"]), d == 0, (d == 1) & (lev == 2), d == 1, d == 2],
        [5, 0, 2, 1, 3],
        default=4,
    )


def classify_id(df: pd.DataFrame) -> Classified:
    return Classified(_id_level(df))


def classify_name(df: pd.DataFrame) -> Classified:
    a, b = df["r_name"], df["m_name"]
    eq = a.fillna("").to_numpy() == b.fillna("").to_numpy()
    homophone = df["homophone"].fillna(False).to_numpy(dtype=bool)
    lev = levenshtein(a, b)
    jw = jaro_winkler(a, b)
    lvl = np.select([eq, homophone, lev == 1, jw >= 0.85], [0, 1, 2, 3], default=4)
    return Classified(lvl, u=df["u_name"].to_numpy(dtype=float))


def classify_birth(df: pd.DataFrame) -> Classified:
    a, b = df["r_birth"], df["m_birth"]
    d = damerau(a, b)
    lvl = np.select([~(present(a) & present(b)), d == 0, d == 1], [3, 0, 1], default=2)
    neutral = np.isin(_id_level(df), _ID_LEVELS_IMPLYING_BIRTH)
    return Classified(lvl, neutral=neutral)


def classify_address(df: pd.DataFrame) -> Classified:
    rt, rv = df["r_township"].fillna("").to_numpy(), df["r_village"].fillna("").to_numpy()
    mt, mv = df["m_township"].fillna("").to_numpy(), df["m_village"].fillna("").to_numpy()
    same_town = (rt != "") & (rt == mt)
    same_village = same_town & (rv != "") & (rv == mv)
    lvl = np.select([rt == "", same_village, same_town], [3, 0, 1], default=2)
    u = np.where(lvl == 0, df["u_village"].to_numpy(dtype=float), df["u_township"].to_numpy(dtype=float))
    return Classified(lvl, u=u)


MEMBER_MODEL = Model(
    (
        Comparison("id", ID_LEVELS, classify_id),
        Comparison("name", NAME_LEVELS, classify_name),
        Comparison("birth", BIRTH_LEVELS, classify_birth),
        Comparison("address", ADDRESS_LEVELS, classify_address),
    )
)
