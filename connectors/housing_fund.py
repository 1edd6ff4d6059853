"""住房公积金缴存: housing provident fund accounts (snapshot, keyed by 个人账号)."""

from connectors.spec import Between, Column, Source

ACCOUNT_STATUSES = ("正常", "封存", "销户")

SOURCE = Source(
    name="housing_fund",
    title="住房公积金缴存",
    label="住房公积金缴存（住房公积金管理中心）",
    spec_version=2,
    kind="snapshot",
    key=("account_no",),
    columns=(
        Column("个人账号", "account_no", required=True, aliases=("公积金账号",), personal=True,
               pseudonym="fund_account"),
        Column("姓名", "person_name", "name", required=True),
        Column("身份证号", "id", "id", required=True, aliases=("证件号码",)),
        Column("单位名称", "employer"),
        Column("缴存基数", "deposit_base", "amount", required=True, aliases=("月缴存基数",)),
        Column("个人月缴存额", "monthly_deposit", "amount"),
        Column("账户状态", "account_status", required=True, values=ACCOUNT_STATUSES),
        Column("最后缴存年月", "last_deposit_month", "month", required=True, aliases=("缴至年月",)),
    ),
    checks=(
        Between("deposit_base", "not_negative", min_value=0),
        Between("monthly_deposit", "not_negative", min_value=0),
    ),
)
