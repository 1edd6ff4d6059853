/*---
code: INTEGRITY_PUBLIC_PAYROLL
title_zh: 家庭成员为财政供养在编人员
title_en: A member of an active household is on the public payroll as established staff
category: integrity
severity: medium
level: member
policy: >-
  Raised for each member of an active household (状态 在保 or 审核中) who is on the public payroll with 人员类别
  在职在编 (policy income.payroll_staff_categories) and a 统发年月 in the three calendar months before the as-of
  month. An integrity warning: it goes to the county's review list (县级复核), never to a township's.
sources: [households, members, public_payroll]
raises_on_absence_of: []
as_of_grain: month                       # only the as-of month counts: the income window is the three months before it
parameters:
  active_statuses:
    default: [在保, 审核中]
    description: household 状态 values that make a household active
    wording_zh: 核查的家庭状态：{}
output:
  household_id: 家庭编号 of the member's household
  person_id: the member's normalised 18-character ID
  county: 区县 of the household
  township: 乡镇街道 of the household (for analysts; the warning goes to the county's review list)
  person_name: the member's name as the members snapshot spells it
  summary_zh: one sentence for the reviewer
  evidence_records: the member's payroll rows, counted or not, each with why, with delivery, row and link
  facts: the window and the payroll rows counted
---*/

with

payroll as not materialized (
    select * from staged.public_payroll
),

links as not materialized (
    select * from linked.links
    where source = 'public_payroll'
),

-- the income model's window (hedui/income/model.sql): the three calendar months before the as-of month
window_bounds as (
    select
        income_window_start($as_of) as window_start,
        income_window_end($as_of) as window_after
),

-- active households and their members: the shared definitions of hedui/rules/shared_definitions.py
active_members as (
    select
        household_id,
        person_id,
        person_name,
        county,
        township
    from active_members_of($active_statuses)
),

member_payroll as (
    select
        active_members.household_id,
        active_members.person_id,
        active_members.person_name,
        active_members.county,
        active_members.township,
        payroll.*,
        payroll.person_name as payroll_name,
        links.method as link_method,
        links.score as link_score,
        payroll.staff_category in (select unnest($payroll_staff_categories))
            and payroll.payroll_month >= window_bounds.window_start
            and payroll.payroll_month < window_bounds.window_after as counted,
        case
            when payroll.staff_category not in (select unnest($payroll_staff_categories))
                then '人员类别为' || payroll.staff_category || '，不计入'
            when payroll.payroll_month < window_bounds.window_start or payroll.payroll_month >= window_bounds.window_after
                then '统发年月' || strftime(payroll.payroll_month, '%Y-%m') || '不在统计期内，不计入'
            else '计入：' || payroll.staff_category || '，' || strftime(payroll.payroll_month, '%Y-%m') || '统发'
        end as note_zh
    from payroll
    cross join window_bounds
    inner join links
        on payroll.record_key = links.record_key
    inner join active_members
        on links.person_id = active_members.person_id
        and links.household_id = active_members.household_id
),

per_member as (
    select
        household_id,
        person_id,
        any_value(person_name) as person_name,
        any_value(county) as county,
        any_value(township) as township,
        count(*) filter (where counted) as rows_counted,
        string_agg(distinct employer || '（' || staff_category || '）', '、' order by employer || '（' || staff_category || '）')
            filter (where counted) as employers,
        string_agg(distinct strftime(payroll_month, '%Y-%m'), '、' order by strftime(payroll_month, '%Y-%m'))
            filter (where counted) as months,
        list({
            'source': 'public_payroll',
            'delivery_id': delivery_id,
            'file': file,
            'row_number': row_number,
            'record_key': record_key,
            'link_method': link_method,
            'link_score': link_score,
            'counted': counted,
            'note_zh': note_zh,
            'fields': {
                '姓名': payroll_name,
                '身份证号': id_raw,
                '单位名称': employer,
                '人员类别': staff_category,
                '应发工资': gross_pay,
                '统发年月': strftime(payroll_month, '%Y-%m')
            }
        } order by record_key) as evidence_records
    from member_payroll
    group by
        household_id,
        person_id
),

raised as (
    select
        per_member.household_id,
        per_member.person_id,
        per_member.county,
        per_member.township,
        per_member.person_name,
        '财政统发工资数据显示，家庭成员' || per_member.person_name || '在' || strftime(window_bounds.window_start, '%Y-%m')
            || '至' || strftime(cast(window_bounds.window_after - interval 1 day as date), '%Y-%m') || '期间以'
            || array_to_string($payroll_staff_categories, '、') || '人员身份领取财政统发工资（' || per_member.employers
            || '，' || per_member.months || '）。本预警属廉政核查，由县级复核，不发乡镇（街道）。' as summary_zh,
        to_json(per_member.evidence_records) as evidence_records,
        to_json({
            'window_start': window_bounds.window_start,
            'window_end': cast(window_bounds.window_after - interval 1 day as date),
            'payroll_rows_counted': per_member.rows_counted
        }) as facts
    from per_member
    cross join window_bounds
    where per_member.rows_counted > 0
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
