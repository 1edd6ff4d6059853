-- The lists' kept wording gains the md5 of the records and thresholds its detail was made from, so that a night
-- that changes only a summary (a moving window's dates) keeps the detail. A wording kept without it has its
-- detail redone the next time its evidence changes (hedui.deliver.list_texts).
alter table alerts.list_texts add column if not exists detail_md5 varchar;
comment on column alerts.list_texts.detail_md5 is 'md5 of the records and thresholds detail_masked was made from: a night that changes only the summary (a moving window''s dates) keeps the detail';
