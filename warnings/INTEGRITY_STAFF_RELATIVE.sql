/*---
code: INTEGRITY_STAFF_RELATIVE
title_zh: 家庭成员为经办人员或其近亲属且未单独登记备案
title_en: A member of an active household not filed separately is on the staff roster or a staff member's near relative
category: integrity
severity: medium
level: member
policy: >-
  Raised for each member of an active household (状态 在保 or 审核中) whose 单独登记备案 is not 是, when the member
  is on the roster of social assistance staff and village (community) committee members, or is named with a valid
  ID as the near relative of someone on it. A relative named without an ID raises nothing (the linker never links
  one). An integrity warning: it goes to the county's review list (县级复核), never to a township's, because the
  staff concerned may work in that township.
sources: [households, members, staff_roster]
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
  township: 乡镇街道 of the household (for analysts; the warning goes to the county's review list)
  person_name: the member's name as the members snapshot spells it
  summary_zh: one sentence for the reviewer
  evidence_records: the roster rows naming the member, with delivery, row and link
  facts: whether the member is on the roster, and as how many staff members' relative
---*/

with

roster as not materialized (
    select * from staged.staff_roster
),

links as not materialized (
    select * from linked.links
    where source in ('staff_roster', 'staff_roster_relative')
),

-- active households not filed separately (单独登记备案 是 files them: their members raise nothing)
households_not_filed as (
    select household_id
    from active_households_of($active_statuses)
    where filed_separately is not true
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
    where household_id in (select household_id from households_not_filed)
),

member_roster_rows as (
    select
        active_members.household_id,
        active_members.person_id,
        active_members.person_name,
        active_members.county,
        active_members.township,
        links.source as link_source,
        links.method as link_method,
        links.score as link_score,
        roster.*,
        -- the roster's own 乡镇街道 (roster.* brings it as township_1 beside the household's township)
        roster.township as roster_township,
        case
            when links.source = 'staff_roster'
                then '本人在名册中：' || roster.workplace || roster.post
            else '为名册人员' || roster.staff_name || '（' || roster.workplace || roster.post || '）的近亲属（'
                || coalesce(roster.relationship, '关系未填') || '），按近亲属身份证号关联'
        end as note_zh
    from roster
    inner join links
        on roster.record_key = links.record_key
    inner join active_members
        on links.person_id = active_members.person_id
        and links.household_id = active_members.household_id
    -- a relative counts only when named with a valid ID
    where links.source = 'staff_roster'
        or (roster.relative_id_norm is not null and roster.relative_id_valid)
),

per_member as (
    select
        household_id,
        person_id,
        any_value(person_name) as person_name,
        any_value(county) as county,
        any_value(township) as township,
        bool_or(link_source = 'staff_roster') as on_roster,
        count(*) filter (where link_source = 'staff_roster_relative') as relative_of,
        string_agg(note_zh, '；' order by record_key, link_source) as notes,
        list({
            'source': 'staff_roster',
            'delivery_id': delivery_id,
            'file': file,
            'row_number': row_number,
            'record_key': record_key,
            'link_method': link_method,
            'link_score': link_score,
            'counted': true,
            'note_zh': note_zh,
            'fields': {
                '人员姓名': staff_name,
                '人员身份证号': staff_id_raw,
                '工作单位': workplace,
                '乡镇街道': roster_township,
                '岗位': post,
                '近亲属姓名': relative_name,
                '近亲属身份证号': relative_id_raw,
                '关系': relationship
            }
        } order by record_key, link_source) as evidence_records
    from member_roster_rows
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
        '经办人员及近亲属备案名册显示，家庭成员' || person_name || notes
            || '；该户未单独登记备案。本预警属廉政核查，由县级复核，不发乡镇（街道）。' as summary_zh,
        to_json(evidence_records) as evidence_records,
        to_json({'on_roster': on_roster, 'relative_of': relative_of}) as facts
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
