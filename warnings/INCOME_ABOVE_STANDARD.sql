/*---
code: INCOME_ABOVE_STANDARD
title_zh: 家庭核实收入超过低保标准
title_en: The household's verified per-capita income is above its limit
category: income
severity: high
level: household
policy: >-
  Raised for each active household (状态 在保 or 审核中) whose verified per-capita monthly income is above its
  limit. Verified income (the model of hedui/income/model.sql, table income.households): per member over the three
  calendar months before the as-of month, the wage is the largest of the social insurance 缴费基数 (counted 险种 and
  参保身份 only, refunds netted, divided by 3), the 缴存基数 of active housing fund accounts last paid in the window,
  and the public payroll 应发工资 of the window; benefits are the paid, non-exempt payments of the window divided by
  3. Per capita: the sum over the members ÷ 家庭人口 (the number of members when empty or 0). Limit: the 低保标准 of
  the household's 区县 and 城乡 (policy income.standards) × the multiplier of its 保障类别 (income.category_multipliers).
  A household whose 城乡 is unknown is not tested.
sources: [households, members, social_insurance, housing_fund, public_payroll, benefits]
raises_on_absence_of: []
as_of_grain: month                       # only the as-of month counts: the income window is the three months before it
parameters:
  active_statuses:
    default: [在保, 审核中]
    description: household 状态 values that make a household active
    wording_zh: 核查的家庭状态：{}
output:
  household_id: 家庭编号
  person_id: always null (a household-level rule)
  county: 区县 of the household
  township: 乡镇街道 of the household (the caseworker unit)
  person_name: the head of the household
  summary_zh: one sentence for the caseworker, with the figures, the standard, multiplier and 家庭人口
  evidence_records: every income record of the members, counted or not, each with why, with delivery, row and link
  facts: the window, the per-member wages (which source was the largest) and benefits, the totals and the limit
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

households_above_limit as (
    select
        household_income.*,
        active_households.head_name
    from household_income
    inner join active_households
        on household_income.household_id = active_households.household_id
    where household_income.not_tested_reason is null
        and household_income.per_capita_income > household_income.income_limit
),

-- per member, in words and as facts (hedui/income/model.sql, income_member_lines_from)
member_lines as (
    select *
    from income_member_lines_from('income.members')
    where household_id in (select household_id from households_above_limit)
),

-- every income record of the household, counted or not (hedui/income/model.sql, income_evidence_from); the
-- households are chosen first, so that the evidence lists are built for them only
flagged_records as (
    select *
    from income.records
    where household_id in (select household_id from households_above_limit)
),

evidence as (
    select *
    from income_evidence_from('flagged_records')
),

raised as (
    select
        households_above_limit.household_id,
        cast(null as varchar) as person_id,
        households_above_limit.county,
        households_above_limit.township,
        households_above_limit.head_name as person_name,
        '社保、公积金、财政统发和社保待遇记录显示，该户'
            || strftime(households_above_limit.window_start, '%Y-%m') || '至'
            || strftime(households_above_limit.window_end, '%Y-%m') || '月均核实收入'
            || printf('%.2f', households_above_limit.verified_monthly_income) || '元（'
            || coalesce(member_lines.member_text, '') || '），按家庭人口' || households_above_limit.divisor
            || '人计人均' || printf('%.2f', households_above_limit.per_capita_income) || '元，超过'
            || households_above_limit.county || households_above_limit.urban_rural || '低保标准'
            || printf('%.2f', households_above_limit.standard) || '元×' || households_above_limit.category
            || '倍数' || households_above_limit.multiplier || '＝' || printf('%.2f', households_above_limit.income_limit)
            || '元。缴费基数是缴费的基数，不是实发工资的证明，请入户核实。' as summary_zh,
        to_json(coalesce(evidence.evidence_records, [])) as evidence_records,
        to_json({
            'window_start': households_above_limit.window_start,
            'window_end': households_above_limit.window_end,
            'verified_monthly_income': households_above_limit.verified_monthly_income,
            'household_size': households_above_limit.household_size,
            'divisor': households_above_limit.divisor,
            'per_capita_income': households_above_limit.per_capita_income,
            'urban_rural': households_above_limit.urban_rural,
            'standard': households_above_limit.standard,
            'category': households_above_limit.category,
            'multiplier': households_above_limit.multiplier,
            'income_limit': households_above_limit.income_limit,
            'members': member_lines.member_facts,
            -- the model's settings (policy income:), so that the evidence states them under its thresholds
            'counted_insurance_types': $counted_insurance_types,
            'counted_participant_types': $counted_participant_types,
            'exempt_benefit_types': $exempt_benefit_types
        }) as facts
    from households_above_limit
    left join member_lines
        on households_above_limit.household_id = member_lines.household_id
    left join evidence
        on households_above_limit.household_id = evidence.household_id
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
