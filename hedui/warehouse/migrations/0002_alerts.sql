-- The alerts schema of hedui 0.1.0: warnings, their history, caseworker outcomes, the rule runs, the lists'
-- kept wording, and the contract view main.warnings (warning-rules.md).
-- Idempotent (`if not exists`, `or replace`): it also runs on warehouses written before migrations were recorded.
create schema if not exists alerts;

create table if not exists alerts.warnings (
    warning_id varchar primary key,
    rule_code varchar not null,
    title_zh varchar,
    category varchar,
    level varchar,
    subject_key varchar not null,
    episode_seq integer not null,
    household_id varchar,
    person_id varchar,
    person_name varchar,
    county varchar,
    township varchar,
    severity varchar not null,
    status varchar not null,
    first_raised_on date not null,
    last_seen_on date not null,
    due_on date not null,
    due_basis varchar not null,
    resolved_on date,
    closed_on date,
    closed_reason varchar,
    summary_zh varchar,
    evidence json,
    evidence_fingerprint varchar not null,
    reopened_from varchar,
    raised_run_id varchar not null,
    updated_run_id varchar not null
);

create table if not exists alerts.warning_events (
    warning_id varchar not null,
    run_id varchar,
    as_of date not null,
    event varchar not null,
    status_after varchar not null,
    detail json,
    recorded_at timestamp not null default current_timestamp
);

create table if not exists alerts.outcomes (
    warning_id varchar not null,
    outcome varchar not null,
    reason varchar,
    recorded_by varchar,
    recorded_at timestamp not null default current_timestamp,
    as_of date not null,
    evidence_fingerprint varchar not null,
    origin varchar
);

create table if not exists alerts.rule_runs (
    run_id varchar primary key,
    as_of date not null,
    finished_at timestamp not null default current_timestamp,
    due_basis varchar,
    stats json
);

create table if not exists alerts.list_texts (
    warning_id varchar not null,
    evidence_md5 varchar not null,
    summary_masked varchar,
    detail_masked varchar
);

create or replace view main.warnings as
select
    warning_id,
    rule_code,
    household_id,
    person_id,
    township,
    severity,
    status,
    first_raised_on,
    last_seen_on,
    due_on,
    evidence,
    title_zh,
    category,
    county,
    person_name,
    summary_zh,
    due_basis,
    resolved_on,
    closed_on,
    closed_reason,
    evidence_fingerprint,
    reopened_from
from alerts.warnings;

comment on table alerts.warnings is 'Every warning ever raised, one row per warning (one episode of a rule holding for a subject), in its current state';
comment on column alerts.warnings.warning_id is 'Stable id: hash of rule code, household, person, episode start and episode number';
comment on column alerts.warnings.rule_code is 'Code of the rule in warnings/<code>.sql';
comment on column alerts.warnings.title_zh is 'Chinese title of the rule';
comment on column alerts.warnings.category is 'hidden_asset, hardship, change_of_circumstance or outreach';
comment on column alerts.warnings.level is 'member, household or person: what the subject of the rule is';
comment on column alerts.warnings.subject_key is 'rule_code|household_id|person_id: the subject whose episodes share it';
comment on column alerts.warnings.episode_seq is '1 for the first episode of the subject, 2 after it was closed and raised again, ...';
comment on column alerts.warnings.household_id is '家庭编号; null for outreach';
comment on column alerts.warnings.person_id is 'Normalised 18-character ID of the member or person; null for household-level rules';
comment on column alerts.warnings.person_name is 'Display name of the member, person or household head';
comment on column alerts.warnings.county is '区县 of the caseworker unit';
comment on column alerts.warnings.township is '乡镇街道 that receives the warning; null for unrouted outreach';
comment on column alerts.warnings.severity is 'high, medium or low';
comment on column alerts.warnings.status is 'open, resolved, or a caseworker outcome: confirmed, dismissed, benefit_adjusted';
comment on column alerts.warnings.first_raised_on is 'As-of date of the run that first raised it';
comment on column alerts.warnings.last_seen_on is 'As-of date of the latest run in which the condition held';
comment on column alerts.warnings.due_on is 'first_raised_on plus the verification period in working days';
comment on column alerts.warnings.due_basis is 'Calendar behind due_on: official_calendar, center_calendar or weekdays_fallback';
comment on column alerts.warnings.resolved_on is 'As-of date of the run whose fresh data no longer showed the condition';
comment on column alerts.warnings.closed_on is 'Date a caseworker outcome closed it';
comment on column alerts.warnings.closed_reason is 'Caseworker''s reason (required for a dismissal)';
comment on column alerts.warnings.summary_zh is 'One sentence in Chinese for the caseworker';
comment on column alerts.warnings.evidence is 'JSON: records (source, delivery, file, row, key, link, fields), facts and applied thresholds';
comment on column alerts.warnings.evidence_fingerprint is 'sha256 of the evidence records'' sources, keys and field values (not of the run)';
comment on column alerts.warnings.reopened_from is 'warning_id of the closed or resolved episode this one follows';
comment on column alerts.warnings.raised_run_id is 'Run that raised it';
comment on column alerts.warnings.updated_run_id is 'Run that last changed it';

