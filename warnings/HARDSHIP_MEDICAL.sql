/*---
code: HARDSHIP_MEDICAL
title_zh: 家庭近一年医疗个人自付费用较高
title_en: The household's out-of-pocket medical costs of the last 365 days are high
category: hardship
severity: medium
level: household
policy: >-
  Raised for each active household (状态 在保 or 审核中) when the out-of-pocket (个人自付) amounts of all
  members' settlements with 结算日期 in the 365 days ending on the as-of date (both ends included), reversals
  netted out, add up to at least 10,000 yuan; or to at least 2,000 yuan and at least half of 12 × the
  household's 申报月收入.
sources: [households, members, medical]
raises_on_absence_of: []
window:
  source: medical
  date_column: settled_on
  length_parameter: window_days
  reversals:
    type_column: settlement_type
    type_value: 冲销
    reverses_column: original_settlement_id
    key_column: settlement_id
parameters:
  active_statuses:
    default: [在保, 审核中]
    description: household 状态 values that make a household active
    wording_zh: 核查的家庭状态：{}
  window_days:
    default: 365
    description: length of the window of settlement dates, ending on the as-of date, both ends included
    wording_zh: 统计截止日前 {} 天内（含当天）的医保结算
  total_threshold:
    default: 10000
    description: household out-of-pocket total (yuan) at or above which the warning is raised
    wording_zh: 家庭医疗个人自付合计达到 {} 元即预警
  income_test_min_total:
    default: 2000
    description: household out-of-pocket total (yuan) at or above which the income test applies
    wording_zh: 或合计达到 {} 元且达到年申报收入的规定比例
  income_test_share:
    default: 0.5
    description: share of the household's declared annual income the total must reach under the income test
    wording_zh: 规定比例为年申报收入的 {} 倍
  income_test_months:
    default: 12
    description: months of declared monthly income that make the declared annual income
    wording_zh: 年申报收入按月申报收入 × {} 个月计
output:
  household_id: 家庭编号
  person_id: always null (a household-level rule)
  county: 区县 of the household
  township: 乡镇街道 of the household (the caseworker unit)
  person_name: the head of the household
  summary_zh: one sentence for the caseworker
  evidence_records: the settlements counted and the reversals netted against them, with delivery, row and link
  facts: >-
    the net out-of-pocket total and the income test; the window is stated by its length (window_days, among the
    thresholds) ending on the as-of date, without dates, so that a household's evidence moves only with its records
---*/

with

settlements as not materialized (
    select * from staged.medical
),

links as not materialized (
    select * from linked.links
    where source = 'medical'
),

window_bounds as (
    select
        cast($as_of as date) - cast($window_days - 1 as integer) as window_start,
        cast($as_of as date) as window_end
),

-- active households and their members: the shared definitions of hedui/rules/shared_definitions.py
active_households as (
    select
        household_id,
        head_name,
        county,
        township,
        declared_monthly_income
    from active_households_of($active_statuses)
),

active_members as (
    select
        household_id,
        person_id
    from active_members_of($active_statuses)
),

reversals_so_far as (
    select
        settlements.delivery_id,
        settlements.file,
        settlements.row_number,
        settlements.record_key,
        settlements.settlement_id,
        settlements.settlement_type,
        settlements.original_settlement_id,
        settlements.person_name,
        settlements.settled_on,
        settlements.care_type,
        settlements.institution,
        settlements.total_cost,
        settlements.out_of_pocket
    from settlements
    cross join window_bounds
    where settlements.settlement_type = '冲销'
        and settlements.settled_on <= window_bounds.window_end
),

member_settlements_in_window as (
    select
        active_members.household_id,
        settlements.delivery_id,
        settlements.file,
        settlements.row_number,
        settlements.record_key,
        settlements.settlement_id,
        settlements.settlement_type,
        settlements.original_settlement_id,
        settlements.person_name,
        settlements.settled_on,
        settlements.care_type,
        settlements.institution,
        settlements.total_cost,
        settlements.out_of_pocket,
        links.method as link_method,
        links.score as link_score
    from settlements
    cross join window_bounds
    inner join links
        on settlements.record_key = links.record_key
    inner join active_members
        on links.person_id = active_members.person_id
        and links.household_id = active_members.household_id
    where settlements.settlement_type = '正常'
        and settlements.settled_on between window_bounds.window_start and window_bounds.window_end
),

netted_settlements as (
    select
        member_settlements_in_window.household_id,
        member_settlements_in_window.settlement_id,
        member_settlements_in_window.out_of_pocket
            + coalesce(sum(reversals_so_far.out_of_pocket), 0) as net_out_of_pocket
    from member_settlements_in_window
    left join reversals_so_far
        on reversals_so_far.original_settlement_id = member_settlements_in_window.settlement_id
    group by
        member_settlements_in_window.household_id,
        member_settlements_in_window.settlement_id,
        member_settlements_in_window.out_of_pocket
),

household_totals as (
    select
        household_id,
        sum(net_out_of_pocket) as net_out_of_pocket_total,
        count(*) filter (where net_out_of_pocket <> 0) as settlements_counted
    from netted_settlements
    group by
        household_id
),

income_test as (
    select
        household_totals.household_id,
        household_totals.net_out_of_pocket_total,
        household_totals.settlements_counted,
        active_households.declared_monthly_income,
        $income_test_share * $income_test_months * active_households.declared_monthly_income
            as income_test_threshold
    from household_totals
    inner join active_households
        on household_totals.household_id = active_households.household_id
),

