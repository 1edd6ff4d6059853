-- medical: keyed by 结算流水号. 结算类型 is optional: when it is empty, a row that names an original settlement
-- is a reversal (冲销), any other row a normal settlement (正常), so that no settlement silently drops out of
-- the rules. 个人自付 is trusted as stated, but flagged when it disagrees with total minus the three payments
-- by more than 1 yuan (spec, section 4).
select
    * replace (
        coalesce(
            settlement_type,
            case when original_settlement_id is not null then '冲销' else '正常' end
        ) as settlement_type
    ),
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
