/*---
code: ASSET_BUSINESS
title_zh: 家庭成员经营或投资市场主体
title_en: A member of an active household runs or owns a going business
category: hidden_asset
severity: medium
level: member
policy: >-
  Raised for each member of an active household (状态 在保 or 审核中) who is 法定代表人, 经营者, 投资人 or
  执行事务合伙人 (policy income.business_roles) of a market entity whose 登记状态 is 存续 or 在业
  (income.business_active_statuses) and whose 主体类型 is not exempt (income.exempt_entity_types: 农民专业合作社).
sources: [households, members, business]
raises_on_absence_of: []
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
  evidence_records: the member's registrations, counted or not, each with why, with delivery, row and link
  facts: number of going, non-exempt entities the member runs or owns
---*/

with

registrations as not materialized (
    select * from staged.business
),

links as not materialized (
    select * from linked.links
    where source = 'business'
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

member_registrations as (
    select
        active_members.household_id,
        active_members.person_id,
        active_members.person_name,
        active_members.county,
        active_members.township,
        registrations.*,
        registrations.person_name as registered_name,
        links.method as link_method,
        links.score as link_score,
        registrations.role in (select unnest($business_roles))
            and registrations.registration_status in (select unnest($business_active_statuses))
            and registrations.entity_type not in (select unnest($exempt_entity_types)) as counted,
        case
            when registrations.role not in (select unnest($business_roles))
                then '人员角色为' || registrations.role || '，不计入'
            when registrations.registration_status not in (select unnest($business_active_statuses))
                then '登记状态为' || registrations.registration_status || '，不计入'
            when registrations.entity_type in (select unnest($exempt_entity_types))
                then '主体类型为' || registrations.entity_type || '，不计入'
            else '计入：' || registrations.registration_status || '的' || registrations.entity_type || '的'
                || registrations.role
        end as note_zh
    from registrations
    inner join links
        on registrations.record_key = links.record_key
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
        count(distinct credit_code) filter (where counted) as entity_count,
        string_agg(distinct entity_name || '（' || entity_type || '，' || registration_status || '，' || role || '）', '、'
            order by entity_name || '（' || entity_type || '，' || registration_status || '，' || role || '）')
            filter (where counted) as entity_list,
        list({
            'source': 'business',
            'delivery_id': delivery_id,
            'file': file,
            'row_number': row_number,
            'record_key': record_key,
            'link_method': link_method,
            'link_score': link_score,
            'counted': counted,
            'note_zh': note_zh,
            'fields': {
                '统一社会信用代码': credit_code,
                '主体名称': entity_name,
                '主体类型': entity_type,
                '登记状态': registration_status,
                '成立日期': established_on,
                '人员姓名': registered_name,
                '人员证件号码': id_raw,
                '人员角色': role,
                '认缴出资额（万元）': subscribed_capital_wan
            }
        } order by record_key) as evidence_records
    from member_registrations
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
        '市场监管部门登记显示，家庭成员' || person_name || '在' || entity_count || '个登记状态为'
            || array_to_string($business_active_statuses, '或') || '的市场主体中任职或出资：' || entity_list
            || '。计入的人员角色：' || array_to_string($business_roles, '、') || '；不计入的主体类型：'
            || array_to_string($exempt_entity_types, '、') || '。' as summary_zh,
        to_json(evidence_records) as evidence_records,
        to_json({'going_entities': entity_count}) as facts
    from per_member
    where entity_count > 0
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
