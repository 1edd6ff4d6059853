-- The department records a windowed rule read at its last evaluation (hedui.rules.window_scope): tonight's
-- records are compared with them, and the rule is evaluated only for the households whose records changed or
-- crossed the window's edges since (issue 13, the typical night).
create table alerts.window_records (
    rule_code varchar not null,
    record_key varchar not null,
    household_id varchar,
    record_hash ubigint not null,
    reversal boolean not null,
    reaches varchar
);

comment on table alerts.window_records is 'Per windowed rule (a rule file with a window: header): the records of its window source it could read at its last evaluation (each linked record once per link, and every reversal), with a hash of the record and its link; tonight''s records are compared with them to find the households whose hits can have changed';
comment on column alerts.window_records.rule_code is 'The rule';
comment on column alerts.window_records.record_key is 'The record (record_key of staged.<source>)';
comment on column alerts.window_records.household_id is 'The household its link names (linked.links), NULL for a reversal linked to nobody';
comment on column alerts.window_records.record_hash is 'hash over every column of the staged record and of its link: any change to either changes it';
comment on column alerts.window_records.reversal is 'Whether the record is a reversal (the window: header says how one is told)';
comment on column alerts.window_records.reaches is 'For a reversal, the key of the record it reverses; for another record, its own key (the column the window: header names)';
