"""不动产登记: the real-estate registry (snapshot). Co-owners arrive as one row each."""

from connectors.spec import Between, Column, Source

CO_OWNERSHIP = ("单独所有", "共同共有", "按份共有")
USE_TYPES = ("住宅", "商业", "办公", "工业", "车库车位", "其他")
TITLE_STATUSES = ("现势", "注销")

SOURCE = Source(
    name="housing",
    title="不动产登记",
    label="不动产登记（自然资源和规划局）",
    kind="snapshot",
    key=("unit_no", "id_norm", "person_name_norm"),
    key_note="one row per co-owner",
    link_address="address",
    columns=(
        Column("不动产单元号", "unit_no", required=True, aliases=("单元号",), personal=True, pseudonym="unit"),
        Column("权利人", "person_name", "name", required=True, aliases=("权利人名称", "产权人")),
        Column("证件号码", "id", "id", aliases=("权利人证件号", "身份证号")),
        Column("共有方式", "co_ownership", values=CO_OWNERSHIP),
        Column("坐落", "address", required=True, aliases=("房屋坐落",), personal=True),
        Column("规划用途", "use_type", required=True, aliases=("用途",), values=USE_TYPES),
        Column("建筑面积", "floor_area", "number"),
        Column("登记日期", "registered_on", "date", required=True, aliases=("登簿日期",), not_after_delivery=True),
        Column("权属状态", "title_status", required=True, aliases=("状态",), values=TITLE_STATUSES),
    ),
    checks=(Between("floor_area", "not_negative", min_value=0),),
)
