-- The clerical review of uncertain links (`hedui review export` / `hedui review import`, matching/review_decisions.py):
-- the linkage staff's decisions, which every later night applies while the record is unchanged, and the queue
-- of records waiting for one, with the night each was first queued (its age survives full relinks).
create schema if not exists linked;

create table if not exists linked.review_decisions (
    source varchar not null,
    record_fingerprint varchar not null,
    person_id varchar not null,
    household_id varchar not null,
    decision varchar not null check (decision in ('same', 'different', 'undecided')),
    reason varchar,
    reviewer varchar not null,
    decided_at timestamp not null,
    origin varchar,
    primary key (source, record_fingerprint, person_id, household_id)
);
comment on table linked.review_decisions is 'Decisions of the linkage staff on review items (hedui review import): one row per (record fingerprint, candidate member and household); applied every night while the record''s linking fields are unchanged';
comment on column linked.review_decisions.source is 'Source of the department record';
comment on column linked.review_decisions.record_fingerprint is 'sha256 of the record''s linking fields as the matcher reads them (source, name, ID, address): a changed record is asked again';
comment on column linked.review_decisions.person_id is 'Normalised ID of the candidate member decided on';
comment on column linked.review_decisions.household_id is 'The candidate''s household (an ID shared by two households is two candidates)';
comment on column linked.review_decisions.decision is 'same (同一人: linked with method review), different (不是同一人: never proposed again) or undecided (无法判断: stays in review, marked decided)';
comment on column linked.review_decisions.reason is 'The reviewer''s reason';
comment on column linked.review_decisions.reviewer is 'Who decided';
comment on column linked.review_decisions.decided_at is 'When the decision was imported (UTC)';
comment on column linked.review_decisions.origin is 'The workbook it came from (file name)';

create table if not exists linked.review_queue (
    source varchar not null,
    record_key varchar not null,
    record_fingerprint varchar not null,
    reason varchar,
    candidates integer,
    township varchar,
    village varchar,
    first_queued_on date not null,
    decision varchar
);
comment on table linked.review_queue is 'The records in linked.link_review, one row each, with the night each was first queued: the review queue whose health the run summary shows';
comment on column linked.review_queue.source is 'Source of the department record';
comment on column linked.review_queue.record_key is 'Its record_key';
comment on column linked.review_queue.record_fingerprint is 'sha256 of its linking fields (see linked.review_decisions)';
comment on column linked.review_queue.reason is 'review_band or ambiguous (the first candidate''s, see linked.link_review)';
comment on column linked.review_queue.candidates is 'How many candidate members it has';
comment on column linked.review_queue.township is 'The township its address names, as the matcher found it (fuzzy path only)';
comment on column linked.review_queue.village is 'The village its address names, as the matcher found it (fuzzy path only)';
comment on column linked.review_queue.first_queued_on is 'As-of date of the night it first entered the queue with these linking fields';
comment on column linked.review_queue.decision is 'undecided when a reviewer marked it 无法判断, else null (waiting)';

create table if not exists ledger.review_queue_nights (
    run_id varchar not null,
    as_of date not null,
    waiting integer not null,
    new_tonight integer not null,
    marked_undecided integer not null,
    confirmed_links integer not null,
    rejected_pairs integer not null,
    oldest_waiting_since date
);
comment on table ledger.review_queue_nights is 'The review queue''s health after each night''s linking (run summary, hedui status): one row per run';
comment on column ledger.review_queue_nights.run_id is 'The run';
comment on column ledger.review_queue_nights.as_of is 'Its as-of date';
comment on column ledger.review_queue_nights.waiting is 'Review items (distinct source and record fingerprint) waiting for a decision';
comment on column ledger.review_queue_nights.new_tonight is 'Items that entered the queue this night';
comment on column ledger.review_queue_nights.marked_undecided is 'Items still in review that a reviewer marked 无法判断';
comment on column ledger.review_queue_nights.confirmed_links is 'Links made by a reviewer''s 同一人 this night (method review)';
comment on column ledger.review_queue_nights.rejected_pairs is 'Candidate pairs a reviewer''s 不是同一人 removed this night';
comment on column ledger.review_queue_nights.oldest_waiting_since is 'first_queued_on of the oldest item waiting';

create table if not exists linked.review_links (
    source varchar not null,
    record_key varchar not null,
    person_id varchar not null,
    household_id varchar not null,
    reviewer varchar not null,
    decided_at timestamp not null,
    reason varchar
);
comment on table linked.review_links is 'The links of linked.links made by a reviewer (method review), with who decided and when: the warnings'' evidence says so';
comment on column linked.review_links.source is 'Source of the department record';
comment on column linked.review_links.record_key is 'Its record_key';
comment on column linked.review_links.person_id is 'The member it is linked to';
comment on column linked.review_links.household_id is 'Its household';
comment on column linked.review_links.reviewer is 'Who confirmed the link (同一人)';
comment on column linked.review_links.decided_at is 'When (UTC)';
comment on column linked.review_links.reason is 'The reviewer''s reason';
