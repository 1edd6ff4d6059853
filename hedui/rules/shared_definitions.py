"""Definitions that several rules and the report share, created as DuckDB macros before the rules run.

What makes a household active, and what makes a disability certificate severe, are policy: every rule (and the
household report) must mean the same thing by them. They are written once here, as macros taking the rule's
parameters, and each rule file calls them in one of its CTEs:

    active_members as (
        select household_id, person_id, person_name, county, township
        from active_members_of($active_statuses)
    ),

    severe_certificates as (
        select ... from certificates
        where severe_disability(certificates.cert_status, certificates.grade_num, certificates.category,
                                $valid_cert_statuses, $severe_max_grade, $severe_max_grade_special,
                                $severe_special_categories)
    ),

The values stay the rule's parameters (`rules.<CODE>` of the policy overrides them), so a rule file still
declares every threshold it applies and the engine still records them in each warning's evidence.

The table macros are bound when they are created, so `install_rule_macros` runs on a warehouse whose staged
tables exist (the engine calls it before evaluating the catalog; the report before reading a household).
"""

from __future__ import annotations

from typing import Any

import duckdb

from hedui.policy import Policy, PolicyError

# The parameters of the severe-disability definition: every rule that declares them must apply the same values,
# or "severe" would mean one thing to HARDSHIP_DISABILITY and another to OUTREACH_SEVERE_DISABILITY.
SEVERE_DISABILITY_PARAMETERS = ("valid_cert_statuses", "severe_max_grade", "severe_max_grade_special",
                                "severe_special_categories")

# The household batch the rules see (`hedui.rules.engine` evaluates the rules of household and member level batch
# by batch): households whose hash of 家庭编号 modulo `batches` is `batch`. One batch (the default, and what the
# report sees) is every household. When `scoped`, only the households of `_household_scope` are seen: a rule with
# a window evaluated for the households whose hits can have changed (hedui.rules.window_scope).
_BATCH_TABLE = """
create or replace temp table _household_batch as
select cast(1 as bigint) as batches, cast(0 as bigint) as batch, false as scoped;
create or replace temp table _household_scope (household_id varchar);
"""

SET_HOUSEHOLD_BATCH = "update _household_batch set batches = $batches, batch = $batch"

# The scope of a scoped evaluation: the households of `_window_scope` (hedui.rules.window_scope), or none (every
# household is seen again).
SET_HOUSEHOLD_SCOPE = """
delete from _household_scope;
insert into _household_scope select household_id from _window_scope;
update _household_batch set scoped = true;
"""

CLEAR_HOUSEHOLD_SCOPE = """
update _household_batch set scoped = false;
delete from _household_scope;
"""

