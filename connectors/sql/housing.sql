-- housing: co-owners of one unit are one row each, so the key is the unit and the owner.
select
    *,
    unit_no || '|' || coalesce(id_norm, '') || '|' || coalesce(person_name_norm, '') as record_key
from delivery_typed
