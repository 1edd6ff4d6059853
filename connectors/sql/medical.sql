-- medical: keyed by 结算流水号. 个人自付 is trusted as stated, but flagged when it disagrees with
-- total minus the three payments by more than 1 yuan (spec, section 4).
select
    *,
    settlement_id as record_key,
    coalesce(
        abs(
            total_cost
            - coalesce(fund_paid, 0)
            - coalesce(critical_illness_paid, 0)
            - coalesce(assistance_paid, 0)
            - out_of_pocket
        ) > 1,
        false
    ) as out_of_pocket_mismatch
from delivery_typed
