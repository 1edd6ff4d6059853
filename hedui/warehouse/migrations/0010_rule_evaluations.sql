-- The key each rule's hits were last computed under (hedui.rules.rule_inputs): a rule whose key is unchanged
-- tonight keeps its hits without being evaluated again (issue 13, the typical night).
create table alerts.rule_evaluations (
    rule_code varchar primary key,
    inputs_key varchar not null,
    as_of date not null
);

comment on table alerts.rule_evaluations is 'Per rule: the key of what its hits were last computed from (its SQL and bound parameters, the tables it reads, the as-of date at its grain); a night whose key is the same keeps the hits and does not evaluate the rule again';
comment on column alerts.rule_evaluations.rule_code is 'The rule';
comment on column alerts.rule_evaluations.inputs_key is 'sha256 over the rule''s definition, the digests of the tables it reads and the as-of date at its grain (hedui.rules.rule_inputs.rule_key)';
comment on column alerts.rule_evaluations.as_of is 'The as-of date of the night that last computed or kept the key';
