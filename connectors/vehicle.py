"""机动车登记: vehicle administration (snapshot)."""

from connectors.spec import Column, Source

VEHICLE_STATUSES = ("正常", "转出", "注销", "报废", "被盗抢")

SOURCE = Source(
    name="vehicle",
    title="机动车登记",
    label="机动车登记（公安交警车管所）",
    kind="snapshot",
    key=("plate", "id_norm", "person_name_norm"),
    columns=(
        Column("号牌号码", "plate", required=True, aliases=("车牌号",), personal=True, pseudonym="plate"),
        Column("号牌种类", "plate_type"),
        Column("车辆类型", "vehicle_type", required=True),
        Column("机动车所有人", "person_name", "name", required=True, aliases=("所有人",)),
        Column("身份证明号码", "id", "id", aliases=("所有人证件号码", "身份证号")),
        Column("使用性质", "use_nature"),
        Column("初次登记日期", "registered_on", "date", required=True, aliases=("注册日期",), not_after_delivery=True),
        Column("机动车状态", "vehicle_status", required=True, aliases=("状态",), values=VEHICLE_STATUSES),
    ),
)
