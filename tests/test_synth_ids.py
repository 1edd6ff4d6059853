"""Citizen IDs of the generator: vectorised check characters agree with python-stdnum; damage is as specified."""

from __future__ import annotations

import datetime as dt

import numpy as np
from stdnum.cn import ric

from hedui.synth import ids


def _sample(n=2000):
    rng = np.random.default_rng(1)
    birth = rng.integers(dt.date(1925, 1, 1).toordinal(), dt.date(2026, 1, 1).toordinal(), n)
    sex = rng.integers(0, 2, n)
    region = rng.integers(0, 8, n)
    seq = ids.SequenceCounter(dt.date(2027, 1, 1).toordinal()).take(region, birth, sex)
    return ids.build_ids(region, birth, seq), birth, sex


def test_vectorised_check_character_matches_stdnum():
    out, birth, sex = _sample()
    for s, b, x in zip(out.tolist(), birth.tolist(), sex.tolist()):
        assert len(s) == 18
        assert ric.calc_check_digit(s) == s[-1]
        assert ric.get_birth_date(s) == dt.date.fromordinal(b)
        assert int(s[16]) % 2 == x


def test_ids_are_unique_across_chunks():
    c = ids.SequenceCounter(dt.date(2027, 1, 1).toordinal())
    day = np.full(300, dt.date(1980, 5, 5).toordinal())
    a = ids.build_ids(np.zeros(300, np.int64), day, c.take(np.zeros(300, np.int64), day, np.arange(300) % 2))
    b = ids.build_ids(np.zeros(300, np.int64), day, c.take(np.zeros(300, np.int64), day, np.arange(300) % 2))
    assert len(set(a.tolist()) | set(b.tolist())) == 600


def test_damage_forms():
    s = "430482197801304687"
    assert ids.sci_notation([s]) == ["4.30482197801305E+17"]
    assert ids.to_15([s]) == ["430482780130468"]
    assert ids.to_lower_x(["43048219901123357X"]) == ["43048219901123357x"]
    assert ids.to_fullwidth([s])[0] == "４３０４８２１９７８０１３０４６８７"
    wrong = ids.wrong_digit([s] * 50, list(range(50)))
    assert all(sum(a != b for a, b in zip(w, s)) == 1 and ric.calc_check_digit(w) != w[-1] for w in wrong)
    assert all(x.strip().replace(" ", "") == s for x in ids.with_spaces([s] * 4, [0, 1, 2, 3]))


def test_stranger_ids_are_one_digit_apart():
    seq = np.array([13, 182, 654, 401])
    st = ids.stranger_seq(seq)
    for a, b in zip(seq.tolist(), st.tolist()):
        assert sum(x != y for x, y in zip(f"{a:03d}", f"{b:03d}")) == 1 and b >= 700 and a % 2 == b % 2
