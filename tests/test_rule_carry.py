"""A rule whose inputs, definition and as-of grain are unchanged keeps last night's hits without being evaluated
again (hedui.rules.rule_inputs), and the night leaves exactly the warehouse a full evaluation leaves.

Each night below runs twice from the same warehouse: as the nightly runs it (carrying what it can), and with
`full_recompute` (every rule evaluated); the two warehouses must be equal, ledgers aside. The tests also say which
rules were carried, so that the equality is not the trivial one of a night that evaluated everything.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from hedui.night import run_night
from hedui.policy import load_policy
from hedui.rules import rule_inputs
from hedui.rules.catalog import DEFAULT_RULES_DIR, RULES_DIR_ENV, load_catalog
from tests.test_incremental import new_events
from tests.test_lifecycle_problem_sources import LEFT, household_leaves
from tests.warehouse_state import data_state

NEXT_NIGHT = dt.date(2026, 11, 10)
ALL_RULES = {rule.code for rule in load_catalog()}
MEDICAL_OR_DEATH = {"CHANGE_DECEASED", "HARDSHIP_MAJOR_ILLNESS", "HARDSHIP_MEDICAL", "OUTREACH_SEVERE_DISABILITY"}
MONTHLY = {"INCOME_ABOVE_STANDARD", "INCOME_UNDERDECLARED", "INTEGRITY_PUBLIC_PAYROLL"}


def night_equals_full_evaluation(landing: Path, warehouse: Path, as_of: dt.date, **options) -> dict:
    """Run the night of `as_of` on `warehouse` as the nightly would and on a copy with every rule evaluated
    (`full_recompute`); the warehouses must be equal, ledgers aside. Returns the nightly's rule statistics."""
    full = warehouse.with_name(f"full-{as_of:%Y%m%d}.duckdb")
    shutil.copyfile(warehouse, full)
    run_night(landing, warehouse, as_of, deliver=False, allow_future_as_of=True, **options)
    run_night(landing, full, as_of, deliver=False, allow_future_as_of=True, full_recompute=True, **options)
    mine, theirs = data_state(warehouse, ledgers=False), data_state(full, ledgers=False)
    assert mine.keys() == theirs.keys()
    for table in mine:
        assert mine[table] == theirs[table], table
    full_stats = stats_of(full, as_of)
    assert full_stats["carried_rules"] == []
    return stats_of(warehouse, as_of)


def stats_of(warehouse: Path, as_of: dt.date) -> dict:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return json.loads(con.execute(
            "select stats from alerts.rule_runs where as_of = ? order by run_id desc limit 1", [as_of]
        ).fetchone()[0])
    finally:
        con.close()


def open_warnings_last_seen(warehouse: Path, rules: set[str]) -> set[dt.date]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {d for (d,) in con.execute(
            "select distinct last_seen_on from alerts.warnings where status = 'open' and rule_code in (select unnest(?))",
            [sorted(rules)],
        ).fetchall()}
    finally:
        con.close()


def test_a_typical_night_evaluates_only_the_rules_of_the_new_events_and_equals_a_full_evaluation(
        sample_landing, first_night):
    """New medical settlements and a death delivery: the rules reading either (and every rule whose hits move
    with the day) are evaluated; the others keep their hits, and their open warnings are seen tonight."""
    new_events(sample_landing)
    stats = night_equals_full_evaluation(sample_landing, first_night, NEXT_NIGHT)
    assert set(stats["carried_rules"]) == ALL_RULES - MEDICAL_OR_DEATH
    assert set(stats["evaluated_because"]) == MEDICAL_OR_DEATH
    assert open_warnings_last_seen(first_night, ALL_RULES - MEDICAL_OR_DEATH) == {NEXT_NIGHT}
    carried_open = sum(stats["per_rule"][code]["still_open"] for code in stats["carried_rules"])
    assert carried_open > 0  # the samples have open warnings of carried rules: the equality is not vacuous


def test_the_night_the_month_turns_evaluates_the_monthly_rules_again(sample_landing, first_night):
    """The income window is the three months before the as-of month: on the last night of November the income
    rules keep their hits; on the first of December they are evaluated again."""
    stats = night_equals_full_evaluation(sample_landing, first_night, dt.date(2026, 11, 30))
    assert MONTHLY <= set(stats["carried_rules"])
    stats = night_equals_full_evaluation(sample_landing, first_night, dt.date(2026, 12, 1))
    assert MONTHLY <= set(stats["evaluated_because"])
    assert set(stats["carried_rules"]) == ALL_RULES - MEDICAL_OR_DEATH - MONTHLY


