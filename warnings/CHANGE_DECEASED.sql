/*---
code: CHANGE_DECEASED
title_zh: 家庭成员已死亡注销户籍
title_en: A member of an active household has died
category: change_of_circumstance
severity: high
level: member
policy: >-
  Raised for each member of an active household (状态 在保 or 审核中) when there is a death record for the
  member with 死亡日期 on or before the as-of date.
sources: [households, members, death]
raises_on_absence_of: []
window:
  source: death
  date_column: died_on
parameters:
  active_statuses:
    default: [在保, 审核中]
    description: household 状态 values that make a household active
    wording_zh: 核查的家庭状态：{}
output:
  household_id: 家庭编号 of the member's household
  person_id: the member's normalised 18-character ID
  county: 区县 of the household
  township: 乡镇街道 of the household (the caseworker unit)
  person_name: the member's name as the members snapshot spells it
  summary_zh: one sentence for the caseworker
  evidence_records: the death record, with delivery, row and link
  facts: the date of death
---*/

with

deaths as not materialized (
    select * from staged.death
),

links as not materialized (
    select * from linked.links
    where source = 'death'
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

deaths_on_or_before_as_of as (
    select
        deaths.delivery_id,
        deaths.file,
        deaths.row_number,
        deaths.record_key,
        deaths.person_name,
        deaths.id_raw,
        deaths.died_on,
        deaths.deregistered_on
    from deaths
    where deaths.died_on <= cast($as_of as date)
),

member_deaths as (
    select
        active_members.household_id,
        active_members.person_id,
        active_members.person_name,
        active_members.county,
        active_members.township,
        deaths_on_or_before_as_of.died_on,
        {
            'source': 'death',
            'delivery_id': deaths_on_or_before_as_of.delivery_id,
            'file': deaths_on_or_before_as_of.file,
            'row_number': deaths_on_or_before_as_of.row_number,
            'record_key': deaths_on_or_before_as_of.record_key,
            'link_method': links.method,
            'link_score': links.score,
            'fields': {
                '公民身份号码': deaths_on_or_before_as_of.id_raw,
                '姓名': deaths_on_or_before_as_of.person_name,
                '死亡日期': deaths_on_or_before_as_of.died_on,
                '注销日期': deaths_on_or_before_as_of.deregistered_on
            }
        } as evidence_record
    from deaths_on_or_before_as_of
    inner join links
        on deaths_on_or_before_as_of.record_key = links.record_key
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
        min(died_on) as died_on,
        ordered_list(evidence_record, evidence_record.record_key) as evidence_records
    from member_deaths
    group by
        household_id,
        person_id
),

raised as (
    select
        household_id,
        person_id,
        county,
        township,
        person_name,
        '公安户籍注销（死亡）记录显示，家庭成员' || person_name || '已于'
            || strftime(died_on, '%Y年%-m月%-d日') || '死亡，请核实家庭人口与待遇。' as summary_zh,
        to_json(evidence_records) as evidence_records,
        to_json({'died_on': died_on}) as facts
    from per_member
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
