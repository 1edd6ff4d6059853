-- The income window: the three calendar months before the month of the as-of date (spec warning-rules.md,
-- "Verified income (v2)"): as of 2026-11-03, 2026-08 to 2026-10. Months are DATEs, the first day of the month.
-- Installed with the income model (model.sql) and with the rules' shared definitions, since these macros read
-- no table and a rule may need the window where the model's sources have not all delivered.

-- first day of the window, and first day after it (the as-of month)
create or replace temp macro income_window_start(as_of) as (
    cast(date_trunc('month', cast(as_of as date)) - interval 3 month as date)
);

create or replace temp macro income_window_end(as_of) as (
    cast(date_trunc('month', cast(as_of as date)) as date)
);

create or replace temp macro income_in_window(month, as_of) as (
    month >= income_window_start(as_of) and month < income_window_end(as_of)
);
