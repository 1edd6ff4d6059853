-- The verified-income model as analyst tables (schema `income`, created by migration 0007), rebuilt every
-- night from the macros of model.sql with the night's as-of date and policy. Each statement is run on its own
-- with only the parameters it uses.

create or replace table income.records as
select *
from income_records_of($as_of, $counted_insurance_types, $counted_participant_types, $exempt_benefit_types, null);

comment on table income.records is 'Every income record linked to a member of the current members snapshot (social insurance, housing fund, public payroll, benefits), counted or not, with why';
comment on column income.records.household_id is '家庭编号 of the member';
comment on column income.records.person_id is 'The member''s normalised ID';
comment on column income.records.member_name is 'The member''s name as the members snapshot spells it';
comment on column income.records.component is 'social_insurance, housing_fund, public_payroll or benefits (the staged source)';
comment on column income.records.record_key is 'Key of the record in staged.<component> (缴费流水号, 个人账号, payroll key, 发放流水号)';
comment on column income.records.delivery_id is 'Delivery the record came in';
comment on column income.records.file is 'File of that delivery';
comment on column income.records.row_number is 'Row of that file';
comment on column income.records.month is 'Month the record belongs to (first day): 费款所属期 (a refund: that of the contribution it cancels), 最后缴存年月, 统发年月, 待遇所属期';
comment on column income.records.amount is 'Yuan: 缴费基数 (negative on a refund), 缴存基数, 应发工资, 发放金额';
comment on column income.records.counted is 'True when the record counts towards the verified income';
comment on column income.records.note_zh is 'Why it is counted or not, in the words of the evidence';
comment on column income.records.link_method is 'How the record was linked to the member (linked.links)';
comment on column income.records.link_score is 'Fuzzy link weight in bits, for fuzzy links';
comment on column income.records.fields is 'The record''s fields as the department delivered them (JSON)';

create or replace table income.member_months as
select *
from income_member_months_from('income.records', $as_of);

comment on table income.member_months is 'Per member of the members snapshot and month of the window (the three calendar months before the as-of month): each counted component and its records';
comment on column income.member_months.household_id is '家庭编号';
comment on column income.member_months.person_id is 'The member''s normalised ID';
comment on column income.member_months.person_name is 'The member''s name';
comment on column income.member_months.month is 'Month of the window (first day)';
comment on column income.member_months.social_insurance_base is 'Sum of counted 缴费基数 of the month, refunds netted (a base of contribution, not proof of pay)';
comment on column income.member_months.housing_fund_base is 'Sum of the 缴存基数 of active accounts whose 最后缴存年月 is this month';
comment on column income.member_months.public_payroll_pay is 'Sum of the 应发工资 of payroll rows of this 统发年月';
comment on column income.member_months.benefits_paid is 'Sum of the 发放金额 of paid (已发放), non-exempt benefits of this 待遇所属期';
comment on column income.member_months.social_insurance_keys is 'record_key of the contributions (and refunds) counted in social_insurance_base';
comment on column income.member_months.housing_fund_keys is 'record_key of the fund accounts counted';
comment on column income.member_months.public_payroll_keys is 'record_key of the payroll rows counted';
comment on column income.member_months.benefits_keys is 'record_key of the payments counted';

create or replace table income.members as
select *
from income_members_from('income.member_months');

comment on table income.members is 'Per member: the monthly wage (the largest of three departments'' views) and benefits over the window';
comment on column income.members.household_id is '家庭编号';
comment on column income.members.person_id is 'The member''s normalised ID';
comment on column income.members.person_name is 'The member''s name';
comment on column income.members.social_insurance_wage is 'Counted 缴费基数 of the window divided by 3 (a month without a record counts as 0)';
comment on column income.members.housing_fund_wage is 'Sum of the 缴存基数 of active accounts last paid in the window';
comment on column income.members.public_payroll_wage is 'Sum of the 应发工资 of payroll rows in the window';
comment on column income.members.wage is 'The largest of the three: one job seen by three departments counts once';
comment on column income.members.wage_source is 'Which of the three is the largest (public_payroll, social_insurance, housing_fund; null when all are 0)';
comment on column income.members.benefits is 'Counted benefit payments of the window divided by 3';
comment on column income.members.member_income is 'wage + benefits, yuan a month';

create or replace table income.households as
select *
from income_households_from(
    'income.members', $as_of,
    $standard_counties, $standard_urban_rural, $standard_values, $multiplier_categories, $multiplier_values
);

comment on table income.households is 'Per household of the households snapshot: verified monthly income, per capita, and the standard, multiplier and limit applied';
comment on column income.households.household_id is '家庭编号';
comment on column income.households.county is '区县 (chooses the standard)';
comment on column income.households.township is '乡镇街道';
comment on column income.households.category is '保障类别 (chooses the multiplier)';
comment on column income.households.status is '状态';
comment on column income.households.urban_rural is '城乡 (delivered, else derived from 城市低保/农村低保; null when unknown)';
comment on column income.households.household_size is '家庭人口 as delivered';
comment on column income.households.member_count is 'Members in the members snapshot';
comment on column income.households.divisor is 'What the per-capita figure divides by: 家庭人口, or the member count when it is empty or 0';
comment on column income.households.declared_monthly_income is '申报月收入';
comment on column income.households.wages is 'Sum of the members'' wages';
comment on column income.households.benefits is 'Sum of the members'' benefits';
comment on column income.households.verified_monthly_income is 'wages + benefits, yuan a month';
comment on column income.households.per_capita_income is 'verified_monthly_income / divisor, rounded to the fen';
comment on column income.households.standard is 'The 低保标准 of its 区县 and 城乡 under the policy (income.standards, income.county_standards)';
comment on column income.households.multiplier is 'The multiplier of its 保障类别 (income.category_multipliers)';
comment on column income.households.income_limit is 'standard × multiplier; INCOME_ABOVE_STANDARD is raised above it';
comment on column income.households.window_start is 'First day of the window';
comment on column income.households.window_end is 'Last day of the window';
comment on column income.households.not_tested_reason is 'Why the household is not tested (城乡 unknown, …); null when it is';
