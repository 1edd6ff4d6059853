-- public_payroll: the latest payroll of each person, per employer, month and staff category (a person paid by
-- two employers, or as staff and as a pensioner, has two rows). The ID as delivered stands in for one that
-- cannot be normalised, so that the row keeps a key (and the contract says what is wrong with the ID).
select
    *,
    coalesce(id_norm, id_raw) || '|' || employer || '|' || strftime(payroll_month, '%Y-%m') || '|' || staff_category
        as record_key
from delivery_typed
