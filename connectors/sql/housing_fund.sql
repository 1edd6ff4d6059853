-- housing_fund: one account per 个人账号; a sealed (封存) or closed (销户) account stays with its status.
select
    *,
    account_no as record_key
from delivery_typed
