-- disability: keyed by the certificate number, whose first 18 characters are the holder's ID (used when
-- the ID column is empty; see connectors/disability.py) and whose last two digits are category and grade.
select
    *,
    cert_no as record_key,
    hd_grade_num(grade) as grade_num
from delivery_typed
