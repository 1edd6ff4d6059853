"""The parts of matching on their own: pinyin keys, address places, blocking, Fellegi–Sunter scoring."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from matching import addresses, blocking
from matching.temp_tables import ADDRESS_PLACES, CANDIDATES, FUZZY_RECORDS, MEMBERS, PROFILES
from matching.fellegi_sunter import Classified, Comparison, Level, Model, edit_distance_comparison, estimate_u
from matching.pinyin_names import homophone_keys, name_keys
from test_matching_fixtures import valid_id


# --- pinyin ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "surname_name, reading",
    [("曾小明", "zeng xiao ming"), ("单田芳", "shan tian fang"), ("区家豪", "ou jia hao"), ("仇英", "qiu ying")],
)
def test_surname_gets_its_surname_reading(surname_name, reading):
    assert reading in name_keys(surname_name)


def test_homophones_share_a_key_and_other_names_do_not():
    keys = homophone_keys(["张伟", "章伟", "王伟", "欧家豪", "区家豪"]).groupby("name")["key"].apply(set)
    assert keys["张伟"] & keys["章伟"]
    assert not keys["张伟"] & keys["王伟"]
    assert keys["欧家豪"] & keys["区家豪"]


def test_homophone_keys_are_computed_once_per_distinct_name():
    keys = homophone_keys(["陈丽华", "陈丽华", "陈丽华"])
    assert set(keys.name) == {"陈丽华"}
    assert list(keys.key) == ["chen li hua"]


# --- addresses ------------------------------------------------------------------------------------------


def _places_con(addresses_list):
    con = duckdb.connect(":memory:")
    con.execute("create schema staged")
    con.execute(
        "create table staged.households as select * from (values "
        "('烟洲镇', '大坪村'), ('烟洲镇', '新塘村'), ('宜阳街道', '向阳社区'), ('阳街', null), ('塔山乡', '大坪村')"
        ") t(township, village)"
    )
    con.execute(f"create temp table {FUZZY_RECORDS} (address varchar)")
    con.executemany(f"insert into {FUZZY_RECORDS} values (?)", [[a] for a in addresses_list])
    return con


def test_address_finds_longest_township_and_its_village():
    con = _places_con(
        ["湖南省衡阳市常宁市烟洲镇大坪村5组2号", "湖南省衡阳市常宁市宜阳街道向阳社区6栋", "常宁市荫田镇清水村", "烟洲镇某某路1号"]
    )
    addresses.locate_addresses(con)
    got = {a: (t, v) for a, t, v in con.execute(f"select * from {ADDRESS_PLACES}").fetchall()}
    assert got["湖南省衡阳市常宁市烟洲镇大坪村5组2号"] == ("烟洲镇", "大坪村")
    assert got["湖南省衡阳市常宁市宜阳街道向阳社区6栋"] == ("宜阳街道", "向阳社区")  # not the shorter 阳街
    assert got["烟洲镇某某路1号"] == ("烟洲镇", None)
    assert "常宁市荫田镇清水村" not in got


def test_village_of_another_township_is_not_taken():
    con = _places_con(["宜阳街道大坪村3号"])  # 大坪村 exists, but in 烟洲镇 and 塔山乡
    addresses.locate_addresses(con)
    assert con.execute(f"select township, village from {ADDRESS_PLACES}").fetchall() == [("宜阳街道", None)]


# --- blocking -------------------------------------------------------------------------------------------


def _blocking_con(member_ids, profile_ids):
    con = duckdb.connect(":memory:")
    con.execute(
        f"create temp table {MEMBERS} (member_rid bigint, id_norm varchar, name_cmp varchar, birth varchar, "
        "township varchar, village varchar)"
    )
    con.executemany(
        f"insert into {MEMBERS} values (?, ?, '某', null, null, null)", [[i, x] for i, x in enumerate(member_ids)]
    )
    con.execute(
        f"create temp table {PROFILES} (profile_id bigint, id_cmp varchar, name_cmp varchar, birth varchar, "
        "township varchar, village varchar)"
    )
    con.executemany(
        f"insert into {PROFILES} values (?, ?, '另', null, null, null)", [[i, x] for i, x in enumerate(profile_ids)]
    )
    return con


def test_every_single_edit_and_adjacent_transposition_shares_an_id_block():
    member_id = valid_id("43048219780130468")
    variants = []
    for i in range(18):
        variants.append(member_id[:i] + ("0" if member_id[i] != "0" else "1") + member_id[i + 1:])
    for i in range(17):
        variants.append(member_id[:i] + member_id[i + 1] + member_id[i] + member_id[i + 2:])
    variants = [v for v in variants if v != member_id]
    con = _blocking_con([member_id], variants)
    n = blocking.build_candidates(con, ["id_windows"], 500)
    found = {r[0] for r in con.execute(f"select profile_id from {CANDIDATES}").fetchall()}
    assert found == set(range(len(variants)))
    assert n == len(variants)


def test_unrelated_ids_share_no_id_block():
    con = _blocking_con([valid_id("43048219780130468")], [valid_id("43048219550505999")])
    assert blocking.build_candidates(con, ["id_windows"], 500) == 0


def test_oversized_blocks_are_skipped():
    con = duckdb.connect(":memory:")
    con.execute(
        f"create temp table {MEMBERS} as select range as member_rid, '0000' || range as id_norm, '王芳' as name_cmp, "
        "null::varchar as birth, '烟洲镇' as township, '大坪村' as village from range(20)"
    )
    con.execute(
        f"create temp table {PROFILES} as select 1 as profile_id, null::varchar as id_cmp, '王芳' as name_cmp, "
        "null::varchar as birth, '烟洲镇' as township, '大坪村' as village"
    )
    assert blocking.build_candidates(con, ["name_township"], 50) == 20
    assert blocking.build_candidates(con, ["name_township"], 10) == 0


def test_unknown_blocking_family_is_rejected():
    con = _blocking_con(["x"], ["y"])
    with pytest.raises(ValueError):
        blocking.build_candidates(con, ["soundex"], 10)


# --- Fellegi–Sunter -------------------------------------------------------------------------------------


def test_score_is_the_sum_of_log2_m_over_u_with_per_pair_u_and_neutral_levels():
    levels = (Level("same", 0.9, None), Level("other", 0.1, 0.9), Level("missing", neutral=True))

    def classify(df):
        return Classified(df["lvl"].to_numpy(), u=df["u"].to_numpy(), neutral=df["skip"].to_numpy())

    model = Model((Comparison("f", levels, classify),))
    pairs = pd.DataFrame({"lvl": [0, 0, 1, 2, 0], "u": [0.01, 0.5, 0.2, 0.2, 0.01], "skip": [False] * 4 + [True]})
    out = model.score(pairs)
    assert list(out.f_level) == ["same", "same", "other", "missing", "same"]
    np.testing.assert_allclose(
        out.score, [np.log2(0.9 / 0.01), np.log2(0.9 / 0.5), np.log2(0.1 / 0.9), 0.0, 0.0], atol=1e-3
    )


def test_estimate_u_measures_agreement_on_random_pairs():
    rng = np.random.default_rng(0)
    left = pd.DataFrame({"code": rng.choice(["a", "b"], 1000)})
    right = pd.DataFrame({"code": rng.choice(["a", "b"], 1000)})
    model = Model((edit_distance_comparison("code", "code_l", "code_r"),))
    fitted = estimate_u(model, left, right, n_pairs=20000)
    u_exact = fitted.comparisons[0].levels[0].u
    assert u_exact == pytest.approx(0.5, abs=0.03)
