-- households: the typed delivery, keyed by 家庭编号.
select
    *,
    household_id as record_key
from delivery_typed