def test_a_household_that_exits_evaluates_every_rule_and_resolves_its_warnings(sample_landing, first_night):
    """A fresh households snapshot (CN-S-0001 已退出) changes an input of every rule: nothing is carried, and
    the household's warnings resolve as on a full evaluation."""
    household_leaves(sample_landing, NEXT_NIGHT.strftime("%Y%m%d"))
    stats = night_equals_full_evaluation(sample_landing, first_night, NEXT_NIGHT)
    assert stats["carried_rules"] == []
    con = duckdb.connect(str(first_night), read_only=True)
    try:
        assert con.execute(
            "select count(*) from alerts.warnings where household_id = ? and status = 'open'", [LEFT]
        ).fetchone()[0] == 0
    finally:
        con.close()


def test_a_changed_threshold_evaluates_that_rule_again(sample_landing, first_night, tmp_path):
    """A policy that overrides one rule's parameter: that rule is evaluated, the others are carried."""
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(yaml.safe_dump({"rules": {"ASSET_VEHICLE": {"exempt_vehicle_types": ["拖拉机"]}}},
                                          allow_unicode=True), encoding="utf-8")
    stats = night_equals_full_evaluation(sample_landing, first_night, NEXT_NIGHT, policy=load_policy(policy_file))
    assert "ASSET_VEHICLE" in stats["evaluated_because"]
    assert set(stats["carried_rules"]) == ALL_RULES - MEDICAL_OR_DEATH - {"ASSET_VEHICLE"}


def test_a_changed_rule_file_evaluates_that_rule_again(sample_landing, first_night, tmp_path, monkeypatch):
    """A rule file whose SQL changed (here the caseworker's sentence) is evaluated; its warnings get the new
    wording as on a full evaluation."""
    catalog = tmp_path / "rules"
    shutil.copytree(Path(str(DEFAULT_RULES_DIR)), catalog)
    rule_file = catalog / "ASSET_PROPERTY.sql"
    text = rule_file.read_text(encoding="utf-8")
    assert text.count("套”的核查标准。") == 1
    rule_file.write_text(text.replace("套”的核查标准。", "套”的核查标准，请入户核实。"), encoding="utf-8")
    monkeypatch.setenv(RULES_DIR_ENV, str(catalog))
    stats = night_equals_full_evaluation(sample_landing, first_night, NEXT_NIGHT)
    assert "ASSET_PROPERTY" in stats["evaluated_because"]
    assert "ASSET_PROPERTY" not in stats["carried_rules"]


@pytest.mark.parametrize("previous, carried, reason", [
    ({"per_rule": {"R": {"held": 0, "deferred": 0}}}, True, "unchanged"),
    ({"per_rule": {"R": {"held": 2, "deferred": 0}}}, False, "warnings held or hits deferred last night"),
    ({"per_rule": {"R": {"held": 0, "deferred": 1}}}, False, "warnings held or hits deferred last night"),
    ({"per_rule": {"R": {"held": 0, "deferred": 0}}, "skipped_rules": {"R": ["vehicle"]}}, False,
     "not evaluated last night"),
    (None, False, "not evaluated last night"),
])
def test_a_rule_left_held_deferred_or_skipped_last_night_is_evaluated(previous, carried, reason):
    """Held warnings and deferred hits are what a healthy night settles without any input changing: such a rule
    is evaluated, whatever its key."""
    import dataclasses

    rule = dataclasses.replace(next(r for r in load_catalog() if r.code == "ASSET_VEHICLE"), code="R")
    decision = rule_inputs.decide(rule, "k", {"R": "k"}, previous, full_recompute=False)
    assert (decision.carried, decision.reason) == (carried, reason)
    assert not rule_inputs.decide(rule, "k", {"R": "k"}, previous, full_recompute=True).carried
    assert not rule_inputs.decide(rule, "k", {"R": "other"}, previous, full_recompute=False).carried


def test_a_rule_reading_a_table_its_key_does_not_cover_is_never_carried():
    import dataclasses

    rule = dataclasses.replace(next(r for r in load_catalog() if r.code == "ASSET_VEHICLE"),
                               tables_read=("linked.links", "staged.vehicle", "quarantine.flags"))
    decision = rule_inputs.decide(rule, "k", {rule.code: "k"},
                                  {"per_rule": {rule.code: {"held": 0, "deferred": 0}}}, full_recompute=False)
    assert (decision.carried, decision.reason) == (False, "reads quarantine.flags")


