/*---
code: ASSET_PROPERTY
title_zh: 家庭成员名下有多套住房或非住宅房产
title_en: The household holds two or more homes, or a commercial, office or industrial unit
category: hidden_asset
severity: high
level: household
policy: >-
  Raised for each active household (状态 在保 or 审核中) when its members together hold (alone or as
  co-owners) at least 2 distinct current (现势) 住宅 units, or at least 1 current unit whose 规划用途 is 商业,
  办公 or 工业. 车库车位 and 其他 do not count.
sources: [households, members, housing]
raises_on_absence_of: []
parameters:
  active_statuses:
    default: [在保, 审核中]
    description: household 状态 values that make a household active
    wording_zh: 核查的家庭状态：{}
  residential_use_types:
    default: [住宅]
    description: 规划用途 values that count as a home
    wording_zh: 计为住房的规划用途：{}
  non_residential_use_types:
    default: [商业, 办公, 工业]
    description: 规划用途 values of which a single unit raises the warning
    wording_zh: 计为经营性用房的规划用途：{}
  min_residential_units:
    default: 2
    description: number of distinct current homes at or above which the warning is raised
    wording_zh: 现势住房达到 {} 套即预警
  min_non_residential_units:
    default: 1
    description: number of distinct current commercial, office or industrial units at or above which the warning is raised
    wording_zh: 或现势经营性用房达到 {} 套即预警
output:
  household_id: 家庭编号
  person_id: always null (a household-level rule)
  county: 区县 of the household
  township: 乡镇街道 of the household (the caseworker unit)
  person_name: the head of the household
  summary_zh: one sentence for the caseworker
  evidence_records: the title records of the members, with delivery, row and link
  facts: distinct current homes and non-residential units
---*/

with

housing as not materialized (
    select * from staged.housing
),

links as not materialized (
    select * from linked.links
    where source = 'housing'
),

-- active households and their members: the shared definitions of hedui/rules/shared_definitions.py
active_households as (
    select
        household_id,
        head_name,
        county,
        township
    from active_households_of($active_statuses)
),

active_members as (
    select
        household_id,
        person_id,
        person_name
    from active_members_of($active_statuses)
),

current_counted_titles as (
    select
        housing.delivery_id,
        housing.file,
        housing.row_number,
        housing.record_key,
        housing.unit_no,
        housing.person_name as owner_name,
        housing.id_raw as owner_id_raw,
        housing.co_ownership,
        housing.address,
        housing.use_type,
        housing.floor_area,
        housing.registered_on,
        housing.title_status,
        housing.use_type in (select unnest($residential_use_types)) as is_residential,
        housing.use_type in (select unnest($non_residential_use_types)) as is_non_residential
    from housing
    where housing.title_status = '现势'
),

member_titles as (
    select
        active_members.household_id,
        current_counted_titles.unit_no,
        current_counted_titles.is_residential,
        current_counted_titles.is_non_residential,
        {
            'source': 'housing',
            'delivery_id': current_counted_titles.delivery_id,
            'file': current_counted_titles.file,
            'row_number': current_counted_titles.row_number,
            'record_key': current_counted_titles.record_key,
            'link_method': links.method,
            'link_score': links.score,
            'fields': {
                '不动产单元号': current_counted_titles.unit_no,
                '权利人': current_counted_titles.owner_name,
                '证件号码': current_counted_titles.owner_id_raw,
                '共有方式': current_counted_titles.co_ownership,
                '坐落': current_counted_titles.address,
                '规划用途': current_counted_titles.use_type,
                '建筑面积': current_counted_titles.floor_area,
                '登记日期': current_counted_titles.registered_on,
                '权属状态': current_counted_titles.title_status
            }
        } as evidence_record
    from current_counted_titles
    inner join links
        on current_counted_titles.record_key = links.record_key
    inner join active_members
        on links.person_id = active_members.person_id
        and links.household_id = active_members.household_id
    where current_counted_titles.is_residential
        or current_counted_titles.is_non_residential
),

per_household as (
    select
        household_id,
        count(distinct unit_no) filter (where is_residential) as residential_units,
        count(distinct unit_no) filter (where is_non_residential) as non_residential_units,
        ordered_list(evidence_record, evidence_record.record_key) as evidence_records
    from member_titles
    group by
        household_id
),

raised as (
    select
        per_household.household_id,
        cast(null as varchar) as person_id,
        active_households.county,
        active_households.township,
        active_households.head_name as person_name,
        '不动产登记显示，该户成员名下（含共有）有现势' || array_to_string($residential_use_types, '/')
            || per_household.residential_units || '套、' || array_to_string($non_residential_use_types, '/')
            || '用房' || per_household.non_residential_units || '套，达到“'
            || array_to_string($residential_use_types, '/') || '至少' || $min_residential_units || '套或非住宅至少'
            || $min_non_residential_units || '套”的核查标准。' as summary_zh,
        to_json(per_household.evidence_records) as evidence_records,
        to_json({
            'current_residential_units': per_household.residential_units,
            'current_non_residential_units': per_household.non_residential_units
        }) as facts
    from per_household
    inner join active_households
        on per_household.household_id = active_households.household_id
    where per_household.residential_units >= $min_residential_units
        or per_household.non_residential_units >= $min_non_residential_units
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
