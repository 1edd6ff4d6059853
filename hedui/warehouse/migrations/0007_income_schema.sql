-- The verified-income model's analyst tables live in their own schema; the night rebuilds them
-- (hedui/income/tables.sql) once the income sources have delivered.
create schema if not exists income;
