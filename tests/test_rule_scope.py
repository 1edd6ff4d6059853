"""A rule with a window (HARDSHIP_MEDICAL, HARDSHIP_MAJOR_ILLNESS, CHANGE_DECEASED) is evaluated only for the
households whose records changed or crossed the window's edges since its last evaluation (hedui.rules.window_scope),
and the night leaves exactly the warehouse a full evaluation leaves.

Each night below runs twice from the same warehouse, as the nightly runs it and with `full_recompute`
(tests/test_rule_carry.py: `night_equals_full_evaluation`); the tests also say which rules were scoped, and to how
many households, so that the equality is not the trivial one of a night that evaluated everything.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
import yaml

from hedui.policy import load_policy
from hedui.rules import window_scope
from hedui.rules.catalog import load_catalog
from tests.conftest import read_sample_rows, write_csv
from tests.test_incremental import corrected_event_resend, corrected_resend_changing_an_id, new_events
from tests.test_lifecycle_problem_sources import household_leaves
from tests.test_rule_carry import NEXT_NIGHT, night_equals_full_evaluation

MEDICAL_RULES = {"HARDSHIP_MEDICAL", "HARDSHIP_MAJOR_ILLNESS"}
WINDOWED = MEDICAL_RULES | {"CHANGE_DECEASED"}
WANG = ("王建国", "430482196203151313")   # 11,900 yuan out of pocket on 2026-10-20, C34.9: both medical warnings
LIU = ("刘强", "430482197209099119")      # 3,500 yuan on 2026-10-29: below every threshold


def settlement(number: str, person: tuple[str, str], settled_on: str, out_of_pocket: str, *,
               reverses: str = "", diagnosis: tuple[str, str] = ("I63.9", "脑梗死")) -> list[str]:
    """A medical row in the samples' columns (a reversal when `reverses` names the settlement it reverses)."""
    name, id_number = person
    return [number, "冲销" if reverses else "正常", reverses, name, id_number, "住院", "", "", settled_on,
            "常宁市人民医院", diagnosis[0], diagnosis[1], out_of_pocket, "0", "0", "0", out_of_pocket]


def deliver_medical(landing: Path, folder: str, rows: list[list[str]]) -> None:
    header, _ = read_sample_rows("medical")
    write_csv(landing / "medical" / folder / "medical.csv", header, rows, encoding="gb18030")


def assert_scoped(stats: dict, rules=WINDOWED) -> None:
    for code in rules:
        assert code in stats["scoped_rules"], (code, stats["evaluated_because"].get(code))
        assert stats["evaluated_because"][code].startswith("scoped to"), stats["evaluated_because"][code]


def open_warnings(warehouse: Path, rule_code: str) -> int:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("select count(*) from alerts.warnings where rule_code = ? and status = 'open'",
                           [rule_code]).fetchone()[0]
    finally:
        con.close()


def test_new_settlements_and_a_death_are_evaluated_for_their_households_only(sample_landing, first_night):
    """A week of new settlements (one resending an older settlement, amended) and a death delivery: the windowed
    rules are evaluated for the households of those records alone."""
    new_events(sample_landing)
    stats = night_equals_full_evaluation(sample_landing, first_night, NEXT_NIGHT)
    assert_scoped(stats)
    assert 1 <= stats["scoped_rules"]["HARDSHIP_MEDICAL"] <= 3
    assert stats["per_rule"]["CHANGE_DECEASED"]["new"] == 1  # 陈思's death: raised inside the scope


@pytest.mark.parametrize("reverser", [WANG, ("赵某某", "110101199001011237")],
                         ids=["linked to the member", "linked to nobody"])
def test_a_reversal_of_an_old_settlement_reaches_the_household_of_the_settlement(sample_landing, first_night,
                                                                                 reverser):
    """A reversal of 王建国's settlement of 2026-10-20 arrives: it acts on his household through 原结算流水号,
    whoever the reversal itself names; both his medical warnings resolve, as on a full evaluation."""
    deliver_medical(sample_landing, "20261110",
                    [settlement("Y20261108000001", reverser, "2026-11-08", "-11900", reverses="Y20261020000187")])
    stats = night_equals_full_evaluation(sample_landing, first_night, NEXT_NIGHT)
    assert_scoped(stats, MEDICAL_RULES)
    assert stats["per_rule"]["HARDSHIP_MEDICAL"]["resolved"] == 1
    assert stats["per_rule"]["HARDSHIP_MAJOR_ILLNESS"]["resolved"] == 1


