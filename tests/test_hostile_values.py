"""Value abuse: IDs whose check character is right but whose date is impossible, deaths before births,
negative areas, settlements far in the future, reversals of settlements that never existed. Each ends in the
quarantine or the flags with a reason, and none raises (or inflates, or turns negative) a warning."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from hedui.night import run_night
from tests.conftest import SAMPLES, SAMPLES_AS_OF, read_sample_rows, write_csv
from tests.hostile_support import assert_accounting_file, valid_id

FEB_30 = valid_id("43048219990230123")  # right check character, no such day
CHEN_SI = "430482200805065227"  # member of CN-S-0002, born 2008-05-06


def hostile_landing(root):
    landing = root / "landing"
    shutil.copytree(SAMPLES, landing, ignore=shutil.ignore_patterns("README.md"))
    header, rows = read_sample_rows("death")
    write_csv(landing / "death" / "20261103" / "death.csv", header, rows + [
        [FEB_30, "赵六", "2026-10-01", ""],
        [CHEN_SI, "陈思", "2007-01-01", "2007-01-02"],  # died a year before the birth date in her ID
    ], encoding="gb18030")
    header, rows = read_sample_rows("housing")
    negative = list(rows[0])
    negative[header.index("不动产单元号")] = "430482009009GB00099F00990099"
    negative[header.index("建筑面积")] = "-50"
    write_csv(landing / "housing" / "20261103" / "housing.csv", header, rows + [negative], encoding="utf-8")
    header, rows = read_sample_rows("medical")
    future = list(rows[0])
    future[header.index("结算流水号")] = "Y20991231000001"
    future[header.index("结算日期")] = "2099-12-31"
    orphan = list(rows[0])
    for column, value in (("结算流水号", "Y20261030000999"), ("结算类型", "冲销"), ("原结算流水号", "Y20260101NOSUCH"),
                          ("结算日期", "2026-10-30"), ("医疗总费用", "-58200"), ("统筹基金支付", "-33500"),
                          ("大病保险支付", "-9800"), ("医疗救助支付", "-3000"), ("个人自付", "-11900")):
        orphan[header.index(column)] = value
    write_csv(landing / "medical" / "20261103" / "medical.csv", header, rows + [future, orphan], encoding="gb18030")
    return landing


@pytest.fixture(scope="module")
def nights(tmp_path_factory, samples_night):
    """The hostile night, and for comparison the clean samples' night (the session's shared one, read only)."""
    root = tmp_path_factory.mktemp("values")
    clean, hostile = samples_night.warehouse, root / "hostile.duckdb"
    run_night(hostile_landing(root), hostile, SAMPLES_AS_OF, deliver=False)
    con = duckdb.connect(str(hostile), read_only=True)
    yield {"clean": clean, "hostile": hostile, "con": con}
    con.close()


def quarantine_reason(con, source: str, expectation_word: str | None = None) -> list[str]:
    return [r[0] for r in con.execute("select reason from quarantine.rows where source = ?", [source]).fetchall()
            if expectation_word is None or expectation_word in r[0]]


def test_every_delivery_of_the_hostile_night_adds_up(nights):
    assert_accounting_file(nights["hostile"])


def test_an_id_with_a_right_check_character_but_an_impossible_date_is_flagged_and_never_linked_by_id(nights):
    con = nights["con"]
    assert con.execute("select id_valid from staged.death where id_norm = ?", [FEB_30]).fetchall() == [(False,)]
    flags = con.execute("select flag, detail from quarantine.flags f join staged.death d "
                        "on f.file = d.file and f.row_number = d.row_number where d.id_norm = ?", [FEB_30]).fetchall()
    assert flags and flags[0][0] == "id_invalid" and "birth date" in flags[0][1]
    assert con.execute("select count(*) from linked.links where source = 'death' and record_key = ? "
                       "and method <> 'fuzzy'", [FEB_30]).fetchall() == [(0,)]


def test_a_negative_floor_area_is_quarantined_with_its_reason(nights):
    reasons = quarantine_reason(nights["con"], "housing", "建筑面积")
    assert any("negative" in r for r in reasons), reasons
    assert nights["con"].execute("select count(*) from staged.housing where floor_area < 0").fetchall() == [(0,)]


def test_a_settlement_dated_far_in_the_future_is_quarantined_and_counts_for_nothing(nights):
    con = nights["con"]
    reasons = quarantine_reason(con, "medical", "2099-12-31")
    assert reasons and "after the date of its delivery" in reasons[0]
    assert con.execute("select count(*) from staged.medical where settled_on > ?", [SAMPLES_AS_OF]).fetchall() == [(0,)]


def warnings_of(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {(r[0], r[1], r[2]): json.loads(r[3]) for r in con.execute(
            "select rule_code, household_id, person_id, evidence from main.warnings").fetchall()}
    finally:
        con.close()


def test_a_reversal_of_a_settlement_that_never_existed_creates_no_negative_or_extra_warning(nights):
    clean, hostile = warnings_of(nights["clean"]), warnings_of(nights["hostile"])
    medical = {k: v for k, v in hostile.items() if k[0].startswith("HARDSHIP_M")}
    assert set(medical) == {k for k in clean if k[0].startswith("HARDSHIP_M")}
    for key, evidence in medical.items():
        assert "-" not in evidence.get("summary_zh", "").split("合计")[-1][:12], (key, evidence["summary_zh"])
        assert evidence.get("facts", {}) == clean[key].get("facts", {}), key  # the orphan changed no total
    # it is kept, as delivered, in the staged table (a later delivery may bring its original)
    assert nights["con"].execute("select count(*) from staged.medical where settlement_id = 'Y20261030000999'"
                                 ).fetchall() == [(1,)]


def test_a_death_dated_before_the_birth_in_the_id_is_quarantined_and_raises_no_warning(nights):
    con = nights["con"]
    reasons = [r for (r,) in con.execute("select reason from quarantine.rows where source = 'death' "
                                         "and value like '%2007%'").fetchall()]
    deceased = con.execute("select count(*) from main.warnings where rule_code = 'CHANGE_DECEASED' "
                           "and person_id = ?", [CHEN_SI]).fetchall()[0][0]
    assert reasons and deceased == 0


def test_hostile_values_leave_the_other_sources_untouched(nights):
    con = nights["con"]
    problems = dict(con.execute("select source, problem from ledger.run_sources").fetchall())
    assert all(p is None for p in problems.values()), problems
    clean = duckdb.connect(str(nights["clean"]), read_only=True)
    try:
        for source in ("households", "members", "vehicle", "disability"):
            q = f"select * exclude (delivery_id, delivery_date) from staged.{source} order by all"
            assert con.execute(q).fetchall() == clean.execute(q).fetchall(), source
    finally:
        clean.close()
