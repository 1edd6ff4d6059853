"""财政供养人员工资统发: the finance bureau's unified payroll (snapshot, the latest payroll of each person)."""

from connectors.spec import Between, Column, Source

STAFF_CATEGORIES = ("在职在编", "编外聘用", "离退休")

SOURCE = Source(
    name="public_payroll",
    title="财政供养人员工资统发",
    label="财政供养人员工资统发（财政局）",
    spec_version=2,
    kind="snapshot",
    key=("id_norm", "id_raw", "employer", "payroll_month", "staff_category"),
    key_note="id_raw only when the ID cannot be normalised",
    columns=(
        Column("姓名", "person_name", "name", required=True),
        Column("身份证号", "id", "id", required=True, aliases=("公民身份号码",)),
        Column("单位名称", "employer", required=True),
        Column("人员类别", "staff_category", required=True, values=STAFF_CATEGORIES),
        Column("应发工资", "gross_pay", "amount", required=True, aliases=("月应发工资",)),
        Column("统发年月", "payroll_month", "month", required=True, aliases=("工资年月",)),
    ),
    checks=(Between("gross_pay", "not_negative", min_value=0),),
)