def test_a_settlement_leaving_the_window_is_evaluated_on_the_night_it_leaves(sample_landing, first_night):
    """Nothing new for a year: on 2027-10-19 every settlement is still in the 365 days, and no household is in
    scope; on 2027-10-20 王建国's settlement of 2026-10-20 leaves, and his warnings resolve."""
    stats = night_equals_full_evaluation(sample_landing, first_night, dt.date(2027, 10, 19))
    assert_scoped(stats, MEDICAL_RULES)
    assert stats["scoped_rules"]["HARDSHIP_MEDICAL"] == 0
    assert open_warnings(first_night, "HARDSHIP_MEDICAL") == 1
    stats = night_equals_full_evaluation(sample_landing, first_night, dt.date(2027, 10, 20))
    assert_scoped(stats, MEDICAL_RULES)
    assert stats["scoped_rules"]["HARDSHIP_MEDICAL"] == 1
    assert stats["per_rule"]["HARDSHIP_MEDICAL"]["resolved"] == 1
    assert open_warnings(first_night, "HARDSHIP_MEDICAL") == 0


def test_a_settlement_dated_after_its_delivery_is_quarantined_not_kept_for_later(sample_landing, first_night):
    """The contract refuses a 结算日期 after its delivery's date (quarantined, with its reason): a settlement does not
    wait in the staged table for its day. The windowed rules are scoped and equal a full evaluation all the same;
    the band of records entering the window is tested on its own below."""
    deliver_medical(sample_landing, "20261110", [settlement("Y20261115000001", LIU, "2026-11-15", "8000")])
    stats = night_equals_full_evaluation(sample_landing, first_night, NEXT_NIGHT)
    assert_scoped(stats, MEDICAL_RULES)
    assert stats["scoped_rules"]["HARDSHIP_MEDICAL"] == 0


def _window_warehouse(tmp_path: Path, records: list[tuple]) -> duckdb.DuckDBPyConnection:
    """A warehouse holding only what the scope reads: staged.medical's window columns, linked.links and
    alerts.window_records (as its migration creates it)."""
    from importlib.resources import files

    con = duckdb.connect(str(tmp_path / "scope.duckdb"))
    con.execute("create schema staged; create schema linked; create schema alerts")
    con.execute("""create table staged.medical (record_key varchar, settlement_id varchar, settlement_type varchar,
                   original_settlement_id varchar, settled_on date)""")
    con.execute("create table linked.links (source varchar, record_key varchar, person_id varchar, household_id varchar)")
    con.execute(files("hedui.warehouse").joinpath("migrations/0011_window_records.sql").read_text(encoding="utf-8"))
    for key, number, kind, reverses, settled_on, household in records:
        con.execute("insert into staged.medical values (?, ?, ?, ?, ?)", [key, number, kind, reverses, settled_on])
        if household:
            con.execute("insert into linked.links values ('medical', ?, ?, ?)", [key, f"P-{household}", household])
    return con


def _scope_between(con, since: dt.date, as_of: dt.date, length: int = 365) -> set[str]:
    rule = next(r for r in load_catalog() if r.code == "HARDSHIP_MEDICAL")
    records = window_scope.WindowRecords(con)
    try:
        window_scope.scope_households(con, records, rule, since, as_of, length)
        return {household for (household,) in con.execute("select household_id from _window_scope").fetchall()}
    finally:
        records.drop()


def test_the_scope_holds_the_records_crossing_the_window_s_edges_and_the_reversals_that_start_to_count(tmp_path):
    """With the records unchanged since the last evaluation (2026-11-03), the scope between two as-of dates is the
    households of records entering the window (dated in (d0, d1], a record dated after its delivery's day
    included), of records leaving it (dated in [d0 - 364, d1 - 365]), and of the settlements a reversal dated in
    (d0, d1] reverses (its own link, or none, does not matter)."""
    d0 = dt.date(2026, 11, 3)
    con = _window_warehouse(tmp_path, [
        ("k-future", "S1", "正常", None, dt.date(2026, 11, 15), "H-FUTURE"),
        ("k-old", "S2", "正常", None, dt.date(2025, 11, 10), "H-OLD"),
        ("k-reversed", "S3", "正常", None, dt.date(2026, 10, 1), "H-REVERSED"),
        ("k-reversal", "S4", "冲销", "S3", dt.date(2026, 11, 20), None),
        ("k-quiet", "S5", "正常", None, dt.date(2026, 6, 1), "H-QUIET"),
    ])
    try:
        kept = window_scope.WindowRecords(con)
        window_scope.remember(con, kept, [r for r in load_catalog() if r.code == "HARDSHIP_MEDICAL"])
        kept.drop()
        assert _scope_between(con, d0, d0) == set()
        assert _scope_between(con, d0, dt.date(2026, 11, 14)) == {"H-OLD"}        # 2025-11-10 leaves on 11-10
        assert _scope_between(con, d0, dt.date(2026, 11, 15)) == {"H-OLD", "H-FUTURE"}
        assert _scope_between(con, d0, dt.date(2026, 11, 20)) == {"H-OLD", "H-FUTURE", "H-REVERSED"}
        assert _scope_between(con, dt.date(2026, 11, 15), dt.date(2026, 11, 19)) == set()
    finally:
        con.close()


