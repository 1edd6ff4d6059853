-- The verified-income model (spec warning-rules.md, "Verified income (v2)"), as DuckDB table macros.
--
-- Four steps, each a macro reading the table the one before made (named by its argument, `query_table`), so
-- that each step is computed once: `hedui/income/tables.sql` materialises them as the analyst tables
-- income.records, income.member_months, income.members and income.households, and the household report makes
-- temporary ones under its own policy. Every setting is a macro argument (bound from the policy's
-- `income:` section), never a constant here.
--
-- The window is the three calendar months before the month of the as-of date: as of 2026-11-03, 2026-08 to
-- 2026-10. Months are DATEs, the first day of the month (the connectors' `hd_month`).

-- The window's macros (income_window_start, income_window_end, income_in_window) are in window.sql: the rules
-- that state the window without the model (INTEGRITY_PUBLIC_PAYROLL) use them too.

-- Every income record linked to a member of the current members snapshot: the social insurance contributions,
-- housing fund accounts, public payroll rows and benefit payments, each with the month it belongs to, the amount,
-- whether it is counted, and why (note_zh). The records not counted are kept with their reason: the evidence of a
-- warning says which records were left out and why, as much as which were counted.
--
-- Each source's rows are narrowed to the linked ones before their notes and fields are written, and
-- `only_household` (the household report's) narrows the links to one household: a report then reads that
-- household's records, not the whole city's.
create or replace temp macro income_records_of(
    as_of, counted_insurance_types, counted_participant_types, exempt_benefit_types, only_household
) as table
with

members as (
    select
        household_id,
        id_norm as person_id,
        person_name
    from staged.members
    where id_norm is not null
        and (only_household is null or household_id = only_household)
),

links as (
    select
        source,
        record_key,
        person_id,
        household_id,
        method,
        score
    from linked.links
    where source in ('social_insurance', 'housing_fund', 'public_payroll', 'benefits')
        and (only_household is null or household_id = only_household)
),

-- a refund (退费) cancels the contribution named by its 原缴费流水号: it is netted in that record's month, under
-- that record's 险种 and 参保身份
refunds as (
    select
        original_contribution_id,
        string_agg(contribution_id, '、' order by contribution_id) as refund_ids
    from staged.social_insurance
    where contribution_status = '退费'
        and original_contribution_id is not null
    group by
        original_contribution_id
),

contributions as (
    select
        contribution.*,
        contribution.contribution_status = '退费' as is_refund,
        original.contribution_id as found_original_id,
        coalesce(original.contribution_month, contribution.contribution_month) as counted_month,
        coalesce(original.insurance_type, contribution.insurance_type) as counted_insurance_type,
        coalesce(original.participant_type, contribution.participant_type) as counted_participant_type,
        refunds.refund_ids
    from staged.social_insurance as contribution
    semi join links
        on links.source = 'social_insurance'
        and links.record_key = contribution.record_key
    left join staged.social_insurance as original
        on contribution.contribution_status = '退费'
        and original.contribution_id = contribution.original_contribution_id
    left join refunds
        on refunds.original_contribution_id = contribution.contribution_id
),

social_insurance as (
    select
        'social_insurance' as component,
        record_key,
        delivery_id,
        file,
        row_number,
        counted_month as month,
        contribution_base as amount,
        counted_insurance_type in (select unnest(counted_insurance_types))
            and counted_participant_type in (select unnest(counted_participant_types))
            and income_in_window(counted_month, as_of) as counted,
        case
            when counted_insurance_type not in (select unnest(counted_insurance_types))
                then '险种为' || counted_insurance_type || '，不计入工资'
            when counted_participant_type not in (select unnest(counted_participant_types))
                then '参保身份为' || counted_participant_type || '：缴费基数由本人选择，不是收入的证据，不计入'
            when not income_in_window(counted_month, as_of)
                then '费款所属期' || strftime(counted_month, '%Y-%m') || '不在统计期内，不计入'
            when is_refund and found_original_id is not null
                then '退费：与原缴费流水号' || found_original_id || '相抵，按负数计入'
            when is_refund
                then '退费：原缴费记录未交换到，按负数计入其费款所属期'
            when refund_ids is not null
                then '计入，并与退费流水号' || refund_ids || '相抵；缴费基数是缴费的基数，不是实发工资的证明'
            else '计入；缴费基数是缴费的基数，不是实发工资的证明'
        end as note_zh,
        to_json({
            '缴费流水号': contribution_id,
            '姓名': person_name,
            '身份证号': id_raw,
            '险种': insurance_type,
            '参保身份': participant_type,
            '单位名称': employer,
            '费款所属期': strftime(contribution_month, '%Y-%m'),
            '缴费基数': contribution_base,
            '缴费状态': contribution_status,
            '原缴费流水号': original_contribution_id
        }) as fields
    from contributions
),

housing_fund as (
    select
        'housing_fund' as component,
        record_key,
        delivery_id,
        file,
        row_number,
        last_deposit_month as month,
        deposit_base as amount,
        account_status = '正常' and income_in_window(last_deposit_month, as_of) as counted,
        case
            when account_status is distinct from '正常'
                then '账户状态为' || coalesce(account_status, '空') || '，不计入'
            when not income_in_window(last_deposit_month, as_of)
                then '最后缴存年月' || strftime(last_deposit_month, '%Y-%m') || '不在统计期内，不计入'
            else '计入：缴存基数按月计'
        end as note_zh,
        to_json({
            '个人账号': account_no,
            '姓名': person_name,
            '身份证号': id_raw,
            '单位名称': employer,
            '缴存基数': deposit_base,
            '个人月缴存额': monthly_deposit,
            '账户状态': account_status,
            '最后缴存年月': strftime(last_deposit_month, '%Y-%m')
        }) as fields
    from staged.housing_fund as record
    semi join links
        on links.source = 'housing_fund'
        and links.record_key = record.record_key
),

public_payroll as (
    select
        'public_payroll' as component,
        record_key,
        delivery_id,
        file,
        row_number,
        payroll_month as month,
        gross_pay as amount,
        income_in_window(payroll_month, as_of) as counted,
        case
            when not income_in_window(payroll_month, as_of)
                then '统发年月' || strftime(payroll_month, '%Y-%m') || '不在统计期内，不计入'
            else '计入：应发工资'
        end as note_zh,
        to_json({
            '姓名': person_name,
            '身份证号': id_raw,
            '单位名称': employer,
            '人员类别': staff_category,
            '应发工资': gross_pay,
            '统发年月': strftime(payroll_month, '%Y-%m')
        }) as fields
    from staged.public_payroll as record
    semi join links
        on links.source = 'public_payroll'
        and links.record_key = record.record_key
),

benefits as (
    select
        'benefits' as component,
        record_key,
        delivery_id,
        file,
        row_number,
        benefit_month as month,
        amount,
        payment_status = '已发放'
            and benefit_type not in (select unnest(exempt_benefit_types))
            and income_in_window(benefit_month, as_of) as counted,
        case
            when payment_status is distinct from '已发放'
                then '发放状态为' || coalesce(payment_status, '空') || '，不计入'
            when benefit_type in (select unnest(exempt_benefit_types))
                then '待遇类型' || benefit_type || '为一次性支付，不计入'
            when not income_in_window(benefit_month, as_of)
                then '待遇所属期' || strftime(benefit_month, '%Y-%m') || '不在统计期内，不计入'
            else '计入：已发放'
        end as note_zh,
        to_json({
            '发放流水号': payment_id,
            '姓名': person_name,
            '身份证号': id_raw,
            '待遇类型': benefit_type,
            '待遇所属期': strftime(benefit_month, '%Y-%m'),
            '发放金额': amount,
            '发放状态': payment_status
        }) as fields
    from staged.benefits as record
    semi join links
        on links.source = 'benefits'
        and links.record_key = record.record_key
),

all_records as (
    select * from social_insurance
    union all by name
    select * from housing_fund
    union all by name
    select * from public_payroll
    union all by name
    select * from benefits
)

select
    members.household_id,
    members.person_id,
    members.person_name as member_name,
    all_records.component,
    all_records.record_key,
    all_records.delivery_id,
    all_records.file,
    all_records.row_number,
    all_records.month,
    cast(all_records.amount as decimal(14, 2)) as amount,
    coalesce(all_records.counted, false) as counted,
    all_records.note_zh,
    links.method as link_method,
    links.score as link_score,
    all_records.fields
from all_records
inner join links
    on links.source = all_records.component
    and links.record_key = all_records.record_key
inner join members
    on members.person_id = links.person_id
    and members.household_id = links.household_id;

-- Per member and month of the window: each component's counted amount and the records behind it. The housing
-- fund's 缴存基数 is a monthly figure; it stands in the month of its 最后缴存年月.
create or replace temp macro income_member_months_from(records_table, as_of) as table
with

window_months as (
    select cast(month as date) as month
    from range(
        cast(income_window_start(as_of) as timestamp),
        cast(income_window_end(as_of) as timestamp),
        interval 1 month
    ) as months(month)
),

members as (
    select
        household_id,
        id_norm as person_id,
        person_name
    from staged.members
    where id_norm is not null
),

counted as (
    select *
    from query_table(records_table)
    where counted
)

select
    members.household_id,
    members.person_id,
    members.person_name,
    window_months.month,
    coalesce(sum(counted.amount) filter (where counted.component = 'social_insurance'), 0) as social_insurance_base,
    coalesce(sum(counted.amount) filter (where counted.component = 'housing_fund'), 0) as housing_fund_base,
    coalesce(sum(counted.amount) filter (where counted.component = 'public_payroll'), 0) as public_payroll_pay,
    coalesce(sum(counted.amount) filter (where counted.component = 'benefits'), 0) as benefits_paid,
    coalesce(list(counted.record_key order by counted.record_key)
        filter (where counted.component = 'social_insurance'), []) as social_insurance_keys,
    coalesce(list(counted.record_key order by counted.record_key)
        filter (where counted.component = 'housing_fund'), []) as housing_fund_keys,
    coalesce(list(counted.record_key order by counted.record_key)
        filter (where counted.component = 'public_payroll'), []) as public_payroll_keys,
    coalesce(list(counted.record_key order by counted.record_key)
        filter (where counted.component = 'benefits'), []) as benefits_keys
from members
cross join window_months
left join counted
    on counted.household_id = members.household_id
    and counted.person_id = members.person_id
    and counted.month = window_months.month
group by
    members.household_id,
    members.person_id,
    members.person_name,
    window_months.month;

-- Per member: the wage (the largest of the three departments' views of a job, so that one job counts once) and
-- the benefits. Social insurance and benefits are averaged over the three months (a month without a record counts
-- as 0); the housing fund base and the payroll pay of the window are summed, as the spec defines them.
create or replace temp macro income_members_from(member_months_table) as table
with

per_member as (
    select
        household_id,
        person_id,
        any_value(person_name) as person_name,
        count(*) as window_months,
        sum(social_insurance_base) as social_insurance_total,
        sum(housing_fund_base) as housing_fund_total,
        sum(public_payroll_pay) as public_payroll_total,
        sum(benefits_paid) as benefits_total
    from query_table(member_months_table)
    group by
        household_id,
        person_id
),

wage_sources as (
    select
        household_id,
        person_id,
        person_name,
        cast(round(social_insurance_total / window_months, 2) as decimal(14, 2)) as social_insurance_wage,
        cast(housing_fund_total as decimal(14, 2)) as housing_fund_wage,
        cast(public_payroll_total as decimal(14, 2)) as public_payroll_wage,
        cast(round(benefits_total / window_months, 2) as decimal(14, 2)) as benefits
    from per_member
)

select
    household_id,
    person_id,
    person_name,
    social_insurance_wage,
    housing_fund_wage,
    public_payroll_wage,
    greatest(social_insurance_wage, housing_fund_wage, public_payroll_wage) as wage,
    case
        when greatest(social_insurance_wage, housing_fund_wage, public_payroll_wage) = 0 then null
        when public_payroll_wage >= greatest(social_insurance_wage, housing_fund_wage) then 'public_payroll'
        when social_insurance_wage >= housing_fund_wage then 'social_insurance'
        else 'housing_fund'
    end as wage_source,
    benefits,
    greatest(social_insurance_wage, housing_fund_wage, public_payroll_wage) + benefits as member_income
from wage_sources;

-- Per household of the households snapshot: the verified monthly income, the per-capita figure, and the standard,
-- multiplier and limit that apply to it; `not_tested_reason` when it cannot be tested (城乡 unknown, a 保障类别
-- without a multiplier). The standards come as three parallel lists (county, 城乡, yuan; a null county is the
-- default for every county), the multipliers as two (保障类别, multiplier).
create or replace temp macro income_households_from(
    members_table, as_of,
    standard_counties, standard_urban_rural, standard_values, multiplier_categories, multiplier_values
) as table
with

standards as (
    select
        unnest(standard_counties) as county,
        unnest(standard_urban_rural) as urban_rural,
        unnest(standard_values) as standard
),

multipliers as (
    select
        unnest(multiplier_categories) as category,
        unnest(multiplier_values) as multiplier
),

member_totals as (
    select
        household_id,
        count(*) as member_count,
        sum(wage) as wages,
        sum(benefits) as benefits,
        sum(member_income) as verified_monthly_income
    from query_table(members_table)
    group by
        household_id
),

households as (
    select
        households.household_id,
        households.county,
        households.township,
        households.category,
        households.status,
        households.urban_rural,
        households.household_size,
        households.declared_monthly_income,
        coalesce(member_totals.member_count, 0) as member_count,
        case
            when coalesce(households.household_size, 0) > 0 then households.household_size
            else coalesce(member_totals.member_count, 0)
        end as divisor,
        coalesce(member_totals.wages, 0) as wages,
        coalesce(member_totals.benefits, 0) as benefits,
        coalesce(member_totals.verified_monthly_income, 0) as verified_monthly_income
    from staged.households as households
    left join member_totals
        on member_totals.household_id = households.household_id
),

applied as (
    select
        households.*,
        coalesce(county_standard.standard, default_standard.standard) as standard,
        multipliers.multiplier
    from households
    left join standards as county_standard
        on county_standard.county = households.county
        and county_standard.urban_rural = households.urban_rural
    left join standards as default_standard
        on default_standard.county is null
        and default_standard.urban_rural = households.urban_rural
    left join multipliers
        on multipliers.category = households.category
)

select
    household_id,
    county,
    township,
    category,
    status,
    urban_rural,
    household_size,
    member_count,
    divisor,
    declared_monthly_income,
    cast(wages as decimal(14, 2)) as wages,
    cast(benefits as decimal(14, 2)) as benefits,
    cast(verified_monthly_income as decimal(14, 2)) as verified_monthly_income,
    case when divisor > 0 then cast(round(verified_monthly_income / divisor, 2) as decimal(14, 2)) end
        as per_capita_income,
    cast(standard as decimal(14, 2)) as standard,
    multiplier,
    cast(round(standard * multiplier, 2) as decimal(14, 2)) as income_limit,
    income_window_start(as_of) as window_start,
    cast(income_window_end(as_of) - interval 1 day as date) as window_end,
    case
        when urban_rural is null then '城乡未知：无法确定适用的低保标准，未核对'
        when standard is null then '城乡为' || urban_rural || '，政策未规定其低保标准，未核对'
        when multiplier is null then '保障类别' || coalesce(category, '空') || '没有规定的倍数，未核对'
        when divisor = 0 then '家庭人口和成员均为0，未核对'
    end as not_tested_reason
from applied;

-- Per household, its members' income in words (each member's wage and the department it came from, the largest
-- of the three, and the benefits) and as facts: the evidence both income rules give.
create or replace temp macro income_member_lines_from(members_table) as table
select
    member_income.household_id,
    string_agg(
        member_income.person_name || '：'
            || case member_income.wage_source
                when 'public_payroll' then '工资' || printf('%.2f', member_income.wage) || '元（财政统发应发工资，'
                when 'social_insurance' then '工资' || printf('%.2f', member_income.wage) || '元（社保缴费基数月均，'
                when 'housing_fund' then '工资' || printf('%.2f', member_income.wage) || '元（公积金缴存基数，'
                else '无工资记录'
            end
            || case when member_income.wage_source is null then '' else
                '三者中最大：社保' || printf('%.2f', member_income.social_insurance_wage)
                || '、公积金' || printf('%.2f', member_income.housing_fund_wage)
                || '、财政统发' || printf('%.2f', member_income.public_payroll_wage) || '）'
            end
            || case when member_income.benefits > 0
                then '，待遇' || printf('%.2f', member_income.benefits) || '元/月' else '' end,
        '；' order by member_income.person_id
    ) filter (where member_income.member_income > 0) as member_text,
    list({
        'person_id': member_income.person_id,
        'person_name': member_income.person_name,
        'social_insurance_wage': member_income.social_insurance_wage,
        'housing_fund_wage': member_income.housing_fund_wage,
        'public_payroll_wage': member_income.public_payroll_wage,
        'wage': member_income.wage,
        'wage_source': member_income.wage_source,
        'benefits': member_income.benefits
    } order by member_income.person_id) as member_facts
from query_table(members_table) as member_income
group by
    member_income.household_id;

-- The evidence of an income rule: every income record of each household, counted or not and why, in the order a
-- caseworker reads them (member, component, month). Both income rules quote the same records.
create or replace temp macro income_evidence_from(records_table) as table
select
    income_record.household_id,
    list({
        'source': income_record.component,
        'delivery_id': income_record.delivery_id,
        'file': income_record.file,
        'row_number': income_record.row_number,
        'record_key': income_record.record_key,
        'link_method': income_record.link_method,
        'link_score': income_record.link_score,
        'counted': income_record.counted,
        'note_zh': income_record.note_zh,
        'fields': income_record.fields
    } order by income_record.person_id, income_record.component, income_record.month,
        income_record.record_key) as evidence_records
from query_table(records_table) as income_record
group by
    income_record.household_id;
