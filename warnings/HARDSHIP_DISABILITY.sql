/*---
code: HARDSHIP_DISABILITY
title_zh: 家庭成员持有重度残疾人证但救助系统未登记或登记等级较轻
title_en: A member holds a severe disability certificate the assistance system does not record
category: hardship
severity: medium
level: member
policy: >-
  Raised for each member of an active household (状态 在保 or 审核中) when the member holds a severe
  disability certificate (证件状态 有效 and grade 一级 or 二级, or 三级 when the category is 智力 or 精神) and
  the members snapshot records no grade for the member or a milder one (四级 is milder than 三级, and so on).
sources: [households, members, disability]
raises_on_absence_of: [members]
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
output:
  household_id: 家庭编号 of the member's household
  person_id: the member's normalised 18-character ID
  county: 区县 of the household
  township: 乡镇街道 of the household (the caseworker unit)
  person_name: the member's name as the members snapshot spells it
  summary_zh: one sentence for the caseworker
  evidence_records: the certificates, with delivery, row and link, and the grade the members snapshot records
  facts: the most severe certificate grade and the recorded grade
---*/

with

certificates as not materialized (
    select * from staged.disability
),

links as not materialized (
    select * from linked.links
    where source = 'disability'
),

-- active households and their members: the shared definitions of hedui/rules/shared_definitions.py
active_members as (
    select
        household_id,
        person_id,
        person_name,
        disability_grade as recorded_grade,
        disability_grade_num as recorded_grade_num,
        county,
        township
    from active_members_of($active_statuses)
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
        certificates.category,
        certificates.grade,
        certificates.grade_num,
        certificates.issued_on,
        certificates.cert_status
    from certificates
    where severe_disability(
            certificates.cert_status,
            certificates.grade_num,
            certificates.category,
            $valid_cert_statuses,
            $severe_max_grade,
            $severe_max_grade_special,
            $severe_special_categories
        )
),

certificates_more_severe_than_recorded as (
    select
        active_members.household_id,
        active_members.person_id,
        active_members.person_name,
        active_members.county,
        active_members.township,
        active_members.recorded_grade,
        severe_certificates.category,
        severe_certificates.grade,
        severe_certificates.grade_num,
        {
            'source': 'disability',
            'delivery_id': severe_certificates.delivery_id,
            'file': severe_certificates.file,
            'row_number': severe_certificates.row_number,
            'record_key': severe_certificates.record_key,
            'link_method': links.method,
            'link_score': links.score,
            'fields': {
                '残疾人证号': severe_certificates.cert_no,
                '姓名': severe_certificates.person_name,
                '残疾类别': severe_certificates.category,
                '残疾等级': severe_certificates.grade,
                '发证日期': severe_certificates.issued_on,
                '证件状态': severe_certificates.cert_status,
                '救助系统登记残疾等级': active_members.recorded_grade
            }
        } as evidence_record
    from severe_certificates
    inner join links
        on severe_certificates.record_key = links.record_key
    inner join active_members
        on links.person_id = active_members.person_id
        and links.household_id = active_members.household_id
    where active_members.recorded_grade_num is null
        or active_members.recorded_grade_num > severe_certificates.grade_num
),

per_member as (
    select
        household_id,
        person_id,
        any_value(person_name) as person_name,
        any_value(county) as county,
        any_value(township) as township,
        any_value(recorded_grade) as recorded_grade,
        min(grade_num) as most_severe_grade_num,
        arg_min(category || ' ' || grade, grade_num) as most_severe_certificate,
        ordered_list(evidence_record, evidence_record.record_key) as evidence_records
    from certificates_more_severe_than_recorded
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
        '残联残疾人证信息显示，家庭成员' || person_name || '持有效残疾人证（' || most_severe_certificate
            || '），属重度残疾（'
            || severe_disability_zh($severe_max_grade, $severe_max_grade_special, $severe_special_categories)
            || '），而救助系统'
            || coalesce('登记的残疾等级为' || recorded_grade || '，较轻', '未登记残疾等级')
            || '，请核实是否应调整救助。' as summary_zh,
        to_json(evidence_records) as evidence_records,
        to_json({
            'most_severe_grade_num': most_severe_grade_num,
            'recorded_grade': recorded_grade
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
