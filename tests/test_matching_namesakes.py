"""A record with only a name and an address is never linked when the registers know another person, not a
member, by the same name: it goes to review instead (a wrong link sends a caseworker to the wrong family)."""

from __future__ import annotations

import duckdb
from stdnum.cn import ric

from hedui.night import run_night
from tests.conftest import SAMPLES_AS_OF, read_sample_rows, write_csv


def stranger_id() -> str:
    body = "43048219700101123"
    return body + ric.calc_check_digit(body + "0")


def night_equals_full_recompute(landing, warehouse, as_of, *, incremental: bool,
                                tables=("linked.links", "linked.link_review")) -> None:
    """Run the night of `as_of` on `warehouse` as the nightly would (incrementally where it can), and on a copy
    from scratch (`full_recompute`): `tables` must be equal, and the night must have linked incrementally or not
    as `incremental` says."""
    import shutil

    from tests.warehouse_state import data_state

    full = warehouse.with_name(f"full-{as_of:%Y%m%d}.duckdb")
    shutil.copyfile(warehouse, full)
    run_night(landing, warehouse, as_of, deliver=False)
    run_night(landing, full, as_of, deliver=False, full_recompute=True)
    mine, theirs = data_state(warehouse, ledgers=False), data_state(full, ledgers=False)
    for table in tables:
        assert mine[table] == theirs[table], table
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("select incremental from linked.link_state").fetchone() == (incremental,)
    finally:
        con.close()


def test_name_only_record_goes_to_review_when_a_non_member_namesake_is_known(sample_landing, tmp_path):
    header, rows = read_sample_rows("medical")
    namesake = list(rows[4])
    namesake[0], namesake[3], namesake[4] = "Y20261030000777", "王建国", stranger_id()
    write_csv(sample_landing / "medical" / "20261103" / "extra.csv", header, [namesake], encoding="gb18030")
    run_night(sample_landing, tmp_path / "w.duckdb", SAMPLES_AS_OF, deliver=False)
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    no_id_unit = "430482002003GB00007F00020003||王建国"
    assert con.execute("select count(*) from linked.links where record_key = ?", [no_id_unit]).fetchone()[0] == 0
    assert con.execute(
        "select reason from linked.link_review where record_key = ?", [no_id_unit]
    ).fetchall() == [("ambiguous",)]
    con.close()


def test_name_only_record_links_when_nobody_else_carries_the_name(samples_night):
    con = duckdb.connect(str(samples_night.warehouse), read_only=True)
    assert con.execute(
        "select person_id, method, address_level from linked.links where record_key = ?",
        ["430482002003GB00007F00020003||王建国"],
    ).fetchone() == ("430482196203151313", "fuzzy", "village")
    con.close()


def test_a_name_only_record_is_re_decided_on_an_incremental_night_when_its_name_gains_a_known_person(
        sample_landing, first_night):
    """Night 1 links the name-only housing unit to 王建国, the only person of that name. Night 2 brings only a
    new medical delivery, in which a stranger (not a member, valid ID) is also called 王建国: the night links
    incrementally, yet the old name-only record is decided again and leaves the links for review
    (`docs/internals.md`, incremental linking). A full recompute of the same night agrees."""
    import datetime as dt

    no_id_unit = "430482002003GB00007F00020003||王建国"
    header, rows = read_sample_rows("medical")
    namesake = list(rows[4])
    namesake[0], namesake[3], namesake[4] = "Y20261104000777", "王建国", stranger_id()
    namesake[header.index("结算日期")] = "2026-11-04"
    write_csv(sample_landing / "medical" / "20261104" / "medical.csv", header, [namesake], encoding="gb18030")
    con = duckdb.connect(str(first_night), read_only=True)
    assert con.execute("select person_id from linked.links where record_key = ?", [no_id_unit]).fetchall() == [
        ("430482196203151313",)]  # linked on night 1
    con.close()
    night_equals_full_recompute(sample_landing, first_night, SAMPLES_AS_OF + dt.timedelta(days=1), incremental=True)
    con = duckdb.connect(str(first_night), read_only=True)
    try:
        assert con.execute("select count(*) from linked.links where record_key = ?", [no_id_unit]).fetchone()[0] == 0
        assert con.execute("select reason from linked.link_review where record_key = ?",
                           [no_id_unit]).fetchall() == [("ambiguous",)]
    finally:
        con.close()


