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