comment on table alerts.warning_events is 'History of every warning: one row per change (raised, reopened, evidence_changed, resolved, outcome)';
comment on column alerts.warning_events.warning_id is 'The warning that changed';
comment on column alerts.warning_events.run_id is 'Run that made the change; null for an outcome recorded outside a run';
comment on column alerts.warning_events.as_of is 'As-of date of the run, or the date of the outcome';
comment on column alerts.warning_events.event is 'raised, reopened, evidence_changed, resolved or outcome';
comment on column alerts.warning_events.status_after is 'Status of the warning after the change';
comment on column alerts.warning_events.detail is 'JSON detail: previous warning, old and new fingerprint, outcome and reason';
comment on column alerts.warning_events.recorded_at is 'Wall-clock time the row was written';

comment on table alerts.outcomes is 'Caseworker outcomes of verified warnings';
comment on column alerts.outcomes.warning_id is 'The warning verified';
comment on column alerts.outcomes.outcome is 'confirmed, dismissed or benefit_adjusted';
comment on column alerts.outcomes.reason is 'Caseworker''s reason or note (required for a dismissal)';
comment on column alerts.outcomes.recorded_by is 'Who recorded it (user or file)';
comment on column alerts.outcomes.recorded_at is 'Wall-clock time it was recorded';
comment on column alerts.outcomes.as_of is 'Date the outcome counts from';
comment on column alerts.outcomes.evidence_fingerprint is 'Fingerprint of the evidence the caseworker saw';
comment on column alerts.outcomes.origin is 'manual, or the name of the imported workbook';

comment on table alerts.list_texts is 'The caseworker lists'' wording of each open warning''s evidence, IDs masked (kept so that a night rewords only new or changed evidence)';
comment on column alerts.list_texts.warning_id is 'The open warning';
comment on column alerts.list_texts.evidence_md5 is 'md5 of the evidence the wording was made from; a wording whose md5 differs is never used';
comment on column alerts.list_texts.summary_masked is '证据说明 of the lists: the summary sentence with IDs masked';
comment on column alerts.list_texts.detail_masked is '证据明细 of the lists: every evidence record and the thresholds in words, IDs masked';

comment on table alerts.rule_runs is 'Runs of the rule engine: the as-of dates already processed, and their counts';
comment on column alerts.rule_runs.run_id is 'The run';
comment on column alerts.rule_runs.as_of is 'Its as-of date; an earlier date than the latest is refused';
comment on column alerts.rule_runs.finished_at is 'Wall-clock time it finished';
comment on column alerts.rule_runs.due_basis is 'Calendar basis of the due dates set in the run';
comment on column alerts.rule_runs.stats is 'JSON counts per rule: new, still_open, resolved, suppressed, held, deferred';

comment on view main.warnings is 'The warning list contract (warning-rules.md): one row per warning, with the contract columns first';