# ---- what the registers know of a namesake's home and birth (issue 14, item 3) -------------------------------
#
# In the samples, member 王建国 (430482196203151313) lives in 烟洲镇大坪村, and the housing unit NO_ID_UNIT is his
# old property there, registered under his name only. The decoy in each test is a stranger also called 王建国
# (valid ID, not a member), known from a medical settlement; what else the registers hold about the stranger
# decides whether the unit may be theirs.

NO_ID_UNIT = "430482002003GB00007F00020003||王建国"
MEMBER = "430482196203151313"
ELSEWHERE = "湖南省衡阳市常宁市宜阳街道建设路31号"  # another township the households know
SAME_VILLAGE = "湖南省衡阳市常宁市烟洲镇大坪村7组3号"  # the unit's own village
NOWHERE_KNOWN = "湖南省衡阳市衡阳县西渡镇解放路9号"  # another county: no township the households know


def other_stranger_id() -> str:
    body = "43048219881212456"
    return body + ric.calc_check_digit(body + "0")


def add_medical_stranger(landing, person_id: str, day: str = "20261103", serial: str = "Y20261030000777") -> None:
    """A medical settlement of a stranger called 王建国 (the same-named decoy), in its own file of that day."""
    header, rows = read_sample_rows("medical")
    row = list(rows[4])
    row[0], row[3], row[4] = serial, "王建国", person_id
    if day != "20261103":
        row[header.index("结算日期")] = f"{day[:4]}-{day[4:6]}-{day[6:]}"
    write_csv(landing / "medical" / day / f"extra-{serial}.csv", header, [row], encoding="gb18030")


def add_stranger_property(landing, person_id: str, address: str, day: str = "20261103") -> None:
    """A property held under the stranger's ID at `address`, in the housing snapshot of `day` (the samples'
    housing rows and this one)."""
    header, rows = read_sample_rows("housing")
    unit = list(rows[0])
    unit[header.index("不动产单元号")] = "430482004009GB00099F00090099"
    unit[header.index("权利人")], unit[header.index("证件号码")] = "王建国", person_id
    unit[header.index("共有方式")], unit[header.index("坐落")] = "单独所有", address
    folder = landing / "housing" / day
    for old in folder.glob("*.csv") if folder.exists() else []:
        old.unlink()
    write_csv(folder / "housing.csv", header, [*rows, unit])


def add_stranger_certificate(landing, person_id: str, address: str) -> None:
    """A disability certificate of the stranger, whose 户籍所在地 is `address`, in the samples' snapshot."""
    import openpyxl

    path = landing / "disability" / "20261103" / "disability.xlsx"
    book = openpyxl.load_workbook(path)
    book.worksheets[0].append([person_id + "14", "王建国", person_id, "男", "肢体", "四级", "2020-05-06", "有效", address])
    book.save(path)


