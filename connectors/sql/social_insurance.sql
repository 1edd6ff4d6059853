-- social_insurance: keyed by 缴费流水号. 缴费状态 is optional: when it is empty, a row that names an original
-- record is a refund (退费), any other row a normal contribution (正常). A refund is a row of its own, with its
-- negative base: the rules net it against the record it names. A record delivered twice is one event
-- (staged.social_insurance keeps one version per key).
select
    * replace (
        coalesce(
            contribution_status,
            case when original_contribution_id is not null then '退费' else '正常' end
        ) as contribution_status
    ),
    contribution_id as record_key
from delivery_typed
