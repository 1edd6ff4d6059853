-- business: one row per entity, person and role; the person by ID, or by name when no ID is readable. The
-- unified social credit code is checked (GB 32100-2015): a code that fails stays, with credit_code_valid false
-- (and a flag in quarantine.flags), since a typing slip in the register does not make the business go away.
select
    *,
    credit_code || '|' || coalesce(id_norm, person_name_norm) || '|' || role as record_key,
    coalesce(hd_uscc_valid(credit_code), false) as credit_code_valid
from delivery_typed
