/*---
code: INCOME_UNDERDECLARED
title_zh: 家庭核实收入明显高于申报收入
title_en: The household's verified monthly income well exceeds its declared income
category: income
severity: medium
level: household
policy: >-
  Raised for each active household (状态 在保 or 审核中) whose verified monthly income (the model of
  hedui/income/model.sql, table income.households: the members' wages, the largest of social insurance, housing
  fund and public payroll, plus their benefits, over the three calendar months before the as-of month) exceeds
  its 申报月收入 by at least 500 yuan and by at least 30 % of 申报月收入. A household without a 申报月收入 is not
  compared.
sources: [households, members, social_insurance, housing_fund, public_payroll, benefits]
raises_on_absence_of: []
as_of_grain: month                       # only the as-of month counts: the income window is the three months before it
parameters:
  active_statuses:
    default: [在保, 审核中]
    description: household 状态 values that make a household active
    wording_zh: 核查的家庭状态：{}
  min_excess:
    default: 500
    description: yuan by which the verified monthly income must exceed the declared one
    wording_zh: 核实月收入高出申报月收入至少 {} 元
  min_excess_share:
    default: 0.3
    description: share of the declared monthly income by which the verified one must exceed it
    wording_zh: 且高出部分至少为申报月收入的 {} 倍
output:
  household_id: 家庭编号
  person_id: always null (a household-level rule)
  county: 区县 of the household
  township: 乡镇街道 of the household (the caseworker unit)
  person_name: the head of the household
  summary_zh: one sentence for the caseworker, with the verified and declared incomes
  evidence_records: every income record of the members, counted or not, each with why, with delivery, row and link
  facts: the window, the per-member wages (which source was the largest) and benefits, verified and declared income
---*/

with

-- the verified-income model, rebuilt tonight by the engine before the rules (hedui/income/tables.sql)
household_income as not materialized (
    select * from income.households
),

active_households as (
    select
        household_id,
        head_name,
        county,
        township
    from active_households_of($active_statuses)
),

households_underdeclared as (
    select
        household_income.*,
        household_income.verified_monthly_income - household_income.declared_monthly_income as excess,
        active_households.head_name
    from household_income
    inner join active_households
        on household_income.household_id = active_households.household_id
    where household_income.declared_monthly_income is not null
        and household_income.verified_monthly_income - household_income.declared_monthly_income >= $min_excess
        and household_income.verified_monthly_income - household_income.declared_monthly_income
            >= $min_excess_share * household_income.declared_monthly_income
),

-- per member, in words and as facts (hedui/income/model.sql, income_member_lines_from)
member_lines as (
    select *
    from income_member_lines_from('income.members')
    where household_id in (select household_id from households_underdeclared)
),

-- every income record of the household, counted or not (hedui/income/model.sql, income_evidence_from); the
-- households are chosen first, so that the evidence lists are built for them only
flagged_records as (
    select *
    from income.records
    where household_id in (select household_id from households_underdeclared)
),

evidence as (
    select *
    from income_evidence_from('flagged_records')
),

raised as (
    select
        households_underdeclared.household_id,
        cast(null as varchar) as person_id,
        households_underdeclared.county,
        households_underdeclared.township,
        households_underdeclared.head_name as person_name,
        '社保、公积金、财政统发和社保待遇记录显示，该户'
            || strftime(households_underdeclared.window_start, '%Y-%m') || '至'
            || strftime(households_underdeclared.window_end, '%Y-%m') || '月均核实收入'
            || printf('%.2f', households_underdeclared.verified_monthly_income) || '元（'
            || coalesce(member_lines.member_text, '') || '），比申报月收入'
            || printf('%.2f', households_underdeclared.declared_monthly_income) || '元高出'
            || printf('%.2f', households_underdeclared.excess) || '元，达到“高出至少' || $min_excess
            || '元且至少为申报月收入的' || cast(round($min_excess_share * 100) as integer)
            || '%”的核查标准。缴费基数是缴费的基数，不是实发工资的证明，请入户核实。' as summary_zh,
        to_json(coalesce(evidence.evidence_records, [])) as evidence_records,
        to_json({
            'window_start': households_underdeclared.window_start,
            'window_end': households_underdeclared.window_end,
            'verified_monthly_income': households_underdeclared.verified_monthly_income,
            'household_size': households_underdeclared.household_size,
            'divisor': households_underdeclared.divisor,
            'per_capita_income': households_underdeclared.per_capita_income,
            'urban_rural': households_underdeclared.urban_rural,
            'standard': households_underdeclared.standard,
            'category': households_underdeclared.category,
            'multiplier': households_underdeclared.multiplier,
            'income_limit': households_underdeclared.income_limit,
            'declared_monthly_income': households_underdeclared.declared_monthly_income,
            'excess': households_underdeclared.excess,
            'members': member_lines.member_facts,
            -- the model's settings (policy income:), so that the evidence states them under its thresholds
            'counted_insurance_types': $counted_insurance_types,
            'counted_participant_types': $counted_participant_types,
            'exempt_benefit_types': $exempt_benefit_types
        }) as facts
    from households_underdeclared
    left join member_lines
        on households_underdeclared.household_id = member_lines.household_id
    left join evidence
        on households_underdeclared.household_id = evidence.household_id
)

select
    household_id,
    person_id,
    county,
    township,
    person_name,
    summary_zh,
    evidence_records,
    facts
from raised
