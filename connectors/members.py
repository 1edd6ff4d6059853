"""家庭成员: members of the assistance households (snapshot); the spine every record is linked to."""

from connectors.spec import Column, Derived, IdNormalisable, Source

SEXES = ("男", "女")
RELATIONS = ("本人", "配偶", "子", "女", "父亲", "母亲", "孙子女", "兄弟姐妹", "其他")
GRADES = ("一级", "二级", "三级", "四级")

SOURCE = Source(
    name="members",
    title="家庭成员",
    label="家庭成员（民政救助系统）",
    kind="snapshot",
    key=("household_id", "id_norm"),
    linked=False,
    columns=(
        Column("家庭编号", "household_id", required=True, aliases=("家庭ID",), pseudonym="household"),
        Column("姓名", "person_name", "name", required=True, aliases=("成员姓名",)),
        Column("身份证号", "id", "id", required=True, aliases=("公民身份号码", "证件号码")),
        Column("性别", "sex", values=SEXES),
        Column("出生日期", "birth_date", "date", not_after_delivery=True, year_only=True),
        Column("与户主关系", "relation", required=True, aliases=("关系",), values=RELATIONS),
        Column("残疾等级", "disability_grade", values=GRADES),
    ),
    derived=(
        Derived("disability_grade_num",
                "disability_grade as a number (一级 = 1 … 四级 = 4; NULL when none or unreadable)"),
    ),
    checks=(IdNormalisable("id"),),
)
