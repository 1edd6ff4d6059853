-- households: the typed delivery, keyed by 家庭编号. Spec v2: 城乡 when empty follows the category (城市低保 is
-- 城市, 农村低保 农村, any other category unknown); 单独登记备案 is true only for 是 (empty means 否). A v1 delivery
-- has neither column: its households get the standard of their category and are not filed separately.
select
    *,
    household_id as record_key,
    coalesce(
        urban_rural_raw,
        case category when '城市低保' then '城市' when '农村低保' then '农村' end
    ) as urban_rural,
    coalesce(filed_separately_raw = '是', false) as filed_separately
from delivery_typed
