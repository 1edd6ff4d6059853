"""A caseworker's list holds only its own township's families.

`tests/test_deliver_lists.py::test_township_isolation_only_open_warnings_of_that_township` checks each list
against `alerts.warnings.township` on a hand-built warehouse. This test checks the real night on the samples
(families in 烟洲镇, 宜阳街道 and 塔山乡, outreach for a person in no household) against the households snapshot itself:
every 家庭编号 on a township's list is a household of that township, every name is one of that household's
members, and the other township's families appear nowhere on it.
"""

from __future__ import annotations

import duckdb
import openpyxl

from connectors.normalise import _normalise_names


def test_each_township_list_holds_only_that_townships_families(samples_night):
    result = samples_night.result
    con = duckdb.connect(str(result.warehouse), read_only=True)
    households = {h: (t, set()) for h, t in con.execute("select household_id, township from staged.households")
                  .fetchall()}
    # compared normalised (every middle dot as ·): a household-level warning names the head as the households file
    # spells it (staged.households.head_name, as every household-level rule does), a member's one as the members
    # file does, and the samples write 阿依古丽•买买提 in one and 阿依古丽·买买提 in the other
    for h, name in con.execute("select household_id, person_name_norm from staged.members").fetchall():
        households[h][1].add(name)
    con.close()

    rows_per_township = {}
    for path in (result.outputs / "lists").glob("*_预警核查清单_*.xlsx"):
        township = path.name.split("_")[0].removeprefix("常宁市")
        sheet = openpyxl.load_workbook(path).worksheets[0]
        header, *rows = list(sheet.iter_rows(values_only=True))
        records = [dict(zip(header, r)) for r in rows]
        rows_per_township[township] = records
        for record in records:
            household = record["家庭编号"]
            assert household in households, (path.name, household)
            assert households[household][0] == township, (path.name, household)
            assert _normalise_names([record["姓名"].removesuffix("（户主）")])[0] in households[household][1], path.name
        others = {h for h, (t, _) in households.items() if t != township}
        assert not {r["家庭编号"] for r in records} & others
    # two townships with families on their lists, so the check above compares something
    assert len([t for t, records in rows_per_township.items() if records]) >= 2
    assert {r["家庭编号"] for r in rows_per_township["烟洲镇"]} == {"CN-S-0001"}
    assert {r["家庭编号"] for r in rows_per_township["宜阳街道"]} == {"CN-S-0002"}
    # CN-S-0003's income warning (household level: its head, spelled 阿依古丽•买买提 as the households file has it);
    # its integrity warning goes to the county review list, not here
    assert {(r["家庭编号"], r["姓名"]) for r in rows_per_township["塔山乡"]} == {("CN-S-0003", "阿依古丽•买买提")}
