-- The verified-income model's analyst tables live in their own schema; the night rebuilds them
-- (hedui/income/tables.sql) once the income sources have delivered.
create schema if not exists income;
-- spec v2 adds two categories; integrity warnings go to the county's review list (县级复核), never a township's
comment on column alerts.warnings.category is 'hidden_asset, hardship, change_of_circumstance, outreach, income or integrity (integrity: the county review list 县级复核, never a township list)';
comment on column main.warnings.category is 'hidden_asset, hardship, change_of_circumstance, outreach, income or integrity (integrity: the county review list 县级复核, never a township list)';
