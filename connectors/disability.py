"""残疾人证: the disabled persons' federation's certificates (snapshot)."""

from connectors.spec import Column, Source

SOURCE = Source(
    name="disability",
    title="残疾人证",
    kind="snapshot",
    id_fallback="left(hd_clean(src_cert_no), 18)",
    columns=(
        Column("残疾人证号", "cert_no", required=True, aliases=("证号",)),
        Column("姓名", "person_name", "name", required=True),
        Column("身份证号", "id", "id", aliases=("公民身份号码",)),
        Column("性别", "sex"),
        Column("残疾类别", "category", required=True),
        Column("残疾等级", "grade", required=True),
        Column("发证日期", "issued_on", "date", required=True, aliases=("办证日期",)),
        Column("证件状态", "cert_status", required=True, aliases=("状态",)),
        Column("户籍地址", "registered_address", aliases=("户籍所在地",)),
    ),
)
