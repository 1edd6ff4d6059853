-- vehicle: the plate and its owner (a plate can be reissued to a new owner).
select
    *,
    plate || '|' || coalesce(id_norm, '') || '|' || coalesce(person_name_norm, '') as record_key
from delivery_typed