households_over_threshold as (
    select
        income_test.household_id,
        income_test.net_out_of_pocket_total,
        income_test.settlements_counted,
        income_test.declared_monthly_income,
        income_test.income_test_threshold,
        income_test.net_out_of_pocket_total >= $total_threshold as meets_total_threshold,
        income_test.net_out_of_pocket_total >= $income_test_min_total
            and income_test.net_out_of_pocket_total >= income_test.income_test_threshold as meets_income_test
    from income_test
    where income_test.net_out_of_pocket_total >= $total_threshold
        or (
            income_test.net_out_of_pocket_total >= $income_test_min_total
            and income_test.net_out_of_pocket_total >= income_test.income_test_threshold
        )
),

-- the evidence (every counted settlement) is assembled only for the households that reach a threshold:
-- building it for every active household first cost most of the rule's time
counted_records as (
    select
        member_settlements_in_window.household_id,
        {
            'source': 'medical',
            'delivery_id': member_settlements_in_window.delivery_id,
            'file': member_settlements_in_window.file,
            'row_number': member_settlements_in_window.row_number,
            'record_key': member_settlements_in_window.record_key,
            'link_method': member_settlements_in_window.link_method,
            'link_score': member_settlements_in_window.link_score,
            'fields': {
                '结算流水号': member_settlements_in_window.settlement_id,
                '结算类型': member_settlements_in_window.settlement_type,
                '原结算流水号': member_settlements_in_window.original_settlement_id,
                '姓名': member_settlements_in_window.person_name,
                '结算日期': member_settlements_in_window.settled_on,
                '医疗类别': member_settlements_in_window.care_type,
                '医疗机构名称': member_settlements_in_window.institution,
                '医疗总费用': member_settlements_in_window.total_cost,
                '个人自付': member_settlements_in_window.out_of_pocket
            }
        } as evidence_record
    from member_settlements_in_window
    inner join netted_settlements
        on member_settlements_in_window.settlement_id = netted_settlements.settlement_id
        and member_settlements_in_window.household_id = netted_settlements.household_id
    where netted_settlements.net_out_of_pocket <> 0
        and member_settlements_in_window.household_id in (select household_id from households_over_threshold)

    union all

    select
        member_settlements_in_window.household_id,
        {
            'source': 'medical',
            'delivery_id': reversals_so_far.delivery_id,
            'file': reversals_so_far.file,
            'row_number': reversals_so_far.row_number,
            'record_key': reversals_so_far.record_key,
            'link_method': cast(null as varchar),
            'link_score': cast(null as double),
            'fields': {
                '结算流水号': reversals_so_far.settlement_id,
                '结算类型': reversals_so_far.settlement_type,
                '原结算流水号': reversals_so_far.original_settlement_id,
                '姓名': reversals_so_far.person_name,
                '结算日期': reversals_so_far.settled_on,
                '医疗类别': reversals_so_far.care_type,
                '医疗机构名称': reversals_so_far.institution,
                '医疗总费用': reversals_so_far.total_cost,
                '个人自付': reversals_so_far.out_of_pocket
            }
        } as evidence_record
    from reversals_so_far
    inner join member_settlements_in_window
        on reversals_so_far.original_settlement_id = member_settlements_in_window.settlement_id
    inner join netted_settlements
        on member_settlements_in_window.settlement_id = netted_settlements.settlement_id
        and member_settlements_in_window.household_id = netted_settlements.household_id
    where netted_settlements.net_out_of_pocket <> 0
        and member_settlements_in_window.household_id in (select household_id from households_over_threshold)
),

household_evidence as (
    select
        household_id,
        ordered_list(evidence_record, evidence_record.record_key) as evidence_records
    from counted_records
    group by
        household_id
),

raised as (
    select
        households_over_threshold.household_id,
        cast(null as varchar) as person_id,
        active_households.county,
        active_households.township,
        active_households.head_name as person_name,
        '医保结算记录显示，该户成员近' || $window_days || '天（截至数据截止日，含当天）医疗费用个人自付合计'
            || printf('%.2f', households_over_threshold.net_out_of_pocket_total) || '元（已扣除冲销），'
            || case
                when households_over_threshold.meets_total_threshold
                    then '达到' || $total_threshold || '元的核查标准。'
                else '达到' || $income_test_min_total || '元且不低于家庭申报'
                    || case when $income_test_months = 12 then '年' else $income_test_months || '个月' end || '收入的'
                    || cast(round($income_test_share * 100) as integer) || '%（'
                    || printf('%.2f', households_over_threshold.income_test_threshold) || '元）。'
            end as summary_zh,
        to_json(household_evidence.evidence_records) as evidence_records,
        to_json({
            'net_out_of_pocket_total': households_over_threshold.net_out_of_pocket_total,
            'settlements_counted': households_over_threshold.settlements_counted,
            'declared_monthly_income': households_over_threshold.declared_monthly_income,
            'income_test_threshold': households_over_threshold.income_test_threshold,
            'meets_total_threshold': households_over_threshold.meets_total_threshold,
            'meets_income_test': coalesce(households_over_threshold.meets_income_test, false)
        }) as facts
    from households_over_threshold
    inner join active_households
        on households_over_threshold.household_id = active_households.household_id
    inner join household_evidence
        on households_over_threshold.household_id = household_evidence.household_id
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
