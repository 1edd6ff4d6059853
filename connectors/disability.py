"""残疾人证: the disabled persons' federation's certificates (snapshot)."""

from connectors.spec import Column, Derived, InSet, LengthEquals, Source

SEXES = ("男", "女")
CATEGORIES = ("视力", "听力", "言语", "肢体", "智力", "精神", "多重")
GRADES = ("一级", "二级", "三级", "四级")
CERT_STATUSES = ("有效", "注销", "过期")

SOURCE = Source(
    name="disability",
    title="残疾人证",
    label="残疾人证（残疾人联合会）",
    kind="snapshot",
    key=("cert_no",),
    link_address="registered_address",
    id_fallback="left(hd_clean(src_cert_no), 18)",
    columns=(
        Column("残疾人证号", "cert_no", required=True, aliases=("证号",), personal=True, pseudonym="cert"),
        Column("姓名", "person_name", "name", required=True),
        Column("身份证号", "id", "id", aliases=("公民身份号码",),
               note="; when empty, the first 18 characters of 残疾人证号"),
        Column("性别", "sex", values=SEXES),
        Column("残疾类别", "category", required=True, values=CATEGORIES),
        Column("残疾等级", "grade", required=True, values=GRADES),
        Column("发证日期", "issued_on", "date", required=True, aliases=("办证日期",), not_after_delivery=True),
        Column("证件状态", "cert_status", required=True, aliases=("状态",), values=CERT_STATUSES),
        Column("户籍地址", "registered_address", aliases=("户籍所在地",), personal=True),
    ),
    derived=(Derived("grade_num", "grade as a number (一级 = 1 … 四级 = 4; NULL when unreadable)"),),
    # The certificate number is the holder's ID and two digits: category (1-7) and grade (1-4). GX supports
    # neither regular expressions nor LIKE on DuckDB, so the two digits are cut out as contract columns.
    contract_columns=(
        ("cert_no_category_digit", "substr(cert_no, 19, 1)"),
        ("cert_no_grade_digit", "substr(cert_no, 20, 1)"),
    ),
    checks=(
        LengthEquals("cert_no", "cert_no_format", 20),
        InSet("cert_no", "cert_no_format", "cert_no_category_digit", tuple("1234567")),
        InSet("cert_no", "cert_no_format", "cert_no_grade_digit", tuple("1234")),
    ),
)
