-- death: the normalised citizen ID is the event key.
select
    *,
    id_norm as record_key
from delivery_typed
