"""救助对象家庭: the social assistance system's households (snapshot). Linked to members by the head's ID."""

from connectors.spec import Between, Column, NotBefore, Source

CATEGORIES = ("城市低保", "农村低保", "特困供养", "低保边缘", "支出型困难")
STATUSES = ("在保", "审核中", "已退出")

SOURCE = Source(
    name="households",
    title="救助对象家庭",
    label="救助对象家庭（民政救助系统）",
    kind="snapshot",
    key=("household_id",),
    link_address="coalesce(township, '') || coalesce(village, '')",
    columns=(
        Column("家庭编号", "household_id", required=True, aliases=("家庭ID",), pseudonym="household"),
        Column("户主姓名", "head_name", "name", required=True),
        Column("户主身份证号", "head_id", "id", required=True, aliases=("户主证件号码",)),
        Column("保障类别", "category", required=True, aliases=("救助类别",), values=CATEGORIES),
        Column("状态", "status", required=True, aliases=("保障状态",), values=STATUSES),
        Column("区县", "county", required=True),
        Column("乡镇街道", "township", required=True, aliases=("乡镇(街道)", "乡镇（街道）")),
        Column("村社区", "village", aliases=("村(社区)", "村（社区）")),
        Column("家庭人口", "household_size", "int", required=True, aliases=("家庭人数",)),
        Column("申请日期", "applied_on", "date", required=True, not_after_as_of=True),
        Column("纳入日期", "enrolled_on", "date", aliases=("认定日期",), not_after_as_of=True),
        Column("月保障金", "monthly_benefit", "amount"),
        Column("申报月收入", "declared_monthly_income", "amount", required=True, aliases=("家庭月收入",)),
    ),
    checks=(
        Between("household_size", "at_least_one", min_value=1),
        Between("monthly_benefit", "not_negative", min_value=0),
        Between("declared_monthly_income", "not_negative", min_value=0),
        NotBefore("enrolled_on", "applied_on"),
    ),
)
