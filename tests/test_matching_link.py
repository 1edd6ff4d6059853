"""link_records on hand-written staged tables: the spec samples and same-named decoys."""

from __future__ import annotations

import json
import logging

import pytest

from hedui.policy import PolicyError
from matching import link_records
from test_matching_fixtures import (
    ADDR,
    City,
    household,
    housing,
    links_of,
    member,
    review_of,
    run_info,
    sample_city,
    valid_id,
    vehicle,
)


def _link(city: City, **matching):
    con = city.build()
    stats = link_records(con, run_info(**matching))
    return con, stats


def _one(df, **where):
    rows = df
    for k, v in where.items():
        rows = rows[rows[k] == v]
    assert len(rows) == 1, f"expected one row for {where}, got {len(rows)}"
    return rows.iloc[0]


@pytest.fixture(scope="module")
def sample():
    con, stats = _link(sample_city())
    return links_of(con), review_of(con), stats


# --- the spec samples ---------------------------------------------------------------------------------


def test_sample_vehicle_with_mistyped_id_links_fuzzily_to_chen_lihua(sample):
    links, _, _ = sample
    row = _one(links, source="vehicle", record_key="湘DD52880|430482197811304687|陈丽华")
    assert row.person_id == "430482197801304687"
    assert row.household_id == "CN-S-0002"
    assert row.method == "fuzzy"
    assert row.id_level == "one_edit"
    assert row.name_level == "exact_norm"


def test_sample_housing_without_id_links_by_name_and_village(sample):
    links, _, _ = sample
    row = _one(links, source="housing", record_key="430482002003GB00007F00020003||王建国")
    assert (row.person_id, row.household_id, row.method) == ("430482196203151313", "CN-S-0001", "fuzzy")
    assert row.address_level == "village"
    assert row.id_level == "missing"


def test_sample_fifteen_digit_id_with_padded_name_links_id_normalised(sample):
    links, _, _ = sample
    row = _one(links, source="housing", record_key="430482004009GB00011F00030011|43048219901123357X|王磊")
    assert (row.person_id, row.method) == ("43048219901123357X", "id_normalised")


def test_sample_full_width_id_links_id_normalised(sample):
    links, _, _ = sample
    row = _one(links, source="housing", record_key="430482001001GB00001F00010001|430482196508022424|李秀英")
    assert (row.person_id, row.method) == ("430482196508022424", "id_normalised")


def test_sample_id_as_delivered_links_exact(sample):
    links, _, _ = sample
    row = _one(links, source="vehicle", record_key="湘D3K7Q2|43048219901123357X|王磊")
    assert row.method == "exact"
    assert row.score != row.score  # NULL score for ID links


def test_sample_same_named_stranger_with_valid_id_is_not_linked(sample):
    links, review, _ = sample
    stranger = "430421198102198338"
    assert not links.record_key.str.contains(stranger).any()
    assert not review.record_key.str.contains(stranger).any()
    # the member of the same name keeps exactly his own records
    zhang = links[links.person_id == "430482195007077158"]
    assert set(zhang.source) == {"housing", "vehicle", "disability", "death", "households"}


def test_sample_person_in_no_household_links_to_nobody(sample):
    links, review, _ = sample
    assert not links.record_key.str.contains("430482197209099119").any()
    assert not links.record_key.str.contains("Y20261029000099").any()
    assert review.empty


def test_sample_household_heads_link_as_source_households(sample):
    links, _, _ = sample
    heads = links[links.source == "households"]
    assert dict(zip(heads.record_key, heads.person_id)) == {
        "CN-S-0001": "430482196203151313",
        "CN-S-0002": "430482197801304687",
        "CN-S-0003": "430482198512126049",
        "CN-S-0004": "430482195007077158",
    }


def test_sample_stats_count_links_per_source_and_method(sample):
    links, _, stats = sample
    assert stats.links["housing"] == {"exact": 2, "id_normalised": 2, "fuzzy": 1}
    assert stats.links["vehicle"] == {"exact": 3, "fuzzy": 1}
    assert stats.total_links == len(links)
    assert stats.records["medical"] == 5


def test_fuzzy_link_weights_explain_the_score(sample):
    links, _, _ = sample
    fuzzy = links[links.method == "fuzzy"]
    assert len(fuzzy) == 2
    for row in fuzzy.itertuples():
        weights = json.loads(row.weights)
        assert set(weights) == {"id", "name", "birth", "address"}
        assert sum(weights.values()) == pytest.approx(row.score, abs=1e-3)


# --- decoys -------------------------------------------------------------------------------------------


def _yanzhou_city() -> City:
    """王建国 of CN-S-0001 in 烟洲镇大坪村, plus a household in 烟洲镇新塘村 so the village is known."""
    c = sample_city()
    c.households.append(household("CN-S-0101", "赵六", valid_id("43048219700202123"), "在保", "烟洲镇", "新塘村"))
    c.members.append(member("CN-S-0101", "赵六", valid_id("43048219700202123")))
    return c


