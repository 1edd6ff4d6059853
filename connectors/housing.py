"""不动产登记: the real-estate registry (snapshot). Co-owners arrive as one row each."""

from connectors.spec import Column, Source

SOURCE = Source(
    name="housing",
    title="不动产登记",
    kind="snapshot",
    columns=(
        Column("不动产单元号", "unit_no", required=True, aliases=("单元号",)),
        Column("权利人", "person_name", "name", required=True, aliases=("权利人名称", "产权人")),
        Column("证件号码", "id", "id", aliases=("权利人证件号", "身份证号")),
        Column("共有方式", "co_ownership"),
        Column("坐落", "address", required=True, aliases=("房屋坐落",)),
        Column("规划用途", "use_type", required=True, aliases=("用途",)),
        Column("建筑面积", "floor_area", "number"),
        Column("登记日期", "registered_on", "date", required=True, aliases=("登簿日期",)),
        Column("权属状态", "title_status", required=True, aliases=("状态",)),
    ),
)
