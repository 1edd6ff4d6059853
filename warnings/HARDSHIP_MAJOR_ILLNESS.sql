/*---
code: HARDSHIP_MAJOR_ILLNESS
title_zh: 家庭成员近一年有重特大疾病诊断
title_en: A member was treated for a major illness in the last 365 days
category: hardship
severity: medium
level: member
policy: >-
  Raised for each member of an active household (状态 在保 or 审核中) when a settlement of the member with
  结算日期 in the 365 days ending on the as-of date (both ends included), not reversed, has a 主诊断编码 on the
  city's major-illness list: C00–C97, D61, D66, D67, F20, F25, F31, N18.5, N18.6, Q20–Q26, Z94. A code matches
  when it equals a listed code or starts with it followed by a dot or a digit (C34.9 matches C34, N18.5
  matches N18.5, N18.3 matches nothing).
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
  major_illness_codes:
    default: [C00-C97, D61, D66, D67, F20, F25, F31, N18.5, N18.6, Q20-Q26, Z94]
    description: >-
      the city's major-illness list of ICD-10 codes; `A-B` is a range of codes of the same length, both ends
      included
    wording_zh: 重特大疾病诊断编码：{}
output:
  household_id: 家庭编号 of the member's household
  person_id: the member's normalised 18-character ID
  county: 区县 of the household
  township: 乡镇街道 of the household (the caseworker unit)
  person_name: the member's name as the members snapshot spells it
  summary_zh: one sentence for the caseworker
  evidence_records: the settlements with a listed diagnosis, with delivery, row and link
  facts: the matched diagnosis codes and the list entries they matched
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

major_illness_list as (
    select
        entry,
        split_part(entry, '-', 1) as range_low,
        coalesce(nullif(split_part(entry, '-', 2), ''), split_part(entry, '-', 1)) as range_high
    from (select unnest($major_illness_codes) as entry)
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

reversed_settlement_ids as (
    select distinct
        settlements.original_settlement_id as settlement_id
    from settlements
    cross join window_bounds
    where settlements.settlement_type = '冲销'
        and settlements.settled_on <= window_bounds.window_end
        and settlements.original_settlement_id is not null
),

-- the narrow columns first: which members' settlements in the window have a listed diagnosis. The wide fields of
-- the evidence are fetched afterwards for those few settlements only; carrying them through the joins over a
-- year of the city's settlements was most of the rule's time
member_settlements_in_window as (
    select
        active_members.household_id,
        active_members.person_id,
        active_members.person_name as member_name,
        active_members.county,
        active_members.township,
        links.method as link_method,
        links.score as link_score,
        settlements.record_key,
        upper(trim(settlements.diagnosis_code)) as diagnosis_code
    from settlements
    cross join window_bounds
    inner join links
        on settlements.record_key = links.record_key
    inner join active_members
        on links.person_id = active_members.person_id
        and links.household_id = active_members.household_id
    where settlements.settlement_type = '正常'
        and settlements.settled_on between window_bounds.window_start and window_bounds.window_end
        and settlements.settlement_id not in (select settlement_id from reversed_settlement_ids)
),

listed_member_settlements as (
    select
        member_settlements_in_window.*,
        major_illness_list.entry as matched_list_entry
    from member_settlements_in_window
    inner join major_illness_list
        on left(member_settlements_in_window.diagnosis_code, length(major_illness_list.range_low))
            between major_illness_list.range_low and major_illness_list.range_high
        and (
            length(member_settlements_in_window.diagnosis_code) = length(major_illness_list.range_low)
            or regexp_matches(
                substr(member_settlements_in_window.diagnosis_code, length(major_illness_list.range_low) + 1, 1),
                '^[.0-9]$'
            )
        )
),

member_major_illness as (
    select
        listed_member_settlements.household_id,
        listed_member_settlements.person_id,
        listed_member_settlements.member_name as person_name,
        listed_member_settlements.county,
        listed_member_settlements.township,
        listed_member_settlements.diagnosis_code,
        settlements.diagnosis_name,
        listed_member_settlements.matched_list_entry,
        {
            'source': 'medical',
            'delivery_id': settlements.delivery_id,
            'file': settlements.file,
            'row_number': settlements.row_number,
            'record_key': settlements.record_key,
            'link_method': listed_member_settlements.link_method,
            'link_score': listed_member_settlements.link_score,
            'fields': {
                '结算流水号': settlements.settlement_id,
                '姓名': settlements.person_name,
                '结算日期': settlements.settled_on,
                '医疗类别': settlements.care_type,
                '医疗机构名称': settlements.institution,
                '主诊断编码': listed_member_settlements.diagnosis_code,
                '主诊断名称': settlements.diagnosis_name,
                '匹配的重特大疾病目录项': listed_member_settlements.matched_list_entry
            }
        } as evidence_record
    from listed_member_settlements
    inner join settlements
        on settlements.record_key = listed_member_settlements.record_key
),

per_member as (
    select
        household_id,
        person_id,
        any_value(person_name) as person_name,
        any_value(county) as county,
        any_value(township) as township,
        list(distinct diagnosis_code order by diagnosis_code) as diagnosis_codes,
        string_agg(distinct diagnosis_code || ' ' || coalesce(diagnosis_name, ''), '、'
            order by diagnosis_code || ' ' || coalesce(diagnosis_name, '')) as diagnosis_list,
        list(distinct matched_list_entry order by matched_list_entry) as matched_list_entries,
        ordered_list(evidence_record, evidence_record.record_key) as evidence_records
    from member_major_illness
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
        '医保结算记录显示，家庭成员' || person_name || '近' || $window_days || '天内有未冲销的结算，主诊断（'
            || trim(diagnosis_list) || '）属本市重特大疾病目录，请核实是否需要临时救助或调整待遇。' as summary_zh,
        to_json(evidence_records) as evidence_records,
        to_json({
            'diagnosis_codes': diagnosis_codes,
            'matched_list_entries': matched_list_entries
        }) as facts
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