def test_same_named_stranger_in_same_township_other_village_is_not_linked():
    c = _yanzhou_city()
    c.housing.append(housing("U-DECOY-1", "王建国", None, None, ADDR + "烟洲镇新塘村8组1号"))
    con, _ = _link(c)
    links = links_of(con)
    assert not (links.record_key == "U-DECOY-1||王建国").any()


def test_same_named_stranger_in_same_village_with_a_far_invalid_id_is_not_linked():
    c = sample_city()
    stranger_id = "43048219881111999" + "0"  # wrong check character: invalid, and far from the member's ID
    c.housing.append(housing("U-DECOY-2", "王建国", stranger_id, stranger_id, ADDR + "烟洲镇大坪村9组9号"))
    con, _ = _link(c)
    links = links_of(con)
    assert not links.record_key.str.startswith("U-DECOY-2").any()


def test_two_same_named_members_in_the_record_village_go_to_review_as_ambiguous():
    c = sample_city()
    twin = valid_id("43048219700707123")
    c.households.append(household("CN-S-0201", "王建国", twin, "在保", "烟洲镇", "大坪村"))
    c.members.append(member("CN-S-0201", "王建国", twin))
    con, stats = _link(c)
    links, review = links_of(con), review_of(con)
    key = "430482002003GB00007F00020003||王建国"
    assert not (links.record_key == key).any()
    rows = review[review.record_key == key]
    assert set(rows.person_id) == {"430482196203151313", twin}
    assert set(rows.reason) == {"ambiguous"}
    assert stats.review["housing"] == {"ambiguous": 1}


def _one_digit_apart_city() -> tuple[City, str, str]:
    """Two members named 张伟 whose valid IDs differ in the 17th digit only."""
    c = sample_city()
    a, b = valid_id("43048219800101123"), valid_id("43048219800101128")
    c.households += [
        household("CN-S-0301", "张伟", a, "在保", "宜阳街道", "向阳社区"),
        household("CN-S-0302", "张伟", b, "在保", "宜阳街道", "向阳社区"),
    ]
    c.members += [member("CN-S-0301", "张伟", a), member("CN-S-0302", "张伟", b)]
    return c, a, b


def test_mistyped_id_links_to_the_member_one_edit_away_not_the_one_two_edits_away():
    c, a, b = _one_digit_apart_city()
    typo = a[:14] + ("9" if a[14] != "9" else "8") + a[15:]
    c.vehicle.append(vehicle("湘D00001", "张伟", typo, typo))
    con, _ = _link(c)
    row = _one(links_of(con), source="vehicle", record_key=f"湘D00001|{typo}|张伟")
    assert row.person_id == a
    assert row.id_level == "one_edit"


def test_id_one_edit_from_two_same_named_members_is_ambiguous():
    c, a, b = _one_digit_apart_city()
    between = a[:17] + b[17]  # a's digits with b's check: one edit from each, valid for neither
    c.vehicle.append(vehicle("湘D00002", "张伟", between, between))
    con, _ = _link(c)
    links, review = links_of(con), review_of(con)
    key = f"湘D00002|{between}|张伟"
    assert not (links.record_key == key).any()
    rows = review[review.record_key == key]
    assert set(rows.person_id) == {a, b}
    assert set(rows.reason) == {"ambiguous"}


def test_valid_id_one_digit_from_a_member_never_links_even_with_the_same_name():
    c, a, _ = _one_digit_apart_city()
    neighbour = valid_id(a[:16] + ("5" if a[16] != "5" else "6"))
    assert neighbour not in {m[8] for m in c.members}
    c.vehicle.append(vehicle("湘D00003", "张伟", neighbour, neighbour))
    con, _ = _link(c)
    assert not links_of(con).record_key.str.startswith("湘D00003").any()
    assert not review_of(con).record_key.str.startswith("湘D00003").any()


def test_transposed_digits_link_with_level_transposition():
    c, a, _ = _one_digit_apart_city()
    swapped = a[:8] + a[9] + a[8] + a[10:]
    assert swapped != a
    c.vehicle.append(vehicle("湘D00004", "张伟", swapped, swapped))
    con, _ = _link(c)
    row = _one(links_of(con), source="vehicle", record_key=f"湘D00004|{swapped}|张伟")
    assert (row.person_id, row.id_level) == (a, "transposition")


def test_id_one_edit_away_with_another_name_goes_to_review_band_only():
    c = sample_city()
    typo = "430482197811304687"  # 陈丽华's ID, one digit mistyped
    c.vehicle.append(vehicle("湘D00005", "李明", typo, typo))
    con, _ = _link(c)
    assert not links_of(con).record_key.str.startswith("湘D00005").any()
    row = _one(review_of(con), record_key=f"湘D00005|{typo}|李明")
    assert row.reason == "review_band"
    assert row.person_id == "430482197801304687"
    assert row.name_level == "different"


def test_invalid_id_equal_to_a_members_invalid_id_does_not_take_the_id_path():
    c = sample_city()
    bad = "43048219660606123" + ("0" if valid_id("43048219660606123")[-1] != "0" else "1")
    c.households.append(household("CN-S-0401", "孙七", bad, "在保", "塔山乡", "石塘村"))
    c.members.append(member("CN-S-0401", "孙七", bad))
    c.vehicle.append(vehicle("湘D00006", "周八", bad, bad))
    con, _ = _link(c)
    links = links_of(con)
    assert not links.record_key.str.startswith("湘D00006").any()