def test_the_tables_a_rule_reads_are_found_in_any_case_quoted_or_through_an_income_macro():
    from hedui.rules.catalog import tables_named

    sql = 'select * from STAGED.Vehicle v join staged."housing" h using (x), income_evidence_from(\'t\') e'
    assert tables_named(sql) == ("income.records", "staged.housing", "staged.vehicle")


def test_a_rule_reading_a_table_named_at_run_time_is_never_carried():
    import dataclasses

    rule = dataclasses.replace(next(r for r in load_catalog() if r.code == "ASSET_VEHICLE"),
                               sql="select * from query_table('staged.housing')")
    decision = rule_inputs.decide(rule, "k", {rule.code: "k"},
                                  {"per_rule": {rule.code: {"held": 0, "deferred": 0}}}, full_recompute=False)
    assert (decision.carried, decision.reason) == (False, "reads a table named at run time (query_table)")


def test_the_as_of_date_counts_at_the_rule_s_grain():
    rules = {rule.code: rule for rule in load_catalog()}
    day, next_day, next_month = dt.date(2026, 11, 29), dt.date(2026, 11, 30), dt.date(2026, 12, 1)
    assert rule_inputs.as_of_part(rules["ASSET_VEHICLE"], day) == rule_inputs.as_of_part(rules["ASSET_VEHICLE"],
                                                                                          next_month) == ""
    income = rules["INCOME_ABOVE_STANDARD"]
    assert income.as_of_grain == "month"
    assert rule_inputs.as_of_part(income, day) == rule_inputs.as_of_part(income, next_day) != \
        rule_inputs.as_of_part(income, next_month)
    outreach = rules["OUTREACH_SEVERE_DISABILITY"]
    assert outreach.as_of_grain == "day" and outreach.window is None
    assert rule_inputs.as_of_part(outreach, day) != rule_inputs.as_of_part(outreach, next_day)
    # a rule with a window leaves the date to its records (hedui.rules.window_scope: the edges are its scope)
    medical = rules["HARDSHIP_MEDICAL"]
    assert medical.as_of_grain == "day" and medical.window is not None
    assert rule_inputs.as_of_part(medical, day) == rule_inputs.as_of_part(medical, next_day) == ""


def test_a_rule_whose_hits_move_with_the_day_is_evaluated_every_night():
    """An age reached on a day (outreach), without a declared window: never carried."""
    outreach = next(rule for rule in load_catalog() if rule.code == "OUTREACH_SEVERE_DISABILITY")
    decision = rule_inputs.decide(outreach, None, {}, {"per_rule": {outreach.code: {"held": 0, "deferred": 0}}},
                                  full_recompute=False)
    assert (decision.carried, decision.reason) == (False, "its hits move with the as-of date (as_of_grain day)")


def test_a_rule_with_a_window_is_never_carried_but_may_be_scoped():
    """A 365-day window moves each night: with its key unchanged it is evaluated for a scope of households since
    the as-of date its key was kept on (hedui.rules.window_scope), never carried."""
    medical = next(rule for rule in load_catalog() if rule.code == "HARDSHIP_MEDICAL")
    kept = {medical.code: ("k", dt.date(2026, 11, 20))}
    previous = {"per_rule": {medical.code: {"held": 0, "deferred": 0}}}
    decision = rule_inputs.decide(medical, "k", kept, previous, full_recompute=False)
    assert (decision.carried, decision.scoped_since) == (False, dt.date(2026, 11, 20))
    assert rule_inputs.decide(medical, "other", kept, previous, full_recompute=False).scoped_since is None
    assert rule_inputs.decide(medical, "k", kept, previous, full_recompute=True).scoped_since is None


def test_a_landing_zone_whose_only_sources_are_the_households_completes_with_no_rule_key(sample_landing, tmp_path):
    """Every rule with a key reads a source that never delivered, so tonight keeps no key: the night completes
    (storing no keys once failed the warnings stage), and the rules are reported skipped."""
    for folder in sample_landing.iterdir():
        if folder.is_dir() and folder.name not in ("households", "members"):
            shutil.rmtree(folder)
    result = run_night(sample_landing, tmp_path / "w.duckdb", dt.date(2026, 11, 3), deliver=False)
    con = duckdb.connect(str(result.warehouse), read_only=True)
    try:
        assert con.execute("select count(*) from alerts.rule_evaluations").fetchone() == (0,)
        stats = json.loads(con.execute("select stats from alerts.rule_runs").fetchone()[0])
    finally:
        con.close()
    assert set(stats["skipped_rules"]) >= {"ASSET_VEHICLE", "ASSET_PROPERTY", "INCOME_ABOVE_STANDARD"}
