-- benefits: keyed by 发放流水号. A returned payment (已退回) stays a row with its status: the rules ignore it,
-- and a caseworker can still see that it was sent.
select
    *,
    payment_id as record_key
from delivery_typed
