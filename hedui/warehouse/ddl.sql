-- The warehouse's stage schemas and the ledgers: schema migration 1, the baseline (hedui/warehouse/schema.py).
-- Idempotent: it also runs on warehouses written before migrations were recorded.
create schema if not exists raw;
create schema if not exists staged;
create schema if not exists quarantine;
create schema if not exists ledger;
create schema if not exists linked;
create schema if not exists alerts;
create schema if not exists ref;


create table if not exists ledger.runs (
    run_id varchar primary key,
    as_of date not null,
    started_at timestamp not null,
    finished_at timestamp,
    outcome varchar,
    message varchar,
    landing varchar,
    policy_source varchar,
    stage_timings json
);
comment on table ledger.runs is 'One row per nightly run that published (a run that died published nothing and is absent)';
comment on column ledger.runs.run_id is 'Identifier of the run: asof<YYYYMMDD>_started<YYYYMMDDTHHMMSSZ, UTC>_<random>; sorts by as-of date, then start time';
comment on column ledger.runs.as_of is 'The date the run evaluated';
comment on column ledger.runs.started_at is 'When the run started (UTC)';
comment on column ledger.runs.finished_at is 'When the run finished and published (UTC)';
comment on column ledger.runs.outcome is 'completed, or completed_with_problems when a source was rejected, held back, missing or failed';
comment on column ledger.runs.message is 'A short human-readable summary of problems, without personal data';
comment on column ledger.runs.landing is 'The landing zone the run read';
comment on column ledger.runs.policy_source is 'The policy file in force';
comment on column ledger.runs.stage_timings is 'Seconds spent per stage';

create table if not exists ledger.deliveries (
    run_id varchar not null,
    source varchar not null,
    delivery_id varchar not null,
    delivery_date date,
    kind varchar,
    files json,
    checksum varchar,
    rows_read bigint,
    rows_loaded bigint,
    rows_quarantined bigint,
    rows_set_aside bigint,
    status varchar not null,
    reason varchar
);
comment on table ledger.deliveries is 'Every delivery each run considered, with its fate; rows_read = rows_loaded + rows_quarantined + rows_set_aside';
comment on column ledger.deliveries.run_id is 'The run that considered the delivery';
comment on column ledger.deliveries.source is 'Source name (households, members, housing, vehicle, medical, disability, death)';
comment on column ledger.deliveries.delivery_id is '<source>/<folder name> in the landing zone';
comment on column ledger.deliveries.delivery_date is 'The delivery date from the folder name (NULL when the name is not a date)';
comment on column ledger.deliveries.kind is 'snapshot or event';
comment on column ledger.deliveries.files is 'Per file: name, SHA-256, encoding, rows';
comment on column ledger.deliveries.checksum is 'SHA-256 over the file names and their checksums: a delivery with the same checksum is not read again';
comment on column ledger.deliveries.rows_read is 'Data rows read from all files of the delivery; NULL (as are the other counts) when this run did not read it: unchanged, future, ignored';
comment on column ledger.deliveries.rows_loaded is 'Rows that passed their contract and were loaded';
comment on column ledger.deliveries.rows_quarantined is 'Rows that failed their contract (see quarantine.rows)';
comment on column ledger.deliveries.rows_set_aside is 'Rows of a delivery not taken as a whole: rejected, held back or superseded';
comment on column ledger.deliveries.status is 'loaded, unchanged, superseded, rejected, held_back, future, ignored';
comment on column ledger.deliveries.reason is 'Why a delivery was rejected, held back, ignored or set aside';

create table if not exists ledger.run_sources (
    run_id varchar not null,
    source varchar not null,
    in_force_delivery varchar,
    newest_delivery varchar,
    picture_date date,
    picture_age_days integer,
    problem varchar,
    fresh boolean,
    rows_in_force bigint
);
comment on table ledger.run_sources is 'Per run and source: which picture is in force, how old it is, and whether the newest delivery had a problem';
comment on column ledger.run_sources.run_id is 'The run';
comment on column ledger.run_sources.source is 'Source name';
comment on column ledger.run_sources.in_force_delivery is 'The delivery whose picture the run used (snapshots), or the newest accepted delivery (events)';
comment on column ledger.run_sources.newest_delivery is 'The newest delivery on or before the as-of date';
comment on column ledger.run_sources.picture_date is 'Date of the picture in force';
comment on column ledger.run_sources.picture_age_days is 'as_of minus picture_date';
comment on column ledger.run_sources.problem is 'NULL, rejected, held_back, missing (no delivery ever accepted) or failed (the connector failed)';
comment on column ledger.run_sources.fresh is 'True when the newest delivery was taken (no problem this run)';
comment on column ledger.run_sources.rows_in_force is 'Rows in the staged table after the run';

