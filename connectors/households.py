"""救助对象家庭: the social assistance system's households (snapshot)."""

from connectors.spec import Column, Source

SOURCE = Source(
    name="households",
    title="救助对象家庭",
    kind="snapshot",
    person_bearing=False,
    columns=(
        Column("家庭编号", "household_id", required=True, aliases=("家庭ID",)),
        Column("户主姓名", "head_name", "name", required=True),
        Column("户主身份证号", "head_id", "id", required=True, aliases=("户主证件号码",)),
        Column("保障类别", "category", required=True, aliases=("救助类别",)),
        Column("状态", "status", required=True, aliases=("保障状态",)),
        Column("区县", "county", required=True),
        Column("乡镇街道", "township", required=True, aliases=("乡镇(街道)", "乡镇（街道）")),
        Column("村社区", "village", aliases=("村(社区)", "村（社区）")),
        Column("家庭人口", "household_size", "int", required=True, aliases=("家庭人数",)),
        Column("申请日期", "applied_on", "date", required=True),
        Column("纳入日期", "enrolled_on", "date", aliases=("认定日期",)),
        Column("月保障金", "monthly_benefit", "amount"),
        Column("申报月收入", "declared_monthly_income", "amount", required=True, aliases=("家庭月收入",)),
    ),
)
