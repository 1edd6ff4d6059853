"""救助对象家庭: the social assistance system's households (snapshot). Linked to members by the head's ID.

Spec v2 adds two optional columns: 城乡 (which standard applies) and 单独登记备案 (filed separately because a
member is, or is a near relative of, assistance staff).
"""

from connectors.spec import Between, Column, Derived, NotBefore, Source

CATEGORIES = ("城市低保", "农村低保", "特困供养", "低保边缘", "支出型困难")
STATUSES = ("在保", "审核中", "已退出")
URBAN_RURAL = ("城市", "农村")
YES_NO = ("是", "否")

SOURCE = Source(
    name="households",
    title="救助对象家庭",
    label="救助对象家庭（民政救助系统）",
    kind="snapshot",
    key=("household_id",),
    link_address="coalesce(township, '') || coalesce(village, '')",
    columns=(
        Column("家庭编号", "household_id", required=True, aliases=("家庭ID",), pseudonym="household"),
        Column("户主姓名", "head_name", "name", required=True),
        Column("户主身份证号", "head_id", "id", required=True, aliases=("户主证件号码",)),
        Column("保障类别", "category", required=True, aliases=("救助类别",), values=CATEGORIES),
        Column("状态", "status", required=True, aliases=("保障状态",), values=STATUSES),
        Column("区县", "county", required=True),
        Column("乡镇街道", "township", required=True, aliases=("乡镇(街道)", "乡镇（街道）")),
        Column("村社区", "village", aliases=("村(社区)", "村（社区）")),
        Column("家庭人口", "household_size", "int", required=True, aliases=("家庭人数",)),
        Column("申请日期", "applied_on", "date", required=True, not_after_delivery=True),
        Column("纳入日期", "enrolled_on", "date", aliases=("认定日期",), not_after_delivery=True),
        Column("月保障金", "monthly_benefit", "amount"),
        Column("申报月收入", "declared_monthly_income", "amount", required=True, aliases=("家庭月收入",)),
        # v2, optional: a v1 delivery without them stays valid (urban_rural then follows the category)
        Column("城乡", "urban_rural_raw", aliases=("城乡类别",), values=URBAN_RURAL),
        Column("单独登记备案", "filed_separately_raw", aliases=("备案",), values=YES_NO),
    ),
    derived=(
        Derived("urban_rural", "Which assistance standard applies: urban_rural_raw when delivered, else 城市 for "
                               "城市低保 and 农村 for 农村低保, else NULL (unknown: the household's income is not "
                               "tested against a standard)"),
        Derived("filed_separately", "Whether the household is filed separately (单独登记备案): true only for 是; "
                                    "empty or 否 is false"),
    ),
    checks=(
        Between("household_size", "at_least_one", min_value=1),
        Between("monthly_benefit", "not_negative", min_value=0),
        Between("declared_monthly_income", "not_negative", min_value=0),
        NotBefore("enrolled_on", "applied_on"),
    ),
)