def test_two_rules_with_the_same_kept_records_share_one_comparison_and_rules_whose_kept_records_differ_do_not(
        tmp_path):
    """HARDSHIP_MEDICAL and HARDSHIP_MAJOR_ILLNESS read the same window and are evaluated on the same nights: their
    kept records are the same, so tonight's records are compared with them once. When one rule's kept records
    differ (here one is missing), each rule gets its own comparison, which names that record as added for it
    alone; and `remember` leaves both rules with tonight's records."""
    catalog = load_catalog()
    medical = [r for r in catalog if r.code in MEDICAL_RULES]
    con = _window_warehouse(tmp_path, [
        ("k-1", "S1", "正常", None, dt.date(2026, 10, 1), "H-1"),
        ("k-2", "S2", "正常", None, dt.date(2026, 10, 2), "H-2"),
    ])
    try:
        kept = window_scope.WindowRecords(con, catalog)
        window_scope.remember(con, kept, medical)
        kept.drop()
        con.execute("insert into staged.medical values ('k-3', 'S3', '正常', null, date '2026-10-03')")
        con.execute("insert into linked.links values ('medical', 'k-3', 'P-H-3', 'H-3')")

        shared = window_scope.WindowRecords(con, catalog)
        assert len({shared.changed(rule) for rule in medical}) == 1
        shared.drop()

        con.execute("delete from alerts.window_records where rule_code = 'HARDSHIP_MAJOR_ILLNESS' and record_key = 'k-1'")
        apart = window_scope.WindowRecords(con, catalog)
        tables = {rule.code: apart.changed(rule) for rule in medical}
        assert len(set(tables.values())) == 2
        added = {code: {key for (key,) in con.execute(f"select record_key from {table} where side = 'added'").fetchall()}
                 for code, table in tables.items()}
        assert added == {"HARDSHIP_MEDICAL": {"k-3"}, "HARDSHIP_MAJOR_ILLNESS": {"k-1", "k-3"}}
        window_scope.remember(con, apart, medical)
        apart.drop()
        assert dict(con.execute("select rule_code, count(*) from alerts.window_records group by 1").fetchall()) \
            == {code: 3 for code in MEDICAL_RULES}
    finally:
        con.close()


@pytest.mark.parametrize("resend", [corrected_event_resend, corrected_resend_changing_an_id],
                         ids=["a settlement withdrawn", "a settlement relinked to another member"])
def test_a_corrected_resend_of_an_old_delivery_is_evaluated_for_the_records_it_changed(sample_landing, first_night,
                                                                                      resend):
    """The delivery of 2026-11-03 again, corrected: the records it changed (removed, or linked to another member
    now) name the households on both sides, before and after."""
    resend(sample_landing)
    stats = night_equals_full_evaluation(sample_landing, first_night, NEXT_NIGHT)
    assert_scoped(stats, MEDICAL_RULES)
    assert stats["scoped_rules"]["HARDSHIP_MEDICAL"] >= 1


def test_a_households_snapshot_change_evaluates_the_windowed_rules_whole(sample_landing, first_night):
    household_leaves(sample_landing, NEXT_NIGHT.strftime("%Y%m%d"))
    stats = night_equals_full_evaluation(sample_landing, first_night, NEXT_NIGHT)
    assert not set(stats["scoped_rules"]) & WINDOWED
    assert stats["evaluated_because"]["HARDSHIP_MEDICAL"] == "inputs, definition or as-of date changed"


