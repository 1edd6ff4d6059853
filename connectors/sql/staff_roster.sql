-- staff_roster: one row per staff member and declared relative; the relative by ID, or by name when no ID is
-- readable, or empty for a staff member who declared none.
select
    *,
    coalesce(staff_id_norm, staff_id_raw) || '|' || coalesce(relative_id_norm, relative_name_norm, '') as record_key
from delivery_typed
