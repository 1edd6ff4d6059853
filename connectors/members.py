"""家庭成员: members of the assistance households (snapshot); the spine every record is linked to."""

from connectors.spec import Column, Source

SOURCE = Source(
    name="members",
    title="家庭成员",
    kind="snapshot",
    columns=(
        Column("家庭编号", "household_id", required=True, aliases=("家庭ID",)),
        Column("姓名", "person_name", "name", required=True, aliases=("成员姓名",)),
        Column("身份证号", "id", "id", required=True, aliases=("公民身份号码", "证件号码")),
        Column("性别", "sex"),
        Column("出生日期", "birth_date", "date"),
        Column("与户主关系", "relation", required=True, aliases=("关系",)),
        Column("残疾等级", "disability_grade"),
    ),
)
