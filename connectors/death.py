"""户籍注销(死亡): deaths from household registration (events, keyed by the citizen ID)."""

from connectors.spec import Column, Source

SOURCE = Source(
    name="death",
    title="户籍注销(死亡)",
    kind="event",
    columns=(
        Column("公民身份号码", "id", "id", required=True, aliases=("身份证号",)),
        Column("姓名", "person_name", "name", required=True),
        Column("死亡日期", "died_on", "date", required=True),
        Column("注销日期", "deregistered_on", "date"),
    ),
)
