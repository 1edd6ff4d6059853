/*---
code: OUTREACH_SEVERE_DISABILITY
title_zh: 重度残疾人未纳入救助（主动发现）
title_en: A person with a severe disability is in no active household (proactive discovery)
category: outreach
severity: medium
level: person
policy: >-
  Raised for each person, not a member of any active household, who holds a severe disability certificate
  (证件状态 有效 and grade 一级 or 二级, or 三级 when the category is 智力 or 精神), is at least 16 years old on
  the as-of date, and has no death record. The person is routed to the township named in the certificate's
  户籍地址 (matched against the townships that the households snapshot knows); when none matches, township is
  null and the warning goes to the county's unrouted list.
sources: [households, members, disability, death]
raises_on_absence_of: [households, members, death]
parameters:
  active_statuses:
    default: [在保, 审核中]
    description: household 状态 values that make a household active
    wording_zh: 核查的家庭状态：{}
  valid_cert_statuses:
    default: [有效]
    description: 证件状态 values of a certificate in force
    wording_zh: 有效的残疾人证状态：{}
  severe_max_grade:
    default: 2
    description: grades 1 to this number are severe for every category (一级 = 1, 二级 = 2)
    wording_zh: 各类别残疾等级为一级至 {} 级的为重度残疾
  severe_max_grade_special:
    default: 3
    description: grades 1 to this number are severe for the categories in severe_special_categories
    wording_zh: 特定类别残疾等级为一级至 {} 级的为重度残疾
  severe_special_categories:
    default: [智力, 精神]
    description: disability categories for which severe_max_grade_special applies
    wording_zh: 适用特定类别标准的残疾类别：{}
  min_age_years:
    default: 16
    description: age in whole years on the as-of date from which a person is reached out to
    wording_zh: 截止日年满 {} 周岁
output:
  household_id: always null (the person is in no active household)
  person_id: the certificate holder's normalised 18-character ID
  county: 区县 of the matched township, else the county named in the address, else null
  township: the township of the households snapshot named in 户籍地址, else null (unrouted)
  person_name: the name on the certificate
  summary_zh: one sentence for the caseworker
  evidence_records: the certificates, with delivery and row
  facts: age, routing and the most severe grade
---*/

with

households as not materialized (
    select * from staged.households
),

certificates as not materialized (
    select * from staged.disability
),

deaths as not materialized (
    select * from staged.death
),

links as not materialized (
    select * from linked.links
    where source = 'disability'
),

-- active households and their members: the shared definitions of hedui/rules/shared_definitions.py
active_households as (
    select
        household_id
    from active_households_of($active_statuses)
),

known_townships as (
    select distinct
        township,
        county
    from households
    where township is not null
),

known_counties as (
    select distinct
        county
    from households
    where county is not null
),

active_member_ids as (
    select
        person_id
    from active_members_of($active_statuses)
),

certificates_linked_to_active_members as (
    select
        links.record_key
    from links
    inner join active_households
        on links.household_id = active_households.household_id
),

-- severe disability: the shared definition (hedui/rules/shared_definitions.py)
severe_certificates as (
    select
        certificates.delivery_id,
        certificates.file,
        certificates.row_number,
        certificates.record_key,
        certificates.cert_no,
        certificates.person_name,
        certificates.id_norm as person_id,
        certificates.category,
        certificates.grade,
        certificates.grade_num,
        certificates.issued_on,
        certificates.cert_status,
        certificates.registered_address,
        strptime(substr(certificates.id_norm, 7, 8), '%Y%m%d')::date as birth_date
    from certificates
    where certificates.id_valid
        and severe_disability(
            certificates.cert_status,
            certificates.grade_num,
            certificates.category,
            $valid_cert_statuses,
            $severe_max_grade,
            $severe_max_grade_special,
            $severe_special_categories
        )
),

adults_not_in_active_households as (
    select
        severe_certificates.*
    from severe_certificates
    where severe_certificates.birth_date + to_years(cast($min_age_years as integer)) <= cast($as_of as date)
        and severe_certificates.person_id not in (select person_id from active_member_ids)
        and severe_certificates.record_key not in (select record_key from certificates_linked_to_active_members)
),

living as (
    select
        adults_not_in_active_households.*
    from adults_not_in_active_households
    where not exists (
        select 1
        from deaths
        where deaths.id_norm = adults_not_in_active_households.person_id
    )
),

-- The township named in the address, the longest name first (a shorter one can be part of it); written as a
-- ranked join rather than a correlated "order by ... limit 1" subquery, which Spark 3.3 refuses
-- (docs/portable-sql.md). record_key is unique within staged.disability.
township_matches as (
    select
        living.record_key,
        known_townships.township,
        row_number() over (
            partition by living.record_key
            order by length(known_townships.township) desc, known_townships.township
        ) as preference
    from living
    inner join known_townships
        on contains(living.registered_address, known_townships.township)
),

routed as (
    select
        living.*,
        township_matches.township
    from living
    left join township_matches
        on township_matches.record_key = living.record_key
        and township_matches.preference = 1
),

-- the county of the matched township (the first by name when the households snapshot gives several)
township_counties as (
    select
        township,
        min(county) as county
    from known_townships
    group by
        township
),

-- else the county named in the address, the longest name first
county_matches as (
    select
        routed.record_key,
        known_counties.county,
        row_number() over (
            partition by routed.record_key
            order by length(known_counties.county) desc, known_counties.county
        ) as preference
    from routed
    inner join known_counties
        on contains(routed.registered_address, known_counties.county)
),

routed_with_county as (
    select
        routed.*,
        coalesce(township_counties.county, county_matches.county) as county
    from routed
    left join township_counties
        on township_counties.township = routed.township
    left join county_matches
        on county_matches.record_key = routed.record_key
        and county_matches.preference = 1
),

per_person as (
    select
        person_id,
        any_value(person_name order by record_key) as person_name,
        any_value(township order by record_key) as township,
        any_value(county order by record_key) as county,
        any_value(birth_date) as birth_date,
        min(grade_num) as most_severe_grade_num,
        arg_min(category || ' ' || grade, grade_num) as most_severe_certificate,
        list(
            {
                'source': 'disability',
                'delivery_id': delivery_id,
                'file': file,
                'row_number': row_number,
                'record_key': record_key,
                'link_method': cast(null as varchar),
                'link_score': cast(null as double),
                'fields': {
                    '残疾人证号': cert_no,
                    '姓名': person_name,
                    '残疾类别': category,
                    '残疾等级': grade,
                    '发证日期': issued_on,
                    '证件状态': cert_status,
                    '户籍地址': registered_address
                }
            }
            order by record_key
        ) as evidence_records
    from routed_with_county
    group by
        person_id
),

raised as (
    select
        cast(null as varchar) as household_id,
        person_id,
        county,
        township,
        person_name,
        '残联残疾人证信息显示，' || person_name || '持有效重度残疾人证（' || most_severe_certificate || '），已满'
            || $min_age_years || '周岁，无死亡注销记录，且不在任何'
            || array_to_string($active_statuses, '或') || '的救助家庭中，请主动上门了解是否需要救助'
            || case when township is null then '（户籍地址未匹配到本地乡镇街道，列入区县未分派清单）。' else '。' end
            as summary_zh,
        to_json(evidence_records) as evidence_records,
        to_json({
            'age_years': date_diff('year', birth_date, cast($as_of as date))
                - case when strftime(birth_date, '%m%d') > strftime(cast($as_of as date), '%m%d') then 1 else 0 end,
            'most_severe_grade_num': most_severe_grade_num,
            'routed': township is not null
        }) as facts
    from per_person
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
