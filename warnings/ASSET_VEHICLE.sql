/*---
code: ASSET_VEHICLE
title_zh: 家庭成员名下有非豁免机动车
title_en: A member of an active household owns a non-exempt motor vehicle
category: hidden_asset
severity: high
level: member
policy: >-
  Raised for each member of an active household (状态 在保 or 审核中) when the member owns at least one
  vehicle with 机动车状态 正常 whose 车辆类型 is not exempt. Exempt: 普通二轮摩托车, 普通三轮摩托车,
  轻便二轮摩托车, 残疾人机动轮椅车, 拖拉机, 低速货车, 三轮汽车.
sources: [households, members, vehicle]
raises_on_absence_of: []
parameters:
  active_statuses:
    default: [在保, 审核中]
    description: household 状态 values that make a household active
    wording_zh: 核查的家庭状态：{}
  exempt_vehicle_types:
    default: [普通二轮摩托车, 普通三轮摩托车, 轻便二轮摩托车, 残疾人机动轮椅车, 拖拉机, 低速货车, 三轮汽车]
    description: 车辆类型 values that never count as an asset
    wording_zh: 不计入的车辆类型：{}
  min_vehicles:
    default: 1
    description: number of current non-exempt vehicles at or above which the warning is raised
    wording_zh: 状态正常的非豁免机动车达到 {} 辆即预警
output:
  household_id: 家庭编号 of the member's household
  person_id: the member's normalised 18-character ID
  county: 区县 of the household
  township: 乡镇街道 of the household (the caseworker unit)
  person_name: the member's name as the members snapshot spells it
  summary_zh: one sentence for the caseworker
  evidence_records: the vehicle registrations, with delivery, row and link
  facts: number of current non-exempt vehicles
---*/

with

vehicles as not materialized (
    select * from staged.vehicle
),

links as not materialized (
    select * from linked.links
    where source = 'vehicle'
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

current_non_exempt_vehicles as (
    select
        vehicles.delivery_id,
        vehicles.file,
        vehicles.row_number,
        vehicles.record_key,
        vehicles.plate,
        vehicles.plate_type,
        vehicles.vehicle_type,
        vehicles.vehicle_status,
        vehicles.registered_on,
        vehicles.person_name as owner_name,
        vehicles.id_raw as owner_id_raw
    from vehicles
    where vehicles.vehicle_status = '正常'
        and vehicles.vehicle_type not in (select unnest($exempt_vehicle_types))
),

member_vehicles as (
    select
        active_members.household_id,
        active_members.person_id,
        active_members.person_name,
        active_members.county,
        active_members.township,
        current_non_exempt_vehicles.plate,
        current_non_exempt_vehicles.vehicle_type,
        {
            'source': 'vehicle',
            'delivery_id': current_non_exempt_vehicles.delivery_id,
            'file': current_non_exempt_vehicles.file,
            'row_number': current_non_exempt_vehicles.row_number,
            'record_key': current_non_exempt_vehicles.record_key,
            'link_method': links.method,
            'link_score': links.score,
            'fields': {
                '号牌号码': current_non_exempt_vehicles.plate,
                '号牌种类': current_non_exempt_vehicles.plate_type,
                '车辆类型': current_non_exempt_vehicles.vehicle_type,
                '机动车状态': current_non_exempt_vehicles.vehicle_status,
                '初次登记日期': current_non_exempt_vehicles.registered_on,
                '机动车所有人': current_non_exempt_vehicles.owner_name,
                '身份证明号码': current_non_exempt_vehicles.owner_id_raw
            }
        } as evidence_record
    from current_non_exempt_vehicles
    inner join links
        on current_non_exempt_vehicles.record_key = links.record_key
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
        count(distinct plate) as vehicle_count,
        string_agg(distinct vehicle_type || ' ' || plate, '、' order by vehicle_type || ' ' || plate) as vehicle_list,
        ordered_list(evidence_record, evidence_record.record_key) as evidence_records
    from member_vehicles
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
        '车管部门机动车登记显示，家庭成员' || person_name || '名下有' || vehicle_count
            || '辆状态为“正常”的非豁免机动车（' || vehicle_list || '），达到“至少' || $min_vehicles
            || '辆”的核查标准。' as summary_zh,
        to_json(evidence_records) as evidence_records,
        to_json({'current_non_exempt_vehicles': vehicle_count}) as facts
    from per_member
    where vehicle_count >= $min_vehicles
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
