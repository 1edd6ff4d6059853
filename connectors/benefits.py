"""社会保险待遇发放: social insurance benefit payments (events, keyed by 发放流水号).

A returned payment (已退回) was never received: it is staged with its status, and the rules ignore it.
"""

from connectors.spec import Between, Column, Source

BENEFIT_TYPES = ("基本养老金", "城乡居民养老金", "失业保险金", "工伤保险长期待遇", "遗属待遇", "丧葬补助金",
                 "一次性抚恤金")
PAYMENT_STATUSES = ("已发放", "已退回")

SOURCE = Source(
    name="benefits",
    title="社会保险待遇发放",
    label="社会保险待遇发放（人力资源和社会保障局）",
    spec_version=2,
    kind="event",
    key=("payment_id",),
    columns=(
        Column("发放流水号", "payment_id", required=True, pseudonym="payment"),
        Column("姓名", "person_name", "name", required=True),
        Column("身份证号", "id", "id", required=True, aliases=("公民身份号码",)),
        Column("待遇类型", "benefit_type", required=True, aliases=("待遇项目",), values=BENEFIT_TYPES),
        Column("待遇所属期", "benefit_month", "month", required=True, aliases=("发放年月",)),
        Column("发放金额", "amount", "amount", required=True, aliases=("实发金额",)),
        Column("发放状态", "payment_status", required=True, values=PAYMENT_STATUSES),
    ),
    checks=(Between("amount", "not_negative", min_value=0),),
)
