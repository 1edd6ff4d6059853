-- The lists' kept wording keeps each evidence record's line once, by the record it words (issue 18): a warning
-- whose evidence gains a record has that record worded, not the hundreds it already cited, and a night writes the
-- new lines, not every changed warning's whole detail again (hedui.deliver.list_texts).
-- alerts.list_texts is a cache of the lists: it is emptied, and the next night words every open warning once.
drop table alerts.list_texts;

create table alerts.list_texts (
    warning_id varchar not null,
    evidence_md5 varchar not null,
    summary_masked varchar,
    thresholds_masked varchar,
    line_keys uhugeint[] not null
);

create table alerts.list_lines (
    line_key uhugeint not null,
    line varchar not null
);

comment on table alerts.list_texts is 'The caseworker lists'' wording of each open warning''s evidence, IDs masked (kept so that a night rewords only new or changed evidence); its records'' lines are in alerts.list_lines';
comment on column alerts.list_texts.warning_id is 'The open warning';
comment on column alerts.list_texts.evidence_md5 is 'md5 of the evidence the wording was made from; a wording whose md5 differs is never used';
comment on column alerts.list_texts.summary_masked is '证据说明 of the lists: the summary sentence with IDs masked';
comment on column alerts.list_texts.thresholds_masked is 'The last line of 证据明细: the thresholds applied (【适用标准】), IDs masked; NULL when the evidence names none';
comment on column alerts.list_texts.line_keys is 'The evidence''s records in their order, each as the line_key of its line in alerts.list_lines: 证据明细 is these lines, then thresholds_masked, one per line';
comment on table alerts.list_lines is 'One evidence record of the caseworker lists in words (a line of 证据明细), IDs masked, kept once however many open warnings cite the record';
comment on column alerts.list_lines.line_key is 'md5 (as a number) of the record''s JSON and of the wording''s version: a record worded again only when it or the words change';
comment on column alerts.list_lines.line is 'The record in words, IDs masked';