create table if not exists ledger.source_state (
    source varchar primary key,
    in_force_delivery varchar,
    delivery_date date,
    checksum varchar,
    rows_read bigint
);
comment on table ledger.source_state is 'The snapshot in force per snapshot source (the last good picture)';
comment on column ledger.source_state.source is 'Snapshot source name';
comment on column ledger.source_state.in_force_delivery is 'The delivery in force';
comment on column ledger.source_state.delivery_date is 'Its date';
comment on column ledger.source_state.checksum is 'Its checksum';
comment on column ledger.source_state.rows_read is 'Its rows, the baseline for the implausible-drop check';

create table if not exists ledger.event_deliveries (
    source varchar not null,
    delivery_id varchar not null,
    delivery_date date,
    checksum varchar,
    rows_loaded bigint,
    loaded_run_id varchar,
    primary key (source, delivery_id)
);
comment on table ledger.event_deliveries is 'Event deliveries whose rows are in the warehouse, with the checksum of the version loaded';
comment on column ledger.event_deliveries.source is 'Event source name';
comment on column ledger.event_deliveries.delivery_id is 'The delivery';
comment on column ledger.event_deliveries.delivery_date is 'Its date';
comment on column ledger.event_deliveries.checksum is 'Checksum of the version loaded (a corrected resend replaces it)';
comment on column ledger.event_deliveries.rows_loaded is 'Rows loaded from it';
comment on column ledger.event_deliveries.loaded_run_id is 'The run that loaded this version';

create table if not exists ledger.file_digests (
    device ubigint not null,
    inode ubigint not null,
    size bigint,
    mtime_ns bigint,
    ctime_ns bigint,
    sha256 varchar not null,
    path varchar,
    primary key (device, inode)
);
comment on table ledger.file_digests is 'SHA-256 of landing files, per file (device, inode), reused while its size, mtime and ctime are unchanged: a night does not hash again files nobody touched';
comment on column ledger.file_digests.device is 'Device number of the file (with inode: which file it is, whatever its name)';
comment on column ledger.file_digests.inode is 'Inode number of the file';
comment on column ledger.file_digests.size is 'Size in bytes when it was hashed';
comment on column ledger.file_digests.mtime_ns is 'Modification time (ns) when it was hashed';
comment on column ledger.file_digests.ctime_ns is 'Status-change time (ns) when it was hashed';
comment on column ledger.file_digests.sha256 is 'The file''s SHA-256';
comment on column ledger.file_digests.path is 'A path the file was hashed under (information only)';

create table if not exists quarantine.rows (
    run_id varchar not null,
    source varchar not null,
    delivery_id varchar not null,
    file varchar,
    row_number bigint,
    expectation varchar not null,
    column_name varchar,
    value varchar,
    reason varchar not null
);
comment on table quarantine.rows is 'Rows that failed their contract: one row per failed expectation (a row failing two appears twice)';
comment on column quarantine.rows.run_id is 'The run that read the delivery';
comment on column quarantine.rows.source is 'Source name';
comment on column quarantine.rows.delivery_id is 'The delivery';
comment on column quarantine.rows.file is 'File name inside the delivery folder';
comment on column quarantine.rows.row_number is 'Data row in the file (1 = first row after the header row)';
comment on column quarantine.rows.expectation is 'The failed expectation of the data contract (data_contracts/<source>.json), or row_structure / duplicate_key';
comment on column quarantine.rows.column_name is 'The column at fault';
comment on column quarantine.rows.value is 'The offending value as delivered (personal data: stays in the warehouse)';
comment on column quarantine.rows.reason is 'Why, in words a person can act on';

create table if not exists quarantine.flags (
    run_id varchar not null,
    source varchar not null,
    delivery_id varchar not null,
    file varchar,
    row_number bigint,
    flag varchar not null,
    detail varchar
);
comment on table quarantine.flags is 'Loaded rows that carry a finding: an ID that fails its check (linked only by the fuzzy path), an out-of-pocket amount that disagrees with the payments';
comment on column quarantine.flags.run_id is 'The run that read the delivery';
comment on column quarantine.flags.source is 'Source name';
comment on column quarantine.flags.delivery_id is 'The delivery';
comment on column quarantine.flags.file is 'File name';
comment on column quarantine.flags.row_number is 'Data row in the file';
comment on column quarantine.flags.flag is 'id_invalid or out_of_pocket_mismatch';
comment on column quarantine.flags.detail is 'What was found';