def decided(warehouse) -> tuple[list, list]:
    """(links, review reasons) of NO_ID_UNIT."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        links = con.execute("select person_id, method from linked.links where record_key = ?", [NO_ID_UNIT]).fetchall()
        review = con.execute("select reason from linked.link_review where record_key = ?", [NO_ID_UNIT]).fetchall()
    finally:
        con.close()
    return links, review


def test_name_only_record_links_when_every_namesake_lives_elsewhere(sample_landing, tmp_path):
    """One stranger 王建国 holds a property in 宜阳街道, the other's disability certificate is registered there:
    both are known to live in another township than the unit, so neither can be its owner."""
    add_medical_stranger(sample_landing, stranger_id())
    add_stranger_property(sample_landing, stranger_id(), ELSEWHERE)
    add_medical_stranger(sample_landing, other_stranger_id(), serial="Y20261030000778")
    add_stranger_certificate(sample_landing, other_stranger_id(), "湖南省衡阳市常宁市宜阳街道向阳社区2栋101")
    run_night(sample_landing, tmp_path / "w.duckdb", SAMPLES_AS_OF, deliver=False)
    assert decided(tmp_path / "w.duckdb") == ([(MEMBER, "fuzzy")], [])
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:  # the strangers are known with their homes, and their own records link to no member
        assert sorted(con.execute(
            "select id_norm, township, village from linked.known_people where name_cmp = '王建国' and id_norm <> ?"
            " and township is not null order by all", [MEMBER]).fetchall()) == sorted([
                (stranger_id(), "宜阳街道", None), (other_stranger_id(), "宜阳街道", "向阳社区")])
        assert con.execute("select count(*) from linked.links where person_id in (?, ?)",
                           [stranger_id(), other_stranger_id()]).fetchone() == (0,)
    finally:
        con.close()


def test_name_only_record_stays_ambiguous_when_one_namesake_home_is_unknown(sample_landing, tmp_path):
    """One stranger lives elsewhere, the other is known from a medical settlement only: the unit may be theirs."""
    add_medical_stranger(sample_landing, stranger_id())
    add_stranger_property(sample_landing, stranger_id(), ELSEWHERE)
    add_medical_stranger(sample_landing, other_stranger_id(), serial="Y20261030000778")
    run_night(sample_landing, tmp_path / "w.duckdb", SAMPLES_AS_OF, deliver=False)
    assert decided(tmp_path / "w.duckdb") == ([], [("ambiguous",)])


def test_an_address_that_names_no_known_township_is_no_known_home(sample_landing, tmp_path):
    """The stranger's property lies in another county: the matcher cannot place it, so the stranger's home is
    as unknown as if no address were given, and the unit stays ambiguous."""
    add_medical_stranger(sample_landing, stranger_id())
    add_stranger_property(sample_landing, stranger_id(), NOWHERE_KNOWN)
    run_night(sample_landing, tmp_path / "w.duckdb", SAMPLES_AS_OF, deliver=False)
    assert decided(tmp_path / "w.duckdb") == ([], [("ambiguous",)])


def test_name_only_record_stays_ambiguous_when_a_namesake_lives_in_its_village(sample_landing, tmp_path):
    """The stranger holds a property in 宜阳街道 but is registered (户籍) in 大坪村, the unit's village: one home
    where the record is suffices for the unit to be theirs."""
    add_medical_stranger(sample_landing, stranger_id())
    add_stranger_property(sample_landing, stranger_id(), ELSEWHERE)
    add_stranger_certificate(sample_landing, stranger_id(), SAME_VILLAGE)
    run_night(sample_landing, tmp_path / "w.duckdb", SAMPLES_AS_OF, deliver=False)
    assert decided(tmp_path / "w.duckdb") == ([], [("ambiguous",)])


def test_a_birth_date_the_record_carries_rules_out_a_namesake_born_otherwise():
    """No linked source carries a birth date beside the ID today, so a name-and-address record has none; a
    record that did (its profile's `birth`) is decided with it: a namesake born on another day, home unknown,
    is not its person, while one born that day still is. Decided on hand-made stage tables, as
    `matching.decision` reads them: two profiles of 王建国 in 大坪村, one with the member's birth date, one
    without, and two strangers of that name with no known home, born another day."""
    from matching.decision import decide
    from matching.settings import DEFAULTS
    from matching.temp_tables import MEMBERS, NAME_TF, NAMESAKES, PLACE_SHARE, PROFILES, REJECTED_PAIRS, SCORED

    con = duckdb.connect()
    con.execute(f"create temp table {MEMBERS} as select 1 as member_rid, 'H1' as household_id, "
                f"'{MEMBER}' as id_norm, '王建国' as name_cmp, '19620315' as birth, '烟洲镇' as township, "
                "'大坪村' as village")
    con.execute(f"create temp table {PROFILES} as select * from (values "
                "(1, '王建国', null, '19620315', '烟洲镇', '大坪村'), (2, '王建国', null, null, '烟洲镇', '大坪村')) "
                "as p(profile_id, name_cmp, id_cmp, birth, township, village)")
    con.execute(f"create temp table {SCORED} as select profile_id, '{MEMBER}' as m_id, 'H1' as household_id, "
                "30.0 as score, 'missing' as id_level, 'exact_norm' as name_level, 'missing' as birth_level, "
                "'village' as address_level, 0.0 as id_weight, 20.0 as name_weight, 0.0 as birth_weight, "
                "10.0 as address_weight from (values (1), (2)) as p(profile_id)")
    con.execute(f"create temp table {NAMESAKES} as select * from (values "
                f"('王建国', '{stranger_id()}', '19700101', null, null), "
                f"('王建国', '{other_stranger_id()}', '19881212', null, null)) "
                "as n(name_cmp, id_norm, birth, township, village)")
    con.execute(f"create temp table {NAME_TF} as select '王建国' as name_cmp, 1e-5 as u")
    con.execute(f"create temp table {PLACE_SHARE} as select '烟洲镇' as township, '大坪村' as village, "
                "1e-3 as u_village, 0.05 as u_township")
    con.execute(f"create temp table {REJECTED_PAIRS} (profile_id bigint, member_rid bigint)")
    decide(con, DEFAULTS)
    assert con.execute("select profile_id, decision from _match_decisions order by 1").fetchall() == [
        (1, "link"), (2, "ambiguous")]
    con.execute(f"insert into {NAMESAKES} values ('王建国', '430482196203150000', '19620315', null, null)")
    decide(con, DEFAULTS)
    assert con.execute("select profile_id, decision from _match_decisions order by 1").fetchall() == [
        (1, "ambiguous"), (2, "ambiguous")]


def test_a_namesake_home_known_on_a_later_night_gives_what_a_full_recompute_gives(sample_landing, first_night):
    """Night 2 adds a medical settlement of a stranger 王建国 (known from it alone: home unknown, the unit goes to
    review); night 3 brings a housing snapshot in which the stranger holds a property in 宜阳街道 (the unit links
    again) and a further settlement of theirs. Each night, run on the warehouse of the night before, equals a
    full recompute of that night; and on night 4 a further settlement of the same stranger (an incremental night:
    only events) leaves the link as it is."""
    import datetime as dt

    def night(day: int, expect_incremental: bool) -> tuple[list, list]:
        night_equals_full_recompute(sample_landing, first_night, SAMPLES_AS_OF + dt.timedelta(days=day),
                                    incremental=expect_incremental,
                                    tables=("linked.links", "linked.link_review", "linked.known_people"))
        return decided(first_night)

    assert decided(first_night) == ([(MEMBER, "fuzzy")], [])
    add_medical_stranger(sample_landing, stranger_id(), day="20261104", serial="Y20261104000777")
    assert night(1, expect_incremental=True) == ([], [("ambiguous",)])
    add_stranger_property(sample_landing, stranger_id(), ELSEWHERE, day="20261105")
    add_medical_stranger(sample_landing, stranger_id(), day="20261105", serial="Y20261105000777")
    assert night(2, expect_incremental=False) == ([(MEMBER, "fuzzy")], [])
    add_medical_stranger(sample_landing, stranger_id(), day="20261106", serial="Y20261106000777")
    assert night(3, expect_incremental=True) == ([(MEMBER, "fuzzy")], [])


def test_a_record_spelt_otherwise_is_re_decided_when_the_member_name_gains_a_namesake(sample_landing, tmp_path):
    """A name-only unit of 汪建国 in 大坪村 is read as 王建国 (a homophone) and waits in the review band. On an
    incremental night a stranger called 王建国 (home unknown) appears in a medical settlement: the unit is
    decided again by the member's namesakes, so it is ambiguous, as a full recompute of that night has it,
    although its own name gained nobody."""
    import datetime as dt

    header, rows = read_sample_rows("housing")
    unit = list(rows[2])  # the samples' name-only unit of 王建国 in 大坪村
    unit[header.index("不动产单元号")] = "430482002003GB00008F00020008"
    unit[header.index("权利人")] = "汪建国"
    unit[header.index("坐落")] = "湖南省衡阳市常宁市烟洲镇大坪村5组9号"
    write_csv(sample_landing / "housing" / "20261103" / "housing.csv", header, [*rows, unit])
    homophone_unit = "430482002003GB00008F00020008||汪建国"
    warehouse = tmp_path / "w.duckdb"
    run_night(sample_landing, warehouse, SAMPLES_AS_OF, deliver=False)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("select person_id, name_level, reason from linked.link_review where record_key = ?",
                           [homophone_unit]).fetchall() == [(MEMBER, "homophone", "review_band")]
    finally:
        con.close()
    add_medical_stranger(sample_landing, stranger_id(), day="20261104", serial="Y20261104000777")
    night_equals_full_recompute(sample_landing, warehouse, SAMPLES_AS_OF + dt.timedelta(days=1), incremental=True)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("select reason from linked.link_review where record_key = ?",
                           [homophone_unit]).fetchall() == [("ambiguous",)]
    finally:
        con.close()
