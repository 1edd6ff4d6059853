-- Caseworker outcome corrections (`hedui outcome correct`), the comments that changed since 0.1.0 (times are
-- UTC; an outcome in force can be corrected), and a comment on every column of the contract view main.warnings.
create table if not exists alerts.outcome_corrections (
    warning_id varchar not null,
    previous_outcome varchar not null,
    previous_reason varchar,
    previous_recorded_by varchar,
    previous_as_of date,
    outcome varchar not null,
    reason varchar not null,
    corrected_by varchar,
    as_of date not null,
    corrected_at timestamp not null default current_timestamp
);

comment on table alerts.outcome_corrections is 'Corrections of caseworker outcomes (hedui outcome correct): one row per correction, the outcome before and after; alerts.outcomes holds the outcome in force';
comment on column alerts.outcome_corrections.warning_id is 'The warning whose outcome was corrected';
comment on column alerts.outcome_corrections.previous_outcome is 'The outcome before the correction: confirmed, dismissed or benefit_adjusted';
comment on column alerts.outcome_corrections.previous_reason is 'Its reason';
comment on column alerts.outcome_corrections.previous_recorded_by is 'Who had recorded it';
comment on column alerts.outcome_corrections.previous_as_of is 'The date it counted from';
comment on column alerts.outcome_corrections.outcome is 'The outcome after the correction';
comment on column alerts.outcome_corrections.reason is 'Why it was corrected (required)';
comment on column alerts.outcome_corrections.corrected_by is 'Who corrected it';
comment on column alerts.outcome_corrections.as_of is 'Date the corrected outcome counts from';
comment on column alerts.outcome_corrections.corrected_at is 'Wall-clock time of the correction';

comment on table alerts.outcomes is 'Caseworker outcomes of verified warnings: one row per warning, the outcome in force (a correction replaces it and keeps the one before in alerts.outcome_corrections)';
comment on column alerts.outcomes.warning_id is 'The warning verified';
comment on column alerts.outcomes.outcome is 'confirmed, dismissed or benefit_adjusted';
comment on column alerts.outcomes.reason is 'Caseworker''s reason or note (required for a dismissal)';
comment on column alerts.outcomes.recorded_by is 'Who recorded it (user or file)';
comment on column alerts.outcomes.recorded_at is 'Wall-clock time it was recorded (UTC)';
comment on column alerts.outcomes.as_of is 'Date the outcome counts from';
comment on column alerts.outcomes.evidence_fingerprint is 'Fingerprint of the evidence the caseworker saw';
comment on column alerts.outcomes.origin is 'manual, or the name of the imported workbook';

comment on column alerts.warning_events.event is 'raised, reopened, evidence_changed, resolved, outcome or outcome_corrected';
comment on column alerts.warning_events.recorded_at is 'Wall-clock time the row was written (UTC)';
comment on column alerts.rule_runs.finished_at is 'Wall-clock time it finished (UTC)';

-- The view's columns say what their alerts.warnings columns say.
comment on column main.warnings.warning_id is 'Stable id: hash of rule code, household, person, episode start and episode number';
comment on column main.warnings.rule_code is 'Code of the rule in warnings/<code>.sql';
comment on column main.warnings.household_id is '家庭编号; null for outreach';
comment on column main.warnings.person_id is 'Normalised 18-character ID of the member or person; null for household-level rules';
comment on column main.warnings.township is '乡镇街道 that receives the warning; null for unrouted outreach';
comment on column main.warnings.severity is 'high, medium or low';
comment on column main.warnings.status is 'open, resolved, or a caseworker outcome: confirmed, dismissed, benefit_adjusted';
comment on column main.warnings.first_raised_on is 'As-of date of the run that first raised it';
comment on column main.warnings.last_seen_on is 'As-of date of the latest run in which the condition held';
comment on column main.warnings.due_on is 'first_raised_on plus the verification period in working days';
comment on column main.warnings.evidence is 'JSON: records (source, delivery, file, row, key, link, fields), facts and applied thresholds';
comment on column main.warnings.title_zh is 'Chinese title of the rule';
comment on column main.warnings.category is 'hidden_asset, hardship, change_of_circumstance or outreach';
comment on column main.warnings.county is '区县 of the caseworker unit';
comment on column main.warnings.person_name is 'Display name of the member, person or household head';
comment on column main.warnings.summary_zh is 'One sentence in Chinese for the caseworker';
comment on column main.warnings.due_basis is 'Calendar behind due_on: official_calendar, center_calendar or weekdays_fallback';
comment on column main.warnings.resolved_on is 'As-of date of the run whose fresh data no longer showed the condition';
comment on column main.warnings.closed_on is 'Date a caseworker outcome closed it';
comment on column main.warnings.closed_reason is 'Caseworker''s reason (required for a dismissal)';
comment on column main.warnings.evidence_fingerprint is 'sha256 of the evidence records'' sources, keys and field values (not of the run)';
comment on column main.warnings.reopened_from is 'warning_id of the closed or resolved episode this one follows';