def test_common_name_weighs_less_than_a_rare_name():
    c = sample_city()
    for i in range(40):
        hid = f"CN-C-{i:04d}"
        pid = valid_id(f"430482197{i % 10}0{(i % 9) + 1}0{(i % 9) + 1}{i:03d}")
        c.households.append(household(hid, "张伟", pid, "在保", "大堡乡", "龙口村"))
        c.members.append(member(hid, "张伟", pid))
    rare = valid_id("43048219720303456")
    c.households.append(household("CN-R-0001", "欧阳修远", rare, "在保", "大堡乡", "龙口村"))
    c.members.append(member("CN-R-0001", "欧阳修远", rare))
    common_target = c.members[-2][8]
    t1 = common_target[:15] + ("1" if common_target[15] != "1" else "2") + common_target[16:]
    t2 = rare[:15] + ("1" if rare[15] != "1" else "2") + rare[16:]
    c.vehicle += [vehicle("湘D10001", "张伟", t1, t1), vehicle("湘D10002", "欧阳修远", t2, t2)]
    con, _ = _link(c, tf_prior_population=100)
    links = links_of(con)
    common = _one(links, record_key=f"湘D10001|{t1}|张伟")
    rare_row = _one(links, record_key=f"湘D10002|{t2}|欧阳修远")
    assert common.person_id == common_target and rare_row.person_id == rare
    w_common = json.loads(common.weights)["name"]
    w_rare = json.loads(rare_row.weights)["name"]
    assert w_rare - w_common > 3.0


def test_surname_read_as_surname_makes_a_homophone():
    """曾 as a surname reads zeng (pypinyin's default is ceng): 增小明 is a homophone of 曾小明."""
    c = sample_city()
    pid = valid_id("43048219830303111")
    c.households.append(household("CN-S-0501", "曾小明", pid, "在保", "烟洲镇", "大坪村"))
    c.members.append(member("CN-S-0501", "曾小明", pid))
    typo = pid[:16] + ("1" if pid[16] != "1" else "2") + pid[17]
    c.vehicle.append(vehicle("湘D20001", "增小明", typo, typo))
    con, _ = _link(c)
    row = _one(links_of(con), record_key=f"湘D20001|{typo}|增小明")
    assert row.person_id == pid
    assert row.name_level == "homophone"


def test_members_of_two_households_with_one_id_send_the_record_to_review():
    c = sample_city()
    c.households.append(household("CN-S-0601", "陈思", "430482200805065227", "在保", "宜阳街道", "向阳社区"))
    c.members.append(member("CN-S-0601", "陈思", "430482200805065227"))
    con, _ = _link(c)
    links, review = links_of(con), review_of(con)
    assert not (links.record_key == "Y20261021000033").any()
    rows = review[review.record_key == "Y20261021000033"]
    assert set(rows.household_id) == {"CN-S-0002", "CN-S-0601"}
    assert set(rows.reason) == {"ambiguous"}


# --- policy and running -------------------------------------------------------------------------------


def test_raising_auto_accept_sends_fuzzy_links_to_the_review_band():
    con, stats = _link(sample_city(), auto_accept_weight=40.0)
    links, review = links_of(con), review_of(con)
    assert "fuzzy" not in set(links.method)
    assert set(review.reason) == {"review_band"}
    assert len(review) == 2


def test_the_register_size_bar_sends_fuzzy_links_to_review_and_says_so():
    """The sample city is small; a margin this large stands for a register whose other members, taken together,
    would leave doubt at its fuzzy scores (matching.decision)."""
    con, stats = _link(sample_city(), auto_accept_prior_margin=40.0)
    links, review = links_of(con), review_of(con)
    assert "fuzzy" not in set(links.method)
    assert set(review.reason) == {"review_band"}
    assert stats.auto_accept_weight > 40.0
    _, default_stats = _link(sample_city())
    assert default_stats.auto_accept_weight == 20.0


def test_unknown_policy_key_is_an_error():
    with pytest.raises(PolicyError):
        _link(sample_city(), auto_accept=30)


def test_linking_twice_gives_the_same_tables():
    con = sample_city().build()
    link_records(con, run_info())
    first = links_of(con)
    link_records(con, run_info())
    assert links_of(con).equals(first)
    tables = con.execute("select table_name from information_schema.tables where table_name like '_match%'").fetchall()
    assert tables == []


def test_missing_staged_source_is_skipped():
    c = sample_city()
    con = c.build()
    con.execute("drop table staged.vehicle")
    stats = link_records(con, run_info())
    assert "vehicle" not in stats.records
    assert not (links_of(con).source == "vehicle").any()


def test_log_output_carries_no_names_or_ids(caplog):
    with caplog.at_level(logging.DEBUG):
        _link(sample_city())
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "linking done" in text
    for secret in ("王建国", "陈丽华", "430482", "CN-S-0001"):
        assert secret not in text