_MACROS = (
    # A household is active when its 状态 is one of the rule's `active_statuses`; of them, those of the current
    # household batch.
    """
    create or replace temp macro active_households_of(active_statuses) as table
        select *
        from staged.households
        where status in (select unnest(active_statuses))
            and (
                (select batches from _household_batch) = 1
                or hash(household_id) % (select batches from _household_batch)
                    = (select batch from _household_batch)
            )
            and (
                not (select scoped from _household_batch)
                or household_id in (select household_id from _household_scope)
            )
    """,
    # The members of active households, with the household's county and township (the caseworker unit).
    """
    create or replace temp macro active_members_of(active_statuses) as table
        select
            members.household_id,
            members.id_norm as person_id,
            members.person_name,
            members.disability_grade,
            members.disability_grade_num,
            active_households.head_name,
            active_households.county,
            active_households.township,
            active_households.declared_monthly_income
        from staged.members as members
        inner join active_households_of(active_statuses) as active_households
            on members.household_id = active_households.household_id
    """,
    # A certificate in force whose grade is severe: grades 1 to severe_max_grade for every category, and 1 to
    # severe_max_grade_special for the severe_special_categories (智力, 精神 by default).
    """
    create or replace temp macro severe_disability(
        cert_status, grade_num, category,
        valid_cert_statuses, severe_max_grade, severe_max_grade_special, severe_special_categories
    ) as (
        cert_status in (select unnest(valid_cert_statuses))
        and (
            grade_num <= severe_max_grade
            or (
                grade_num <= severe_max_grade_special
                and category in (select unnest(severe_special_categories))
            )
        )
    )
    """,
    # A household's evidence records in one list, ordered by `sort_key` (the record key): what
    # `list(value order by sort_key)` gives, as an aggregate DuckDB can spill. An ordered aggregate buffers each
    # group's rows in memory, and on a city whose households cite hundreds of settlements each it cannot run a
    # batch of the size a plain `list` spills through (issue 18). `sort_key` must not be null; ties (the same key
    # twice) are ordered by the value, where the ordered aggregate left them in any order.
    """
    create or replace temp macro ordered_list(value, sort_key) as (
        list_transform(
            list_sort(list({'sort_key': sort_key, 'value': value})),
            lambda entry: entry.value
        )
    )
    """,
    # Grades lowest..highest in words as 残联 writes them (一级 = 1, the most severe): (1, 2) -> 一、二级.
    """
    create or replace temp macro disability_grades_zh(lowest, highest) as (
        array_to_string(
            list_transform(
                range(cast(lowest as bigint), cast(highest as bigint) + 1),
                lambda grade: coalesce(['一', '二', '三', '四'][grade], cast(grade as varchar))
            ),
            '、'
        ) || '级'
    )
    """,
    # What severe means, in the words of a caseworker: 一、二级，或智力、精神三级 with the default grades.
    """
    create or replace temp macro severe_disability_zh(
        severe_max_grade, severe_max_grade_special, severe_special_categories
    ) as (
        disability_grades_zh(1, severe_max_grade)
        || case
            when severe_max_grade_special > severe_max_grade and len(severe_special_categories) > 0
                then '，或' || array_to_string(severe_special_categories, '、')
                    || disability_grades_zh(severe_max_grade + 1, severe_max_grade_special)
            else ''
        end
    )
    """,
)


def install_rule_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create (or replace) the shared macros on `con`; its `staged.households` and `staged.members` must exist.
    The household batch is reset to one batch (every household). The income window's macros come too: a rule
    that states the window (INTEGRITY_PUBLIC_PAYROLL) uses the model's, not a copy of it."""
    from hedui.income.model import install_window_macros  # hedui.income imports this module's neighbours

    con.execute(_BATCH_TABLE)
    for sql in _MACROS:
        con.execute(sql)
    install_window_macros(con)


def shared_definitions_text() -> str:
    """The text of every shared definition a rule may call (the macros and the income window's): part of each
    rule's key (`hedui.rules.rule_inputs`), so that a change to one evaluates every rule again."""
    from hedui.income.model import window_macros_text

    return "\n".join((_BATCH_TABLE, *_MACROS, window_macros_text()))


def check_shared_parameters(parameters: dict[str, dict[str, Any]], policy: Policy) -> None:
    """Refuse (PolicyError) a policy under which the rules disagree on what severe disability is.

    `parameters` are each rule's parameters under `policy`, by rule code. A city that narrows severe disability
    must do so in every rule that applies it; overriding one of them alone is a mistake, not a choice."""
    applied = {code: tuple(str(params[name]) for name in SEVERE_DISABILITY_PARAMETERS)
               for code, params in parameters.items() if all(name in params for name in SEVERE_DISABILITY_PARAMETERS)}
    if len(set(applied.values())) > 1:
        described = "; ".join(f"rules.{code}: " + ", ".join(f"{name}={value}" for name, value
                                                          in zip(SEVERE_DISABILITY_PARAMETERS, values))
                              for code, values in sorted(applied.items()))
        raise PolicyError(f"policy {policy.source}: severe disability must be defined the same in every rule that"
                          f" applies it ({', '.join(SEVERE_DISABILITY_PARAMETERS)}); got {described}")
