-- Nights that failed: which stage and which statement, without values (issue 18). ledger.runs holds only the
-- runs that published; a run that dies publishes nothing, so its failure is recorded afterwards, in a working
-- copy of its own (hedui.night.record_failure).
create table ledger.failed_runs (
    run_id varchar primary key,
    as_of date not null,
    started_at timestamp not null,
    failed_at timestamp not null,
    stage varchar not null,
    statement varchar,
    error varchar not null,
    published boolean not null
);

comment on table ledger.failed_runs is 'One row per nightly run that failed: the stage and statement it failed in and the error, without values';
comment on column ledger.failed_runs.run_id is 'Identifier of the failed run (the form of ledger.runs.run_id)';
comment on column ledger.failed_runs.as_of is 'The date the run was to evaluate';
comment on column ledger.failed_runs.started_at is 'When the run started (UTC)';
comment on column ledger.failed_runs.failed_at is 'When it failed (UTC)';
comment on column ledger.failed_runs.stage is 'The stage it failed in: begin, ingest.<source>, link, warnings, pseudonyms, finish, publish or deliver';
comment on column ledger.failed_runs.statement is 'The statement of the stage that failed, by its name in the code (a rule file, a lifecycle or wording statement, a batch), when the stage names it';
comment on column ledger.failed_runs.error is 'The error type and its first line with quoted values, long numbers and Chinese text other than column headers redacted';
comment on column ledger.failed_runs.published is 'true when the run had published its warehouse before it failed (the caseworker lists failed); false when it published nothing';