def test_a_changed_parameter_evaluates_that_rule_whole_and_scopes_the_others(sample_landing, first_night, tmp_path):
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(yaml.safe_dump({"rules": {"HARDSHIP_MEDICAL": {"total_threshold": 3000}}}),
                           encoding="utf-8")
    stats = night_equals_full_evaluation(sample_landing, first_night, NEXT_NIGHT, policy=load_policy(policy_file))
    assert "HARDSHIP_MEDICAL" not in stats["scoped_rules"]
    assert stats["evaluated_because"]["HARDSHIP_MEDICAL"] == "inputs, definition or as-of date changed"
    assert_scoped(stats, WINDOWED - {"HARDSHIP_MEDICAL"})


def test_the_kept_records_are_tonights_after_a_scoped_night(sample_landing, first_night):
    """The next night compares with what this one read: after a scoped night the kept records are exactly those
    a full evaluation keeps (the warehouses are equal), and they are not empty."""
    new_events(sample_landing)
    night_equals_full_evaluation(sample_landing, first_night, NEXT_NIGHT)
    con = duckdb.connect(str(first_night), read_only=True)
    try:
        kept = dict(con.execute("select rule_code, count(*) from alerts.window_records group by 1").fetchall())
    finally:
        con.close()
    assert set(kept) == WINDOWED and all(kept.values())


def test_without_the_window_s_edges_the_scope_would_miss_a_lapse(sample_landing, first_night, monkeypatch):
    """The edges are needed: a scope without the records crossing them leaves 王建国's warning open on the night
    his settlement leaves the window, where a full evaluation resolves it."""
    without_edges = window_scope._SCOPE.replace("select household_id, 'crossing' as why from crossing",
                                                "select household_id, 'crossing' as why from crossing where false")
    assert without_edges != window_scope._SCOPE
    night_equals_full_evaluation(sample_landing, first_night, dt.date(2027, 10, 19))
    monkeypatch.setattr(window_scope, "_SCOPE", without_edges)
    with pytest.raises(AssertionError):
        night_equals_full_evaluation(sample_landing, first_night, dt.date(2027, 10, 20))
    assert open_warnings(first_night, "HARDSHIP_MEDICAL") == 1  # the scoped night kept it open: wrong, caught


@pytest.mark.parametrize("change, problem", [
    (("  source: medical\n  date_column", "  source: vehicle\n  date_column"), "is not among the rule's sources"),
    (("length_parameter: window_days", "length_parameter: window_weeks"), "is not a declared parameter"),
    (("    key_column: settlement_id\n", ""), "window reversals must give"),
    (("date_column: settled_on", "date_column: settled_on; drop table x"), "must be column names"),
])
def test_a_malformed_window_header_fails_naming_the_file(tmp_path, change, problem):
    from hedui.rules.catalog import DEFAULT_RULES_DIR, RuleFileError, parse_rule_file

    text = (DEFAULT_RULES_DIR / "HARDSHIP_MEDICAL.sql").read_text(encoding="utf-8")
    assert change[0] in text
    broken = tmp_path / "HARDSHIP_MEDICAL.sql"
    broken.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    with pytest.raises(RuleFileError, match=problem) as raised:
        parse_rule_file(broken)
    assert "HARDSHIP_MEDICAL.sql" in str(raised.value)


def test_the_records_hash_covers_the_columns_the_rules_name_or_every_column():
    """A column no rule with the window names cannot change its hits (the hash leaves 身份证号 out of the medical
    records: the links carry who a settlement is); a rule that could read a column without naming it (a whole row
    as a value) makes the hash cover every column."""
    import dataclasses

    readers = [rule for rule in load_catalog() if rule.window is not None and rule.window.source == "medical"]
    columns = ["delivery_id", "record_key", "settlement_id", "settled_on", "id_norm", "id_raw", "out_of_pocket",
               "diagnosis_code"]
    assert window_scope.columns_read(readers, columns) == ["delivery_id", "record_key", "settlement_id",
                                                           "settled_on", "out_of_pocket", "diagnosis_code"]
    whole_row = dataclasses.replace(readers[0], sql=readers[0].sql.replace(
        "select * from staged.medical", "select *, to_json(staged_rows) as whole from staged.medical as staged_rows"))
    assert window_scope.columns_read([whole_row], columns) == columns
    star_in_expression = dataclasses.replace(readers[0], sql=readers[0].sql.replace(
        "select * from staged.medical", "select *, struct_pack(*) as whole from staged.medical"))
    assert window_scope.columns_read([star_in_expression], columns) == columns
