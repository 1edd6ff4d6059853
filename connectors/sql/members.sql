-- members: keyed by household and normalised ID; the grade the assistance system already knows, as a number.
select
    *,
    household_id || '|' || id_norm as record_key,
    hd_grade_num(disability_grade) as disability_grade_num
from delivery_typed
