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
    import shutil

    from tests.warehouse_state import data_state

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
    full = first_night.with_name("full.duckdb")
    shutil.copyfile(first_night, full)
    night2 = SAMPLES_AS_OF + dt.timedelta(days=1)
    run_night(sample_landing, first_night, night2, deliver=False)
    run_night(sample_landing, full, night2, deliver=False, full_recompute=True)
    con = duckdb.connect(str(first_night), read_only=True)
    try:
        assert con.execute("select incremental from linked.link_state").fetchone() == (True,)
        assert con.execute("select count(*) from linked.links where record_key = ?", [no_id_unit]).fetchone()[0] == 0
        assert con.execute("select reason from linked.link_review where record_key = ?",
                           [no_id_unit]).fetchall() == [("ambiguous",)]
    finally:
        con.close()
    assert data_state(first_night, ledgers=False)["linked.links"] == data_state(full, ledgers=False)["linked.links"]
    assert (data_state(first_night, ledgers=False)["linked.link_review"]
            == data_state(full, ledgers=False)["linked.link_review"])
