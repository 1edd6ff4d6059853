-- linked.event_versions, the per-record bookkeeping of incremental linking, was replaced by
-- linked.linked_deliveries (one row per linked event delivery and its checksum).
drop table if exists linked.event_versions;
